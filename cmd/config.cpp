// aergo config <key> [<value>] | config --unset <key> | config --list
#include "cmd/commands.h"

namespace aergo::cli {

int CmdConfig(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("key", po::value<std::string>(), "section.name")(
      "value", po::value<std::string>(), "new value")("unset", po::value<std::string>(), "remove a key")(
      "list,l", "list every key");
  AddCommon(opts, false);
  po::positional_options_description pos;
  pos.add("key", 1).add("value", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  bool list = vm->count("list"), unset = vm->count("unset"), key = vm->count("key");
  if (list + unset + key != 1) return UsageError(ctx, "give a key, --unset <key> or --list");
  bool write = unset || vm->count("value");
  auto repo = ctx.OpenRepo(write ? OpenMode::kWrite : OpenMode::kRead);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Config& cfg = (*repo)->config();
  if (list) {
    for (const auto& [k, v] : cfg.values()) *ctx.out << k << "=" << v << "\n";
    return kExitOk;
  }
  if (unset) {
    Status st = cfg.Unset((*vm)["unset"].as<std::string>());
    if (st.ok()) st = cfg.Save();
    return st.ok() ? kExitOk : Fail(ctx, st);
  }
  std::string k = (*vm)["key"].as<std::string>();
  if (!Config::IsValidKey(k)) return Fail(ctx, Invalid("invalid config key '" + k + "': use section.name"));
  if (vm->count("value")) {
    Status st = cfg.Set(k, (*vm)["value"].as<std::string>());
    if (st.ok()) st = cfg.Save();
    return st.ok() ? kExitOk : Fail(ctx, st);
  }
  auto v = cfg.Get(k);
  if (!v) return Fail(ctx, NotFound("config key '" + k + "' not set"));
  *ctx.out << *v << "\n";
  return kExitOk;
}

}  // namespace aergo::cli
