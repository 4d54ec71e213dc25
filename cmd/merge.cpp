// aergo merge <rev> [-m <msg>] [--preview] [--key <name>] [--json]
// aergo merge --verify <merge block> [--json]
// Fast-forward, or an automatic merge sealed as one merge block
// (merge/merge.h); --verify recomputes a merge block from its parents.
#include "cmd/commands.h"
#include "cmd/util_changes.h"
#include "cmd/util_merge.h"
#include "core/json.h"
#include "merge/merge.h"

namespace aergo::cli {

namespace {

int Verify(Context& ctx, Repository& repo, const std::string& rev, bool json) {
  auto id = repo.Resolve(rev);
  if (!id.ok()) return Fail(ctx, id.status());
  auto v = VerifyMerge(repo, *id);
  if (!v.ok()) return Fail(ctx, v.status());
  bool same = v->differences.empty();
  if (json) {
    std::vector<std::string> d;
    for (const auto& x : v->differences) d.push_back(JsonString(x));
    *ctx.out << "{\"block\": " << JsonString(ToHex(*id)) << ", \"identical\": " << (same ? "true" : "false")
             << ", \"differences\": [" << Join(d, ", ") << "]}\n";
  } else {
    for (const auto& x : v->differences) *ctx.err << "difference: " << x << "\n";
    if (same && !ctx.quiet)
      *ctx.out << "merge block " << ToHex(*id)
               << " verified: tx list, receipts, changes and state root are identical\n";
  }
  if (same) return kExitOk;
  if (!json) *ctx.err << "aergo: error: merge block " << ToHex(*id) << " does not match its recomputation\n";
  return kExitFailed;
}

}  // namespace

int CmdMerge(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("rev", po::value<std::string>(), "revision to merge")(
      "message,m", po::value<std::string>()->default_value(""), "merge block message")(
      "preview", "compute the merge and print it without writing anything")(
      "verify", "recompute the merge block <rev> from its parents and compare")(
      "key", po::value<std::string>(), "signing key");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("rev", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("rev")) return UsageError(ctx, "missing revision to merge");
  bool preview = vm->count("preview") > 0, verify = vm->count("verify") > 0, json = vm->count("json") > 0;
  if (preview && verify) return UsageError(ctx, "choose --preview or --verify");
  std::string rev = (*vm)["rev"].as<std::string>();
  auto repo_r = ctx.OpenRepo(verify ? OpenMode::kRead : OpenMode::kWrite);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;
  if (verify) return Verify(ctx, repo, rev, json);

  auto source = repo.Resolve(rev);
  if (!source.ok()) return Fail(ctx, source.status());
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();
  MergeOptions options;
  options.message = (*vm)["message"].as<std::string>();
  options.source_name = rev;
  options.preview = preview;
  return MergeAndReport(ctx, repo, *source, key_flag, options, json);
}

int CmdMergeBase(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("revs", po::value<std::vector<std::string>>(), "two revisions");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("revs", -1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  std::vector<std::string> revs;
  if (vm->count("revs")) revs = (*vm)["revs"].as<std::vector<std::string>>();
  if (revs.size() != 2) return UsageError(ctx, "merge-base takes exactly two revisions");
  auto repo = ctx.OpenRepo(OpenMode::kRead);
  if (!repo.ok()) return Fail(ctx, repo.status());
  auto ids = ResolveRevs(**repo, revs);
  if (!ids.ok()) return Fail(ctx, ids.status());
  auto base = MergeBase(**repo, (*ids)[0], (*ids)[1]);
  if (!base.ok()) return Fail(ctx, base.status());
  if (vm->count("json")) *ctx.out << "{\"base\": " << JsonString(ToHex(*base)) << "}\n";
  else *ctx.out << ToHex(*base) << "\n";
  return kExitOk;
}

}  // namespace aergo::cli
