// aergo remote [-v] [--json] | remote add <name> <url> | remote remove <name>
// The remotes a repository fetches from and pushes to: config
// remote.<name>.url. Removing one drops its remote-tracking refs and the
// upstream settings that name it.
#include <algorithm>
#include <map>

#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

namespace {

bool IsValidRemoteName(const std::string& n) {
  return !n.empty() && n.size() <= 64 && n[0] != '-' &&
         std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

std::map<std::string, std::string> Remotes(const Config& config) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : config.values()) {
    if (key.rfind("remote.", 0) != 0 || key.size() < 12 || key.compare(key.size() - 4, 4, ".url") != 0) continue;
    out[key.substr(7, key.size() - 11)] = value;
  }
  return out;
}

}  // namespace

int CmdRemote(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("words", po::value<std::vector<std::string>>(), "add <name> <url> | remove <name>")(
      "verbose,v", "show URLs");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("words", -1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  std::vector<std::string> words;
  if (vm->count("words")) words = (*vm)["words"].as<std::vector<std::string>>();
  auto repo_r = ctx.OpenRepo(words.empty() ? OpenMode::kRead : OpenMode::kWrite);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;
  auto remotes = Remotes(repo.config());

  if (words.empty()) {
    if (vm->count("json")) {
      std::vector<std::string> items;
      for (const auto& [name, url] : remotes)
        items.push_back("{\"name\": " + JsonString(name) + ", \"url\": " + JsonString(url) + "}");
      *ctx.out << "[" << Join(items, ", ") << "]\n";
    } else {
      for (const auto& [name, url] : remotes)
        *ctx.out << name << (vm->count("verbose") ? "\t" + url : "") << "\n";
    }
    return kExitOk;
  }
  const std::string& verb = words[0];
  if (verb == "add") {
    if (words.size() != 3) return UsageError(ctx, "remote add needs <name> <url>");
    const std::string& name = words[1];
    const std::string& url = words[2];
    if (!IsValidRemoteName(name))
      return Fail(ctx, Invalid("invalid remote name '" + name + "' (use a-z, 0-9, '-' and '_')"));
    if (remotes.count(name)) return Fail(ctx, Exists("remote '" + name + "' already exists (" + remotes[name] + ")"));
    if (url.empty() || url.find_first_of(" \t\n") != std::string::npos)
      return Fail(ctx, Invalid("invalid remote URL '" + url + "'"));
    bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!http && url.find("://") != std::string::npos && url.rfind("file://", 0) != 0)
      return Fail(ctx, Invalid("unsupported remote URL '" + url + "' (use http://, https://, file:// or a path)"));
    // A relative path is kept relative to where it was typed, as an absolute path.
    std::string stored = url;
    if (!http && url.rfind("file://", 0) != 0 && url[0] != '/') stored = ctx.cwd + "/" + url;
    if (Status st = repo.config().Set("remote." + name + ".url", stored); !st.ok()) return Fail(ctx, st);
    if (Status st = repo.config().Save(); !st.ok()) return Fail(ctx, st);
    return kExitOk;
  }
  if (verb == "remove" || verb == "rm") {
    if (words.size() != 2) return UsageError(ctx, "remote remove needs <name>");
    const std::string& name = words[1];
    if (!remotes.count(name)) return Fail(ctx, NotFound("no such remote '" + name + "'"));
    auto refs = repo.git().ListRefs("refs/remotes/" + name + "/");
    if (!refs.ok()) return Fail(ctx, refs.status());
    for (const auto& [branch, oid] : *refs)
      if (Status st = repo.git().DeleteRef("refs/remotes/" + name + "/" + branch); !st.ok()) return Fail(ctx, st);
    Config& cfg = repo.config();
    std::vector<std::string> drop = {"remote." + name + ".url"};
    for (const auto& [key, value] : cfg.values())
      if (key.rfind("branch.", 0) == 0 && key.size() > 7 + 7 && key.compare(key.size() - 7, 7, ".remote") == 0 &&
          value == name) {
        std::string b = key.substr(0, key.size() - 7);
        drop.push_back(key);
        drop.push_back(b + ".merge");
      }
    for (const auto& k : drop) (void)cfg.Unset(k);  // NotFound: a branch.<b>.merge may be unset
    if (Status st = cfg.Save(); !st.ok()) return Fail(ctx, st);
    return kExitOk;
  }
  return UsageError(ctx, "unknown remote subcommand '" + verb + "' (add, remove)");
}

}  // namespace aergo::cli
