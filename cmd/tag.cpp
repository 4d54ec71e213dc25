// aergo tag [--json] | tag <name> [--block=<rev>] | tag -d <name>
// Tags are immutable: creating an existing name is an error.
#include "cmd/commands.h"
#include "cmd/util_refs.h"

namespace aergo::cli {

int CmdTag(Context& ctx, const std::vector<std::string>& args) {
  return RefCommand(ctx, args, RefKind::kTag);
}

}  // namespace aergo::cli
