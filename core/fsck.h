// fsck: verifies a whole repository. Re-derives every block id, checks every
// signature (in parallel), parent link, height, chain id, ref and index row,
// replays every branch of the history in a scratch database comparing the
// changes each block makes with its stored changes and state root, checks
// the checked-out state against its block and merge pool, and checks that
// no tx appears twice on a first-parent chain. Never changes the repository.
#pragma once

#include <string>
#include <vector>

#include "core/repo.h"

namespace aergo {

struct FsckReport {
  uint64_t blocks = 0;
  uint64_t txs = 0;
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

struct FsckOptions {
  unsigned threads = 0;  // signature-verification workers (0 = one per core)
  // Apply each block's stored changes instead of re-executing its txs:
  // checks that they decode, chain to the header's state root and apply to
  // the state they start from; everything else is checked as usual.
  bool fast = false;
};

Result<FsckReport> RunFsck(Repository* repo, const FsckOptions& options);

}  // namespace aergo
