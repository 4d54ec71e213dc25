// The event stream of a served repository (GET /<name>/events, docs/api.md
// "Events"): server-sent events for new blocks, their sealed receipts and
// branch moves, pushed to subscribers that cost no thread
// (daemon/http_server.h HttpPushStream).
//
// Changes are found by comparing branch heads with the last ones seen:
// right after the daemon's own writes (a push, a block the producer seals)
// and by the daemon's poll (every 500 ms, only while someone subscribes)
// for what local commands write. For each branch that moved, in branch
// name order: one `block` event per block new to the subscriber — every
// block reachable from the new head (through all parents: merged-in
// blocks too) that is not reachable from a head the subscriber could see
// before the batch, nor from a head announced to it earlier in the batch —
// oldest first (by height, then id); after each block, one `receipt` event
// per tx; then one `branch` event. A branch seen for the first time
// announces its new blocks the same way (old null); a deleted one is a
// `branch` event with new null. A move of more than kMaxBlocksPerMove new
// blocks, whose events pass kMaxMoveBytes, or whose search passes
// kMaxMoveWalk blocks, sends no block events: a `gap` event (branch,
// from: the old head, to: the new head) tells the subscriber what to
// re-fetch, then the `branch` event with "truncated": true.
//
// After a push, `dropped` events name the pending txs the push dropped
// from a merge pool (merge/receive.h): {"branch","error","txid"}, after
// the branch events, to the subscribers that may read that branch.
//
// Access (daemon/access.h): the repository role is checked at subscription
// (refused like refs) and again for each batch of events (a revoked
// subscriber's stream is ended). An event about a private branch goes only
// to signed subscribers with at least read in that branch's directory at
// its new head (at its old head for a deletion); this is computed once per
// distinct caller per batch. Anonymous subscribers see public branches
// only.
//
// Thread-safety: every member may be called from any thread; Check calls
// are serialized with each other and with Subscribe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/repo.h"
#include "core/status.h"
#include "daemon/access.h"
#include "daemon/http_server.h"

namespace aergo {

inline constexpr size_t kMaxBlocksPerMove = 1000;
inline constexpr size_t kMaxMoveBytes = 512 * 1024;
// Blocks a move's search for new blocks may visit (the known heads are
// walked down to the new blocks' heights).
inline constexpr size_t kMaxMoveWalk = 50000;

struct BranchState {
  Hash32 head{};
  bool is_private = false;
};
using BranchHeads = std::map<std::string, BranchState>;

// Every branch's head and private flag.
Result<BranchHeads> ReadBranchHeads(Repository& repo);

// One SSE event: "event: <name>\ndata: <data>\n\n" (data is one line).
std::string SseEvent(const std::string& name, const std::string& data);

class EventHub {
 public:
  // `name`: the served name, for access messages and the log; `branch`:
  // the served branch, whose sealed head decides roles (daemon/access.h);
  // `roles`: the daemon's role cache (borrowed, may be null).
  EventHub(std::string name, std::string branch, RoleCache* roles)
      : name_(std::move(name)), branch_(std::move(branch)), roles_(roles) {}

  // Adds a subscriber. `heads`: the branch heads as the subscriber's
  // request saw them, which become the hub's reference if no one else
  // subscribes (so a subscriber sees the changes after its request).
  // Queues ": subscribed\n\n" once registered.
  void Subscribe(std::optional<std::string> caller, std::shared_ptr<HttpPushStream> stream, BranchHeads heads);

  // True if a subscriber is still open (drops the closed ones).
  bool HasSubscribers();
  size_t subscribers();

  // Compares the repository's branch heads with the last seen and pushes
  // the events of what changed, then one `dropped` event per entry of
  // `dropped` (pending txs a push dropped). Call with the repository open
  // (any mode), so the heads cannot move meanwhile. Does nothing without
  // subscribers.
  Status Check(Repository& repo, const std::vector<DroppedTx>& dropped = {});

  // Ends every subscription (End()).
  void EndAll();

 private:
  struct Subscriber {
    std::optional<std::string> caller;
    std::shared_ptr<HttpPushStream> stream;
  };
  struct Move {
    std::string branch;
    bool is_private = false;
    std::optional<Hash32> old_head, new_head;
  };
  void PruneLocked();
  // The events of move `m` for a subscriber that knows the blocks
  // reachable from `known` (and, after the call, from m's new head).
  Result<std::string> MoveText(Repository& repo, const Move& m, std::vector<Hash32>* known);

  const std::string name_;
  const std::string branch_;
  RoleCache* const roles_;
  std::mutex mu_;
  std::vector<Subscriber> subs_;
  BranchHeads heads_;
  bool primed_ = false;
};

}  // namespace aergo
