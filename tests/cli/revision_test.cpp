// Revisions naming a height (<ref>@<height>) on a first-parent chain that
// skips heights: after a merge of a taller branch the merge block's height
// is max(parents) + 1, so the heights between the target's old head and the
// merge block name no block on the target's chain.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// master: genesis (0), setup (1), m2 (2), then the merge of `tall` (6).
// tall: setup (1), t2..t5 (2..5). Tag v6 names the merge block.
struct SkippedHeights : TokenSandbox {
  std::string setup, m2, t5, merged;

  SkippedHeights() {
    DeployAndFund();
    setup = Commit("setup");
    Must({"branch", "tall"});
    Must({"checkout", "tall"});
    for (int h = 2; h <= 5; ++h) {
      Must({"call", "token", "mint", "bob", std::to_string(h)});
      t5 = Commit("t" + std::to_string(h));
    }
    Must({"checkout", "master"});
    Must({"call", "token", "mint", "carol", "7"});
    m2 = Commit("m2");
    Must({"merge", "tall"});
    merged = Head();
    Must({"tag", "v6"});
  }
  std::string Id(const std::string& rev) { return Field({"show", rev, "--json"}, "id"); }
};

}  // namespace

TEST(CliRevision, HeightSkippedByAMergeIsNotFound) {
  SkippedHeights s;
  ASSERT_EQ(JNum(s.Out({"show", "master", "--json"}), "height"), 6) << "the merge block is at max(2, 5) + 1";
  // The heights the chain has resolve as before.
  EXPECT_EQ(s.Id("master@6"), s.merged);
  EXPECT_EQ(s.Id("master@2"), s.m2);
  EXPECT_EQ(s.Id("master@1"), s.setup);
  EXPECT_EQ(s.Id("tall@5"), s.t5);
  EXPECT_EQ(s.Id("HEAD@2"), s.m2);
  EXPECT_EQ(s.Id("v6@2"), s.m2);
  EXPECT_EQ(s.Id("master@6^2"), s.t5);

  // Past the head: the reference failure.
  RunResult past = s.Run({"log", "-n1", "master@99"});
  EXPECT_EQ(past.code, 1);
  EXPECT_EQ(past.out, "");
  EXPECT_EQ(past.err,
            "aergo: error: revision 'master@99': 'master' has no block at height 99 (its head is at 6)\n");

  // A height the first-parent chain steps over fails the same way, through
  // every form of <ref>@<height> and every command that reads revisions.
  for (std::string ref : {"master", "HEAD", "v6"}) {
    for (int h : {3, 4, 5}) {
      std::string rev = ref + "@" + std::to_string(h);
      std::string error = "aergo: error: revision '" + rev + "': '" + ref + "' has no block at height " +
                          std::to_string(h) + " (its first-parent chain goes from height 6 to 2)\n";
      RunResult log = s.Run({"log", "-n1", rev});
      EXPECT_EQ(log.code, 1) << rev << "\n" << log.out;
      EXPECT_EQ(log.out, "") << rev;
      EXPECT_EQ(log.err, error) << rev;
      RunResult q = s.Run({"query", "--at", rev, kBalances});
      EXPECT_EQ(q.code, 1) << rev << "\n" << q.out;
      EXPECT_EQ(q.out, "") << rev;
      EXPECT_EQ(q.err, error) << rev;
    }
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show", "master@4"}, {"diff", "master@4", "master"},
        {"branch", "at4", "--block=master@4"}, {"log", "master@4~1"}}) {
    RunResult r = s.Run(args);
    EXPECT_EQ(r.code, 1) << Joined(args) << r.out;
    EXPECT_TRUE(Has(r.err, "aergo: error: revision 'master@4")) << Joined(args) << r.err;
    EXPECT_TRUE(Has(r.err, "has no block at height 4")) << Joined(args) << r.err;
  }
  EXPECT_EQ(s.Run({"show", "at4"}).code, 1) << "no branch was created";
  EXPECT_EQ(s.Head(), s.merged);
  s.ExpectFsckClean();
}

}  // namespace aergo::clitest
