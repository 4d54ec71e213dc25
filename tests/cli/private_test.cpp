// Private stays private (issue 13, daemon/access.h): against an `aergo
// daemon` child process,
//   - a hidden branch or tag name answers exactly as an unknown name, in
//     every revision form the grammar accepts (name, name@N, name~N,
//     name^, name^N, chains of them, and malformed suffixes), on
//     GET /<repo>/blocks/<rev> and in a query's `at`; the same for an id
//     prefix of a hidden block and for HEAD on a hidden checked-out branch;
//   - a writer cannot make a hidden block public by naming it in a push:
//     as a new branch's block, an existing branch's block, a tag's block,
//     or as the parent of a block he pushes; each is refused exactly as a
//     block the server lacks, and nothing changes on the server;
//   - a tx id prefix is matched only against the txs the caller can see:
//     a hidden tx makes no visible one ambiguous, and hidden txs sharing a
//     prefix answer exactly as an unknown prefix;
//   - a pushed tag whose name a hidden tag uses is refused without naming
//     the hidden tag's block;
//   - a query without `at` on a served branch the caller cannot read
//     answers exactly as a revision it cannot resolve.
#include <gtest/gtest.h>

#include <memory>
#include <unordered_map>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/objects.h"
#include "core/repo.h"
#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// A public origin work/repo (admin alice; token deployed and funded as
// block 1 `funded`, tag v1), served by a daemon as /repo. alice clones it
// into work/adev, creates the private branch "secret" there with two
// blocks of her own (heights 2 and 3; tag s1 on the second) and pushes
// it. Then bob gets write on the origin's master (block 2 of master, after
// secret forked: he has no role in secret's directory); carol has no role.
struct HiddenScene : OriginScene {
  std::string carol;
  std::string secret1, secret_head;  // secret's blocks at heights 2 and 3
  std::string master_head;           // "bob may write"

  HiddenScene() : OriginScene(true) {
    carol = NewKey("carol");
    Start();
    EXPECT_GT(Port(), 0) << daemon->Err();
    RunResult c = sb.Run({"clone", Url(), "adev", "--no-progress"}, sb.work(), As("alice"));
    EXPECT_EQ(c.code, 0) << c.err;
    MustIn("adev", {"branch", "secret", "--private"});
    MustIn("adev", {"checkout", "secret"});
    MustIn("adev", {"call", "token", "mint", alice, "7"});
    MustIn("adev", {"commit", "-m", "secret work"});
    secret1 = JStr(In("adev", {"status", "--json"}).out, "head");
    MustIn("adev", {"call", "token", "mint", alice, "8"});
    MustIn("adev", {"commit", "-m", "more secret work"});
    MustIn("adev", {"tag", "s1"});
    secret_head = JStr(In("adev", {"status", "--json"}).out, "head");
    MustIn("adev", {"push", "origin:secret"});
    Must({"access", "grant", bob, "write"});
    master_head = Commit("bob may write");
  }

  // A request signed by `key` ("": anonymous).
  HttpReply Req(const std::string& key, const std::string& method, const std::string& target,
                const std::string& body = "") {
    return Http(Port(), method, target, body, Auth(key, method, target, body));
  }
  HttpReply Block(const std::string& key, const std::string& rev) {
    return Req(key, "GET", "/repo/blocks/" + PathEncoded(rev));
  }
  HttpReply QueryAt(const std::string& key, const std::string& rev) {
    return Req(key, "POST", "/repo/query", "{\"sql\":\"SELECT 1\",\"at\":\"" + rev + "\"}");
  }
  // A raw push of `block` to `branch` with `tags`, no pack.
  HttpReply Push(const std::string& key, const std::string& branch, const std::string& block,
                 const std::vector<std::pair<std::string, std::string>>& tags = {}) {
    std::string t;
    for (const auto& [name, id] : tags)
      t += std::string(t.empty() ? "" : ",") + "{\"block\":\"" + id + "\",\"name\":\"" + name + "\"}";
    std::string head = "{\"block\":\"" + block + "\",\"branch\":\"" + branch + "\",\"tags\":[" + t + "]}";
    return Req(key, "POST", "/repo/push", std::to_string(head.size()) + "\n" + head);
  }
  // '^' (and '%') percent-encoded for a request path.
  static std::string PathEncoded(const std::string& rev) {
    std::string out;
    for (char c : rev) {
      if (c == '^') out += "%5E";
      else if (c == '%') out += "%25";
      else out += c;
    }
    return out;
  }
  // What can be observed of the origin's refs: branches and tags.
  std::string Refs() { return Out({"branch", "--json"}) + Out({"tag"}); }

  // The origin opened in this process (to put txs built here in a merge
  // pool); null, with a failure, if it does not open.
  std::unique_ptr<Repository> OpenOrigin() {
    auto r = Repository::Open(sb.work() + "/repo/.aergo", OpenMode::kWrite, origin_clock_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }
  // Seals `txs` into one block on the origin's `branch` (checked out for
  // that, then master again); returns the block's id.
  std::string SealOn(const std::string& branch, const std::vector<Tx>& txs) {
    if (branch != "master") Must({"checkout", branch});
    {
      std::unique_ptr<Repository> repo = OpenOrigin();
      if (!repo) return "";
      auto submitted = repo->Submit(txs);
      EXPECT_TRUE(submitted.ok()) << submitted.status().message();
      if (submitted.ok()) {
        for (const auto& one : *submitted) EXPECT_TRUE(one.outcome.ok) << ToHex(one.txid);
      }
    }
    std::string id = Commit("txs on " + branch);
    if (branch != "master") Must({"checkout", "master"});
    return id;
  }

  SystemClock origin_clock_;
};

// `pairs` pairs of token.mint(to, 1) calls signed by `key` whose ids share
// their first 7 hex digits (28 bits): candidates differing only in their
// salt, until the birthday bound gives a collision (some 2^14 unsigned
// ids per pair); only the pairs are signed.
std::vector<std::pair<Tx, Tx>> CollidingPairs(const SecretKey& key, const Hash32& chain, const std::string& to,
                                              size_t pairs) {
  Tx tx;
  tx.kind = TxKind::kCall;
  tx.chain_id = chain;
  tx.sender = key.public_key();
  tx.time_ms = SystemClock().NowMs();
  tx.contract = "token";
  tx.function = "mint";
  tx.args = {Value::Text(to), Value::Integer(1)};
  auto salted = [&](uint64_t s) {
    Tx t = tx;
    for (int i = 0; i < 8; ++i) t.salt[i] = static_cast<uint8_t>(s >> (8 * i));
    return t;
  };
  std::unordered_map<uint32_t, uint64_t> seen;  // first 28 bits of an id -> its salt
  std::vector<std::pair<Tx, Tx>> out;
  for (uint64_t s = 1; out.size() < pairs && s < (uint64_t{1} << 24); ++s) {
    Hash32 id = salted(s).Id();
    uint32_t prefix = uint32_t{id[0]} << 20 | uint32_t{id[1]} << 12 | uint32_t{id[2]} << 4 | uint32_t{id[3]} >> 4;
    auto [it, fresh] = seen.emplace(prefix, s);
    if (fresh) continue;
    Tx a = salted(it->second), b = salted(s);
    a.Sign(key);
    b.Sign(key);
    out.emplace_back(std::move(a), std::move(b));
    seen.erase(it);
  }
  EXPECT_EQ(out.size(), pairs);
  return out;
}

// The "id" of a block answer (compact JSON).
std::string IdOf(const std::string& body) {
  size_t at = body.find("\"id\":\"");
  return at == std::string::npos ? "<no id in " + body + ">" : body.substr(at + 6, 64);
}

// Every suffix the revision grammar (core/repo.cpp Repository::Resolve)
// takes after a name, and malformed ones: each must answer the same over a
// hidden name as over an unknown one.
const std::vector<std::string> kSuffixes = {
    "",    "@0",   "@1",    "@2",   "@3",     "@4",    "@99",   "~",    "~0",    "~1",    "~2",
    "~3",  "~4",   "~9",    "^",    "^0",     "^1",    "^2",    "^^",   "^1^1",  "~1^",   "~1^2",
    "@2~1", "@3^", "@1~1", "@0^2", "^x",     "~x",    "@",     "@x",   "~1@1",  "@-1",   "~9999999999",
    "@999999999999999999", "^1~1@2"};

// The answers to `rev` on /blocks and in a query's `at`, with `base`
// replaced by `as` (so a hidden name's answer can be compared with an
// unknown name's byte for byte).
std::string Answers(HiddenScene& s, const std::string& key, const std::string& base, const std::string& suffix,
                    const std::string& as) {
  HttpReply b = s.Block(key, base + suffix);
  HttpReply q = s.QueryAt(key, base + suffix);
  return ReplaceAll(std::to_string(b.status) + " " + b.body + "\n" + std::to_string(q.status) + " " + q.body, base,
                    as);
}

TEST(CliPrivate, HiddenNamesAnswerAsUnknownOnesInEveryRevisionForm) {
  HiddenScene s;
  ASSERT_GT(s.Port(), 0);
  std::string unknown_id(64, 'c');
  // Hidden base names and the unknown ones they must look like.
  std::vector<std::pair<std::string, std::string>> hidden = {
      {"secret", "nosuch"}, {"s1", "nosuch"}, {s.secret_head, unknown_id},
      {s.secret_head.substr(0, 12), unknown_id.substr(0, 12)}, {s.secret1.substr(0, 9), unknown_id.substr(0, 9)}};
  for (const std::string& key : {std::string(""), std::string("carol"), std::string("bob")}) {
    for (const auto& [base, as] : hidden) {
      for (const std::string& suffix : kSuffixes) {
        SCOPED_TRACE("caller '" + key + "', revision " + base + suffix);
        std::string seen = Answers(s, key, base, suffix, as);
        EXPECT_EQ(seen, Answers(s, key, as, suffix, as));
        EXPECT_FALSE(Has(seen, "200 ")) << seen;
      }
    }
  }
  // An unknown name's answer, for the record: 404 with the revision.
  HttpReply nf = s.Block("bob", "nosuch@0");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "{\"error\":\"revision 'nosuch@0' not found in repo\",\"role\":null}");

  // What the callers may read still resolves, in every form.
  for (const char* rev : {"master", "master@0", "master~1", "master^", "v1", "v1~1", "master@2"}) {
    EXPECT_EQ(s.Block("bob", rev).status, 200) << rev;
    EXPECT_EQ(s.Block("", rev).status, 200) << rev;
    EXPECT_EQ(s.QueryAt("carol", rev).status, 200) << rev;
  }
  HttpReply prefix = s.Block("bob", s.master_head.substr(0, 12) + "~1");
  EXPECT_EQ(prefix.status, 200) << prefix.body;
  EXPECT_EQ(IdOf(prefix.body), s.funded);
  // alice reads secret: every form answers.
  for (const std::string& rev : {std::string("secret"), std::string("secret@0"), std::string("secret~1"),
                                 std::string("s1^"), std::string("secret@2"), s.secret_head.substr(0, 12) + "~1"}) {
    HttpReply a = s.Block("alice", rev);
    EXPECT_EQ(a.status, 200) << rev << ": " << a.body;
    EXPECT_EQ(s.QueryAt("alice", rev).status, 200) << rev;
  }
  EXPECT_EQ(IdOf(s.Block("alice", "secret~1").body), s.secret1);

  // A hidden tag does not make a visible branch of the same name ambiguous.
  s.Must({"branch", "s1"});
  HttpReply b = s.Block("bob", "s1");
  EXPECT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(IdOf(b.body), s.master_head);
  HttpReply amb = s.Block("alice", "s1");  // alice sees both
  EXPECT_EQ(amb.status, 400) << amb.body;
  EXPECT_TRUE(Has(amb.body, "ambiguous revision 's1'")) << amb.body;

  // HEAD on a checked-out branch the caller may not read: as an unknown name.
  s.Must({"checkout", "secret"});
  for (const std::string& suffix : kSuffixes) {
    SCOPED_TRACE("revision HEAD" + suffix);
    std::string seen = Answers(s, "bob", "HEAD", suffix, "nosuch");
    EXPECT_EQ(seen, Answers(s, "bob", "nosuch", suffix, "nosuch"));
  }
  EXPECT_EQ(s.Block("alice", "HEAD~2").status, 200);
}

TEST(CliPrivate, APushNamesOnlyBlocksItsCallerCanRead) {
  HiddenScene s;
  ASSERT_GT(s.Port(), 0);
  std::string unknown(64, 'c');
  std::string refs = s.Refs(), snapshot = s.Snapshot();

  // bob (write on the repository, cannot read secret) names a hidden block
  // as a new branch's block, as an existing branch's, and as a tag's: each
  // answers exactly as a block the server does not have.
  struct Case {
    std::string what, branch, block;
    std::vector<std::pair<std::string, std::string>> tags;
  };
  for (const std::string& hidden : {s.secret_head, s.secret1}) {
    for (const Case& c : {Case{"a new branch", "leak", hidden, {}}, Case{"master", "master", hidden, {}},
                          Case{"a tag", "master", s.master_head, {{"t", hidden}}},
                          Case{"a tag of a new branch", "leak2", s.funded, {{"t2", hidden}}}}) {
      SCOPED_TRACE(c.what + " at " + hidden);
      std::vector<std::pair<std::string, std::string>> unknown_tags;
      for (const auto& [n, id] : c.tags) unknown_tags.emplace_back(n, id == hidden ? unknown : id);
      HttpReply named = s.Push("bob", c.branch, c.block, c.tags);
      HttpReply none = s.Push("bob", c.branch, c.block == hidden ? unknown : c.block, unknown_tags);
      EXPECT_EQ(named.status, 404) << named.body;
      EXPECT_EQ(ReplaceAll(named.body, hidden, unknown), none.body);
      EXPECT_EQ(none.status, 404) << none.body;
      EXPECT_TRUE(Has(none.body, "did not arrive")) << none.body;
    }
  }
  EXPECT_EQ(s.Refs(), refs);
  EXPECT_EQ(s.Snapshot(), snapshot);

  // What bob can read he may name; alice, who reads secret, may name it.
  HttpReply own = s.Push("bob", "fromfunded", s.funded, {{"f1", s.funded}});
  EXPECT_EQ(own.status, 200) << own.body;
  HttpReply shared = s.Push("alice", "shared", s.secret1, {{"s0", s.secret1}});
  EXPECT_EQ(shared.status, 200) << shared.body;
  EXPECT_TRUE(Has(s.Out({"branch"}), "  shared  " + Short(s.secret1))) << s.Out({"branch"});

  // A block bob pushes whose parent is hidden: bob read secret once (granted
  // on the branch), kept a copy, was revoked, and builds on it.
  s.MustIn("adev", {"access", "grant", s.bob, "read"});
  s.MustIn("adev", {"commit", "-m", "bob may read secret"});
  s.MustIn("adev", {"push"});
  RunResult clone = s.sb.Run({"clone", s.Url(), "bsecret", "--no-progress", "--branch", "secret"}, s.sb.work(),
                             HiddenScene::As("bob"));
  ASSERT_EQ(clone.code, 0) << clone.err;
  s.MustIn("adev", {"access", "revoke", s.bob});
  s.MustIn("adev", {"commit", "-m", "bob leaves secret"});
  s.MustIn("adev", {"push"});
  s.MustIn("bsecret", {"branch", "out"}, "bob");
  s.MustIn("bsecret", {"checkout", "out"}, "bob");
  s.MustIn("bsecret", {"call", "token", "open"}, "bob");
  s.MustIn("bsecret", {"commit", "-m", "bob publishes secret"}, "bob");
  refs = s.Refs();
  snapshot = s.Snapshot();
  RunResult push = s.In("bsecret", {"push", "origin:out"}, "bob");
  EXPECT_EQ(push.code, 1) << push.out;
  EXPECT_TRUE(Has(push.err, "aergo: error: " + s.Url() + " refused POST push (HTTP 404): block commit ")) << push.err;
  EXPECT_TRUE(Has(push.err, " is unknown here and did not arrive")) << push.err;
  EXPECT_FALSE(Has(push.err, "secret")) << push.err;
  EXPECT_EQ(s.Refs(), refs);
  EXPECT_EQ(s.Snapshot(), snapshot);
  // The same push by alice, who reads secret, is taken.
  RunResult as_alice = s.In("bsecret", {"push", "origin:out"}, "alice");
  EXPECT_EQ(as_alice.code, 0) << as_alice.err;
  EXPECT_TRUE(Has(s.Out({"branch"}), "  out  ")) << s.Out({"branch"});
  s.ExpectFsckClean();
}

TEST(CliPrivate, ATxPrefixMatchesOnlyTxsTheCallerCanSee) {
  HiddenScene s;
  ASSERT_GT(s.Port(), 0);
  ASSERT_TRUE(CryptoInit().ok());
  Hash32 chain{};
  {
    std::unique_ptr<Repository> repo = s.OpenOrigin();
    ASSERT_TRUE(repo);
    chain = repo->chain_id();
  }
  std::vector<std::pair<Tx, Tx>> pairs = CollidingPairs(s.Key("alice"), chain, s.alice, 2);
  ASSERT_EQ(pairs.size(), 2u);
  // Pair 0: one tx sealed on secret (hidden), one on master. Pair 1: both
  // on secret.
  const Tx &hidden = pairs[0].first, &shown = pairs[0].second;
  const Tx &hidden2 = pairs[1].first, &hidden3 = pairs[1].second;
  std::string secret_block = s.SealOn("secret", {hidden, hidden2, hidden3});
  std::string master_block = s.SealOn("master", {shown});
  ASSERT_EQ(secret_block.size(), 64u);
  ASSERT_EQ(master_block.size(), 64u);
  std::string shared = ToHex(shown.Id()).substr(0, 7);         // hidden's too
  std::string hidden_only = ToHex(hidden2.Id()).substr(0, 7);  // hidden3's too
  ASSERT_EQ(ToHex(hidden.Id()).substr(0, 7), shared);
  ASSERT_EQ(ToHex(hidden3.Id()).substr(0, 7), hidden_only);
  // A prefix no tx has (28 bits: a handful of txs could match it by
  // chance once in tens of millions of runs).
  std::string unknown = "fedcba9", unknown_full(64, 'c');
  auto tx = [&](const std::string& key, const std::string& id) { return s.Req(key, "GET", "/repo/txs/" + id); };

  for (const std::string& key : {std::string(""), std::string("carol"), std::string("bob")}) {
    SCOPED_TRACE("caller '" + key + "'");
    // The visible tx wins over the hidden one its prefix also matches.
    HttpReply r = tx(key, shared);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(Has(r.body, "\"block\":\"" + master_block + "\"")) << r.body;
    EXPECT_TRUE(Has(r.body, ToHex(shown.Encode()))) << r.body;
    // Hidden txs sharing a prefix: as a prefix no tx has.
    HttpReply none = tx(key, unknown);
    EXPECT_EQ(none.status, 404) << none.body;
    EXPECT_EQ(none.body, "{\"error\":\"tx " + unknown + " not found in repo\",\"role\":null}");
    HttpReply h = tx(key, hidden_only);
    EXPECT_EQ(h.status, 404) << h.body;
    EXPECT_EQ(ReplaceAll(h.body, hidden_only, unknown), none.body);
    // A hidden tx's whole id: as an id no tx has.
    HttpReply whole = tx(key, ToHex(hidden.Id()));
    EXPECT_EQ(whole.status, 404) << whole.body;
    EXPECT_EQ(ReplaceAll(whole.body, ToHex(hidden.Id()), unknown_full), tx(key, unknown_full).body);
  }
  // alice reads secret: she sees every match.
  HttpReply both = tx("alice", shared);
  EXPECT_EQ(both.status, 400) << both.body;
  EXPECT_TRUE(Has(both.body, "ambiguous tx id '" + shared + "'")) << both.body;
  EXPECT_EQ(tx("alice", hidden_only).status, 400);
  HttpReply own = tx("alice", ToHex(hidden.Id()).substr(0, 12));
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_TRUE(Has(own.body, "\"block\":\"" + secret_block + "\"")) << own.body;
}

TEST(CliPrivate, APushedTagOverAHiddenTagNamesNoBlock) {
  HiddenScene s;
  ASSERT_GT(s.Port(), 0);
  s.Must({"tag", "s0", "--block=" + s.secret1});  // a second hidden tag, on another hidden block
  std::string refs = s.Refs(), snapshot = s.Snapshot();
  // bob cannot read secret: s1 and s0 are taken, and that is all he learns,
  // whatever block he asks for them.
  const std::string taken = "{\"error\":\"tag 's1' already exists here\",\"role\":null}";
  for (const std::string& at : {s.master_head, s.funded}) {
    SCOPED_TRACE("tag at " + at);
    HttpReply s1 = s.Push("bob", "master", s.master_head, {{"s1", at}});
    EXPECT_EQ(s1.status, 409) << s1.body;
    EXPECT_EQ(s1.body, taken);
    HttpReply s0 = s.Push("bob", "master", s.master_head, {{"s0", at}});
    EXPECT_EQ(s0.status, 409) << s0.body;
    EXPECT_EQ(ReplaceAll(s0.body, "'s0'", "'s1'"), taken);
    HttpReply fresh = s.Push("bob", "fresh", s.funded, {{"s1", at}});  // a push that creates a branch too
    EXPECT_EQ(fresh.body, taken);
  }
  EXPECT_EQ(s.Refs(), refs);
  EXPECT_EQ(s.Snapshot(), snapshot);
  // A tag bob can see is refused naming the blocks, which he may read.
  HttpReply v1 = s.Push("bob", "master", s.master_head, {{"v1", s.master_head}});
  EXPECT_EQ(v1.status, 409) << v1.body;
  EXPECT_TRUE(Has(v1.body, "tag 'v1' already names block " + s.funded + " here, not " + s.master_head)) << v1.body;
  // So is s1 for alice, who reads secret.
  HttpReply a = s.Push("alice", "master", s.master_head, {{"s1", s.master_head}});
  EXPECT_EQ(a.status, 409) << a.body;
  EXPECT_TRUE(Has(a.body, "tag 's1' already names block " + s.secret_head + " here")) << a.body;
  EXPECT_EQ(s.Refs(), refs);
}

TEST(CliPrivate, AQueryWithoutAtOnAHiddenServedBranchAnswersAsAnUnknownRevision) {
  HiddenScene s;
  ASSERT_GT(s.Port(), 0);
  ASSERT_TRUE(s.Start({"--branch", "secret"})) << s.daemon->Err();
  const std::string sql = "{\"sql\":\"SELECT 1\"}";
  for (const std::string& key : {std::string(""), std::string("carol"), std::string("bob")}) {
    SCOPED_TRACE("caller '" + key + "'");
    HttpReply q = s.Req(key, "POST", "/repo/query", sql);
    HttpReply unknown = s.QueryAt(key, "nosuch");
    EXPECT_EQ(q.status, 404) << q.body;
    EXPECT_EQ(unknown.status, 404) << unknown.body;
    EXPECT_EQ(q.body, ReplaceAll(unknown.body, "nosuch", "HEAD"));
    EXPECT_FALSE(Has(q.body, "secret")) << q.body;
  }
  EXPECT_EQ(s.Req("alice", "POST", "/repo/query", sql).status, 200);
  // With secret checked out on the server, byte for byte a query at HEAD.
  s.Must({"checkout", "secret"});
  for (const std::string& key : {std::string(""), std::string("carol"), std::string("bob")}) {
    SCOPED_TRACE("caller '" + key + "', secret checked out");
    HttpReply q = s.Req(key, "POST", "/repo/query", sql);
    HttpReply head = s.QueryAt(key, "HEAD");
    EXPECT_EQ(std::to_string(q.status) + " " + q.body, std::to_string(head.status) + " " + head.body);
    EXPECT_EQ(q.status, 404);
  }
  EXPECT_EQ(s.Req("alice", "POST", "/repo/query", sql).status, 200);
}

}  // namespace
}  // namespace aergo::clitest
