// aergo reset: discards the current branch's pending txs.
#include "cmd/commands.h"

namespace aergo::cli {

int CmdReset(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  AddCommon(opts, false);
  po::positional_options_description pos;
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  auto repo = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto n = (*repo)->ResetPool();
  if (!n.ok()) return Fail(ctx, n.status());
  if (!ctx.quiet) *ctx.out << "discarded " << *n << " pending tx" << (*n == 1 ? "" : "s") << "\n";
  return kExitOk;
}

}  // namespace aergo::cli
