// aergo fetch [<remote>] [--key <name>] [--no-progress] [--json]
// Downloads a remote's blocks; moves remote-tracking refs, adds tags
// (remote/sync.h FetchFrom).
#include "cmd/commands.h"
#include "cmd/util_sync.h"

namespace aergo::cli {

int CmdFetch(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("remote", po::value<std::string>(), "remote to fetch from (default: the upstream's, or origin)");
  int code = 0;
  auto start = StartSync(ctx, args, opts, "remote", &code);
  if (!start) return code;
  const po::variables_map& vm = start->vm;
  Repository& repo = *start->repo;
  std::string remote = "origin";
  if (vm.count("remote")) {
    remote = vm["remote"].as<std::string>();
  } else if (auto head = repo.CurrentHead(); head.ok() && head->branch) {
    if (auto up = Upstream(repo, *head->branch)) remote = up->first;
  }
  auto session = ConnectRemote(ctx, repo, remote, vm);
  if (!session.ok()) return Fail(ctx, session.status());
  auto rep = FetchWithProgress(ctx, repo, *session, remote, vm);
  if (!rep.ok()) return Fail(ctx, rep.status());
  if (vm.count("json")) *ctx.out << FetchReportJson(remote, session->url, *rep) << "\n";
  else if (!ctx.quiet) *ctx.out << FetchReportText(session->url, *rep);
  return kExitOk;
}

}  // namespace aergo::cli
