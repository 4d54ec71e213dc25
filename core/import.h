// Importing blocks that arrived by fetch, clone or push (docs/design.md §8).
//
// Nothing that arrives is trusted. VerifyIncoming finds the commits
// reachable from the given tips that the index does not know, and checks
// each as fsck would before anything is indexed:
//   - it decodes, its roots and counts hold, its commit parents are the
//     commits of its header's parents, which are known or arriving;
//   - it belongs to this chain (genesis: only the repository's own);
//   - heights and times follow their parents';
//   - the producer's and every tx's signature verify (on every core);
//   - no tx appears twice in one branch's first-parent history;
//   - replayed on its first parent's state it makes exactly its stored
//     receipts, changes and state root.
// IndexIncoming then indexes the verified blocks in one SQLite transaction.
// Callers move the objects into the store between the two (PackReceiver::
// Accept), so an index row never names an object that is not there.
//
// Ownership: functions over a Repository (opened for writing to index).
#pragma once

#include <functional>
#include <vector>

#include "core/repo.h"
#include "core/transfer.h"

namespace aergo {

struct IncomingBlocks {
  // New blocks, parents before children, with their commits and tx ids.
  struct Entry {
    Block block;
    Oid oid;
    std::vector<Hash32> tx_ids;
  };
  std::vector<Entry> blocks;
  uint64_t txs = 0;
};

// Whether a block this repository already has may be named by what
// arrives (a push names only blocks its caller may read, daemon/access.h).
// arrived: the pack itself carries the block's commit (a block indexed
// here by a push that died before its ref moved, sent again). Empty:
// every block may be.
using BlockFilter = std::function<Result<bool>(const Hash32& block, bool arrived)>;

struct ImportOptions {
  unsigned threads = 0;  // signature-verification workers (0: one per core)
  // Checked for every indexed block the incoming commits reach (as a parent,
  // or as a commit of the pack that is already here), before any replay. A
  // block it refuses is answered exactly as a commit this repository lacks:
  // NotFound "block commit <oid> is unknown here and did not arrive".
  BlockFilter may_link;
};

// Corrupt naming the first block that fails and why; NotFound if a commit
// or object the tips need is missing ("block commit <oid> is unknown here
// and did not arrive", "parent ... unknown").
Result<IncomingBlocks> VerifyIncoming(Repository& repo, const std::vector<Oid>& tips,
                                      const ImportOptions& options = {});
Status IndexIncoming(Repository& repo, const IncomingBlocks& incoming);

// A receiver (PackReceiver::Create) bounded by this repository's chain:
// PackLimits::ForChain of its genesis parameters, checked as bytes arrive.
Result<std::unique_ptr<PackReceiver>> ReceiverFor(Repository& repo, uint64_t max_bytes);

// A received pack: bounded by the chain (the bytes that arrived are
// checked again against PackLimits::ForChain), Finish()ed, refused if it
// holds an object no block in it uses (PackReceiver::CheckReferenced), then
// VerifyIncoming over every commit in it (so nothing that arrived escapes
// verification).
Result<IncomingBlocks> VerifyPack(Repository& repo, PackReceiver* pack,
                                  const ImportOptions& options = {});
// Moves a verified pack into the object store, then IndexIncoming.
Status StorePack(Repository& repo, PackReceiver* pack, const IncomingBlocks& incoming);

}  // namespace aergo
