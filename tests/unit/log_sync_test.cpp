// Unit tests for core/log_sync.h: Sync returns at once with nothing to
// sync, syncs a repository's write-ahead log for many threads at once, and
// reports a log it cannot open as the I/O error it is, for good.
#include "core/log_sync.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "tests/unit/test_util.h"

namespace aergo {
namespace {

TEST(LogSync, NothingCommittedNeedsNoLog) {
  testutil::TempDir dir("aergo-log-sync");
  LogSync sync(dir.path() + "/absent");
  EXPECT_TRUE(sync.Sync().ok());
}

TEST(LogSync, ALogFoldedIntoTheDatabaseIsNothingToSync) {
  testutil::TempDir dir("aergo-log-sync");
  LogSync sync(dir.path());
  sync.Committed();
  Status st = sync.Sync();
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(LogSync, ManyThreadsCommitAndSync) {
  testutil::TempDir dir("aergo-log-sync");
  std::ofstream(dir.path() + "/ledger.db-wal") << "frames";
  LogSync sync(dir.path());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        sync.Committed();
        if (!sync.Sync().ok()) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(LogSync, ALogThatCannotBeOpenedIsAnIoError) {
  testutil::TempDir dir("aergo-log-sync");
  std::string wal = dir.path() + "/ledger.db-wal";
  ASSERT_EQ(::symlink(wal.c_str(), wal.c_str()), 0);  // a loop: ELOOP
  LogSync sync(dir.path());
  sync.Committed();
  Status st = sync.Sync();
  EXPECT_EQ(st.code(), Code::kIo);
  EXPECT_NE(st.message().find("sync '" + wal + "'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("nothing is acknowledged from then on"), std::string::npos) << st.message();
  // Final, even once the log can be synced again: the kernel may have
  // dropped the pages that failed.
  ASSERT_EQ(::unlink(wal.c_str()), 0);
  std::ofstream(wal) << "frames";
  sync.Committed();
  EXPECT_EQ(sync.Sync().code(), Code::kIo);
}

}  // namespace
}  // namespace aergo
