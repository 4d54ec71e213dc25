// LogSync: makes a repository's commits durable in groups. For a writer
// whose commits are atomic and ordered but stay in the operating system's
// cache (Repository::SetSyncCommits(false): SQLite WAL mode,
// synchronous=NORMAL): a caller counts each commit (Committed) and, before
// acknowledging it, calls Sync, which returns once every commit counted
// before the call is on disk. One fdatasync(2) of the write-ahead log
// serves every caller waiting meanwhile, so a writer that commits again
// while the last commit is being synced loses no time to the disk (group
// commit, as databases do with their logs).
//
// What a sync covers: the write-ahead log file's data (fdatasync), and the
// repository directory the first time a log file is seen (a new log's
// name must survive too). The log never holds a commit out of order: on a
// power failure SQLite keeps a prefix of the commits, so a commit synced
// is never lost and none after it is kept without it.
//
// Ownership: borrows nothing; opens the log by path at each sync (SQLite
// may replace it). Thread-safety: every method may be called from any
// thread.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/status.h"

namespace aergo {

class LogSync {
 public:
  // aergo_dir: the repository's .aergo directory (ledger.db lives there).
  explicit LogSync(std::string aergo_dir);

  // Counts a commit (or a write that may have committed), made before the
  // call returns.
  void Committed();
  // Returns once every commit counted before this call is durable; the
  // first caller with nothing synced for it syncs for all. An error (the
  // disk failed) leaves those commits in an unknown state: they are in
  // the repository, and may be lost in a power failure. It is final:
  // every later Sync with commits to sync fails the same way.
  Status Sync();

 private:
  Status SyncFiles();
  const std::string aergo_dir_;
  std::mutex mu_;
  std::condition_variable synced_cv_;
  uint64_t committed_ = 0;
  uint64_t synced_ = 0;
  bool syncing_ = false;
  Status failed_;  // the first failure, returned from then on
  ino_t log_inode_ = 0;  // the log file whose directory entry was synced; SyncFiles only
};

}  // namespace aergo
