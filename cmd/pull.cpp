// aergo pull [<remote>:<branch>] [-m <msg>] [--key <name>] [--no-progress] [--json]
// Fetch, then apply the remote branch's transactions to the checked-out
// branch: fast-forward, else its merge policy (cmd/util_merge.h).
#include "cmd/commands.h"
#include "cmd/util_merge.h"
#include "cmd/util_sync.h"

namespace aergo::cli {

int CmdPull(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("spec", po::value<std::string>(), "<remote>:<branch> (default: the upstream)")(
      "message,m", po::value<std::string>()->default_value(""), "merge block message");
  int code = 0;
  auto start = StartSync(ctx, args, opts, "spec", &code);
  if (!start) return code;
  const po::variables_map& vm = start->vm;
  Repository& repo = *start->repo;
  auto branch = repo.CheckedOutBranch("check out the branch to pull into");
  if (!branch.ok()) return Fail(ctx, branch.status());
  std::pair<std::string, std::string> spec;
  if (vm.count("spec")) {
    auto s = ParseRemoteBranch(vm["spec"].as<std::string>());
    if (!s.ok()) return Fail(ctx, s.status());
    spec = *s;
  } else if (auto up = Upstream(repo, *branch)) {
    spec = *up;
  } else {
    return Fail(ctx, NotFound("branch '" + *branch + "' has no upstream: name one, 'aergo pull <remote>:<branch>'"));
  }
  auto session = ConnectRemote(ctx, repo, spec.first, vm);
  if (!session.ok()) return Fail(ctx, session.status());
  auto fetched = FetchWithProgress(ctx, repo, *session, spec.first, vm);
  if (!fetched.ok()) return Fail(ctx, fetched.status());
  const std::string& url = session->url;
  bool json = vm.count("json") > 0;
  if (!json && !ctx.quiet) *ctx.err << FetchReportText(url, *fetched);
  std::optional<Hash32> source;
  for (const auto& [name, id] : fetched->refs.branches)
    if (name == spec.second) source = id;
  if (!source) return Fail(ctx, NotFound(url + " has no branch '" + spec.second + "'"));
  MergeOptions options;
  options.message = vm["message"].as<std::string>();
  options.source_name = spec.first + "/" + spec.second;
  return MergeAndReport(ctx, repo, *source, KeyFlag(vm), options, json, session->key.get());
}

}  // namespace aergo::cli
