// Unit tests for remote/wire.h: the HTTP API's bodies round trip, and the
// decoders refuse malformed input with Invalid, never an exception.
#include "remote/wire.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/crypto.h"

namespace aergo {
namespace {

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

Hash32 H(uint8_t fill) {
  Hash32 h;
  h.fill(fill);
  h[0] = 0xa0;
  return h;
}

template <typename T>
void ExpectInvalid(const Result<T>& r, const std::string& part = "") {
  ASSERT_FALSE(r.ok()) << "accepted";
  EXPECT_EQ(r.status().code(), Code::kInvalid) << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), part)) << r.status().message();
}

// ---- refs ----

TEST(WireTest, RefsRoundTrip) {
  RemoteRefs refs;
  refs.chain_id = H(1);
  refs.head = "master";
  refs.is_public = true;
  refs.branches = {{"master", H(2)}, {"feature/x", H(3)}};
  refs.tags = {{"v1", H(4)}};
  auto back = DecodeRefs(EncodeRefs(refs));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->chain_id, refs.chain_id);
  EXPECT_EQ(back->head, "master");
  EXPECT_TRUE(back->is_public);
  EXPECT_EQ(back->branches, refs.branches);
  EXPECT_EQ(back->tags, refs.tags);

  RemoteRefs bare;  // detached, private, no refs
  bare.chain_id = H(9);
  auto b = DecodeRefs(EncodeRefs(bare));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->head, "");
  EXPECT_FALSE(b->is_public);
  EXPECT_TRUE(b->branches.empty());
  EXPECT_TRUE(b->tags.empty());
}

TEST(WireTest, MalformedRefsAreInvalid) {
  ExpectInvalid(DecodeRefs(""));
  ExpectInvalid(DecodeRefs("<html>"));
  ExpectInvalid(DecodeRefs("[]"));
  ExpectInvalid(DecodeRefs("{}"), "chain_id");
  std::string id = ToHex(H(1));
  ExpectInvalid(DecodeRefs(R"({"chain_id":"xyz","head":""})"), "64-digit hex id");
  ExpectInvalid(DecodeRefs(R"({"chain_id":")" + id + R"(","head":5})"), "head");
  ExpectInvalid(DecodeRefs(R"({"chain_id":")" + id + R"(","head":"","branches":{}})"), "branches");
  ExpectInvalid(DecodeRefs(R"({"chain_id":")" + id + R"(","head":"","branches":[1]})"), "branches");
  ExpectInvalid(DecodeRefs(R"({"chain_id":")" + id + R"(","head":"","tags":[{"name":"v1"}]})"), "block");
  ExpectInvalid(DecodeRefs(R"({"chain_id":")" + id + R"(","head":"","tags":[{"block":")" + id + R"("}]})"), "name");
}

// ---- fetch ----

TEST(WireTest, FetchRequestRoundTrip) {
  FetchRequest r{{H(1), H(2)}, {H(3)}};
  auto back = DecodeFetchRequest(EncodeFetchRequest(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->wants, r.wants);
  EXPECT_EQ(back->haves, r.haves);
  // Haves may be left out.
  auto no_haves = DecodeFetchRequest(R"({"wants":[")" + ToHex(H(1)) + R"("]})");
  ASSERT_TRUE(no_haves.ok()) << no_haves.status().message();
  EXPECT_TRUE(no_haves->haves.empty());
}

TEST(WireTest, MalformedFetchRequestsAreInvalid) {
  std::string id = ToHex(H(1));
  ExpectInvalid(DecodeFetchRequest(""), "not a JSON object");
  ExpectInvalid(DecodeFetchRequest("wants=1"), "not a JSON object");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")"), "not a JSON object");  // cut short
  ExpectInvalid(DecodeFetchRequest(R"([")" + id + R"("])"), "not a JSON object");
  ExpectInvalid(DecodeFetchRequest("\"" + id + "\""), "not a JSON object");
  ExpectInvalid(DecodeFetchRequest("{}"), "no blocks wanted");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[]})"), "no blocks wanted");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":")" + id + R"("})"), "must be a list");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")" + id.substr(1) + R"("]})"), "not a 64-digit hex id");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")" + id + R"(0"]})"), "not a 64-digit hex id");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")" + std::string(64, 'g') + R"("]})"), "not a 64-digit hex id");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[1]})"), "must be a string");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[null]})"), "must be a string");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")" + id + R"("],"haves":["x"]})"), "not a 64-digit hex id");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")" + id + R"("],"haves":7})"), "must be a list");

  // kMaxFetchIds is the most either list may hold (counted before the ids
  // are read).
  std::string many = "[0";
  for (size_t i = 1; i <= kMaxFetchIds; ++i) many += ",0";
  many += "]";
  ExpectInvalid(DecodeFetchRequest(R"({"wants":)" + many + "}"), "more than");
  ExpectInvalid(DecodeFetchRequest(R"({"wants":[")" + id + R"("],"haves":)" + many + "}"), "more than");
}

// ---- push ----

TEST(WireTest, PushBodyRoundTrip) {
  PushRequest r{"feature/x", H(5), {{"v1", H(6)}, {"v2", H(7)}}};
  const char raw[] = "PACK\0\0\0\x02\n\xff\n12\n{}";
  std::string pack(raw, sizeof raw - 1);
  std::string body = EncodePushHead(r) + pack;
  auto back = DecodePushBody(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->request.branch, r.branch);
  EXPECT_EQ(back->request.block, r.block);
  EXPECT_EQ(back->request.tags, r.tags);
  EXPECT_EQ(back->pack, pack);
  EXPECT_EQ(back->pack.data(), body.data() + body.size() - pack.size());  // a view into the body

  // No pack (the receiver has every block), no tags.
  PushRequest bare{"master", H(8), {}};
  std::string head = EncodePushHead(bare);
  auto empty = DecodePushBody(head);
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->request.branch, "master");
  EXPECT_EQ(empty->request.block, H(8));
  EXPECT_TRUE(empty->request.tags.empty());
  EXPECT_TRUE(empty->pack.empty());

  // The head is "<length>\n<json>".
  size_t nl = head.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_EQ(std::stoul(head.substr(0, nl)), head.size() - nl - 1);
  EXPECT_FALSE(nlohmann::json::parse(head.substr(nl + 1), nullptr, false).is_discarded());
}

TEST(WireTest, MalformedPushBodiesAreInvalid) {
  std::string head = EncodePushHead(PushRequest{"master", H(8), {}});
  size_t nl = head.find('\n');
  std::string json = head.substr(nl + 1);
  ExpectInvalid(DecodePushBody(""));
  ExpectInvalid(DecodePushBody(json));                          // no length line
  ExpectInvalid(DecodePushBody("\n" + json));                   // empty length
  ExpectInvalid(DecodePushBody("x" + head), "not a number");
  ExpectInvalid(DecodePushBody("-1\n" + json), "not a number");
  ExpectInvalid(DecodePushBody(" 5\n" + json), "not a number");
  ExpectInvalid(DecodePushBody("1234567890\n" + json));          // too long to be a length
  ExpectInvalid(DecodePushBody("99999999\n" + json), "cut short");
  ExpectInvalid(DecodePushBody(head.substr(0, head.size() - 3)), "cut short");
  // The length is honest but the JSON in it is cut short or wrong.
  std::string cut = json.substr(0, json.size() - 3);
  ExpectInvalid(DecodePushBody(std::to_string(cut.size()) + "\n" + cut + "PACK"), "push request");
  ExpectInvalid(DecodePushBody("2\n[]"), "not a JSON object");
  ExpectInvalid(DecodePushBody("2\n{}"), "branch");
  std::string no_block = R"({"branch":"master"})";
  ExpectInvalid(DecodePushBody(std::to_string(no_block.size()) + "\n" + no_block), "block");
  std::string bad_tags = R"({"branch":"master","block":")" + ToHex(H(8)) + R"(","tags":"v1"})";
  ExpectInvalid(DecodePushBody(std::to_string(bad_tags.size()) + "\n" + bad_tags), "tags");
  // A length that would take the pack's first bytes into the JSON.
  ExpectInvalid(DecodePushBody(std::to_string(json.size() + 4) + "\n" + json + "PACK"), "not a JSON object");
}

TEST(WireTest, PushOutcomeRoundTripWithAMerge) {
  PushOutcome o;
  o.branch = "master";
  o.old_head = H(1);
  o.head = H(2);
  o.blocks = 3;
  o.txs = 12345678901ull;
  o.tags_created = {"v1", "v2"};
  MergeReport m;
  m.block = H(2);
  m.base = H(3);
  m.resolver = "merges.resolve";
  m.applied = {H(4), H(5)};
  m.excluded = {MergedTx{H(6), "CHECK constraint failed: balance >= 0", ""}};
  m.resolved = {MergedTx{H(7), "sender has no account", "merges.resolve"}};
  o.merge = m;
  auto back = DecodePushOutcome(EncodePushOutcome(o));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->branch, "master");
  ASSERT_TRUE(back->old_head.has_value());
  EXPECT_EQ(*back->old_head, H(1));
  EXPECT_EQ(back->head, H(2));
  EXPECT_FALSE(back->up_to_date);
  EXPECT_FALSE(back->fast_forward);
  EXPECT_EQ(back->blocks, 3u);
  EXPECT_EQ(back->txs, 12345678901ull);
  EXPECT_EQ(back->tags_created, o.tags_created);
  ASSERT_TRUE(back->merge.has_value());
  const MergeReport& r = *back->merge;
  ASSERT_TRUE(r.block.has_value());
  EXPECT_EQ(*r.block, H(2));
  EXPECT_EQ(r.base, H(3));
  EXPECT_EQ(r.resolver, "merges.resolve");
  EXPECT_EQ(r.applied, m.applied);
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].txid, H(6));
  EXPECT_EQ(r.excluded[0].error, m.excluded[0].error);
  EXPECT_EQ(r.excluded[0].resolver, "");
  ASSERT_EQ(r.resolved.size(), 1u);
  EXPECT_EQ(r.resolved[0].txid, H(7));
  EXPECT_EQ(r.resolved[0].error, "sender has no account");
  EXPECT_EQ(r.resolved[0].resolver, "merges.resolve");
}

// `json` with its "dropped":[...] member replaced by `with`.
std::string ReplaceDropped(const std::string& json, const std::string& with) {
  size_t a = json.find("\"dropped\":");
  size_t b = json.find(']', a);
  return json.substr(0, a) + with + json.substr(b + 1);
}

TEST(WireTest, PushOutcomeRoundTripWithoutAMerge) {
  PushOutcome created;  // a new branch: no old head
  created.branch = "feature";
  created.head = H(9);
  created.blocks = 1;
  auto c = DecodePushOutcome(EncodePushOutcome(created));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->old_head.has_value());
  EXPECT_EQ(c->head, H(9));
  EXPECT_FALSE(c->merge.has_value());
  EXPECT_TRUE(c->tags_created.empty());

  PushOutcome ff;
  ff.branch = "master";
  ff.old_head = H(1);
  ff.head = H(2);
  ff.fast_forward = true;
  ff.dropped = {DroppedTx{"master", H(5), "CHECK constraint failed: balance >= 0"}};
  std::string ff_json = EncodePushOutcome(ff);
  EXPECT_NE(ff_json.find("\"dropped\":[{\"branch\":\"master\",\"error\":\"CHECK constraint failed: balance >= 0\","
                         "\"txid\":\"" + ToHex(H(5)) + "\"}]"),
            std::string::npos)
      << ff_json;
  auto f = DecodePushOutcome(ff_json);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->fast_forward);
  EXPECT_FALSE(f->up_to_date);
  EXPECT_FALSE(f->merge.has_value());
  ASSERT_EQ(f->dropped.size(), 1u);
  EXPECT_EQ(f->dropped[0].branch, "master");
  EXPECT_EQ(f->dropped[0].txid, H(5));
  EXPECT_EQ(f->dropped[0].error, "CHECK constraint failed: balance >= 0");
  // An older server's answer has no "dropped": none.
  std::string old_server = ReplaceDropped(ff_json, "\"other\":0");
  auto o = DecodePushOutcome(old_server);
  ASSERT_TRUE(o.ok()) << o.status().message() << " " << old_server;
  EXPECT_TRUE(o->dropped.empty());
  EXPECT_FALSE(DecodePushOutcome(ReplaceDropped(ff_json, "\"dropped\":3")).ok());

  PushOutcome up;
  up.branch = "master";
  up.old_head = H(2);
  up.head = H(2);
  up.up_to_date = true;
  auto u = DecodePushOutcome(EncodePushOutcome(up));
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_TRUE(u->up_to_date);
}

TEST(WireTest, MalformedPushOutcomesAreInvalid) {
  std::string id = ToHex(H(1));
  ExpectInvalid(DecodePushOutcome("merged"));
  ExpectInvalid(DecodePushOutcome("null"));
  ExpectInvalid(DecodePushOutcome("{}"), "branch");
  ExpectInvalid(DecodePushOutcome(R"({"branch":"m"})"), "head");
  ExpectInvalid(DecodePushOutcome(R"({"branch":"m","head":")" + id + R"(","old":5})"), "id must be a string");
  ExpectInvalid(DecodePushOutcome(R"({"branch":"m","head":")" + id + R"(","merge":{}})"), "base");
  ExpectInvalid(
      DecodePushOutcome(R"({"branch":"m","head":")" + id + R"(","merge":{"base":")" + id + R"(","excluded":[1]}})"),
      "objects");
}

// ---- errors ----

TEST(WireTest, ErrorsRoundTrip) {
  RemoteError e = DecodeError(EncodeError(Denied("no role 'writer' on this repository"), "writer"));
  EXPECT_EQ(e.message, "no role 'writer' on this repository");
  EXPECT_EQ(e.role, "writer");
  RemoteError plain = DecodeError(EncodeError(NotFound("no such repository")));
  EXPECT_EQ(plain.message, "no such repository");
  EXPECT_EQ(plain.role, "");
}

TEST(WireTest, ErrorWithInvalidUtf8DoesNotThrow) {
  std::string body;
  ASSERT_NO_THROW(body = EncodeError(Invalid("bad name '\xff\xfe\xc3' here"), "\xc0"));
  auto j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << body;
  RemoteError e;
  ASSERT_NO_THROW(e = DecodeError(body));
  EXPECT_TRUE(Has(e.message, "bad name '")) << e.message;
  EXPECT_TRUE(Has(e.message, "' here")) << e.message;
}

TEST(WireTest, ErrorBodyThatIsNotJsonIsTheMessage) {
  EXPECT_EQ(DecodeError("502 Bad Gateway").message, "502 Bad Gateway");
  EXPECT_EQ(DecodeError("").message, "no explanation given");
  EXPECT_EQ(DecodeError("{}").message, "{}");
  EXPECT_EQ(DecodeError(R"({"error":5})").message, R"({"error":5})");
  EXPECT_EQ(DecodeError(std::string(1000, 'x')).message, std::string(200, 'x'));  // bounded
  EXPECT_EQ(DecodeError("[1,2]").role, "");
}

}  // namespace
}  // namespace aergo
