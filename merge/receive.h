// The receiving end of a push (docs/design.md §8; man/aergo-push.1): used by the
// daemon and by pushes to a repository on a local path.
//
// A push applies the pusher's transactions to a branch of this repository.
// ReceivePush verifies every block that arrived (core/import.h), then:
//   - the branch does not exist: it is created at the pushed block
//     (private if the request says so);
//   - the pushed block is already in the branch's history: up to date;
//   - the branch head is an ancestor of the pushed block: fast-forward;
//   - otherwise the branch's merge policy runs here (merge/merge.h), signed
//     by `key`, as if the branch's owner had typed `aergo merge`.
// Tags in the request are created where missing. Everything that can refuse
// the push is checked before anything is written — bad blocks, a tag that
// exists at another block, a merge with no key — so a refused push changes
// nothing here.
//
// Pending txs in the branch's merge pool (submissions to a served branch)
// do not stop a push: on a fast-forward or a merge they are re-executed on
// the new head in the SQLite transaction that moves the branch's state
// there (Repository::Repool; a branch not checked out is checked out for
// it, WithBranchCheckedOut). Those that fail there, or that the new head's
// history already holds (same tx id: never applied twice), are dropped and
// listed in PushOutcome::dropped. The merge itself is computed on the
// head's state without them, so a pushed merge block is the same whatever
// was pending here.
//
// Ownership: borrows the repository (opened for writing) and the pack.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/import.h"
#include "core/repo.h"
#include "core/transfer.h"
#include "merge/merge.h"

namespace aergo {

struct PushRequest {
  std::string branch;
  Hash32 block{};
  std::vector<std::pair<std::string, Hash32>> tags;
  // The pushed branch is private on the pusher's side: a branch this push
  // creates is created private. Ignored when the branch exists (a push
  // never changes an existing branch's flag).
  bool is_private = false;
};

struct PushOutcome {
  std::string branch;
  std::optional<Hash32> old_head;  // unset: the branch was created
  Hash32 head{};                   // the branch head afterwards
  bool up_to_date = false;
  bool fast_forward = false;
  std::optional<MergeReport> merge;  // set when the branch merged
  std::vector<std::string> tags_created;
  uint64_t blocks = 0, txs = 0;  // verified and indexed
  // Pending txs of this repository's merge pools that the push dropped
  // (they fail on the new head, or it already holds them), with why.
  std::vector<DroppedTx> dropped;
};

// pack: the received pack (PackReceiver::Append done), or null if the
// pusher sent none because the repository already has every block.
//
// may_name: which blocks this repository already has the push may name
// (the daemon: those its caller may read, daemon/access.h NameableBlocks);
// empty for a push with no caller (a local path), which may name any. It
// is asked, before anything is replayed or written, about every block
// that was here before the push and that the push would make reachable
// from a ref: the pushed block and each tag's block if they are here
// already, and the blocks here that arriving blocks link to as parents
// (or that the pack repeats). Those below a nameable block are nameable
// with it. A block it refuses is answered exactly as a block this
// repository lacks: NotFound "pushed block <id> did not arrive", "tag
// '<name>': block <id> did not arrive", or "block commit <oid> is unknown
// here and did not arrive" (core/import.h).
Result<PushOutcome> ReceivePush(Repository& repo, PackReceiver* pack, const PushRequest& request,
                                const SecretKey* key, const BlockFilter& may_name = {});

}  // namespace aergo
