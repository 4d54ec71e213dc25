// aergo status [--json]
#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

int CmdStatus(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  AddCommon(opts, true);
  po::positional_options_description pos;
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  auto repo = ctx.OpenRepo(OpenMode::kRead);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto head = (*repo)->CurrentHead();
  if (!head.ok()) return Fail(ctx, head.status());
  auto pool = (*repo)->PoolCount();
  if (!pool.ok()) return Fail(ctx, pool.status());
  std::string id = ToHex(head->block.id);
  if (vm->count("json")) {
    *ctx.out << "{\"branch\": " << (head->branch ? JsonString(*head->branch) : "null")
             << ", \"head\": " << JsonString(id) << ", \"height\": " << head->block.height
             << ", \"pool\": " << *pool << ", \"detached\": " << (head->branch ? "false" : "true")
             << "}\n";
    return kExitOk;
  }
  if (head->branch) *ctx.out << "On branch " << *head->branch << "\n";
  else *ctx.out << "HEAD detached at " << ShortId(head->block.id) << " (read-only)\n";
  *ctx.out << "head " << id << " (height " << head->block.height << ")\n";
  if (*pool == 0) *ctx.out << "merge pool empty\n";
  else *ctx.out << *pool << " pending tx" << (*pool == 1 ? "" : "s") << " in the merge pool (commit with 'aergo commit')\n";
  return kExitOk;
}

}  // namespace aergo::cli
