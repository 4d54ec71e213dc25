#include "cmd/util_merge.h"

#include "cmd/util_changes.h"
#include "core/json.h"

namespace aergo::cli {

std::string MergeTxListJson(const std::vector<MergedTx>& txs) {
  std::vector<std::string> out;
  for (const auto& t : txs)
    out.push_back("{\"txid\": " + JsonString(ToHex(t.txid)) + ", \"error\": " + JsonString(t.error) + "}");
  return "[" + Join(out, ", ") + "]";
}

std::string MergeReportJson(const MergeReport& r, bool preview) {
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
         "], \"excluded\": " + MergeTxListJson(r.excluded) + ", \"resolved\": " + MergeTxListJson(r.resolved) +
         ", \"changes\": " + stat + "}\n";
}

std::string MergeReportText(const MergeReport& r, const std::string& source, const std::string& branch,
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

int MergeAndReport(Context& ctx, Repository& repo, const Hash32& source,
                   const std::optional<std::string>& key_flag, const MergeOptions& options, bool json,
                   const SecretKey* loaded) {
  auto branch = repo.CheckedOutBranch("check out the branch to merge into");
  if (!branch.ok()) return Fail(ctx, branch.status());
  auto head = repo.CurrentHead();
  if (!head.ok()) return Fail(ctx, head.status());
  // A key only when a merge block will be sealed (not for a fast-forward),
  // asked for after the refusals that need none.
  std::optional<SecretKey> key;
  auto pending = repo.PoolCount();
  if (!pending.ok()) return Fail(ctx, pending.status());
  if (!options.preview && *pending == 0) {
    auto base = MergeBase(repo, head->block.id, source);
    if (!base.ok()) return Fail(ctx, base.status());
    if (*base != head->block.id && *base != source && loaded == nullptr) {
      auto k = ctx.SigningKey(key_flag, &repo);
      if (!k.ok()) return Fail(ctx, k.status());
      key = std::move(*k);
    }
  }
  auto report = MergeInto(repo, source, key ? &*key : loaded, options);
  if (!report.ok()) return Fail(ctx, report.status());
  if (json) *ctx.out << MergeReportJson(*report, options.preview);
  else if (!ctx.quiet) *ctx.out << MergeReportText(*report, options.source_name, *branch, options.preview);
  return kExitOk;
}

}  // namespace aergo::cli
