// aergo checkout <branch|tag|block>
#include "cmd/commands.h"

namespace aergo::cli {

int CmdCheckout(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("rev", po::value<std::string>(), "branch, tag or block");
  AddCommon(opts, false);
  po::positional_options_description pos;
  pos.add("rev", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("rev")) return UsageError(ctx, "missing branch, tag or block");
  std::string rev = (*vm)["rev"].as<std::string>();
  auto repo = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Status st = (*repo)->Checkout(rev);
  if (!st.ok()) return Fail(ctx, st);
  auto head = (*repo)->CurrentHead();
  if (!head.ok()) return Fail(ctx, head.status());
  if (!ctx.quiet) {
    if (head->branch) *ctx.out << "Switched to branch '" << *head->branch << "'\n";
    else
      *ctx.out << "HEAD is now detached at " << ShortId(head->block.id)
               << " (read-only: no call, no commit)\n";
  }
  return kExitOk;
}

}  // namespace aergo::cli
