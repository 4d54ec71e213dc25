// fsck: verifies a whole repository. Re-derives every block id, checks every
// signature (in parallel), parent link, height, chain id, ref and index row,
// replays every branch of the history in a scratch database comparing state
// roots block by block, and checks that no tx appears twice on a
// first-parent chain. Never changes the repository.
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

// threads: signature-verification workers (0 = one per core).
Result<FsckReport> RunFsck(Repository* repo, unsigned threads);

}  // namespace aergo
