// aergo init [<dir>] [--consensus=solo] [--public] [--limit <name>=<n>]... [--key <name>] [--json]
#include <filesystem>

#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

int CmdInit(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("dir", po::value<std::string>(), "directory (default: current)")(
      "consensus", po::value<std::string>()->default_value("solo"), "consensus engine (solo)")(
      "public", "allow anonymous read")(
      "limit", po::value<std::vector<std::string>>()->composing(),
      "a chain bound other than its default, <name>=<n> (repeatable; see aergo-init(1))")(
      "key", po::value<std::string>(), "signing key");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("dir", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  std::string consensus = (*vm)["consensus"].as<std::string>();
  if (consensus != "solo")
    return UsageError(ctx, "unsupported consensus '" + consensus + "' (this build offers: solo)");
  std::string dir = vm->count("dir") ? (*vm)["dir"].as<std::string>() : ctx.cwd;
  if (!dir.empty() && dir[0] != '/') dir = ctx.cwd + "/" + dir;
  std::filesystem::path target = std::filesystem::path(dir).lexically_normal();
  if (std::filesystem::exists(target / ".aergo"))
    return Fail(ctx, Exists("repository already exists at '" + (target / ".aergo").string() + "'"));
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();
  auto key = ctx.SigningKey(key_flag, nullptr);
  if (!key.ok()) return Fail(ctx, key.status());
  InitParams params;
  params.consensus = consensus;
  params.is_public = vm->count("public") > 0;
  if (vm->count("limit")) {
    for (const std::string& item : (*vm)["limit"].as<std::vector<std::string>>()) {
      size_t eq = item.find('=');
      std::string name = item.substr(0, eq);
      int64_t value = 0;
      if (eq == std::string::npos || name == "rules" || !ParseInt64(item.substr(eq + 1), &value) ||
          !params.Set(name, value)) {
        std::string names;
        for (const auto& [n, v] : InitParams().Named())
          if (n != "rules") names += (names.empty() ? "" : ", ") + n;
        return UsageError(ctx, "invalid --limit '" + item + "': expected <name>=<integer>, name one of " + names);
      }
    }
    // The same range checks a genesis arriving by clone gets.
    auto checked = ChainParams::FromGenesisArgs(params.ToGenesisArgs());
    if (!checked.ok()) return UsageError(ctx, checked.status().message());
  }
  auto repo = Repository::Init(target.string(), key.value(), params, ctx.clock, ctx.open_options);
  if (!repo.ok()) return Fail(ctx, repo.status());
  std::string chain = ToHex((*repo)->chain_id());
  if (vm->count("json")) {
    *ctx.out << "{\"chain_id\": " << JsonString(chain) << ", \"path\": " << JsonString((*repo)->path())
             << "}\n";
  } else if (!ctx.quiet) {
    *ctx.out << "Initialized ledger repository in " << (*repo)->path() << "\nchain id " << chain << "\n";
  }
  return kExitOk;
}

}  // namespace aergo::cli
