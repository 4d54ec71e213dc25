// aergo key new <name> | key list | key show <name> [--json]
#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

static std::string KeyJson(const KeyInfo& k) {
  return "{\"name\": " + JsonString(k.name) + ", \"address\": " + JsonString(k.address) +
         ", \"public_key\": " + JsonString(ToHex(k.public_key)) + ", \"encrypted\": " +
         (k.encrypted ? "true" : "false") + "}";
}

int CmdKey(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("verb", po::value<std::string>(), "new, list or show")(
      "name", po::value<std::string>(), "key name");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("verb", 1).add("name", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("verb")) return UsageError(ctx, "missing subcommand (new, list or show)");
  std::string verb = (*vm)["verb"].as<std::string>();
  bool json = vm->count("json");
  KeyStore keys = ctx.keys();
  if (verb == "list") {
    if (vm->count("name")) return UsageError(ctx, "key list takes no name");
    auto list = keys.List();
    if (!list.ok()) return Fail(ctx, list.status());
    if (json) {
      std::vector<std::string> items;
      for (const auto& k : *list) items.push_back(KeyJson(k));
      *ctx.out << "[" << Join(items, ", ") << "]\n";
    } else {
      for (const auto& k : *list)
        *ctx.out << k.name << "  " << k.address << (k.encrypted ? "" : "  (unencrypted)") << "\n";
    }
    return kExitOk;
  }
  if (verb != "new" && verb != "show") return UsageError(ctx, "unknown subcommand '" + verb + "'");
  if (!vm->count("name")) return UsageError(ctx, "missing key name");
  std::string name = (*vm)["name"].as<std::string>();
  Result<KeyInfo> info = NotFound("");
  if (verb == "new") {
    if (!KeyStore::IsValidName(name))
      return Fail(ctx, Invalid("invalid key name '" + name + "': use letters, digits, '.', '_' or '-'"));
    if (keys.Info(name).ok()) return Fail(ctx, Exists("key '" + name + "' already exists"));
    auto pass = ctx.Passphrases()("Passphrase for new key '" + name + "' (empty: unencrypted): ", true);
    if (!pass)
      return Fail(ctx, Denied("no passphrase for the new key: set AERGO_PASSPHRASE (empty for an "
                              "unencrypted key) or run on a terminal"));
    info = keys.Create(name, *pass);
  } else {
    info = keys.Info(name);
  }
  if (!info.ok()) return Fail(ctx, info.status());
  if (json) *ctx.out << KeyJson(*info) << "\n";
  else if (verb == "show" || !ctx.quiet)
    *ctx.out << (verb == "new" ? "Created key " : "key ") << info->name << "\naddress    " << info->address
             << "\npublic key " << ToHex(info->public_key) << "\n";
  return kExitOk;
}

}  // namespace aergo::cli
