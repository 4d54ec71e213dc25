// aergo clone <url> [<dir>] [--branch <b>] [--key <name>] [--no-progress] [--json]
// Copies a repository from a daemon or a local path (remote/sync.h Clone).
#include <filesystem>

#include "cmd/commands.h"
#include "cmd/util_sync.h"
#include "core/json.h"

namespace aergo::cli {

namespace {
// "http://h:1/ledger/" -> "ledger"; "/a/b/repo" -> "repo".
std::string DirFromUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t slash = url.rfind('/');
  std::string base = slash == std::string::npos ? url : url.substr(slash + 1);
  if (base == ".aergo") {  // a path to the .aergo directory itself
    url = url.substr(0, slash);
    slash = url.rfind('/');
    base = slash == std::string::npos ? url : url.substr(slash + 1);
  }
  return base;
}
}  // namespace

int CmdClone(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("url", po::value<std::string>(), "repository to clone")(
      "dir", po::value<std::string>(), "directory to create")(
      "branch,b", po::value<std::string>(), "branch to check out (default: the remote's)");
  AddSyncOptions(opts);
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("url", 1).add("dir", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("url")) return UsageError(ctx, "missing repository URL or path to clone");
  std::string url = (*vm)["url"].as<std::string>();
  std::string dir = vm->count("dir") ? (*vm)["dir"].as<std::string>() : DirFromUrl(url);
  if (dir.empty()) return UsageError(ctx, "cannot guess a directory name from '" + url + "'; give one");
  // Relative paths are taken from -C's directory.
  auto abs = [&](const std::string& p) { return p.empty() || p[0] == '/' ? p : ctx.cwd + "/" + p; };
  dir = abs(dir);
  if (url.find("://") == std::string::npos) url = std::filesystem::absolute(abs(url)).lexically_normal().string();
  auto key = OptionalKey(ctx, KeyFlag(*vm), nullptr);
  if (!key.ok()) return Fail(ctx, key.status());
  TransportOptions topts;
  topts.key = *key ? &**key : nullptr;
  topts.clock = &ctx.clock;
  topts.open = ctx.open_options;
  ProgressLine progress(ctx, ProgressWanted(ctx, *vm), "Receiving blocks");
  SyncOptions sopts;
  sopts.open = ctx.open_options;
  sopts.progress = [&](const PackProgress& p) { progress.Pack(p); };
  bool json = vm->count("json") > 0;
  if (!json && !ctx.quiet) *ctx.err << "Cloning into '" << dir << "'...\n";
  auto rep = Clone(url, dir, vm->count("branch") ? (*vm)["branch"].as<std::string>() : "", topts, ctx.clock, sopts);
  progress.Done();
  if (!rep.ok()) return Fail(ctx, rep.status());
  if (json) {
    *ctx.out << "{\"dir\": " << JsonString(rep->dir) << ", \"branch\": " << JsonString(rep->branch)
             << ", \"head\": " << JsonString(ToHex(rep->head))
             << ", \"fetch\": " << FetchReportJson("origin", url, rep->fetch) << "}\n";
  } else if (!ctx.quiet) {
    *ctx.out << "Cloned " << url << " into '" << rep->dir << "': branch '" << rep->branch << "' at "
             << ToHex(rep->head) << "\n";
  }
  return kExitOk;
}

}  // namespace aergo::cli
