// RepoHandles: one served repository, kept open for the daemon's life
// (daemon/server.h). No request opens a repository.
//
// Writes (a push, a submission batch, sealing a block) run one at a time
// on one writer Repository opened with LockPolicy::kHeldByCaller: each
// write takes the repository's lock exclusively for its own duration only,
// so local commands can work on the repository between writes. When one
// has (Repository::ChangedElsewhere: the index or the config changed), the
// writer is reopened first, which also repairs what an interrupted command
// left (Repository::Open reconciles). A write that fails or throws drops
// the writer too: its caches may describe a rolled-back transaction.
//
// Durability: a Write's commits are each synced before the next step
// (a ref moves only after the index rows of its block are on disk). A
// write that touches only the index and the state (a submission batch)
// may run with WriteUnsynced: its commits are atomic and in order but not
// synced (Repository::SetSyncCommits), the next write may start at once,
// and the caller calls Sync before it answers, one fdatasync for every
// write that ran meanwhile (core/log_sync.h). Readers may see such a
// commit before it is synced.
//
// Reads run on snapshot readers (LockPolicy::kSnapshot): open Repositories
// kept in a pool, each lent to one request at a time on a fresh SQLite
// snapshot. A read never waits for the writer or for the lock, and the
// writer never waits for a read. A read that finds a ref newer than its
// snapshot (Corrupt: see LockPolicy::kSnapshot) runs once more on a new
// snapshot.
//
// Ownership: owns its Repositories; borrows the clock. Thread-safety: every
// method may be called from any thread; a lent reader is used by one
// thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log_sync.h"
#include "core/repo.h"
#include "core/status.h"

namespace aergo {

class RepoHandles {
 public:
  // Opens the writer (taking the lock once, so that anything an
  // interrupted command left is repaired before the first request).
  // max_idle_readers: readers kept open between requests (more may be
  // open while lent; those are closed when returned).
  static Result<std::unique_ptr<RepoHandles>> Open(const std::string& aergo_dir, const Clock& clock,
                                                   const OpenOptions& options, size_t max_idle_readers);
  ~RepoHandles();
  RepoHandles(const RepoHandles&) = delete;
  RepoHandles& operator=(const RepoHandles&) = delete;

  // Runs fn on the writer under the exclusive lock, then makes what it
  // committed durable. Busy if another process holds the lock past the
  // lock timeout.
  Status Write(const std::function<Status(Repository&)>& fn);
  // Write without syncing fn's commits: they are durable only once a
  // later Sync returns. Only for fn that writes no objects and moves no
  // refs.
  Status WriteUnsynced(const std::function<Status(Repository&)>& fn);
  // Returns once everything written before the call is durable.
  Status Sync();

  // A reader on a fresh snapshot; back in the pool (snapshot ended) when
  // the last copy is destroyed. fn may keep a copy past its return (a
  // streamed answer) and end the snapshot early (EndSnapshot) when it
  // needs only the object store from then on.
  using Reader = std::shared_ptr<Repository>;
  // Runs fn on a reader, once more on a new snapshot if it fails Corrupt.
  Status Read(const std::function<Status(const Reader&)>& fn);

 private:
  RepoHandles(std::string aergo_dir, const Clock& clock, OpenOptions options, size_t max_idle_readers);
  Status WriteAs(const std::function<Status(Repository&)>& fn, bool synced);
  Result<Reader> Lend();
  void Return(Repository* repo);

  const std::string aergo_dir_;
  const Clock& clock_;
  const OpenOptions options_;
  const size_t max_idle_readers_;

  std::mutex write_mu_;  // one write at a time; guards writer_
  std::unique_ptr<Repository> writer_;
  bool writer_synced_ = true;  // writer_'s commits are each synced (SetSyncCommits)
  LogSync log_sync_;

  std::mutex readers_mu_;  // guards idle_
  std::vector<std::unique_ptr<Repository>> idle_;
};

}  // namespace aergo
