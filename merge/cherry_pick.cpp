#include "merge/cherry_pick.h"

namespace aergo {

Result<std::vector<Tx>> TxsToPick(Repository& repo, const std::vector<std::string>& picks) {
  std::vector<Tx> txs;
  for (const std::string& pick : picks) {
    auto rev = repo.Resolve(pick);
    if (rev.ok()) {
      AERGO_ASSIGN_OR_RETURN(Block block, repo.ReadBlock(*rev));
      for (Tx& tx : block.txs) txs.push_back(std::move(tx));
      continue;
    }
    if (rev.status().code() != Code::kNotFound || !Repository::IsTxIdPrefix(pick)) return rev.status();
    auto found = repo.FindTx(pick);
    if (!found.ok()) {
      if (found.status().code() == Code::kNotFound) return NotFound("unknown revision or tx '" + pick + "'");
      return found.status();
    }
    txs.push_back(std::move(found->tx));
  }
  return txs;
}

}  // namespace aergo
