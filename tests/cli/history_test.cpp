// History: commit, log, show, and revision syntax (HEAD~N, ^, <branch>@<h>,
// id prefixes), detached heads.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// A repository with blocks 0 (genesis), 1 "setup" (3 txs), 2 "second"
// (1 tx), 3 "third" (2 txs); ids[h] is the block id at height h.
struct History : TokenSandbox {
  std::vector<std::string> ids;
  std::vector<std::string> txids;  // of block 2's and 3's txs, in order

  History() {
    ids.push_back(Status("head"));
    DeployAndFund();
    ids.push_back(Commit("setup"));
    txids.push_back(Txid({"call", "token", "mint", "bob", "5", "--json"}));
    ids.push_back(Commit("second"));
    txids.push_back(Txid({"call", "token", "mint", "carol", "7", "--json"}));
    txids.push_back(Txid({"call", "token", "transfer", "carol", "3", "--json"}));
    ids.push_back(Commit("third"));
  }
  std::string Txid(const std::vector<std::string>& args) { return Field(args, "txid"); }
  std::string Commit(const std::string& msg) { return Field({"commit", "-m", msg, "--json"}, "block"); }
  std::string Status(const std::string& field) { return JStr(Run({"status", "--json"}).out, field); }
  // The id `rev` resolves to, via show --json.
  std::string Resolve(const std::string& rev) {
    RunResult r = Run({"show", rev, "--json"});
    if (r.code != 0) return "<error: " + r.err + ">";
    return JStr(r.out, "id");
  }
};

}  // namespace

TEST(CliCommit, JsonFieldsAndStatusAfter) {
  Sandbox sb;
  sb.InitTokenRepo();
  ASSERT_EQ(sb.Run({"deploy", "token", "token.sql"}, sb.repo()).code, 0);
  ASSERT_EQ(sb.Run({"call", "token", "open"}, sb.repo()).code, 0);
  RunResult c = sb.Run({"commit", "-m", "one", "--json"}, sb.repo());
  ASSERT_EQ(c.code, 0) << c.err;
  std::string block = JStr(c.out, "block");
  EXPECT_TRUE(IsHex(block, 64)) << c.out;
  EXPECT_EQ(JNum(c.out, "height"), 1);
  EXPECT_EQ(JNum(c.out, "txs"), 2);
  RunResult s = sb.Run({"status", "--json"}, sb.repo());
  EXPECT_EQ(JStr(s.out, "head"), block);
  EXPECT_EQ(JNum(s.out, "height"), 1);
  EXPECT_EQ(JNum(s.out, "pool"), 0);

  ASSERT_EQ(sb.Run({"call", "token", "mint", "bob", "1"}, sb.repo()).code, 0);
  RunResult text = sb.Run({"commit", "-m", "two"}, sb.repo());
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(std::regex_search(text.out, std::regex("^block [0-9a-f]{64} at height 2 with 1 tx\n$")))
      << text.out;
}

TEST(CliCommit, RefusesAnEmptyPool) {
  Sandbox sb;
  sb.InitRepo();
  std::string head = JStr(sb.Run({"status", "--json"}, sb.repo()).out, "head");
  RunResult c = sb.Run({"commit", "-m", "nothing"}, sb.repo());
  EXPECT_EQ(c.code, 1);
  EXPECT_TRUE(Has(c.err, "aergo: error: nothing to commit")) << c.err;
  EXPECT_EQ(c.out, "");
  RunResult s = sb.Run({"status", "--json"}, sb.repo());
  EXPECT_EQ(JStr(s.out, "head"), head);
  EXPECT_EQ(JNum(s.out, "height"), 0);
  // A pool whose only call failed is still empty.
  sb.Write("repo/token.sql", kTokenContract);
  ASSERT_EQ(sb.Run({"deploy", "token", "token.sql"}, sb.repo()).code, 0);
  ASSERT_EQ(sb.Run({"commit"}, sb.repo()).code, 0);
  EXPECT_EQ(sb.Run({"call", "token", "transfer", "x", "0"}, sb.repo()).code, 1);
  EXPECT_EQ(sb.Run({"commit"}, sb.repo()).code, 1);
}

TEST(CliCommit, MessageValidation) {
  History h;
  ASSERT_EQ(h.Run({"call", "token", "mint", "bob", "1"}).code, 0);
  RunResult big = h.Run({"commit", "-m", std::string(5000, 'x')});
  EXPECT_EQ(big.code, 1);
  EXPECT_TRUE(Has(big.err, "commit message")) << big.err;
  RunResult utf = h.Run({"commit", "-m", "bad \xff\xfe bytes"});
  EXPECT_EQ(utf.code, 1);
  EXPECT_TRUE(Has(utf.err, "UTF-8")) << utf.err;
  EXPECT_EQ(h.Status("head"), h.ids[3]);
  RunResult ok = h.Run({"commit", "-m", "h\xc3\xa9llo\nsecond line"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  RunResult one = h.Run({"log", "-n", "1", "--oneline"});
  EXPECT_TRUE(Has(one.out, "h\xc3\xa9llo\n")) << one.out;
  EXPECT_FALSE(Has(one.out, "second line")) << "--oneline shows the subject only\n" << one.out;
  RunResult full = h.Run({"log", "-n", "1"});
  EXPECT_TRUE(Has(full.out, "second line")) << full.out;
}

TEST(CliCommit, BlockKeepsPoolOrder) {
  History h;
  RunResult s = h.Run({"show", h.ids[3], "--json"});
  ASSERT_EQ(s.code, 0) << s.err;
  size_t a = s.out.find(h.txids[1]);
  size_t b = s.out.find(h.txids[2]);
  ASSERT_NE(a, std::string::npos) << s.out;
  ASSERT_NE(b, std::string::npos) << s.out;
  EXPECT_LT(a, b);
}

TEST(CliCommit, DetachedHeadIsReadOnly) {
  History h;
  ASSERT_EQ(h.Run({"tag", "v1", "--block=HEAD~1"}).code, 0);
  for (const std::string& rev : std::vector<std::string>{"v1", h.ids[2], h.ids[1].substr(0, 7)}) {
    RunResult co = h.Run({"checkout", rev});
    ASSERT_EQ(co.code, 0) << rev << ": " << co.err;
    EXPECT_TRUE(Has(co.out, "detached")) << co.out;
    RunResult s = h.Run({"status", "--json"});
    EXPECT_TRUE(Has(s.out, "\"branch\": null")) << s.out;
    EXPECT_TRUE(Has(s.out, "\"detached\": true")) << s.out;
    RunResult st = h.Run({"status"});
    EXPECT_TRUE(Has(st.out, "detached")) << st.out;

    RunResult call = h.Run({"call", "token", "mint", "bob", "1"});
    EXPECT_EQ(call.code, 1) << rev;
    EXPECT_TRUE(Has(call.err, "aergo: error:")) << call.err;
    EXPECT_TRUE(Has(call.err, "detached")) << call.err;
    EXPECT_TRUE(Has(call.err, "read-only")) << call.err;
    RunResult batch = h.sb.Run({"call", "--batch", "-"}, h.sb.repo(), {}, "token mint bob 1\n");
    EXPECT_EQ(batch.code, 1) << rev;
    EXPECT_TRUE(Has(batch.err, "detached")) << batch.err;
    RunResult dep = h.Run({"deploy", "other", "token.sql"});
    EXPECT_EQ(dep.code, 1);
    EXPECT_TRUE(Has(dep.err, "detached")) << dep.err;
    RunResult commit = h.Run({"commit", "-m", "nope"});
    EXPECT_EQ(commit.code, 1) << rev;
    EXPECT_TRUE(Has(commit.err, "detached")) << commit.err;
    EXPECT_TRUE(Has(commit.err, "read-only")) << commit.err;
    // Reading works.
    EXPECT_EQ(h.Run({"log", "--oneline"}).code, 0);
    EXPECT_EQ(h.Run({"query", "SELECT * FROM token.accounts"}).code, 0);
  }
  // The tag did not move; master did not move.
  EXPECT_EQ(h.Resolve("v1"), h.ids[2]);
  EXPECT_EQ(h.Resolve("master"), h.ids[3]);
  ASSERT_EQ(h.Run({"checkout", "master"}).code, 0);
  EXPECT_EQ(h.Run({"call", "token", "mint", "bob", "1"}).code, 0);
  EXPECT_EQ(h.Run({"commit"}).code, 0);
}

TEST(CliLog, NewestFirstWithAllBlocks) {
  History h;
  RunResult r = h.Run({"log"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<size_t> pos;
  for (int i = 3; i >= 0; --i) {
    size_t p = r.out.find("block " + h.ids[static_cast<size_t>(i)]);
    ASSERT_NE(p, std::string::npos) << "height " << i << "\n" << r.out;
    pos.push_back(p);
  }
  for (size_t i = 1; i < pos.size(); ++i) EXPECT_LT(pos[i - 1], pos[i]) << "newest first\n" << r.out;
  for (const char* m : {"third", "second", "setup", "genesis"}) EXPECT_TRUE(Has(r.out, m)) << m;
  EXPECT_TRUE(Has(r.out, h.alice)) << "the producer is shown";
}

TEST(CliLog, JsonFields) {
  History h;
  RunResult r = h.Run({"log", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto objs = Objects(r.out);
  ASSERT_EQ(objs.size(), 4u) << r.out;
  const long long txs[] = {1, 3, 1, 2};
  const char* msgs[] = {"genesis", "setup", "second", "third"};
  std::regex iso("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$");
  for (size_t i = 0; i < 4; ++i) {
    const std::string& o = objs[i];
    size_t height = 3 - i;
    EXPECT_EQ(JStr(o, "id"), h.ids[height]) << o;
    EXPECT_EQ(JNum(o, "height"), static_cast<long long>(height)) << o;
    EXPECT_EQ(JNum(o, "txs"), txs[height]) << o;
    EXPECT_EQ(JStr(o, "message"), msgs[height]) << o;
    EXPECT_EQ(JStr(o, "producer"), h.alice) << o;
    EXPECT_TRUE(std::regex_match(JStr(o, "time"), iso)) << o;
    std::string parents = height == 0 ? "[]" : "[\"" + h.ids[height - 1] + "\"]";
    EXPECT_TRUE(Has(o, "\"parents\": " + parents)) << o;
  }
}

TEST(CliLog, MaxCount) {
  History h;
  RunResult two = h.Run({"log", "-n", "2", "--json"});
  ASSERT_EQ(two.code, 0) << two.err;
  auto objs = Objects(two.out);
  ASSERT_EQ(objs.size(), 2u) << two.out;
  EXPECT_EQ(JStr(objs[0], "id"), h.ids[3]);
  EXPECT_EQ(JStr(objs[1], "id"), h.ids[2]);
  RunResult one = h.Run({"log", "-n1", "--oneline"});
  EXPECT_EQ(Lines(one.out).size(), 1u) << one.out;
  RunResult longer = h.Run({"log", "--max-count=3", "--oneline"});
  EXPECT_EQ(Lines(longer.out).size(), 3u) << longer.out;
  RunResult zero = h.Run({"log", "-n", "0", "--json"});
  EXPECT_EQ(zero.code, 0);
  EXPECT_EQ(zero.out, "[]\n");
  RunResult many = h.Run({"log", "-n", "100", "--oneline"});
  EXPECT_EQ(Lines(many.out).size(), 4u);
}

TEST(CliLog, Oneline) {
  History h;
  RunResult r = h.Run({"log", "--oneline"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  const char* msgs[] = {"genesis", "setup", "second", "third"};
  for (size_t i = 0; i < 4; ++i) {
    size_t height = 3 - i;
    EXPECT_EQ(lines[i].rfind(h.ids[height].substr(0, 7), 0), 0u) << lines[i];
    EXPECT_TRUE(Has(lines[i], msgs[height])) << lines[i];
    EXPECT_FALSE(Has(lines[i], h.ids[height])) << "a short id, not the full one: " << lines[i];
  }
}

TEST(CliLog, Graph) {
  History h;
  RunResult r = h.Run({"log", "--graph", "--oneline"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  for (const auto& l : lines) EXPECT_EQ(l.rfind("* ", 0), 0u) << r.out;
  RunResult full = h.Run({"log", "--graph"});
  ASSERT_EQ(full.code, 0) << full.err;
  size_t stars = 0;
  for (const auto& l : Lines(full.out)) if (l.rfind("* block ", 0) == 0) ++stars;
  EXPECT_EQ(stars, 4u) << full.out;
}

// A merge draws like git's graph: the second parent's lane opens under the
// merge and closes into the fork point, before it.
TEST(CliLog, GraphOfAMerge) {
  TokenSandbox t;
  t.DeployAndFund();
  t.Must({"commit", "-m", "setup"});
  t.Must({"branch", "feature"});
  t.Must({"checkout", "feature"});
  t.Must({"call", "token", "mint", "bob", "1"});
  t.Must({"commit", "-m", "on feature"});
  t.Must({"checkout", "master"});
  t.Must({"call", "token", "mint", "carol", "1"});
  t.Must({"commit", "-m", "on master"});
  t.Must({"merge", "feature", "-m", "merge"});
  RunResult r = t.Run({"log", "--graph", "--oneline"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> shape;
  for (const auto& l : Lines(r.out)) {
    size_t cut = l.find_first_of("0123456789abcdef");
    shape.push_back(l.substr(0, cut) + (cut == std::string::npos ? "" : l.substr(l.rfind(' ') + 1)));
  }
  std::vector<std::string> want = {"* merge", "|\\", "* | master", "| * feature", "|/", "* setup", "* genesis"};
  EXPECT_EQ(shape, want) << r.out;
}

TEST(CliLog, FromARevision) {
  History h;
  RunResult r = h.Run({"log", "HEAD~1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto objs = Objects(r.out);
  ASSERT_EQ(objs.size(), 3u) << r.out;
  EXPECT_EQ(JStr(objs[0], "id"), h.ids[2]);
  RunResult g = h.Run({"log", "master@0", "--oneline"});
  EXPECT_EQ(Lines(g.out).size(), 1u) << g.out;
}

TEST(CliShow, Block) {
  History h;
  RunResult r = h.Run({"show", "HEAD"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("block " + h.ids[3] + "\n", 0), 0u) << r.out;
  EXPECT_TRUE(Has(r.out, "Parent:   " + h.ids[2])) << r.out;
  EXPECT_TRUE(Has(r.out, "Height:   3")) << r.out;
  EXPECT_TRUE(Has(r.out, "third")) << r.out;
  EXPECT_TRUE(Has(r.out, "token.mint(\"carol\", 7)")) << r.out;
  EXPECT_TRUE(Has(r.out, "token.transfer(\"carol\", 3)")) << r.out;
  EXPECT_TRUE(Has(r.out, h.txids[1].substr(0, 7))) << r.out;

  RunResult setup = h.Run({"show", "HEAD~2"});
  EXPECT_TRUE(Has(setup.out, "deploy token")) << setup.out;
  RunResult genesis = h.Run({"show", "HEAD~3"});
  EXPECT_TRUE(Has(genesis.out, "genesis")) << genesis.out;
  EXPECT_FALSE(Has(genesis.out, "Parent:")) << genesis.out;
}

TEST(CliShow, BlockJson) {
  History h;
  RunResult r = h.Run({"show", h.ids[3], "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JStr(r.out, "id"), h.ids[3]);
  EXPECT_EQ(JNum(r.out, "height"), 3);
  EXPECT_TRUE(Has(r.out, "\"parents\": [\"" + h.ids[2] + "\"]")) << r.out;
  EXPECT_EQ(JStr(r.out, "producer"), h.alice);
  EXPECT_TRUE(IsHex(JStr(r.out, "state_root"), 64)) << r.out;
  EXPECT_TRUE(IsHex(JStr(r.out, "tx_root"), 64)) << r.out;
  EXPECT_EQ(JStr(r.out, "message"), "third");
  size_t txs = r.out.find("\"txs\": [");
  ASSERT_NE(txs, std::string::npos) << r.out;
  auto objs = Objects(r.out.substr(txs));
  ASSERT_EQ(objs.size(), 2u) << r.out;
  EXPECT_EQ(JStr(objs[0], "txid"), h.txids[1]);
  EXPECT_EQ(JStr(objs[0], "kind"), "call");
  EXPECT_EQ(JStr(objs[0], "function"), "mint");
  EXPECT_EQ(JStr(objs[0], "status"), "applied");
  EXPECT_EQ(JStr(objs[1], "txid"), h.txids[2]);
  EXPECT_EQ(JStr(objs[1], "function"), "transfer");
}

TEST(CliShow, TxByPrefix) {
  History h;
  const std::string& txid = h.txids[0];  // mint bob 5, in block 2
  for (size_t len : {7u, 12u, 64u}) {
    RunResult r = h.Run({"show", txid.substr(0, len)});
    ASSERT_EQ(r.code, 0) << len << ": " << r.err;
    EXPECT_EQ(r.out.rfind("tx " + txid + "\n", 0), 0u) << r.out;
    EXPECT_TRUE(Has(r.out, "Call:     token.mint(\"bob\", 5)")) << r.out;
    EXPECT_TRUE(Has(r.out, "Block:    " + h.ids[2])) << r.out;
    EXPECT_TRUE(Has(r.out, "Sender:   " + h.alice)) << r.out;
    EXPECT_TRUE(Has(r.out, "applied")) << r.out;
  }
  RunResult j = h.Run({"show", txid.substr(0, 9), "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(JStr(j.out, "txid"), txid);
  EXPECT_EQ(JStr(j.out, "kind"), "call");
  EXPECT_EQ(JStr(j.out, "contract"), "token");
  EXPECT_EQ(JStr(j.out, "function"), "mint");
  EXPECT_EQ(JStr(j.out, "sender"), h.alice);
  EXPECT_EQ(JStr(j.out, "block"), h.ids[2]);
  EXPECT_EQ(JStr(j.out, "status"), "applied");
  EXPECT_TRUE(Has(j.out, "\"args\": [\"bob\", 5]")) << j.out;
  RunResult upper = h.Run({"show", [&] {
                             std::string u = txid.substr(0, 10);
                             for (auto& c : u) c = static_cast<char>(toupper(c));
                             return u;
                           }()});
  EXPECT_EQ(upper.code, 0) << upper.err;
  RunResult shortp = h.Run({"show", txid.substr(0, 6)});
  EXPECT_EQ(shortp.code, 1) << "prefixes need 7+ hex digits";
}

TEST(CliShow, PendingTx) {
  History h;
  RunResult c = h.Run({"call", "token", "mint", "dave", "9", "--json"});
  ASSERT_EQ(c.code, 0);
  std::string txid = JStr(c.out, "txid");
  RunResult r = h.Run({"show", txid.substr(0, 8)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "pending")) << r.out;
  RunResult j = h.Run({"show", txid, "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_TRUE(Has(j.out, "\"block\": null")) << j.out;
  RunResult commit = h.Run({"commit", "--json"});
  RunResult after = h.Run({"show", txid, "--json"});
  EXPECT_EQ(JStr(after.out, "block"), JStr(commit.out, "block")) << after.out;
}

TEST(CliShow, UnknownObject) {
  History h;
  RunResult name = h.Run({"show", "nosuchthing"});
  EXPECT_EQ(name.code, 1);
  EXPECT_TRUE(Has(name.err, "aergo: error:")) << name.err;
  EXPECT_TRUE(Has(name.err, "'nosuchthing'")) << name.err;
  RunResult hex = h.Run({"show", "0000000000abc"});
  EXPECT_EQ(hex.code, 1);
  EXPECT_TRUE(Has(hex.err, "'0000000000abc'")) << hex.err;
  EXPECT_EQ(hex.out, "");
}

TEST(CliRevisions, Resolve) {
  History h;
  EXPECT_EQ(h.Resolve("HEAD"), h.ids[3]);
  EXPECT_EQ(h.Resolve("master"), h.ids[3]);
  EXPECT_EQ(h.Resolve("HEAD~1"), h.ids[2]);
  EXPECT_EQ(h.Resolve("HEAD^"), h.ids[2]);
  EXPECT_EQ(h.Resolve("HEAD^1"), h.ids[2]);
  EXPECT_EQ(h.Resolve("HEAD^^"), h.ids[1]);
  EXPECT_EQ(h.Resolve("HEAD~2"), h.ids[1]);
  EXPECT_EQ(h.Resolve("HEAD~1^"), h.ids[1]);
  EXPECT_EQ(h.Resolve("HEAD~3"), h.ids[0]);
  EXPECT_EQ(h.Resolve("HEAD~0"), h.ids[3]);
  EXPECT_EQ(h.Resolve("HEAD^0"), h.ids[3]);
  EXPECT_EQ(h.Resolve("master~1"), h.ids[2]);
  EXPECT_EQ(h.Resolve("master@1"), h.ids[1]);
  EXPECT_EQ(h.Resolve("master@0"), h.ids[0]);
  EXPECT_EQ(h.Resolve("master@3"), h.ids[3]);
  EXPECT_EQ(h.Resolve("master@2~1"), h.ids[1]);
  EXPECT_EQ(h.Resolve("HEAD@2"), h.ids[2]);
  EXPECT_EQ(h.Resolve(h.ids[2]), h.ids[2]);
  EXPECT_EQ(h.Resolve(h.ids[2].substr(0, 7)), h.ids[2]);
  EXPECT_EQ(h.Resolve(h.ids[2].substr(0, 7) + "~1"), h.ids[1]);
  std::string upper = h.ids[1].substr(0, 10);
  for (auto& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(h.Resolve(upper), h.ids[1]);
}

TEST(CliRevisions, UnknownOrInvalidIsExit1NamingIt) {
  History h;
  struct Case { std::string rev; std::string says; };
  std::vector<Case> cases = {
      {"nosuch", "unknown revision 'nosuch'"},
      {"nosuch~1", "'nosuch'"},
      {"HEAD~4", "HEAD~4"},
      {"HEAD~99", "past genesis"},
      {"HEAD^^^^", "HEAD^^^^"},
      {"master@4", "master@4"},
      {"master@x", "master@x"},
      {"HEAD^2", "HEAD^2"},
      {h.ids[1].substr(0, 6), h.ids[1].substr(0, 6)},
      {"deadbeefdeadbeef", "deadbeefdeadbeef"},
  };
  for (const auto& c : cases) {
    for (const char* cmd : {"log", "show"}) {
      RunResult r = h.Run({cmd, c.rev});
      EXPECT_EQ(r.code, 1) << cmd << " " << c.rev << "\n" << r.err;
      EXPECT_EQ(r.err.rfind("aergo: error: ", 0), 0u) << cmd << " " << c.rev << "\n" << r.err;
      EXPECT_TRUE(Has(r.err, c.says)) << cmd << " " << c.rev << "\n" << r.err;
      EXPECT_EQ(r.out, "") << cmd << " " << c.rev;
    }
  }
  RunResult branch = h.Run({"branch", "x", "--block=nosuch"});
  EXPECT_EQ(branch.code, 1);
  EXPECT_TRUE(Has(branch.err, "'nosuch'")) << branch.err;
  RunResult empty = h.Run({"show", ""});
  EXPECT_EQ(empty.code, 1) << empty.err;
}

}  // namespace aergo::clitest
