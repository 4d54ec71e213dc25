// clone, remote, fetch, pull and push against repositories on local paths
// (no daemon): the transfer, verification and ref logic that the HTTP
// transport shares (tests/cli/http_remote_test.cpp covers the daemon).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// An origin repository with the token deployed and funded (block 1, tag
// v1); developers clone it into work()/<name>.
struct RemoteScene : TokenSandbox {
  RemoteScene() {
    DeployAndFund();
    Commit("funded");
    Must({"tag", "v1"});
  }
  std::string Dev(const std::string& name) { return sb.work() + "/" + name; }
  RunResult In(const std::string& name, const std::vector<std::string>& args) {
    return sb.Run(args, Dev(name), {{"AERGO_KEY", "alice"}});
  }
  void MustIn(const std::string& name, const std::vector<std::string>& args) {
    RunResult r = In(name, args);
    ASSERT_EQ(r.code, 0) << Joined(args) << "\n" << r.err;
  }
  void Clone(const std::string& name) {
    RunResult r = sb.Run({"clone", sb.repo(), name}, sb.work(), {{"AERGO_KEY", "alice"}});
    ASSERT_EQ(r.code, 0) << r.err;
  }
};

TEST(Remote, CloneCopiesHistoryStateTagsAndUpstream) {
  RemoteScene s;
  std::string head = s.Head();
  RunResult r = s.sb.Run({"clone", s.sb.repo(), "dev", "--json"}, s.sb.work());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JStr(r.out, "branch"), "master");
  EXPECT_EQ(JStr(r.out, "head"), head);
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), s.Snapshot());
  EXPECT_TRUE(Has(s.Out({"tag"}, s.Dev("dev")), "v1"));
  EXPECT_TRUE(Has(s.Out({"remote", "-v"}, s.Dev("dev")), "origin\t" + s.sb.repo()));
  EXPECT_TRUE(Has(s.Out({"config", "branch.master.remote"}, s.Dev("dev")), "origin"));
  // The remote-tracking ref is a revision.
  EXPECT_TRUE(Has(s.Out({"show", "origin/master", "--json"}, s.Dev("dev")), head));
  s.ExpectFsckClean(s.Dev("dev"));
}

TEST(Remote, CloneRefusals) {
  RemoteScene s;
  RunResult nothere = s.sb.Run({"clone", s.sb.work() + "/nothing", "x"}, s.sb.work());
  EXPECT_EQ(nothere.code, 1);
  EXPECT_TRUE(Has(nothere.err, "is not an aergo repository")) << nothere.err;
  EXPECT_FALSE(std::filesystem::exists(s.sb.work() + "/x"));
  s.sb.Write("full/file", "x");
  RunResult full = s.sb.Run({"clone", s.sb.repo(), "full"}, s.sb.work());
  EXPECT_EQ(full.code, 1);
  EXPECT_TRUE(Has(full.err, "already exists and is not an empty directory")) << full.err;
  EXPECT_EQ(s.sb.Read("full/file"), "x");
  RunResult nobranch = s.sb.Run({"clone", s.sb.repo(), "nb", "--branch", "nope"}, s.sb.work());
  EXPECT_EQ(nobranch.code, 1);
  EXPECT_TRUE(Has(nobranch.err, "has no branch 'nope'")) << nobranch.err;
  EXPECT_FALSE(std::filesystem::exists(s.sb.work() + "/nb"));
  RunResult scheme = s.sb.Run({"clone", "ftp://host/x", "f"}, s.sb.work());
  EXPECT_EQ(scheme.code, 1);
  EXPECT_TRUE(Has(scheme.err, "unsupported remote URL")) << scheme.err;
}

TEST(Remote, CloneOfAnotherBranchChecksItOut) {
  RemoteScene s;
  s.Must({"branch", "side"});
  s.Must({"checkout", "side"});
  s.Call({"mint", s.alice, "5"});
  std::string side = s.Commit("side work");
  s.Must({"checkout", "master"});
  RunResult r = s.sb.Run({"clone", s.sb.repo(), "dev", "--branch", "side"}, s.sb.work());
  ASSERT_EQ(r.code, 0) << r.err;
  RunResult st = s.In("dev", {"status", "--json"});
  EXPECT_EQ(JStr(st.out, "branch"), "side");
  EXPECT_EQ(JStr(st.out, "head"), side);
  RunResult branches = s.In("dev", {"branch"});
  EXPECT_FALSE(Has(branches.out, "master")) << branches.out;  // only the cloned branch is local
  EXPECT_TRUE(Has(s.In("dev", {"log", "origin/master", "--oneline"}).out, "funded"));
}

TEST(Remote, RemoteAddListRemove) {
  RemoteScene s;
  s.Clone("dev");
  s.MustIn("dev", {"remote", "add", "backup", "http://127.0.0.1:1/repo"});
  RunResult list = s.In("dev", {"remote", "--json"});
  EXPECT_TRUE(Has(list.out, "\"name\": \"backup\"")) << list.out;
  RunResult dup = s.In("dev", {"remote", "add", "backup", "/x"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_TRUE(Has(dup.err, "remote 'backup' already exists")) << dup.err;
  RunResult bad = s.In("dev", {"remote", "add", "Bad/Name", "/x"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "invalid remote name")) << bad.err;
  s.MustIn("dev", {"remote", "remove", "origin"});
  EXPECT_FALSE(Has(s.In("dev", {"remote"}).out, "origin"));
  RunResult gone = s.In("dev", {"show", "origin/master"});
  EXPECT_EQ(gone.code, 1);  // its remote-tracking refs went with it
  RunResult missing = s.In("dev", {"remote", "remove", "origin"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Has(missing.err, "no such remote 'origin'")) << missing.err;
}

TEST(Remote, PushFastForwardThenPushThatMergesOnTheRemote) {
  RemoteScene s;
  s.Clone("a");
  s.Clone("b");
  s.MustIn("a", {"call", "token", "mint", s.alice, "1"});
  s.MustIn("a", {"commit", "-m", "a1"});
  RunResult pa = s.In("a", {"push", "--json"});
  ASSERT_EQ(pa.code, 0) << pa.err;
  EXPECT_EQ(JRaw(pa.out, "fast_forward"), "true");
  EXPECT_EQ(JStr(pa.out, "head"), s.Head());
  // b pushes without pulling: the remote merges b's txs into its master.
  s.MustIn("b", {"call", "token", "mint", s.alice, "2"});
  s.MustIn("b", {"commit", "-m", "b1"});
  RunResult pb = s.In("b", {"push", "origin:master", "--json"});
  ASSERT_EQ(pb.code, 0) << pb.err;
  std::string merge = JRaw(pb.out, "merge");
  ASSERT_NE(merge, "null") << pb.out;
  EXPECT_EQ(JStr(merge, "block"), s.Head());
  EXPECT_EQ(Count(JRaw(merge, "applied"), "\""), 2u) << merge;  // b's one tx id
  EXPECT_EQ(s.Bal()[s.alice], 103);
  // b fetched the merge back: pulling fast-forwards to it.
  RunResult pull = s.In("b", {"pull", "--json"});
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(JRaw(pull.out, "fast_forward"), "true");
  EXPECT_EQ(s.Snapshot(s.Dev("b")), s.Snapshot());
  s.ExpectFsckClean();
  s.ExpectFsckClean(s.Dev("b"));
}

TEST(Remote, PullMergesWithExclusions) {
  RemoteScene s;
  s.Clone("dev");
  // Both spend alice's 100. A pull replays the upstream's txs on the
  // developer's state, so the upstream's transfer is the one excluded.
  s.Call({"mint", "bob", "1"});
  s.Call({"transfer", "bob", "60"});
  s.Commit("upstream spends");
  s.MustIn("dev", {"call", "token", "mint", "carol", "1"});
  s.MustIn("dev", {"call", "token", "transfer", "carol", "70"});
  s.MustIn("dev", {"commit", "-m", "dev spends"});
  RunResult pull = s.In("dev", {"pull", "origin:master", "--json"});
  ASSERT_EQ(pull.code, 0) << pull.err;
  std::vector<std::string> excluded = Objects(JRaw(pull.out, "excluded"));
  ASSERT_EQ(excluded.size(), 1u) << pull.out;
  EXPECT_TRUE(Has(excluded[0], kCheckError)) << excluded[0];
  s.ExpectFsckClean(s.Dev("dev"));
}

TEST(Remote, FetchUpdatesTrackingRefsAndTagsOnly) {
  RemoteScene s;
  s.Clone("dev");
  std::string before = s.In("dev", {"status", "--json"}).out;
  s.Call({"mint", s.alice, "3"});
  std::string upstream = s.Commit("more");
  s.Must({"tag", "v2"});
  RunResult f = s.In("dev", {"fetch", "--json"});
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_EQ(JNum(f.out, "blocks"), 1);
  EXPECT_TRUE(Has(JRaw(f.out, "branches"), upstream)) << f.out;
  EXPECT_TRUE(Has(JRaw(f.out, "tags"), "v2")) << f.out;
  EXPECT_EQ(JStr(s.In("dev", {"status", "--json"}).out, "head"), JStr(before, "head"));  // local branch unmoved
  EXPECT_TRUE(Has(s.In("dev", {"show", "origin/master", "--json"}).out, upstream));
  RunResult again = s.In("dev", {"fetch", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(JNum(again.out, "blocks"), 0);
  EXPECT_EQ(JRaw(again.out, "branches"), "[]");
}

TEST(Remote, PushMergesOverAPendingTxOnTheRemote) {
  RemoteScene s;
  s.Clone("dev");
  s.Call({"mint", s.alice, "1"});
  s.Commit("upstream");
  s.MustIn("dev", {"call", "token", "mint", s.alice, "2"});
  s.MustIn("dev", {"commit", "-m", "dev"});
  // A pending tx on the remote's branch does not block a merge there: it
  // stays pending, on the merge block.
  std::string pending = s.Call({"mint", s.alice, "4"});
  RunResult p = s.In("dev", {"push"});
  EXPECT_EQ(p.code, 0) << p.err;
  EXPECT_TRUE(Has(p.out, "the remote merged the pushed txs")) << p.out;
  EXPECT_EQ(p.err, "");
  EXPECT_EQ(s.Pool(), 1);
  EXPECT_EQ(s.Bal()[s.alice], 100 + 1 + 2 + 4);
  std::string merged = s.Head();
  std::string sealed = s.Commit("pending sealed");
  RunResult shown = s.Run({"show", sealed, "--json"});
  EXPECT_TRUE(Has(shown.out, merged)) << shown.out;
  EXPECT_TRUE(Has(shown.out, pending)) << shown.out;
  s.ExpectFsckClean();
}

TEST(Remote, AnotherLedgerIsRefused) {
  RemoteScene s;
  s.Clone("dev");
  RunResult other = s.sb.Run({"init", "other"}, s.sb.work(), {{"AERGO_KEY", "alice"}});
  ASSERT_EQ(other.code, 0) << other.err;
  s.MustIn("dev", {"remote", "add", "other", s.sb.work() + "/other"});
  RunResult f = s.In("dev", {"fetch", "other"});
  EXPECT_EQ(f.code, 1);
  EXPECT_TRUE(Has(f.err, "holds another ledger")) << f.err;
  RunResult p = s.In("dev", {"push", "other:master"});
  EXPECT_EQ(p.code, 1);
  EXPECT_TRUE(Has(p.err, "holds another ledger")) << p.err;
  RunResult nospec = s.In("dev", {"pull", "origin"});
  EXPECT_EQ(nospec.code, 2);
  EXPECT_TRUE(Has(nospec.err, "expected <remote>:<branch>")) << nospec.err;
}

}  // namespace
}  // namespace aergo::clitest
