// Cherry-pick (docs/design.md §7; man/aergo-cherry-pick.1): chosen txs of other
// branches replayed onto the current branch's merge pool, through the same
// path as a submitted tx (Repository::Submit: signature, chain, not already
// in the branch's history or pool, pre-execution; a tx that fails is not
// kept).
// Ownership: functions over a Repository. Thread-safety: the repository's.
#pragma once

#include <string>
#include <vector>

#include "core/repo.h"

namespace aergo {

// The txs to replay for each pick, in order: a revision (branch, tag,
// block id or prefix, rev~N, ...) means all the txs of that block in block
// order, whatever their receipts; otherwise a tx id or unique prefix found
// (in a block, or pending here, which Submit then refuses). The first pick
// that names nothing is the error.
Result<std::vector<Tx>> TxsToPick(Repository& repo, const std::vector<std::string>& picks);

}  // namespace aergo
