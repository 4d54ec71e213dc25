// aergo fetch [<remote>] [--key <name>] [--no-progress] [--json]
// Downloads a remote's blocks; moves remote-tracking refs, adds tags
// (remote/sync.h FetchFrom).
#include "cmd/commands.h"
#include "cmd/util_sync.h"

namespace aergo::cli {

int CmdFetch(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("remote", po::value<std::string>(), "remote to fetch from (default: the upstream's, or origin)");
  AddSyncOptions(opts);
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("remote", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  auto repo_r = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;
  std::string remote = "origin";
  if (vm->count("remote")) {
    remote = (*vm)["remote"].as<std::string>();
  } else if (auto head = repo.CurrentHead(); head.ok() && head->branch) {
    if (auto up = Upstream(repo, *head->branch)) remote = up->first;
  }
  auto url = RemoteUrl(repo, remote);
  if (!url.ok()) return Fail(ctx, url.status());
  auto session = ConnectRemote(ctx, &repo, *url, *vm);
  if (!session.ok()) return Fail(ctx, session.status());
  ProgressLine progress(ctx, ProgressWanted(ctx, *vm), "Receiving blocks");
  SyncOptions sopts;
  sopts.progress = [&](const PackProgress& p) { progress.Pack(p); };
  auto rep = FetchFrom(repo, *session->transport, remote, sopts);
  progress.Done();
  if (!rep.ok()) return Fail(ctx, rep.status());
  if (vm->count("json")) *ctx.out << FetchReportJson(remote, *url, *rep) << "\n";
  else if (!ctx.quiet) *ctx.out << FetchReportText(*url, *rep);
  return kExitOk;
}

}  // namespace aergo::cli
