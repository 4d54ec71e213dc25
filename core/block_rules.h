// Block validity: the one place that says whether a block may be part of a
// ledger. fsck (core/fsck.cpp), the verification of arriving blocks by
// fetch, clone and push (core/import.cpp), and the consensus engines call
// these; no other code decides it. Each rule is a verdict returned as a
// value: Ok, or Corrupt naming the block and the rule it breaks.
//
//   CheckBlockAlone       what the block and the chain decide: decoding,
//                         roots, counts, receipts (Block::CheckStructure),
//                         the chain id, the genesis shape, and the chain's
//                         bounds (max_tx_bytes per tx, max_block_txs,
//                         max_block_bytes)
//   CheckBlockLinks       what its parents decide: height = max(parent
//                         heights) + 1, time not before any parent's
//   CheckReplayedChanges  what replay decides: replaying its txs on its first
//                         parent's state (core/executor.h ReplayBlock) made
//                         exactly its stored changes, which chain from the
//                         parent's state root to its own
// Two rules need more than one block and are checked by the callers that
// walk history: every signature (in bulk, core/sigverify.h) and a tx at most
// once in a branch's first-parent history.
//
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "core/chain_params.h"
#include "core/changes.h"
#include "core/objects.h"

namespace aergo {

// The size of tx.Encode(), computed without encoding.
size_t TxEncodedSize(const Tx& tx);

// chain_id: the repository's (genesis: its own id). ids, when given,
// receives the tx ids computed on the way.
[[nodiscard]] Status CheckBlockAlone(const Block& b, const Hash32& chain_id, const ChainParams& params,
                                     std::vector<Hash32>* ids = nullptr);

// The chain's bounds alone (part of CheckBlockAlone): for producers, before
// they sign a block. Failed naming the bound.
[[nodiscard]] Status CheckBlockBounds(const Block& b, const ChainParams& params);

// What a block needs of each parent.
struct ParentFacts {
  Hash32 id{};
  uint64_t height = 0;
  uint64_t time_ms = 0;
};
// parents: the header's parents, in its order.
[[nodiscard]] Status CheckBlockLinks(const Block& b, const std::vector<ParentFacts>& parents);

// Ok if `made` (changes recorded replaying b) equals b's stored changes and
// those chain from parent_root to b's state root; else Corrupt naming the
// block and the first table that differs.
[[nodiscard]] Status CheckReplayedChanges(const Block& b, const ChangeSet& made, const Hash32& parent_root);

}  // namespace aergo
