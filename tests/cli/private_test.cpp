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
//     block the server lacks, and nothing changes on the server.
#include <gtest/gtest.h>

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
};

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

}  // namespace
}  // namespace aergo::clitest
