// Branches, tags and checkout (state included).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// Token repository: block 1 "setup" (alice opened, 100 minted), block 2
// "bob" (bob minted 10). ids[h] is the block at height h on master.
struct Repo : TokenSandbox {
  std::vector<std::string> ids;

  Repo() {
    ids.push_back(Field({"status", "--json"}, "head"));
    DeployAndFund();
    ids.push_back(Field({"commit", "-m", "setup", "--json"}, "block"));
    Must({"call", "token", "mint", "bob", "10"});
    ids.push_back(Field({"commit", "-m", "bob", "--json"}, "block"));
  }
  std::string Resolve(const std::string& rev) { return Field({"show", rev, "--json"}, "id"); }
};

}  // namespace

TEST(CliBranch, CreateListDelete) {
  Repo r;
  RunResult c = r.Run({"branch", "feature"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(Has(c.out, "feature")) << c.out;
  EXPECT_EQ(r.Resolve("feature"), r.ids[2]);

  RunResult l = r.Run({"branch"});
  ASSERT_EQ(l.code, 0) << l.err;
  auto lines = Lines(l.out);
  ASSERT_EQ(lines.size(), 2u) << l.out;
  bool saw_master = false, saw_feature = false;
  for (const auto& line : lines) {
    if (Has(line, "master")) {
      saw_master = true;
      EXPECT_EQ(line.rfind("* ", 0), 0u) << "the current branch is marked\n" << l.out;
    }
    if (Has(line, "feature")) {
      saw_feature = true;
      EXPECT_EQ(line.rfind("  ", 0), 0u) << l.out;
    }
  }
  EXPECT_TRUE(saw_master && saw_feature) << l.out;

  RunResult j = r.Run({"branch", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_TRUE(Has(j.out, "{\"name\": \"master\", \"block\": \"" + r.ids[2] + "\", \"current\": true, \"private\": false}")) << j.out;
  EXPECT_TRUE(Has(j.out, "{\"name\": \"feature\", \"block\": \"" + r.ids[2] + "\", \"current\": false, \"private\": false}")) << j.out;

  RunResult d = r.Run({"branch", "-d", "feature"});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_TRUE(Has(d.out, "Deleted branch feature")) << d.out;
  RunResult after = r.Run({"branch", "--json"});
  EXPECT_FALSE(Has(after.out, "feature")) << after.out;
  RunResult gone = r.Run({"show", "feature"});
  EXPECT_EQ(gone.code, 1);
  RunResult again = r.Run({"branch", "-d", "feature"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Has(again.err, "'feature'")) << again.err;
  EXPECT_TRUE(Has(again.err, "not found")) << again.err;
}

TEST(CliBranch, CannotDeleteTheCurrentBranch) {
  Repo r;
  RunResult d = r.Run({"branch", "-d", "master"});
  EXPECT_EQ(d.code, 1);
  EXPECT_TRUE(Has(d.err, "aergo: error:")) << d.err;
  EXPECT_TRUE(Has(d.err, "master")) << d.err;
  EXPECT_EQ(r.Resolve("master"), r.ids[2]);
  // After switching, the old one can go and the new one cannot.
  ASSERT_EQ(r.Run({"branch", "dev"}).code, 0);
  ASSERT_EQ(r.Run({"checkout", "dev"}).code, 0);
  EXPECT_EQ(r.Run({"branch", "-d", "dev"}).code, 1);
  EXPECT_EQ(r.Run({"branch", "-d", "master"}).code, 0);
  EXPECT_EQ(r.Field({"status", "--json"}, "branch"), "dev");
  EXPECT_EQ(r.Run({"fsck"}).code, 0);
}

TEST(CliBranch, AtABlock) {
  Repo r;
  ASSERT_EQ(r.Run({"branch", "old", "--block=HEAD~1"}).code, 0);
  EXPECT_EQ(r.Resolve("old"), r.ids[1]);
  ASSERT_EQ(r.Run({"branch", "older", "--block", r.ids[0].substr(0, 8)}).code, 0);
  EXPECT_EQ(r.Resolve("older"), r.ids[0]);
  RunResult j = r.Run({"branch", "atone", "--block=master@1", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(JStr(j.out, "name"), "atone");
  EXPECT_EQ(JStr(j.out, "block"), r.ids[1]);
  // Creating a branch changes nothing else.
  EXPECT_EQ(r.Field({"status", "--json"}, "branch"), "master");
  EXPECT_EQ(r.Resolve("HEAD"), r.ids[2]);
}

TEST(CliBranch, ExistingNameFails) {
  Repo r;
  ASSERT_EQ(r.Run({"branch", "x", "--block=HEAD~1"}).code, 0);
  RunResult again = r.Run({"branch", "x"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Has(again.err, "branch 'x' already exists")) << again.err;
  EXPECT_EQ(r.Resolve("x"), r.ids[1]) << "the existing branch is not moved";
  RunResult master = r.Run({"branch", "master", "--block=HEAD~1"});
  EXPECT_EQ(master.code, 1);
  EXPECT_EQ(r.Resolve("master"), r.ids[2]);
}

TEST(CliBranch, InvalidNames) {
  Repo r;
  for (const char* name : {"a..b", "x.lock", "HEAD", "bad name", "trailing/", "we~ird", "a^b",
                           "a:b", "q?", "st*r", ".hidden", "x@y", "back\\slash", "a//b"}) {
    RunResult c = r.Run({"branch", name});
    EXPECT_EQ(c.code, 1) << "'" << name << "': " << c.err;
    EXPECT_TRUE(Has(c.err, "aergo: error:")) << c.err;
    EXPECT_TRUE(Has(c.err, "invalid branch name")) << "'" << name << "': " << c.err;
    RunResult t = r.Run({"tag", name});
    EXPECT_EQ(t.code, 1) << "tag '" << name << "': " << t.err;
    EXPECT_TRUE(Has(t.err, "invalid tag name")) << "'" << name << "': " << t.err;
  }
  RunResult l = r.Run({"branch", "--json"});
  EXPECT_EQ(l.out, "[{\"name\": \"master\", \"block\": \"" + r.ids[2] + "\", \"current\": true, \"private\": false}]\n");
  // Hierarchical names are fine.
  EXPECT_EQ(r.Run({"branch", "team/feature-1.2_x"}).code, 0);
  EXPECT_EQ(r.Resolve("team/feature-1.2_x"), r.ids[2]);
}

TEST(CliBranch, UsageErrors) {
  Repo r;
  RunResult both = r.Run({"branch", "x", "-d", "y"});
  EXPECT_EQ(both.code, 2);
  EXPECT_TRUE(Has(both.err, "usage: aergo branch")) << both.err;
  RunResult block = r.Run({"branch", "--block=HEAD"});
  EXPECT_EQ(block.code, 2);
}

TEST(CliTag, CreateListDelete) {
  Repo r;
  RunResult c = r.Run({"tag", "v1", "--block=HEAD~1"});
  ASSERT_EQ(c.code, 0) << c.err;
  RunResult c2 = r.Run({"tag", "v2"});
  ASSERT_EQ(c2.code, 0) << c2.err;
  EXPECT_EQ(r.Resolve("v1"), r.ids[1]);
  EXPECT_EQ(r.Resolve("v2"), r.ids[2]);
  RunResult l = r.Run({"tag"});
  ASSERT_EQ(l.code, 0) << l.err;
  EXPECT_TRUE(Has(l.out, "v1")) << l.out;
  EXPECT_TRUE(Has(l.out, "v2")) << l.out;
  EXPECT_EQ(Lines(l.out).size(), 2u) << l.out;
  RunResult j = r.Run({"tag", "--json"});
  EXPECT_TRUE(Has(j.out, "{\"name\": \"v1\", \"block\": \"" + r.ids[1] + "\"}")) << j.out;
  EXPECT_TRUE(Has(j.out, "{\"name\": \"v2\", \"block\": \"" + r.ids[2] + "\"}")) << j.out;
  // Tags are not branches.
  RunResult b = r.Run({"branch", "--json"});
  EXPECT_FALSE(Has(b.out, "v1")) << b.out;

  RunResult d = r.Run({"tag", "-d", "v1"});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_TRUE(Has(d.out, "Deleted tag v1")) << d.out;
  EXPECT_EQ(r.Run({"show", "v1"}).code, 1);
  RunResult again = r.Run({"tag", "-d", "v1"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Has(again.err, "tag 'v1' not found")) << again.err;
  RunResult none = r.Run({"tag", "--json"});
  EXPECT_EQ(none.out, "[{\"name\": \"v2\", \"block\": \"" + r.ids[2] + "\"}]\n");
}

TEST(CliTag, ExistingNameIsAnError) {
  Repo r;
  ASSERT_EQ(r.Run({"tag", "v1", "--block=HEAD~1"}).code, 0);
  for (const char* at : {"--block=HEAD", "--block=HEAD~1"}) {
    RunResult again = r.Run({"tag", "v1", at});
    EXPECT_EQ(again.code, 1) << at;
    EXPECT_TRUE(Has(again.err, "aergo: error: tag 'v1' already exists")) << again.err;
  }
  EXPECT_EQ(r.Resolve("v1"), r.ids[1]) << "a tag is immutable";
}

TEST(CliTag, NeverAcquiresBlocks) {
  Repo r;
  ASSERT_EQ(r.Run({"tag", "v1"}).code, 0);
  ASSERT_EQ(r.Run({"call", "token", "mint", "carol", "1"}).code, 0);
  ASSERT_EQ(r.Run({"commit"}).code, 0);
  EXPECT_EQ(r.Resolve("v1"), r.ids[2]);
  EXPECT_NE(r.Resolve("master"), r.ids[2]);
}

TEST(CliTag, SameNameAsABranchIsAmbiguous) {
  Repo r;
  ASSERT_EQ(r.Run({"branch", "x", "--block=HEAD~1"}).code, 0);
  RunResult t = r.Run({"tag", "x"});
  if (t.code == 0) {
    RunResult s = r.Run({"show", "x"});
    EXPECT_EQ(s.code, 1) << "a name that is both a branch and a tag must not resolve silently";
    EXPECT_TRUE(Has(s.err, "ambiguous")) << s.err;
  } else {
    EXPECT_EQ(t.code, 1) << t.err;
  }
}

TEST(CliCheckout, SwitchesBranchAndState) {
  Repo r;
  std::string master_state = r.Balances();
  ASSERT_EQ(r.Run({"branch", "feature"}).code, 0);
  RunResult co = r.Run({"checkout", "feature"});
  ASSERT_EQ(co.code, 0) << co.err;
  EXPECT_TRUE(Has(co.out, "Switched to branch 'feature'")) << co.out;
  EXPECT_EQ(r.Field({"status", "--json"}, "branch"), "feature");
  EXPECT_EQ(r.Balances(), master_state) << "same block, same state";

  // Diverge: feature gives bob 1000, master gives carol 5.
  ASSERT_EQ(r.Run({"call", "token", "mint", "bob", "1000"}).code, 0);
  ASSERT_EQ(r.Run({"commit", "-m", "feature work"}).code, 0);
  std::string feature_state = r.Balances();
  EXPECT_TRUE(Has(feature_state, "{\"owner\": \"bob\", \"balance\": 1010}")) << feature_state;

  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  EXPECT_EQ(r.Balances(), master_state) << "switching back restores exactly the same state";
  EXPECT_EQ(r.Resolve("HEAD"), r.ids[2]);
  ASSERT_EQ(r.Run({"call", "token", "mint", "carol", "5"}).code, 0);
  ASSERT_EQ(r.Run({"commit", "-m", "master work"}).code, 0);
  std::string master_state2 = r.Balances();
  EXPECT_TRUE(Has(master_state2, "carol")) << master_state2;
  EXPECT_NE(master_state2, feature_state);

  ASSERT_EQ(r.Run({"checkout", "feature"}).code, 0);
  EXPECT_EQ(r.Balances(), feature_state);
  EXPECT_FALSE(Has(r.Balances(), "carol"));
  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  EXPECT_EQ(r.Balances(), master_state2);
  // Both branches have height 3 and different heads.
  EXPECT_NE(r.Resolve("master"), r.Resolve("feature"));
  EXPECT_EQ(r.Resolve("master~1"), r.Resolve("feature~1"));
  EXPECT_EQ(r.Run({"fsck"}).code, 0);
}

TEST(CliCheckout, EachBranchKeepsItsOwnPool) {
  Repo r;
  ASSERT_EQ(r.Run({"branch", "feature"}).code, 0);
  ASSERT_EQ(r.Run({"call", "token", "mint", "bob", "1000"}).code, 0);
  std::string master_pending = r.Balances();
  ASSERT_EQ(r.Run({"checkout", "feature"}).code, 0);
  RunResult s = r.Run({"status", "--json"});
  EXPECT_EQ(JNum(s.out, "pool"), 0) << s.out;
  EXPECT_FALSE(Has(r.Balances(), "1010")) << "master's pending tx is not on feature";
  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  EXPECT_EQ(JNum(r.Run({"status", "--json"}).out, "pool"), 1);
  EXPECT_EQ(r.Balances(), master_pending);
  RunResult c = r.Run({"commit", "--json"});
  EXPECT_EQ(JNum(c.out, "txs"), 1) << c.out;
}

TEST(CliCheckout, TagAndBlockGiveTheirState) {
  Repo r;
  ASSERT_EQ(r.Run({"tag", "before-bob", "--block=HEAD~1"}).code, 0);
  std::string now = r.Balances();
  ASSERT_EQ(r.Run({"checkout", "before-bob"}).code, 0);
  std::string then = r.Balances();
  EXPECT_FALSE(Has(then, "bob")) << then;
  EXPECT_EQ(r.Resolve("HEAD"), r.ids[1]);
  ASSERT_EQ(r.Run({"checkout", r.ids[0]}).code, 0);
  RunResult q = r.Run({"query", "SELECT * FROM token.accounts"});
  EXPECT_EQ(q.code, 1) << "no token contract at genesis";
  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  EXPECT_EQ(r.Balances(), now);
}

TEST(CliCheckout, UnknownTargetFailsAndChangesNothing) {
  Repo r;
  std::string state = r.Balances();
  RunResult c = r.Run({"checkout", "nosuch"});
  EXPECT_EQ(c.code, 1);
  EXPECT_TRUE(Has(c.err, "aergo: error:")) << c.err;
  EXPECT_TRUE(Has(c.err, "'nosuch'")) << c.err;
  EXPECT_EQ(r.Field({"status", "--json"}, "branch"), "master");
  EXPECT_EQ(r.Balances(), state);
  RunResult none = r.Run({"checkout"});
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(Has(none.err, "usage: aergo checkout")) << none.err;
}

TEST(CliCheckout, SameBranchIsANoOp) {
  Repo r;
  ASSERT_EQ(r.Run({"call", "token", "mint", "bob", "1"}).code, 0);
  std::string state = r.Balances();
  RunResult c = r.Run({"checkout", "master"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(r.Balances(), state);
  EXPECT_EQ(JNum(r.Run({"status", "--json"}).out, "pool"), 1);
}

}  // namespace aergo::clitest

namespace aergo::clitest {

// Deleting a branch never silently discards its pending txs.
TEST(CliBranch, DeleteRefusesPendingTxsUnlessForced) {
  Repo r;
  ASSERT_EQ(r.Run({"branch", "dev"}).code, 0);
  ASSERT_EQ(r.Run({"checkout", "dev"}).code, 0);
  r.Must({"call", "token", "mint", "carol", "1"});
  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  RunResult d = r.Run({"branch", "-d", "dev"});
  EXPECT_EQ(d.code, 1);
  EXPECT_TRUE(Has(d.err, "branch 'dev' has 1 pending tx(s) in its merge pool")) << d.err;
  EXPECT_EQ(r.Resolve("dev"), r.ids[2]);
  RunResult both = r.Run({"branch", "-d", "dev", "-D", "dev"});
  EXPECT_EQ(both.code, 2);
  RunResult forced = r.Run({"branch", "-D", "dev"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(r.Run({"show", "dev"}).code, 1);
  EXPECT_EQ(r.Run({"fsck"}).code, 0);
}

// Checking out the current branch keeps its pending txs and state.
TEST(CliCheckout, CurrentBranchKeepsThePool) {
  Repo r;
  r.Must({"call", "token", "mint", "carol", "7"});
  std::string before = r.Run({"query", "SELECT * FROM token.accounts ORDER BY owner", "--json"}).out;
  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  EXPECT_EQ(r.Pool(), 1);
  EXPECT_EQ(r.Run({"query", "SELECT * FROM token.accounts ORDER BY owner", "--json"}).out, before);
}

}  // namespace aergo::clitest
