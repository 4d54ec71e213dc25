// aergo branch [--json] | branch <name> [--block=<rev>] [--resolver=<r>] [--private] | branch -d <name>
#include "cmd/commands.h"
#include "cmd/util_refs.h"

namespace aergo::cli {

int CmdBranch(Context& ctx, const std::vector<std::string>& args) {
  return RefCommand(ctx, args, RefKind::kBranch);
}

}  // namespace aergo::cli
