// aergo commit [-m <msg>] [--key <name>] [--json]
#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

int CmdCommit(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("message,m", po::value<std::string>()->default_value(""), "block message")(
      "key", po::value<std::string>(), "signing key");
  AddCommon(opts, true);
  po::positional_options_description pos;
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  auto repo = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo.ok()) return Fail(ctx, repo.status());
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();
  if (Status st = (*repo)->CheckCommittable(); !st.ok()) return Fail(ctx, st);
  auto key = ctx.SigningKey(key_flag, repo->get());
  if (!key.ok()) return Fail(ctx, key.status());
  auto block = (*repo)->Commit(key.value(), (*vm)["message"].as<std::string>());
  if (!block.ok()) return Fail(ctx, block.status());
  std::string id = ToHex(block->Id());
  if (vm->count("json")) {
    *ctx.out << "{\"block\": " << JsonString(id) << ", \"height\": " << block->header.height
             << ", \"txs\": " << block->txs.size() << "}\n";
  } else if (!ctx.quiet) {
    *ctx.out << "block " << id << " at height " << block->header.height << " with "
             << block->txs.size() << " tx" << (block->txs.size() == 1 ? "" : "s") << "\n";
  }
  return kExitOk;
}

}  // namespace aergo::cli
