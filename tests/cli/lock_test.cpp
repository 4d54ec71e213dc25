// The repository lock (<repo>/.aergo/lock, flock): writers are exclusive,
// readers shared; a blocked command waits AERGO_LOCK_TIMEOUT_MS, then fails
// cleanly. Concurrent writers serialize without losing anything.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// Holds flock(op) on the repository's lock file for its lifetime.
class HeldLock {
 public:
  HeldLock(const std::string& path, int op) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_GE(fd_, 0) << path;
    if (fd_ >= 0) {
      EXPECT_EQ(flock(fd_, op | LOCK_NB), 0) << "cannot take the lock in the test";
    }
  }
  ~HeldLock() { Release(); }
  void Release() {
    if (fd_ >= 0) {
      flock(fd_, LOCK_UN);
      close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

// Token repository with the contract deployed and committed.
struct Repo : TokenSandbox {
  Repo() {
    Must({"deploy", "token", "token.sql"});
    Must({"commit", "-m", "deploy"});
  }
  std::string lock() const { return sb.repo() + "/.aergo/lock"; }
  // Runs in the repository with AERGO_LOCK_TIMEOUT_MS = timeout_ms if given.
  RunResult Run(const std::vector<std::string>& args, const std::string& timeout_ms = "") {
    std::map<std::string, std::string> env;
    if (!timeout_ms.empty()) env["AERGO_LOCK_TIMEOUT_MS"] = timeout_ms;
    return TokenSandbox::Run(args, env);
  }
};

using Clock = std::chrono::steady_clock;

long long MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

TEST(CliLock, ExclusiveLockMakesWritersFailCleanly) {
  Repo r;
  r.Must({"call", "token", "mint", "bob", "1"});
  std::string head = JStr(r.Run({"status", "--json"}).out, "head");
  {
    HeldLock held(r.lock(), LOCK_EX);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"commit", "-m", "blocked"},
             {"call", "token", "mint", "bob", "1"},
             {"deploy", "other", "token.sql"},
             {"branch", "x"},
             {"tag", "t"},
             {"reset"},
             {"checkout", "HEAD~1"}}) {
      auto t0 = Clock::now();
      RunResult c = r.Run(args, "300");
      long long ms = MsSince(t0);
      EXPECT_EQ(c.code, 1) << args[0] << ": " << c.out << c.err;
      EXPECT_TRUE(Has(c.err, "aergo: error:")) << c.err;
      EXPECT_TRUE(Has(c.err, "locked by another aergo process")) << args[0] << ": " << c.err;
      EXPECT_GE(ms, 250) << args[0] << " should wait for the lock before giving up";
      EXPECT_LT(ms, 5000) << args[0] << " should honour AERGO_LOCK_TIMEOUT_MS";
    }
    // Readers are blocked by a writer too.
    RunResult s = r.Run({"status"}, "300");
    EXPECT_EQ(s.code, 1);
    EXPECT_TRUE(Has(s.err, "locked by another aergo process")) << s.err;
  }
  // Nothing was changed, and everything works again after release.
  RunResult st = r.Run({"status", "--json"});
  EXPECT_EQ(JStr(st.out, "head"), head);
  EXPECT_EQ(JNum(st.out, "pool"), 1);
  EXPECT_TRUE(Has(st.out, "\"branch\": \"master\"")) << st.out;
  RunResult b = r.Run({"branch", "--json"});
  EXPECT_FALSE(Has(b.out, "\"x\"")) << b.out;
  RunResult c = r.Run({"commit", "-m", "after", "--json"}, "300");
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(JNum(c.out, "txs"), 1);
  EXPECT_EQ(r.Run({"fsck"}).code, 0);
}

TEST(CliLock, SharedLockAllowsReadersButNotWriters) {
  Repo r;
  r.Must({"call", "token", "mint", "bob", "1"});
  HeldLock held(r.lock(), LOCK_SH);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"status"}, {"log", "--oneline"}, {"show", "HEAD"}, {"branch"}, {"tag"},
           {"query", "SELECT * FROM token.accounts"}, {"fsck"}}) {
    RunResult c = r.Run(args, "300");
    EXPECT_EQ(c.code, 0) << args[0] << " is a reader: " << c.err;
  }
  RunResult w = r.Run({"commit"}, "300");
  EXPECT_EQ(w.code, 1);
  EXPECT_TRUE(Has(w.err, "locked by another aergo process")) << w.err;
  held.Release();
  EXPECT_EQ(r.Run({"commit"}, "300").code, 0);
}

TEST(CliLock, WaitsForTheLockThenSucceeds) {
  Repo r;
  r.Must({"call", "token", "mint", "bob", "1"});
  HeldLock held(r.lock(), LOCK_EX);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    held.Release();
  });
  auto t0 = Clock::now();
  RunResult c = r.Run({"commit", "-m", "waited", "--json"}, "10000");
  long long ms = MsSince(t0);
  releaser.join();
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(JNum(c.out, "txs"), 1) << c.out;
  EXPECT_GE(ms, 300) << "the commit should have waited for the lock";
}

TEST(CliLock, ConcurrentWritersSerializeWithoutLoss) {
  Repo r;
  r.Must({"call", "token", "open"});
  r.Must({"commit"});
  constexpr int kThreads = 6, kCallsEach = 3;
  std::vector<int> ok(kThreads, 0), committed_txs(kThreads, 0), bad(kThreads, 0);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        RunResult c = r.sb.Run({"call", "token", "mint", "bob", "1"}, r.sb.repo());
        if (c.code == 0) ++ok[t];
        else { ++bad[t]; errors[t] += c.err; }
        if (t % 2 == 0) {
          RunResult m = r.sb.Run({"commit", "--json"}, r.sb.repo());
          if (m.code == 0) committed_txs[t] += static_cast<int>(JNum(m.out, "txs"));
          else if (!Has(m.err, "nothing to commit")) { ++bad[t]; errors[t] += m.err; }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  int total_ok = 0, total_committed = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(bad[t], 0) << "thread " << t << ": " << errors[t];
    total_ok += ok[t];
    total_committed += committed_txs[t];
  }
  EXPECT_EQ(total_ok, kThreads * kCallsEach);
  long long pool = r.Pool();
  EXPECT_EQ(total_committed + pool, total_ok) << "every successful call is committed or pending";
  RunResult q = r.Run({"query", "SELECT balance FROM token.accounts WHERE owner = 'bob'", "--csv"});
  EXPECT_EQ(q.out, "balance\n" + std::to_string(total_ok) + "\n");
  RunResult f = r.Run({"fsck", "--json"});
  EXPECT_EQ(f.code, 0) << f.out << f.err;
}

TEST(CliLock, ZeroTimeoutFailsAtOnce) {
  Repo r;
  HeldLock held(r.lock(), LOCK_EX);
  auto t0 = Clock::now();
  RunResult c = r.Run({"status"}, "0");
  EXPECT_EQ(c.code, 1);
  EXPECT_TRUE(Has(c.err, "locked by another aergo process")) << c.err;
  EXPECT_LT(MsSince(t0), 2000);
}

}  // namespace aergo::clitest

namespace aergo::clitest {

// A writer killed inside a ref update leaves libgit2's lock file behind; the
// next writer (holding the repository lock, so no live owner can exist)
// clears it instead of failing forever.
TEST(CliLock, StaleRefLockFilesFromAKilledWriterAreCleared) {
  TokenSandbox t;
  t.DeployAndFund();
  std::string git = t.sb.repo() + "/.aergo/git/";
  t.sb.Write("../work/repo/.aergo/git/refs/heads/master.lock", "0000000000000000000000000000000000000000\n");
  RunResult c = t.Run({"commit", "-m", "after a crash"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(access((git + "refs/heads/master.lock").c_str(), F_OK), -1);
  ASSERT_EQ(t.Run({"branch", "dev"}).code, 0);
  t.sb.Write("../work/repo/.aergo/git/HEAD.lock", "ref: refs/heads/nowhere\n");
  RunResult co = t.Run({"checkout", "dev"});
  EXPECT_EQ(co.code, 0) << co.err;
  EXPECT_EQ(t.Field({"status", "--json"}, "branch"), "dev");
  EXPECT_EQ(t.Run({"fsck"}).code, 0);
}

}  // namespace aergo::clitest
