// aergo merge <rev> [-m <msg>] [--preview] [--key <name>] [--json]
// aergo merge --verify <merge block> [--json]
// Fast-forward, or an automatic merge sealed as one merge block
// (merge/merge.h); --verify recomputes a merge block from its parents.
#include "cmd/commands.h"
#include "cmd/util_changes.h"
#include "core/json.h"
#include "merge/merge.h"

namespace aergo::cli {

namespace {

std::string TxList(const std::vector<MergedTx>& txs) {
  std::vector<std::string> out;
  for (const auto& t : txs)
    out.push_back("{\"txid\": " + JsonString(ToHex(t.txid)) + ", \"error\": " + JsonString(t.error) + "}");
  return "[" + Join(out, ", ") + "]";
}

std::string ReportJson(const MergeReport& r, bool preview) {
  std::vector<std::string> applied;
  for (const auto& t : r.applied) applied.push_back(JsonString(ToHex(t)));
  std::string stat = ChangesStatJson(r.changes);
  stat.pop_back();  // its newline
  return "{\"block\": " + (r.block ? JsonString(ToHex(*r.block)) : std::string("null")) +
         ", \"fast_forward\": " + (r.fast_forward ? "true" : "false") + ", \"up_to_date\": " +
         (r.up_to_date ? "true" : "false") + ", \"preview\": " + (preview ? "true" : "false") +
         ", \"base\": " + JsonString(ToHex(r.base)) +
         ", \"resolver\": " + (r.resolver.empty() ? std::string("null") : JsonString(r.resolver)) +
         ", \"applied\": [" + Join(applied, ", ") +
         "], \"excluded\": " + TxList(r.excluded) + ", \"resolved\": " + TxList(r.resolved) +
         ", \"changes\": " + stat + "}\n";
}

std::string ReportText(const MergeReport& r, const std::string& source, const std::string& branch,
                       bool preview) {
  if (r.up_to_date) return "Already up to date: " + source + " is in the history of '" + branch + "'\n";
  std::string out;
  if (r.fast_forward) {
    out = (preview ? "Would fast-forward '" : "Fast-forwarded '") + branch + "' to " +
          (r.block ? ToHex(*r.block) : source) + "\n";
  } else {
    out = (preview ? "Would merge " + source + " into '" + branch + "' (nothing written)"
                   : "Merged " + source + " into '" + branch + "': block " + ToHex(*r.block)) +
          "\nbase " + ToHex(r.base) + "\n";
    if (!r.resolver.empty()) out += "consistent merge: failing txs go to resolver " + r.resolver + "\n";
    for (const auto& t : r.applied) out += "  applied   " + ShortId(t) + "\n";
    for (const auto& t : r.excluded) out += "  excluded  " + ShortId(t.txid) + "  " + t.error + "\n";
    for (const auto& t : r.resolved)
      out += "  resolved  " + ShortId(t.txid) + "  " + t.error +
             (t.resolver == r.resolver ? "" : "  (settled on the source by resolver " + t.resolver + ")") + "\n";
    out += std::to_string(r.applied.size()) + " applied, " + std::to_string(r.excluded.size()) +
           " excluded, " + std::to_string(r.resolved.size()) + " resolved\n";
  }
  return out + ChangesStatText(r.changes);
}

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
  auto branch = repo.CheckedOutBranch("check out the branch to merge into");
  if (!branch.ok()) return Fail(ctx, branch.status());
  auto head = repo.CurrentHead();
  if (!head.ok()) return Fail(ctx, head.status());
  // A key only when a merge block will be sealed (not for a fast-forward),
  // asked for after the refusals that need none.
  std::optional<SecretKey> key;
  auto pending = repo.PoolCount();
  if (!pending.ok()) return Fail(ctx, pending.status());
  if (!preview && *pending == 0) {
    auto base = MergeBase(repo, head->block.id, *source);
    if (!base.ok()) return Fail(ctx, base.status());
    if (*base != head->block.id && *base != *source) {
      std::optional<std::string> key_flag;
      if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();
      auto k = ctx.SigningKey(key_flag, &repo);
      if (!k.ok()) return Fail(ctx, k.status());
      key = std::move(*k);
    }
  }
  MergeOptions options;
  options.message = (*vm)["message"].as<std::string>();
  options.source_name = rev;
  options.preview = preview;
  auto report = MergeInto(repo, *source, key ? &*key : nullptr, options);
  if (!report.ok()) return Fail(ctx, report.status());
  if (json) *ctx.out << ReportJson(*report, preview);
  else if (!ctx.quiet) *ctx.out << ReportText(*report, rev, *branch, preview);
  return kExitOk;
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
