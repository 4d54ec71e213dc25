// aergo cherry-pick <txid or block>... [--json]: replays the chosen txs
// onto the current branch's merge pool; those that fail are reported and
// not kept (exit 1 then; the others stay in the pool, as with call --batch).
#include "cmd/commands.h"
#include "core/json.h"
#include "merge/cherry_pick.h"

namespace aergo::cli {

int CmdCherryPick(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("pick", po::value<std::vector<std::string>>(), "tx id or block revision");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("pick", -1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("pick")) return UsageError(ctx, "missing tx id or block to pick");
  bool json = vm->count("json");
  auto repo_r = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;
  auto branch = repo.CheckedOutBranch("check out a branch to pick onto");
  if (!branch.ok()) return Fail(ctx, branch.status());

  auto txs = TxsToPick(repo, (*vm)["pick"].as<std::vector<std::string>>());
  if (!txs.ok()) return Fail(ctx, txs.status());
  auto res = repo.Submit(*txs);
  if (!res.ok()) return Fail(ctx, res.status());

  size_t failed = 0;
  std::vector<std::string> picked_json, failed_json;
  std::string text;
  for (size_t i = 0; i < res->size(); ++i) {
    const Submitted& s = (*res)[i];
    const Tx& tx = (*txs)[i];
    std::string what = tx.kind == TxKind::kCall ? tx.contract + "." + tx.function
                       : tx.kind == TxKind::kDeploy ? "deploy " + tx.contract
                       : tx.kind == TxKind::kAccess ? "access " + tx.function
                                                    : "genesis";
    if (s.outcome.ok) {
      picked_json.push_back(JsonString(ToHex(s.txid)));
      text += "picked " + ShortId(s.txid) + "  " + what + "\n";
    } else {
      ++failed;
      failed_json.push_back("{\"txid\": " + JsonString(ToHex(s.txid)) + ", \"error\": " + JsonString(s.outcome.error) + "}");
      text += "failed " + ShortId(s.txid) + "  " + what + ": " + s.outcome.error + "\n";
    }
  }
  if (json)
    *ctx.out << "{\"branch\": " << JsonString(*branch) << ", \"picked\": [" << Join(picked_json, ", ")
             << "], \"failed\": [" << Join(failed_json, ", ") << "]}\n";
  else if (!ctx.quiet)
    *ctx.out << text << res->size() - failed << " of " << res->size() << " tx(s) picked into the merge pool of '"
             << *branch << "'\n";
  if (failed > 0) {
    *ctx.err << "aergo: error: " << failed << " of " << res->size()
             << " tx(s) failed and were not kept (the others are in the merge pool)\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace aergo::cli
