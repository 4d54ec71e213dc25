// SubmitQueue: group commit for tx submissions to one served repository.
//
// Submitting a tx means taking the repository's exclusive lock, opening it,
// pre-executing on the branch's pool state and committing one SQLite
// transaction. Done per request, concurrent clients would queue on the lock
// and each pay the whole cost. Instead, the first request to arrive while
// none is running becomes the leader: it takes every request queued so far
// (its own included) and runs them as one batch through `run`; requests
// arriving meanwhile wait and form the next batch, whose first request the
// leader wakes to lead it once its own batch has executed. Each request gets back the results of its own
// txs, in its order; a batch that fails as a whole (Busy, I/O) fails every
// request in it with the same Status. Order within a batch follows
// arrival, so a client's sequential submissions keep their order.
//
// Durability: `run` commits without syncing; once it returns, the next
// batch may start, and the leader calls `sync` (which makes every commit
// so far durable, RepoHandles::Sync) before any request of its batch is
// answered. A sync that fails fails every request of the batch.
//
// Ownership: owns the queued requests; borrows nothing. Thread-safety:
// Submit may be called from any number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/objects.h"
#include "core/repo.h"
#include "core/status.h"

namespace aergo {

// One request's txs, checked already (signatures: Repository::Precheck, on
// the request's thread), with who sent them (a verified request signer, or
// none), so the batch can check each caller's role.
struct SubmitEntry {
  std::optional<std::string> caller;
  std::vector<CheckedTx> txs;
};

// The result of one entry: its txs' outcomes, or why the entry was refused
// (a role missing: Denied) or the batch failed.
struct SubmitResult {
  Status status;
  bool lacks_role = false;  // status is Denied because the caller may not write
  std::string branch;       // the branch whose merge pool was used
  std::vector<Submitted> submitted;
};

class SubmitQueue {
 public:
  // Runs one batch: one result per entry, in order.
  using BatchRunner = std::function<std::vector<SubmitResult>(const std::vector<const SubmitEntry*>&)>;
  using Syncer = std::function<Status()>;
  SubmitQueue(BatchRunner run, Syncer sync) : run_(std::move(run)), sync_(std::move(sync)) {}

  // Blocks until the entry's batch has run.
  SubmitResult Submit(SubmitEntry entry);

 private:
  struct Pending {
    enum : uint32_t { kWaiting, kLead, kAnswered };
    SubmitEntry entry;
    std::optional<SubmitResult> result;  // written before state becomes kAnswered
    std::atomic<uint32_t> state{kWaiting};  // its caller sleeps on it
  };
  BatchRunner run_;
  Syncer sync_;
  std::mutex mu_;
  // Both under mu_. running_: a batch is executing, or the lead was handed
  // to a queued caller not yet awake (a sync may still be under way after).
  std::deque<std::shared_ptr<Pending>> queue_;
  bool running_ = false;
};

}  // namespace aergo
