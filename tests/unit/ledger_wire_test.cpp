// Unit tests for remote/ledger_wire.h: the HTTP API's ledger bodies (tx
// submission and its answer, a block, a tx, a query and its answer) round
// trip with real blocks and txs of a repository, and the decoders refuse
// malformed or forged input with a Status, never an exception.
#include "remote/ledger_wire.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/codec.h"
#include "core/crypto.h"
#include "tests/unit/test_util.h"
#include "tests/unit/values.h"

namespace aergo {
namespace {

using json = nlohmann::json;
using testutil::B;
using testutil::F;
using testutil::I;
using testutil::N;
using testutil::T;

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

template <typename T>
void ExpectCode(const Result<T>& r, Code code, const std::string& part) {
  ASSERT_FALSE(r.ok()) << "accepted";
  EXPECT_EQ(r.status().code(), code) << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), part)) << "'" << r.status().message() << "' lacks '" << part << "'";
}

template <typename T>
void ExpectInvalid(const Result<T>& r, const std::string& part = "") {
  ExpectCode(r, Code::kInvalid, part);
}

Hash32 H(uint8_t fill) {
  Hash32 h;
  h.fill(fill);
  h[0] = 0xa0;
  return h;
}

// A JSON body with one field replaced.
std::string With(const std::string& body, const std::string& key, const json& value) {
  json j = json::parse(body);
  j[key] = value;
  return j.dump();
}
std::string Without(const std::string& body, const std::string& key) {
  json j = json::parse(body);
  j.erase(key);
  return j.dump();
}

// A repository with BuildHistory's two blocks (block2: two calls, their
// receipts and changes) and one pending tx.
class LedgerWireTest : public testutil::RepoFixture {
 protected:
  LedgerWireTest() : RepoFixture("aergo-ledger-wire-test", 0x71) {}

  void SetUp() override {
    RepoFixture::SetUp();
    BuildHistory();
    pending_ = Call(alice_, "transfer", {Value::Text(Addr(bob_)), Value::Integer(5)});
    SubmitOk({pending_});
  }

  Block Read(const Hash32& id) {
    auto b = repo_->ReadBlock(id);
    EXPECT_TRUE(b.ok()) << b.status().message();
    return b.ok() ? *b : Block{};
  }
  FoundTx Find(const Hash32& txid) {
    auto f = repo_->FindTx(ToHex(txid));
    EXPECT_TRUE(f.ok()) << f.status().message();
    return f.ok() ? *f : FoundTx{};
  }

  Tx pending_;  // alice's transfer to bob, in the merge pool
};

void ExpectSameTx(const Tx& a, const Tx& b) {
  EXPECT_EQ(a.Encode(), b.Encode());
  EXPECT_EQ(a.Id(), b.Id());
}

void ExpectSameBlock(const Block& a, const Block& b) {
  EXPECT_EQ(a.Id(), b.Id());
  EXPECT_EQ(a.header.Encode(), b.header.Encode());
  EXPECT_EQ(a.EncodeTxs(), b.EncodeTxs());
  EXPECT_EQ(a.EncodeReceipts(), b.EncodeReceipts());
  EXPECT_EQ(a.changes, b.changes);
  ASSERT_EQ(a.txs.size(), b.txs.size());
  ASSERT_EQ(a.receipts.size(), b.receipts.size());
  for (size_t i = 0; i < a.txs.size(); ++i) {
    EXPECT_EQ(a.txs[i].Id(), b.txs[i].Id());
    EXPECT_EQ(a.receipts[i].Encode(), b.receipts[i].Encode());
  }
}

// ---- tx submission ----

TEST_F(LedgerWireTest, TxSubmissionRoundTrip) {
  // One tx of each kind a client submits, arguments of every value type.
  std::vector<Tx> txs = {
      repo_->MakeTx(TxKind::kDeploy, admin_, "other", "", {}, testutil::kTokenContract),
      repo_->MakeTx(TxKind::kCall, alice_, "token", "f",
                    {I(std::numeric_limits<int64_t>::min()), I(std::numeric_limits<int64_t>::max()), F(-2.5),
                     T("h\xc3\xa9llo \"q\" \\ \n"), B(std::string("\x00\xff\x01", 3)), N()},
                    ""),
      repo_->MakeTx(TxKind::kAccess, admin_, "aergo", "grant", {T(Addr(bob_)), T("read")}, ""),
      pending_};
  std::string body = EncodeTxSubmission(txs);
  // {"txs": [hex of each encoding]}, compact.
  json j = json::parse(body);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.size(), 1u);
  ASSERT_EQ(j["txs"].size(), txs.size());
  EXPECT_EQ(j["txs"][1].get<std::string>(), ToHex(txs[1].Encode()));
  EXPECT_FALSE(Has(body, " "));

  auto back = DecodeTxSubmission(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), txs.size());
  for (size_t i = 0; i < txs.size(); ++i) ExpectSameTx((*back)[i], txs[i]);
  EXPECT_TRUE((*back)[1].VerifySignature());
  EXPECT_EQ((*back)[1].args[4], B(std::string("\x00\xff\x01", 3)));

  // Uppercase hex and unknown keys are accepted.
  std::string upper = ToHex(txs[0].Encode());
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto up = DecodeTxSubmission(R"({"extra":1,"txs":[")" + upper + R"("]})");
  ASSERT_TRUE(up.ok()) << up.status().message();
  ASSERT_EQ(up->size(), 1u);
  EXPECT_EQ((*up)[0].Id(), txs[0].Id());
}

TEST_F(LedgerWireTest, MalformedTxSubmissionsAreInvalid) {
  std::string hex = ToHex(pending_.Encode());
  ExpectInvalid(DecodeTxSubmission(""), "not a JSON object");
  ExpectInvalid(DecodeTxSubmission("txs=" + hex), "not a JSON object");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[")" + hex), "not a JSON object");  // cut short
  ExpectInvalid(DecodeTxSubmission(R"([")" + hex + R"("])"), "not a JSON object");
  ExpectInvalid(DecodeTxSubmission("{}"), "'txs' must be a non-empty list");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[]})"), "'txs' must be a non-empty list");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":")" + hex + R"("})"), "'txs' must be a non-empty list");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[1]})"), "each tx must be a hex string");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[null]})"), "each tx must be a hex string");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[{"tx":")" + hex + R"("}]})"), "each tx must be a hex string");
  // Odd length and non-hex digits.
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[")" + hex.substr(1) + R"("]})"), "'txs' is not hex");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[")" + hex.substr(2) + "zz" + R"("]})"), "'txs' is not hex");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[")" + hex.substr(2) + "0x" + R"("]})"), "'txs' is not hex");
  // Hex, but not a tx: cut short, a trailing byte, an empty string. The
  // message names the tx's place in the list.
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[")" + hex + R"(",")" + hex.substr(0, hex.size() - 2) + R"("]})"),
                "tx 2 of the submission");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[")" + hex + R"(00"]})"), "tx 1 of the submission");
  ExpectInvalid(DecodeTxSubmission(R"({"txs":[""]})"), "tx 1 of the submission");
}

TEST_F(LedgerWireTest, AtMostkMaxSubmittedTxsInOneSubmission) {
  std::vector<Tx> txs(kMaxSubmittedTxs, pending_);
  auto most = DecodeTxSubmission(EncodeTxSubmission(txs));
  ASSERT_TRUE(most.ok()) << most.status().message();
  EXPECT_EQ(most->size(), kMaxSubmittedTxs);
  txs.push_back(pending_);
  ExpectInvalid(DecodeTxSubmission(EncodeTxSubmission(txs)),
                "more than " + std::to_string(kMaxSubmittedTxs) + " txs in one request");
}

// ---- submission answer ----

TEST(LedgerWire, SubmitAnswerRoundTrip) {
  SubmitAnswer a;
  a.branch = "feature/x";
  Submitted ok;
  ok.txid = H(1);
  ok.outcome.ok = true;
  ok.outcome.steps = 99;  // not carried
  Submitted failed;
  failed.txid = H(2);
  failed.outcome.ok = false;
  failed.outcome.error = "CHECK constraint failed: balance >= 0 \"\xc3\xa9\"";
  a.receipts = {ok, failed};
  std::string body = EncodeSubmitAnswer(a);
  json j = json::parse(body);
  EXPECT_EQ(j["receipts"][0]["status"], "ok");
  EXPECT_TRUE(j["receipts"][0]["error"].is_null());
  EXPECT_EQ(j["receipts"][1]["status"], "failed");
  EXPECT_EQ(j["receipts"][1]["txid"], ToHex(H(2)));

  auto back = DecodeSubmitAnswer(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->branch, "feature/x");
  ASSERT_EQ(back->receipts.size(), 2u);
  EXPECT_EQ(back->receipts[0].txid, H(1));
  EXPECT_TRUE(back->receipts[0].outcome.ok);
  EXPECT_EQ(back->receipts[0].outcome.error, "");
  EXPECT_EQ(back->receipts[1].txid, H(2));
  EXPECT_FALSE(back->receipts[1].outcome.ok);
  EXPECT_EQ(back->receipts[1].outcome.error, failed.outcome.error);

  // No receipts at all is a valid answer (nothing is submitted that way,
  // but the decoder does not care).
  auto none = DecodeSubmitAnswer(EncodeSubmitAnswer(SubmitAnswer{"master", {}}));
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_EQ(none->branch, "master");
  EXPECT_TRUE(none->receipts.empty());
}

TEST(LedgerWire, MalformedSubmitAnswersAreInvalid) {
  std::string id = ToHex(H(3));
  auto answer = [&](const std::string& receipt) {
    return R"({"branch":"master","receipts":[)" + receipt + "]}";
  };
  ExpectInvalid(DecodeSubmitAnswer("<html>"), "not a JSON object");
  ExpectInvalid(DecodeSubmitAnswer(R"({"receipts":[]})"), "'branch' must be a string");
  ExpectInvalid(DecodeSubmitAnswer(R"({"branch":7,"receipts":[]})"), "'branch' must be a string");
  ExpectInvalid(DecodeSubmitAnswer(R"({"branch":"master"})"), "'receipts' must be a list");
  ExpectInvalid(DecodeSubmitAnswer(R"({"branch":"master","receipts":{}})"), "'receipts' must be a list");
  ExpectInvalid(DecodeSubmitAnswer(answer("1")), "receipts must be objects");
  ExpectInvalid(DecodeSubmitAnswer(answer(R"({"status":"ok"})")), "'txid'");
  ExpectInvalid(DecodeSubmitAnswer(answer(R"({"txid":")" + id.substr(2) + R"(","status":"ok"})")),
                "not a 64-digit hex id");
  ExpectInvalid(DecodeSubmitAnswer(answer(R"({"txid":")" + id + R"(","status":"kept"})")),
                "unknown status 'kept'");
  ExpectInvalid(DecodeSubmitAnswer(answer(R"({"txid":")" + id + R"("})")), "'status' must be a string");
  // A failed receipt must say why.
  ExpectInvalid(DecodeSubmitAnswer(answer(R"({"txid":")" + id + R"(","status":"failed","error":null})")),
                "'error' must be a string");
}

// ---- block ----

TEST_F(LedgerWireTest, BlockAnswerRoundTrip) {
  Block b2 = Read(block2_.Id());
  ASSERT_EQ(b2.txs.size(), 2u);
  ASSERT_FALSE(b2.changes.empty());
  std::string body = EncodeBlockAnswer(b2);
  json j = json::parse(body);
  EXPECT_EQ(j["id"], ToHex(b2.Id()));
  EXPECT_EQ(j["header"], ToHex(b2.header.Encode()));
  EXPECT_EQ(j["txs"], ToHex(b2.EncodeTxs()));
  EXPECT_EQ(j["receipts"], ToHex(b2.EncodeReceipts()));
  EXPECT_EQ(j["changes"], ToHex(b2.changes));
  auto back = DecodeBlockAnswer(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameBlock(*back, b2);
  EXPECT_TRUE(back->header.VerifySignature());

  // The genesis block (no parents) and block 1 (a deploy) too.
  for (const Hash32& id : {repo_->chain_id(), block1_.Id()}) {
    Block b = Read(id);
    auto r = DecodeBlockAnswer(EncodeBlockAnswer(b));
    ASSERT_TRUE(r.ok()) << r.status().message();
    ExpectSameBlock(*r, b);
  }
}

TEST_F(LedgerWireTest, MalformedOrForgedBlockAnswersAreRefused) {
  Block b1 = Read(block1_.Id()), b2 = Read(block2_.Id());
  std::string body = EncodeBlockAnswer(b2);
  ExpectInvalid(DecodeBlockAnswer(""), "not a JSON object");
  ExpectInvalid(DecodeBlockAnswer(body.substr(0, body.size() / 2)), "not a JSON object");
  for (const char* key : {"id", "header", "txs", "receipts", "changes"}) {
    ExpectInvalid(DecodeBlockAnswer(Without(body, key)), std::string("'") + key + "' must be a string");
    ExpectInvalid(DecodeBlockAnswer(With(body, key, 12)), std::string("'") + key + "' must be a string");
  }
  ExpectInvalid(DecodeBlockAnswer(With(body, "id", ToHex(b2.Id()).substr(1))), "'id' is not a 64-digit hex id");
  std::string header = ToHex(b2.header.Encode());
  ExpectInvalid(DecodeBlockAnswer(With(body, "header", header.substr(1))), "'header' is not hex");
  ExpectInvalid(DecodeBlockAnswer(With(body, "header", "g" + header.substr(1))), "'header' is not hex");
  ExpectInvalid(DecodeBlockAnswer(With(body, "changes", "abc")), "'changes' is not hex");
  ExpectInvalid(DecodeBlockAnswer(With(body, "txs", "0")), "'txs' is not hex");
  // Hex that does not decode.
  ExpectInvalid(DecodeBlockAnswer(With(body, "header", header.substr(0, header.size() - 2))), "block answer: ");
  ExpectInvalid(DecodeBlockAnswer(With(body, "receipts", "")), "block answer: ");

  // A well-formed header that is not the block the id names.
  ExpectInvalid(DecodeBlockAnswer(With(body, "id", ToHex(b1.Id()))),
                "the header does not hash to " + ToHex(b1.Id()));
  ExpectInvalid(DecodeBlockAnswer(With(body, "header", ToHex(b1.header.Encode()))),
                "the header does not hash to " + ToHex(b2.Id()));
  // The header's id, but another block's txs and receipts: the structure
  // check catches the roots.
  std::string foreign = With(With(body, "txs", ToHex(b1.EncodeTxs())), "receipts", ToHex(b1.EncodeReceipts()));
  auto r = DecodeBlockAnswer(foreign);
  ExpectCode(r, Code::kCorrupt, "block " + ShortId(b2.Id()));
  EXPECT_TRUE(Has(r.status().message(), "tx root mismatch")) << r.status().message();
  // The receipts in another order: the receipt root no longer matches.
  Block swapped = b2;
  std::swap(swapped.receipts[0], swapped.receipts[1]);
  ExpectCode(DecodeBlockAnswer(With(body, "receipts", ToHex(swapped.EncodeReceipts()))), Code::kCorrupt,
             "receipt");
}

// ---- tx ----

TEST_F(LedgerWireTest, TxAnswerRoundTrip) {
  // In a block.
  FoundTx in_block = Find(block2_.txs[1].Id());
  ASSERT_TRUE(in_block.block.has_value());
  std::string body = EncodeTxAnswer(in_block);
  json j = json::parse(body);
  EXPECT_EQ(j["block"], ToHex(block2_.Id()));
  EXPECT_EQ(j["tx"], ToHex(block2_.txs[1].Encode()));
  auto back = DecodeTxAnswer(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameTx(back->tx, block2_.txs[1]);
  EXPECT_EQ(back->receipt.Encode(), block2_.receipts[1].Encode());
  ASSERT_TRUE(back->block.has_value());
  EXPECT_EQ(*back->block, block2_.Id());

  // Pending: "block": null, or left out.
  FoundTx pending = Find(pending_.Id());
  ASSERT_FALSE(pending.block.has_value());
  std::string pbody = EncodeTxAnswer(pending);
  EXPECT_TRUE(json::parse(pbody)["block"].is_null());
  for (const std::string& b : {pbody, Without(pbody, "block")}) {
    auto p = DecodeTxAnswer(b);
    ASSERT_TRUE(p.ok()) << p.status().message();
    ExpectSameTx(p->tx, pending_);
    EXPECT_EQ(p->receipt.txid, pending_.Id());
    EXPECT_FALSE(p->block.has_value());
  }

  // A failed (excluded) receipt with its error survives too.
  FoundTx excluded = pending;
  excluded.receipt.status = ReceiptStatus::kExcluded;
  excluded.receipt.error = "sender has no account";
  auto e = DecodeTxAnswer(EncodeTxAnswer(excluded));
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->receipt.status, ReceiptStatus::kExcluded);
  EXPECT_EQ(e->receipt.error, "sender has no account");
}

TEST_F(LedgerWireTest, MalformedOrForgedTxAnswersAreRefused) {
  FoundTx found = Find(block2_.txs[1].Id());
  std::string body = EncodeTxAnswer(found);
  ExpectInvalid(DecodeTxAnswer("null"), "not a JSON object");
  ExpectInvalid(DecodeTxAnswer(Without(body, "tx")), "'tx' must be a string");
  ExpectInvalid(DecodeTxAnswer(Without(body, "receipt")), "'receipt' must be a string");
  ExpectInvalid(DecodeTxAnswer(With(body, "tx", json::array())), "'tx' must be a string");
  ExpectInvalid(DecodeTxAnswer(With(body, "tx", "abc")), "'tx' is not hex");
  ExpectInvalid(DecodeTxAnswer(With(body, "receipt", "xyxy")), "'receipt' is not hex");
  ExpectInvalid(DecodeTxAnswer(With(body, "block", 5)), "'block' must be a string");
  ExpectInvalid(DecodeTxAnswer(With(body, "block", "00")), "'block' is not a 64-digit hex id");
  ExpectInvalid(DecodeTxAnswer(With(body, "tx", ToHex(found.tx.Encode()) + "00")), "tx answer: ");
  ExpectInvalid(DecodeTxAnswer(With(body, "receipt", ToHex(found.receipt.Encode()) + "00")), "tx answer receipt");

  // A signature byte flipped.
  Tx forged = found.tx;
  forged.signature[7] ^= 0x01;
  ExpectInvalid(DecodeTxAnswer(With(body, "tx", ToHex(forged.Encode()))), "the tx signature is invalid");
  // An argument changed under the signature (another id, a bad signature).
  Tx changed = found.tx;
  changed.args[1] = Value::Integer(31000);
  ExpectInvalid(DecodeTxAnswer(With(body, "tx", ToHex(changed.Encode()))), "the tx signature is invalid");
  // A receipt for another tx.
  ExpectInvalid(DecodeTxAnswer(With(body, "receipt", ToHex(block2_.receipts[0].Encode()))),
                "the receipt is not the tx's");
}

// ---- query ----

TEST(LedgerWire, QueryRequestRoundTrip) {
  auto now = DecodeQueryRequest(EncodeQueryRequest(QueryRequest{"SELECT 'x' -- \"q\"\n", std::nullopt}));
  ASSERT_TRUE(now.ok()) << now.status().message();
  EXPECT_EQ(now->sql, "SELECT 'x' -- \"q\"\n");
  EXPECT_FALSE(now->at.has_value());
  EXPECT_TRUE(json::parse(EncodeQueryRequest(QueryRequest{"SELECT 1", std::nullopt}))["at"].is_null());

  auto at = DecodeQueryRequest(EncodeQueryRequest(QueryRequest{"SELECT 1", std::string("master~1")}));
  ASSERT_TRUE(at.ok()) << at.status().message();
  EXPECT_EQ(at->sql, "SELECT 1");
  ASSERT_TRUE(at->at.has_value());
  EXPECT_EQ(*at->at, "master~1");

  auto no_at = DecodeQueryRequest(R"({"sql":"SELECT 2"})");
  ASSERT_TRUE(no_at.ok()) << no_at.status().message();
  EXPECT_FALSE(no_at->at.has_value());
}

TEST(LedgerWire, MalformedQueryRequestsAreInvalid) {
  ExpectInvalid(DecodeQueryRequest("SELECT 1"), "not a JSON object");
  ExpectInvalid(DecodeQueryRequest(R"(["SELECT 1"])"), "not a JSON object");
  ExpectInvalid(DecodeQueryRequest("{}"), "'sql' must be a string");
  ExpectInvalid(DecodeQueryRequest(R"({"sql":null})"), "'sql' must be a string");
  ExpectInvalid(DecodeQueryRequest(R"({"sql":["SELECT 1"]})"), "'sql' must be a string");
  ExpectInvalid(DecodeQueryRequest(R"({"sql":"SELECT 1","at":5})"), "'at' must be a string");
  ExpectInvalid(DecodeQueryRequest(R"({"sql":"SELECT 1","at":{}})"), "'at' must be a string");
}

TEST(LedgerWire, QueryAnswerRoundTripKeepsEveryValueType) {
  QueryResult r;
  r.columns = {"i", "r", "t", "b", "n"};
  r.rows = {
      {I(42), F(1.5), T("plain"), B("\x01\x02"), N()},
      {I(std::numeric_limits<int64_t>::max()), F(0.1), T("qu\"ote\\ \n\t\x01 h\xc3\xa9"), B(std::string("\0\xff", 2)),
       N()},
      {I(std::numeric_limits<int64_t>::min()), F(-2.0), T(""), B(""), N()},
      {I(0), F(1e300), T("0"), B("x"), I(-1)},
      {I(-7), F(-0.0), T("null"), B("{}"), F(5e-324)},
      // Columns may mix types (SQLite's dynamic typing).
      {T("42"), I(2), N(), T("{\"blob\":\"00\"}"), B("\x7f")},
  };
  std::string body = EncodeQueryAnswer(r);
  // Canonical: rows are ArgsJson; whole reals keep their ".0", blobs are
  // {"blob": hex}.
  EXPECT_TRUE(Has(body, R"("columns":["i","r","t","b","n"])")) << body;
  EXPECT_TRUE(Has(body, R"([42,1.5,"plain",{"blob":"0102"},null])")) << body;
  EXPECT_TRUE(Has(body, R"(-9223372036854775808,-2.0,"",{"blob":""},null])")) << body;
  ASSERT_FALSE(json::parse(body, nullptr, false).is_discarded()) << body;

  auto back = DecodeQueryAnswer(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->columns, r.columns);
  ASSERT_EQ(back->rows.size(), r.rows.size());
  for (size_t i = 0; i < r.rows.size(); ++i) {
    ASSERT_EQ(back->rows[i].size(), r.rows[i].size());
    for (size_t k = 0; k < r.rows[i].size(); ++k)
      EXPECT_TRUE(back->rows[i][k] == r.rows[i][k])
          << "row " << i << " column " << k << ": " << ValueToJson(back->rows[i][k]) << " ("
          << ValueTypeName(back->rows[i][k].type) << ") != " << ValueToJson(r.rows[i][k]) << " ("
          << ValueTypeName(r.rows[i][k].type) << ")";
  }

  // No rows; no columns.
  QueryResult empty;
  empty.columns = {"owner"};
  auto e = DecodeQueryAnswer(EncodeQueryAnswer(empty));
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->columns, empty.columns);
  EXPECT_TRUE(e->rows.empty());
  auto nothing = DecodeQueryAnswer(EncodeQueryAnswer(QueryResult{}));
  ASSERT_TRUE(nothing.ok()) << nothing.status().message();
  EXPECT_TRUE(nothing->columns.empty());
}

TEST(LedgerWire, QueryAnswerInfinitiesRoundTrip) {
  QueryResult r;
  r.columns = {"a", "b"};
  r.rows = {{F(std::numeric_limits<double>::infinity()), F(-std::numeric_limits<double>::infinity())}};
  std::string body = EncodeQueryAnswer(r);
  EXPECT_TRUE(Has(body, R"([{"real":"inf"},{"real":"-inf"}])")) << body;
  auto back = DecodeQueryAnswer(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->rows.size(), 1u);
  EXPECT_EQ(back->rows[0][0].type, Value::Type::kReal);
  EXPECT_TRUE(std::isinf(back->rows[0][0].real) && back->rows[0][0].real > 0);
  EXPECT_TRUE(std::isinf(back->rows[0][1].real) && back->rows[0][1].real < 0);
}

// SQLite text need not be UTF-8 (CAST(x'ff' AS TEXT)); a query answer
// must still carry it, byte for byte, and stay JSON.
TEST(LedgerWire, QueryAnswerTextThatIsNotUtf8RoundTrips) {
  QueryResult r;
  r.columns = {"t", "u"};
  r.rows = {{T("\xff" "A"), T("ok \xc3\xa9")}, {T(std::string("\xc3", 1)), T("\xed\xa0\x80")}};
  std::string body = EncodeQueryAnswer(r);
  EXPECT_FALSE(json::parse(body, nullptr, false).is_discarded()) << body;
  auto back = DecodeQueryAnswer(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->rows.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(back->rows[i][k].type, Value::Type::kText) << i << "," << k;
      EXPECT_EQ(back->rows[i][k].bytes, r.rows[i][k].bytes) << i << "," << k;
    }
}

TEST(LedgerWire, MalformedQueryAnswersAreInvalid) {
  ExpectInvalid(DecodeQueryAnswer("[]"), "not a JSON object");
  ExpectInvalid(DecodeQueryAnswer(R"({"columns":["a"]})"), "'columns' and 'rows' must be lists");
  ExpectInvalid(DecodeQueryAnswer(R"({"rows":[]})"), "'columns' and 'rows' must be lists");
  ExpectInvalid(DecodeQueryAnswer(R"({"columns":"a","rows":[]})"), "'columns' and 'rows' must be lists");
  ExpectInvalid(DecodeQueryAnswer(R"({"columns":[1],"rows":[]})"), "column names must be strings");
  ExpectInvalid(DecodeQueryAnswer(R"({"columns":["a"],"rows":[1]})"), "one value per column");
  ExpectInvalid(DecodeQueryAnswer(R"({"columns":["a"],"rows":[[1,2]]})"), "one value per column");
  ExpectInvalid(DecodeQueryAnswer(R"({"columns":["a","b"],"rows":[[1]]})"), "one value per column");
  const char* bad_values[] = {
      "true", "[1]", "{}", R"({"blob":"abc"})", R"({"blob":"zz"})", R"({"blob":5})",
      R"({"blob":"00","x":1})", R"({"text":"a"})",
  };
  for (const char* v : bad_values)
    ExpectInvalid(DecodeQueryAnswer(std::string(R"({"columns":["a"],"rows":[[)") + v + "]]}"), "malformed query answer");
}

TEST(LedgerWire, QueryAnswerIntegersBeyondInt64AreRefused) {
  auto answer = [](const std::string& v) { return R"({"columns":["a"],"rows":[[)" + v + "]]}"; };
  // The bounds themselves are integers.
  for (const auto& [text, value] : std::vector<std::pair<std::string, int64_t>>{
           {"9223372036854775807", std::numeric_limits<int64_t>::max()},
           {"-9223372036854775808", std::numeric_limits<int64_t>::min()}}) {
    auto r = DecodeQueryAnswer(answer(text));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->rows[0][0], I(value)) << text;
  }
  // One past them, either way, and beyond uint64: no encoder writes those
  // (ArgsJson gives reals a "." or an exponent), so they must not come back
  // as another value or type.
  for (const char* v : {"9223372036854775808", "18446744073709551615", "18446744073709551616",
                        "-9223372036854775809", "100000000000000000000000"})
    ExpectInvalid(DecodeQueryAnswer(answer(v)), "out of range");
}

}  // namespace
}  // namespace aergo
