// The event stream of a served repository (GET /<name>/events, docs/api.md
// "Events"): server-sent events for new blocks, their sealed receipts and
// branch moves, pushed to subscribers that cost no thread
// (daemon/http_server.h HttpPushStream).
//
// Changes are found by comparing branch heads with the last ones seen:
// right after the daemon's own writes (a push, a block the producer seals)
// and by the daemon's poll (every 500 ms, only while someone subscribes)
// for what local commands write. For each branch that moved, in branch
// name order: one `block` event per new block on its first-parent path,
// oldest first; after each block, one `receipt` event per tx; then one
// `branch` event. A move of more than kMaxBlocksPerMove blocks, or whose
// events pass kMaxMoveBytes, is only its `branch` event, with
// "truncated": true. A branch seen for the first time is only its
// `branch` event (old null); a deleted one is a `branch` event with new
// null.
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
  // the events of what changed. Call with the repository open (any mode),
  // so the heads cannot move meanwhile. Does nothing without subscribers.
  Status Check(Repository& repo);

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
    std::string text;  // its events
  };
  void PruneLocked();
  Result<Move> BuildMove(Repository& repo, const std::string& branch, const std::optional<BranchState>& old_state,
                         const std::optional<BranchState>& new_state);

  const std::string name_;
  const std::string branch_;
  RoleCache* const roles_;
  std::mutex mu_;
  std::vector<Subscriber> subs_;
  BranchHeads heads_;
  bool primed_ = false;
};

}  // namespace aergo
