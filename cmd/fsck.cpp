// aergo fsck [--fast] [--json]: exit 1 with a precise list on any corruption.
#include "cmd/commands.h"
#include "core/fsck.h"
#include "core/json.h"

namespace aergo::cli {

int CmdFsck(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("threads", po::value<unsigned>()->default_value(0),
                     "signature-verification threads (0: one per core)")(
      "fast", "apply each block's stored changes instead of re-executing its txs");
  AddCommon(opts, true);
  po::positional_options_description pos;
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  auto repo = ctx.OpenRepo(OpenMode::kInspect);
  if (!repo.ok()) return Fail(ctx, repo.status());
  FsckOptions options;
  options.threads = (*vm)["threads"].as<unsigned>();
  options.fast = vm->count("fast") > 0;
  auto rep = RunFsck(repo->get(), options);
  if (!rep.ok()) return Fail(ctx, rep.status());
  if (vm->count("json")) {
    std::vector<std::string> ps;
    for (const auto& p : rep->problems) ps.push_back(JsonString(p));
    *ctx.out << "{\"ok\": " << (rep->ok() ? "true" : "false") << ", \"blocks\": " << rep->blocks
             << ", \"txs\": " << rep->txs << ", \"problems\": [" << Join(ps, ", ") << "]}\n";
  } else {
    for (const auto& p : rep->problems) *ctx.err << "problem: " << p << "\n";
    if (!ctx.quiet)
      *ctx.out << "checked " << rep->blocks << " blocks, " << rep->txs << " txs: "
               << (rep->ok() ? "ok" : std::to_string(rep->problems.size()) + " problem(s)") << "\n";
  }
  if (!rep->ok()) {
    if (!vm->count("json")) *ctx.err << "aergo: error: repository is corrupt\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace aergo::cli
