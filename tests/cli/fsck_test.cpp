// aergo fsck on clean and corrupted repositories, and how the other commands
// behave on a corrupt one (a clear error, exit 1, never a crash).
//
// Objects are located with libgit2 (already a dependency of aergo_core):
// a block is a git commit whose tree holds the blobs header, txs, receipts.
#include <git2.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/harness.h"
#include "tests/test_common.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;

using testcommon::ReadWholeFile;

// Overwrites a file, read-only ones (git objects) included.
void WriteFile(const std::string& path, const std::string& data) {
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  testcommon::WriteWholeFile(path, data);
}

struct GitInit {
  GitInit() { git_libgit2_init(); }
  ~GitInit() { git_libgit2_shutdown(); }
};

// Resolves `spec` (git revparse syntax, e.g. "refs/heads/master^{tree}" or
// "refs/heads/master:txs") to a hex oid in the repository's object store.
std::string GitOid(const std::string& git_dir, const std::string& spec) {
  GitInit init;
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, git_dir.c_str()) != 0) return "";
  git_object* obj = nullptr;
  std::string out;
  if (git_revparse_single(&obj, repo, spec.c_str()) == 0) {
    char hex[GIT_OID_HEXSZ + 1] = {0};
    git_oid_tostr(hex, sizeof hex, git_object_id(obj));
    out = hex;
    git_object_free(obj);
  }
  git_repository_free(repo);
  return out;
}

std::string LooseObjectPath(const std::string& git_dir, const std::string& oid) {
  return git_dir + "/objects/" + oid.substr(0, 2) + "/" + oid.substr(2);
}

// Exit codes >= 128 mean the process died on a signal (the harness maps
// signals to 128 + n): a crash.
void ExpectNoCrash(const RunResult& r, const std::string& what) {
  EXPECT_LT(r.code, 128) << what << " crashed (signal " << r.code - 128 << ")\n" << r.err;
  EXPECT_GE(r.code, 0) << what;
  // A failure says why (fsck --json reports on stdout instead).
  if (r.code == 1 && !(r.err.empty() && Has(r.out, "\"ok\": false"))) {
    EXPECT_TRUE(Has(r.err, "aergo: error: ")) << what << "\n" << r.err;
  }
}

// Token repository with 3 blocks (genesis, setup with 3 txs, one with 1 tx).
struct Repo : TokenSandbox {
  Repo() {
    DeployAndFund();
    Must({"commit", "-m", "setup"});
    Must({"call", "token", "mint", "bob", "5"});
    Must({"commit", "-m", "second"});
  }
  std::string git() const { return sb.repo() + "/.aergo/git"; }
  // Runs fsck --json and expects it to fail, reporting a problem.
  RunResult FsckJsonFails() {
    RunResult j = Run({"fsck", "--json"});
    EXPECT_EQ(j.code, 1) << j.out << j.err;
    EXPECT_TRUE(Has(j.out, "\"ok\": false")) << "stdout: " << j.out << "\nstderr: " << j.err;
    return j;
  }
  // Runs the usual read and write commands and checks none crashes.
  void NoCommandCrashes() {
    std::vector<std::vector<std::string>> cmds = {
        {"status"},       {"status", "--json"}, {"log"},          {"log", "--json"},
        {"log", "--graph"}, {"show", "HEAD"},   {"show", "HEAD~1"}, {"show", "HEAD", "--json"},
        {"branch"},       {"tag"},              {"query", kBalances}, {"fsck"},
        {"fsck", "--json"}, {"call", "token", "mint", "carol", "1"}, {"commit", "-m", "x"},
        {"branch", "b2"}, {"tag", "t2"},        {"checkout", "HEAD~1"}, {"checkout", "master"},
        {"reset"},
    };
    for (const auto& c : cmds) ExpectNoCrash(Run(c), Joined(c));
  }
};

}  // namespace

TEST(CliFsck, CleanRepository) {
  Repo r;
  RunResult j = r.Run({"fsck", "--json"});
  ASSERT_EQ(j.code, 0) << j.out << j.err;
  EXPECT_EQ(j.out, "{\"ok\": true, \"blocks\": 3, \"txs\": 5, \"problems\": []}\n");
  RunResult t = r.Run({"fsck"});
  EXPECT_EQ(t.code, 0) << t.err;
  EXPECT_TRUE(Has(t.out, "3 blocks")) << t.out;
  EXPECT_TRUE(Has(t.out, "ok")) << t.out;
  EXPECT_EQ(t.err, "");
  RunResult one = r.Run({"fsck", "--threads=1", "--json"});
  EXPECT_EQ(one.out, j.out);
}

TEST(CliFsck, FreshRepository) {
  Sandbox sb;
  sb.InitRepo();
  RunResult j = sb.Run({"fsck", "--json"}, sb.repo());
  EXPECT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out, "{\"ok\": true, \"blocks\": 1, \"txs\": 1, \"problems\": []}\n");
}

TEST(CliFsck, PendingTxsAreNotCorruption) {
  Repo r;
  ASSERT_EQ(r.Run({"call", "token", "mint", "carol", "3"}).code, 0);
  RunResult j = r.Run({"fsck", "--json"});
  EXPECT_EQ(j.code, 0) << j.out << j.err;
  EXPECT_TRUE(Has(j.out, "\"ok\": true")) << j.out;
}

TEST(CliFsck, CleanAfterBranchesDivergeAndTagsAndCheckouts) {
  Repo r;
  ASSERT_EQ(r.Run({"tag", "v1"}).code, 0);
  ASSERT_EQ(r.Run({"branch", "feature"}).code, 0);
  ASSERT_EQ(r.Run({"checkout", "feature"}).code, 0);
  ASSERT_EQ(r.Run({"call", "token", "mint", "bob", "1000"}).code, 0);
  ASSERT_EQ(r.Run({"commit", "-m", "feature"}).code, 0);
  ASSERT_EQ(r.Run({"checkout", "master"}).code, 0);
  ASSERT_EQ(r.Run({"call", "token", "mint", "carol", "5"}).code, 0);
  ASSERT_EQ(r.Run({"commit", "-m", "master"}).code, 0);
  RunResult j = r.Run({"fsck", "--json"});
  EXPECT_EQ(j.code, 0) << j.out << j.err;
  EXPECT_EQ(j.out, "{\"ok\": true, \"blocks\": 5, \"txs\": 7, \"problems\": []}\n");
  ASSERT_EQ(r.Run({"checkout", "v1"}).code, 0);
  RunResult d = r.Run({"fsck", "--json"});
  EXPECT_EQ(d.code, 0) << d.out << d.err;
}

TEST(CliFsck, CorruptBlobOfHeadBlock) {
  Repo r;
  std::string blob = GitOid(r.git(), "refs/heads/master:txs");
  ASSERT_EQ(blob.size(), 40u) << "cannot find the head block's txs blob";
  std::string commit = GitOid(r.git(), "refs/heads/master");
  std::string path = LooseObjectPath(r.git(), blob);
  ASSERT_TRUE(fs::exists(path)) << path;
  WriteFile(path, "this is not a zlib stream");

  RunResult j = r.FsckJsonFails();
  EXPECT_FALSE(Has(j.out, "\"problems\": []")) << j.out;
  EXPECT_TRUE(Has(j.out, commit) || Has(j.out, blob)) << "the problem names the object\n" << j.out;
  RunResult t = r.Run({"fsck"});
  EXPECT_EQ(t.code, 1);
  EXPECT_TRUE(Has(t.err, "problem: ")) << t.err;
  EXPECT_TRUE(Has(t.err, "aergo: error:")) << t.err;

  RunResult show = r.Run({"show", "HEAD"});
  EXPECT_EQ(show.code, 1) << show.out;
  EXPECT_EQ(show.err.rfind("aergo: error: ", 0), 0u) << show.err;
  EXPECT_EQ(show.out, "");
  RunResult log = r.Run({"log"});
  ExpectNoCrash(log, "log");
  r.NoCommandCrashes();
}

TEST(CliFsck, TruncatedHeadCommitObject) {
  Repo r;
  std::string commit = GitOid(r.git(), "refs/heads/master");
  ASSERT_EQ(commit.size(), 40u);
  std::string path = LooseObjectPath(r.git(), commit);
  std::string data = ReadWholeFile(path);
  ASSERT_GT(data.size(), 10u);
  WriteFile(path, data.substr(0, data.size() / 2));

  RunResult j = r.FsckJsonFails();
  EXPECT_TRUE(Has(j.out, commit)) << j.out;
  RunResult show = r.Run({"show", "HEAD"});
  EXPECT_EQ(show.code, 1) << show.out;
  EXPECT_TRUE(Has(show.err, "aergo: error:")) << show.err;
  r.NoCommandCrashes();
}

TEST(CliFsck, MissingObject) {
  Repo r;
  std::string blob = GitOid(r.git(), "refs/heads/master~1:receipts");
  ASSERT_EQ(blob.size(), 40u);
  fs::remove(LooseObjectPath(r.git(), blob));
  RunResult j = r.FsckJsonFails();
  EXPECT_TRUE(Has(j.out, "receipts")) << j.out;
  RunResult show = r.Run({"show", "HEAD~1"});
  EXPECT_EQ(show.code, 1);
  r.NoCommandCrashes();
}

TEST(CliFsck, EveryObjectCorrupted) {
  Repo r;
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(r.git() + "/objects")) {
    if (!e.is_regular_file()) continue;
    std::string data = ReadWholeFile(e.path());
    // Alternate: truncate, or flip the bytes in the middle.
    if (n++ % 2 == 0) data = data.substr(0, data.size() / 3);
    else for (size_t i = data.size() / 3; i < data.size(); ++i) data[i] = static_cast<char>(data[i] ^ 0x5a);
    WriteFile(e.path(), data);
  }
  ASSERT_GT(n, 5u);
  r.FsckJsonFails();
  r.NoCommandCrashes();
}

TEST(CliFsck, BranchRefToBogusOid) {
  Repo r;
  std::ofstream(r.git() + "/refs/heads/x") << "0123456789abcdef0123456789abcdef01234567\n";
  RunResult j = r.FsckJsonFails();
  EXPECT_TRUE(Has(j.out, "refs/heads/x")) << j.out;
  RunResult t = r.Run({"fsck"});
  EXPECT_EQ(t.code, 1);
  EXPECT_TRUE(Has(t.err, "refs/heads/x")) << t.err;
  RunResult log = r.Run({"log", "x"});
  EXPECT_EQ(log.code, 1);
  EXPECT_TRUE(Has(log.err, "aergo: error:")) << log.err;
  // The rest of the repository still works.
  EXPECT_EQ(r.Run({"log", "master", "--oneline"}).code, 0);
  r.NoCommandCrashes();
}

TEST(CliFsck, TagRefToBogusOid) {
  Repo r;
  fs::create_directories(r.git() + "/refs/tags");
  std::ofstream(r.git() + "/refs/tags/broken") << "fedcba9876543210fedcba9876543210fedcba98\n";
  RunResult j = r.Run({"fsck", "--json"});
  EXPECT_EQ(j.code, 1) << j.out << j.err;
  EXPECT_TRUE(Has(j.out, "refs/tags/broken")) << j.out;
  r.NoCommandCrashes();
}

TEST(CliFsck, CurrentBranchRefToNonBlockObject) {
  Repo r;
  // master points at an existing object that is not a block (its tree).
  std::string tree = GitOid(r.git(), "refs/heads/master^{tree}");
  ASSERT_EQ(tree.size(), 40u);
  std::ofstream(r.git() + "/refs/heads/master", std::ios::trunc) << tree << "\n";
  RunResult j = r.FsckJsonFails();  // fsck must still report, as JSON
  EXPECT_TRUE(Has(j.out, "refs/heads/master")) << j.out;
  RunResult t = r.Run({"fsck"});
  EXPECT_EQ(t.code, 1);
  EXPECT_TRUE(Has(t.err, "master")) << t.err;
  r.NoCommandCrashes();
  RunResult s = r.Run({"status"});
  EXPECT_EQ(s.code, 1);
}

TEST(CliFsck, CurrentBranchRefToBogusOid) {
  Repo r;
  std::ofstream(r.git() + "/refs/heads/master", std::ios::trunc)
      << "0123456789abcdef0123456789abcdef01234567\n";
  r.FsckJsonFails();
  r.NoCommandCrashes();
}

TEST(CliFsck, GarbageRefFile) {
  Repo r;
  std::ofstream(r.git() + "/refs/heads/junk") << "not a ref at all\n";
  RunResult j = r.Run({"fsck"});
  EXPECT_EQ(j.code, 1) << j.out << j.err;
  EXPECT_TRUE(Has(j.err, "junk")) << j.err;
  r.NoCommandCrashes();
}

TEST(CliFsck, CorruptIndexDatabaseFailsCleanly) {
  Repo r;
  std::string db = r.sb.repo() + "/.aergo/ledger.db";
  for (const char* wal : {"-wal", "-shm"}) fs::remove(db + wal);
  std::string data = ReadWholeFile(db);
  ASSERT_GT(data.size(), 100u);
  for (size_t i = 0; i < 100; ++i) data[i] = 'X';
  WriteFile(db, data);
  RunResult f = r.Run({"fsck"});
  EXPECT_EQ(f.code, 1) << f.out << f.err;
  EXPECT_TRUE(Has(f.err, "aergo: error:")) << f.err;
  r.NoCommandCrashes();
}

TEST(CliFsck, UsageAndNoRepository) {
  Sandbox sb;
  RunResult none = sb.Run({"fsck"});
  EXPECT_EQ(none.code, 1);
  EXPECT_TRUE(Has(none.err, "not an aergo repository")) << none.err;
  sb.InitRepo();
  RunResult extra = sb.Run({"fsck", "extra"}, sb.repo());
  EXPECT_EQ(extra.code, 2);
  EXPECT_TRUE(Has(extra.err, "usage: aergo fsck")) << extra.err;
}

}  // namespace aergo::clitest
