// aergo push [<remote>:<branch>] [--key <name>] [--no-progress] [--json]
// Sends a branch's blocks; the remote applies them to its branch
// (fast-forward, or its merge policy) and answers with the result
// (remote/sync.h PushTo, merge/receive.h).
#include "cmd/commands.h"
#include "cmd/util_merge.h"
#include "cmd/util_sync.h"
#include "core/json.h"
#include "core/text.h"

namespace aergo::cli {

namespace {
std::string PushJson(const std::string& remote, const std::string& url, const PushReport& r) {
  const PushOutcome& o = r.outcome;
  std::string merge = "null";
  if (o.merge && o.merge->block && !o.merge->fast_forward) {
    std::vector<std::string> applied;
    for (const auto& t : o.merge->applied) applied.push_back(JsonString(ToHex(t)));
    merge = "{\"block\": " + JsonString(ToHex(*o.merge->block)) + ", \"base\": " + JsonString(ToHex(o.merge->base)) +
            ", \"resolver\": " + (o.merge->resolver.empty() ? std::string("null") : JsonString(o.merge->resolver)) +
            ", \"applied\": [" + Join(applied, ", ") + "], \"excluded\": " + MergeTxListJson(o.merge->excluded) +
            ", \"resolved\": " + MergeTxListJson(o.merge->resolved) + "}";
  }
  std::vector<std::string> tags;
  for (const auto& t : o.tags_created) tags.push_back(JsonString(t));
  std::vector<std::string> dropped;
  for (const auto& d : o.dropped)
    dropped.push_back("{\"txid\": " + JsonString(ToHex(d.txid)) + ", \"branch\": " + JsonString(d.branch) +
                      ", \"error\": " + JsonString(d.error) + "}");
  return "{\"remote\": " + JsonString(remote) + ", \"url\": " + JsonString(url) + ", \"branch\": " +
         JsonString(o.branch) + ", \"old\": " + (o.old_head ? JsonString(ToHex(*o.old_head)) : std::string("null")) +
         ", \"head\": " + JsonString(ToHex(o.head)) + ", \"created\": " + (o.old_head ? "false" : "true") +
         ", \"up_to_date\": " + (o.up_to_date ? "true" : "false") + ", \"fast_forward\": " +
         (o.fast_forward ? "true" : "false") + ", \"merge\": " + merge + ", \"blocks\": " + std::to_string(o.blocks) +
         ", \"txs\": " + std::to_string(o.txs) + ", \"bytes\": " + std::to_string(r.pack_bytes) +
         ", \"tags_created\": [" + Join(tags, ", ") + "], \"dropped\": [" + Join(dropped, ", ") + "]}\n";
}

std::string PushText(const std::string& url, const PushReport& r) {
  const PushOutcome& o = r.outcome;
  std::string out = "To " + url + "\n";
  if (!o.old_head) out += "  * [new branch]  " + o.branch + " at " + ToHex(o.head) + "\n";
  else if (o.up_to_date) out += "  = [up to date]  " + o.branch + " at " + ToHex(o.head) + "\n";
  else if (o.fast_forward) out += "  " + ShortId(*o.old_head) + ".." + ShortId(o.head) + "  " + o.branch + " (fast-forward)\n";
  else if (o.merge) out += "  " + o.branch + ": the remote merged the pushed txs\n" +
                          MergeReportText(*o.merge, "the pushed blocks", o.branch, false);
  for (const auto& t : o.tags_created) out += "  * [new tag]     " + t + "\n";
  return out;
}
}  // namespace

int CmdPush(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("spec", po::value<std::string>(), "<remote>:<branch> (default: the upstream)");
  int code = 0;
  auto start = StartSync(ctx, args, opts, "spec", &code);
  if (!start) return code;
  const po::variables_map& vm = start->vm;
  Repository& repo = *start->repo;
  std::pair<std::string, std::string> spec;
  if (vm.count("spec")) {
    auto s = ParseRemoteBranch(vm["spec"].as<std::string>());
    if (!s.ok()) return Fail(ctx, s.status());
    spec = *s;
  } else {
    auto branch = repo.CheckedOutBranch("name the branch to push: 'aergo push <remote>:<branch>'");
    if (!branch.ok()) return Fail(ctx, branch.status());
    auto up = Upstream(repo, *branch);
    spec = {up ? up->first : "origin", *branch};
  }
  ProgressLine progress(ctx, ProgressWanted(ctx, vm), "Sending blocks");
  auto session = ConnectRemote(ctx, repo, spec.first, vm,
                               [&](uint64_t sent, uint64_t total) { progress.Upload(sent, total); });
  if (!session.ok()) return Fail(ctx, session.status());
  const std::string& url = session->url;
  auto rep = PushTo(repo, *session->transport, spec.first, spec.second, SyncOptions());
  progress.Done();
  if (!rep.ok()) return Fail(ctx, rep.status());
  // The answer does not carry the merge block's changes; the block itself
  // came back with the push (PushTo), so the report reads them here.
  if (rep->outcome.merge && rep->outcome.merge->block) {
    auto changes = repo.BlockChanges(*rep->outcome.merge->block);
    if (changes.ok()) rep->outcome.merge->changes = std::move(*changes);
  }
  if (vm.count("json")) *ctx.out << PushJson(spec.first, url, *rep);
  else if (!ctx.quiet) *ctx.out << PushText(url, *rep);
  // Exclusions are not an error (exit 0, as for merge), but say so where
  // a script's log will show it.
  if (rep->outcome.merge && !rep->outcome.merge->excluded.empty())
    *ctx.err << "aergo: warning: the remote excluded " << rep->outcome.merge->excluded.size() << " of the pushed txs from "
             << rep->outcome.branch << " (its rules refused them; see the report)\n";
  // Pending txs the remote had accepted from others (its merge pool) that
  // no longer apply on the pushed head: not an error either, but their
  // senders' txs are gone, so each is named.
  for (const auto& d : rep->outcome.dropped)
    *ctx.err << "aergo: warning: the remote dropped pending tx " << ToHex(d.txid) << " from the merge pool of "
             << d.branch << ": " << Printable(d.error, 400) << "\n";
  return kExitOk;
}

}  // namespace aergo::cli
