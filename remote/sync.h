// Fetch, clone and push over a Transport (docs/design.md §8; man/aergo-fetch.1,
// aergo-clone.1, aergo-push.1).
//
// Fetch: the remote's refs; the blocks of its branch heads and tags that
// are not here, as one pack (haves: core/transfer.h HavesFor); every
// arriving block verified before it is stored (core/import.h); then the
// remote-tracking refs refs/remotes/<remote>/<branch> move (forced, with a
// reflog entry) and missing tags are created. A tag that exists here at
// another block is left as it is and reported. An interrupted fetch leaves
// only a quarantine directory; the next fetch starts over, sending what
// was already stored as haves.
//
// Clone: the remote's genesis block first (so the new repository is
// created with the right chain id), then a fetch of everything, a local
// branch for the remote's head branch (or the one asked for) with its
// upstream configured (private if the remote advertised it private), and
// its state checked out. The repository is built
// in <dir>/.aergo with config clone.incomplete set until the end; running
// clone again on such a directory resumes.
//
// Push: the blocks of the local branch (and of every local tag) the remote
// does not have, as one pack, and a request to apply the branch head to
// the remote's branch (merge/receive.h), which a push that creates it
// creates private if the local branch is. The remote-tracking ref follows
// the result; a merge made by the remote is fetched back.
//
// Ownership: functions over an open Repository (for writing) and a
// Transport. Thread-safety: the repository's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/repo.h"
#include "remote/transport.h"

namespace aergo {

struct SyncOptions {
  std::function<void(const PackProgress&)> progress;  // pack arriving
  OpenOptions open;  // Clone: how the new repository is opened (the lock timeout)
};

struct RefUpdate {
  std::string name;  // "origin/master", or a tag name
  std::optional<Hash32> old;
  Hash32 now{};
};

struct FetchReport {
  RemoteRefs refs;
  std::vector<RefUpdate> branches;  // remote-tracking refs that moved or appeared
  std::vector<RefUpdate> tags;      // tags created here
  std::vector<std::string> tag_conflicts;
  uint64_t blocks = 0, txs = 0;
  PackProgress pack;
};

// The remote-tracking ref of a remote's branch: "refs/remotes/<remote>/<branch>".
std::string RemoteTrackingRef(const std::string& remote, const std::string& branch);

Result<FetchReport> FetchFrom(Repository& repo, Transport& remote, const std::string& remote_name,
                              const SyncOptions& options);

struct CloneReport {
  std::string dir;     // the worktree
  std::string branch;  // checked out
  Hash32 head{};
  FetchReport fetch;
};

// dir: the worktree to create (must not exist, or be empty, or hold an
// incomplete clone of the same URL). branch: empty for the remote's head.
Result<CloneReport> Clone(const std::string& url, const std::string& dir, const std::string& branch,
                          const TransportOptions& transport, const Clock& clock, const SyncOptions& options);

struct PushReport {
  PushOutcome outcome;
  uint64_t pack_bytes = 0, pack_objects = 0;
  bool fetched_merge = false;  // the remote's merge block was fetched back
};

// Pushes local branch `branch` to the remote's branch of the same name.
Result<PushReport> PushTo(Repository& repo, Transport& remote, const std::string& remote_name,
                          const std::string& branch, const SyncOptions& options);

}  // namespace aergo
