// Merging ledgers (docs/design.md §7; man/aergo-merge.1).
//
// MergeBase: the best common ancestor of two blocks, found by walking both
// histories down by height and painting what each reaches (git's
// algorithm): cost in proportion to the blocks above the merge base.
//
// MergeInto (automatic merge): the source-only txs — in the blocks of the
// source's first-parent chain that the target does not reach, oldest first,
// in block order (a merge block there carries its second parent's txs with
// that merge's decisions), not excluded where they were sealed,
// deduplicated by tx id, and not already in the target's history — are
// replayed on the target's state at height max(parents) + 1 and time
// max(parent times);
// each that fails is excluded with its error — or, if the branch has a
// resolver (consistent merge), handed to it (core/executor.h ResolveTx):
// when the resolver succeeds its writes are kept and the tx is recorded as
// resolved with the tx's error; when it fails too the tx is excluded with
// "<tx error>; resolver <c.f> failed: <its error>". The merge block records
// the resolver in its header. The result is one merge block
// (parents: target head, source head) whose changes are those of the
// applied txs on the target's state. Everything in it but the producer and
// signature follows from the two heads alone, so VerifyMerge can recompute
// it anywhere.
//
// Ownership: functions over a Repository opened for writing (MergeInto) or
// reading (MergeBase, VerifyMerge). Thread-safety: the repository's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/changes.h"
#include "core/repo.h"

namespace aergo {

// The best common ancestor of a and b (highest; ties: smallest id), or
// Failed "unrelated histories" if they share none.
Result<Hash32> MergeBase(Repository& repo, const Hash32& a, const Hash32& b);

struct MergedTx {
  Hash32 txid{};
  std::string error;     // why it was excluded (or resolved); empty if applied
  std::string resolver;  // resolved: the resolver that took it
};

struct MergeReport {
  bool up_to_date = false;    // the source is already in the target's history
  bool fast_forward = false;  // the target head was an ancestor of the source
  std::optional<Hash32> block;  // the new head (unset: up to date, or a preview)
  Hash32 base{};
  std::string resolver;  // the branch's resolver (consistent merge), or ""
  std::vector<Hash32> applied;
  std::vector<MergedTx> excluded;
  std::vector<MergedTx> resolved;
  ChangeSet changes;  // what the merge does to the target's state
};

struct MergeOptions {
  std::string message;   // empty: "merge <source> into <branch>"
  std::string source_name;  // for the default message
  bool preview = false;  // compute everything, write nothing
  // Merge even though the branch's merge pool holds pending txs (a push
  // into a branch that takes submissions): the merge runs on the head's
  // state without them, and in the same SQLite transaction that writes the
  // merge block they are re-executed on it (Repository::Repool); those
  // that fail there, or that the merge block's history already holds, are
  // dropped (Repository::dropped_txs()). A fast-forward re-applies them
  // the same way. False: such a merge is refused.
  bool keep_pool = false;
};

// Merges block `source` into the checked-out branch, signed by key (may be
// null for a preview or a fast-forward). Refuses a detached HEAD and,
// unless options.keep_pool, a branch whose merge pool holds pending txs.
Result<MergeReport> MergeInto(Repository& repo, const Hash32& source, const SecretKey* key,
                              const MergeOptions& options);

struct MergeVerification {
  std::vector<std::string> differences;  // empty: identical
};

// Recomputes merge block `block` from its two parents in a scratch state and
// compares tx list, receipts, changes, state root, height and time.
Result<MergeVerification> VerifyMerge(Repository& repo, const Hash32& block);

}  // namespace aergo
