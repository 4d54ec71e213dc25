// Unit tests for core/lock.h: the repository flock, across processes.
#include "core/lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "tests/unit/test_util.h"

namespace aergo {
namespace {

// A child process that takes the lock in `mode`, reports back over a pipe,
// and holds the lock until told to release it (or until it exits).
class LockHolder {
 public:
  LockHolder(const std::string& path, RepoLock::Mode mode) {
    int ready[2], release[2];
    if (pipe(ready) != 0 || pipe(release) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(release[1]);
      auto lock = RepoLock::Acquire(path, mode, 5000);
      char c = lock.ok() ? 'y' : 'n';
      if (write(ready[1], &c, 1) != 1) _exit(3);
      char r;
      (void)!read(release[0], &r, 1);  // returns on a byte or the parent's exit
      _exit(lock.ok() ? 0 : 1);
    }
    close(ready[1]);
    close(release[0]);
    release_fd_ = release[1];
    char c = 0;
    ok_ = pid_ > 0 && read(ready[0], &c, 1) == 1 && c == 'y';
    close(ready[0]);
  }
  ~LockHolder() { Release(); }
  bool ok() const { return ok_; }
  // Tells the child to drop the lock (closing the pipe wakes it with EOF;
  // no write, so no SIGPIPE if it already left) and waits for it to exit.
  void Release() {
    if (pid_ <= 0) return;
    close(release_fd_);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // Tells the child to release after `ms`, without waiting.
  void ReleaseAfter(int ms) {
    if (pid_ <= 0) return;
    pid_t releaser = fork();
    if (releaser == 0) {
      usleep(static_cast<useconds_t>(ms) * 1000);
      char c = 'x';
      (void)!write(release_fd_, &c, 1);
      _exit(0);
    }
    releaser_ = releaser;
  }
  void Reap() {
    if (releaser_ > 0) waitpid(releaser_, nullptr, 0);
    releaser_ = -1;
    Release();
  }

 private:
  pid_t pid_ = -1;
  pid_t releaser_ = -1;
  int release_fd_ = -1;
  bool ok_ = false;
};

// Runs fn in a child process and returns its exit code.
template <typename Fn>
int InChild(Fn fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

class LockTest : public ::testing::Test {
 protected:
  // In a child process, tries to take the lock in `mode` within timeout_ms:
  // 0 if it got it, 7 if the lock was busy, 1 on any other failure.
  int AcquireInChild(RepoLock::Mode mode, int timeout_ms) {
    return InChild([&] {
      auto l = RepoLock::Acquire(path_, mode, timeout_ms);
      return l.ok() ? 0 : (l.status().code() == Code::kBusy ? 7 : 1);
    });
  }

  testutil::TempDir tmp_{"aergo-lock-test"};
  const std::string& dir_ = tmp_.path();
  const std::string path_ = dir_ + "/lock";
};

TEST_F(LockTest, ExclusiveBlocksSecondExclusiveUntilTimeout) {
  LockHolder holder(path_, RepoLock::Mode::kExclusive);
  ASSERT_TRUE(holder.ok());
  auto start = std::chrono::steady_clock::now();
  auto second = RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 150);
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().message().find("locked"), std::string::npos) << second.status().message();
  EXPECT_NE(second.status().message().find(path_), std::string::npos) << second.status().message();
  EXPECT_GE(waited, 150);  // it did wait for the timeout
  EXPECT_LT(waited, 3000);
  // A reader is blocked too.
  auto reader = RepoLock::Acquire(path_, RepoLock::Mode::kShared, 50);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Code::kBusy);

  holder.Release();
  auto after = RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 0);
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ(after->mode(), RepoLock::Mode::kExclusive);
}

TEST_F(LockTest, WaiterGetsLockWhenHolderReleases) {
  LockHolder holder(path_, RepoLock::Mode::kExclusive);
  ASSERT_TRUE(holder.ok());
  holder.ReleaseAfter(100);
  auto start = std::chrono::steady_clock::now();
  auto lock = RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 5000);
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(lock.ok()) << lock.status().message();
  EXPECT_GE(waited, 50);
  EXPECT_LT(waited, 4000);
  holder.Reap();
}

TEST_F(LockTest, ZeroTimeoutFailsAtOnce) {
  LockHolder holder(path_, RepoLock::Mode::kExclusive);
  ASSERT_TRUE(holder.ok());
  auto start = std::chrono::steady_clock::now();
  auto lock = RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 0);
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Code::kBusy);
  EXPECT_LT(waited, 100);
}

TEST_F(LockTest, SharedPlusSharedIsFine) {
  LockHolder holder(path_, RepoLock::Mode::kShared);
  ASSERT_TRUE(holder.ok());
  auto mine = RepoLock::Acquire(path_, RepoLock::Mode::kShared, 0);
  ASSERT_TRUE(mine.ok()) << mine.status().message();
  EXPECT_EQ(mine->mode(), RepoLock::Mode::kShared);
  // A writer in a third process cannot get in while readers hold it.
  EXPECT_EQ(AcquireInChild(RepoLock::Mode::kExclusive, 50), 7);
}

TEST_F(LockTest, UpgradeWaitsForOtherReaders) {
  auto mine = RepoLock::Acquire(path_, RepoLock::Mode::kShared, 0);
  ASSERT_TRUE(mine.ok());
  {
    LockHolder reader(path_, RepoLock::Mode::kShared);
    ASSERT_TRUE(reader.ok());
    Status st = mine->Upgrade(100);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), Code::kBusy);
    EXPECT_NE(st.message().find("locked"), std::string::npos);
    EXPECT_EQ(mine->mode(), RepoLock::Mode::kShared);
  }  // reader released
  Status st = mine->Upgrade(2000);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(mine->mode(), RepoLock::Mode::kExclusive);
  EXPECT_TRUE(mine->Upgrade(0).ok());  // already exclusive: no-op
  // Now exclusive: another process's reader is refused.
  EXPECT_EQ(AcquireInChild(RepoLock::Mode::kShared, 50), 7);
}

TEST_F(LockTest, ReleasedOnDestructionAndMove) {
  {
    auto a = RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 0);
    ASSERT_TRUE(a.ok());
    RepoLock moved = std::move(a.value());
    EXPECT_EQ(InChild([&] { return RepoLock::Acquire(path_, RepoLock::Mode::kShared, 0).ok() ? 0 : 7; }),
              7);
  }
  EXPECT_EQ(InChild([&] { return RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 0).ok() ? 0 : 7; }),
            0);
}

TEST_F(LockTest, ReleasedWhenHolderDies) {
  {
    LockHolder holder(path_, RepoLock::Mode::kExclusive);
    ASSERT_TRUE(holder.ok());
    EXPECT_FALSE(RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 0).ok());
  }  // the child exits without unlocking explicitly
  EXPECT_TRUE(RepoLock::Acquire(path_, RepoLock::Mode::kExclusive, 0).ok());
}

TEST_F(LockTest, UnopenableLockFileIsIoError) {
  auto lock = RepoLock::Acquire(dir_ + "/missing/dir/lock", RepoLock::Mode::kShared, 0);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Code::kIo);
  EXPECT_NE(lock.status().message().find("cannot open lock file"), std::string::npos);
}

}  // namespace
}  // namespace aergo
