#include "cmd/util_receipts.h"

#include "core/json.h"

namespace aergo::cli {

std::string SubmittedJson(const Submitted& s) {
  bool no_tx = s.txid == Hash32{};  // a batch line that never became a tx
  return "{\"txid\": " + (no_tx ? std::string("null") : JsonString(ToHex(s.txid))) + ", \"status\": " +
         (s.outcome.ok ? "\"ok\"" : "\"failed\"") + ", \"error\": " +
         (s.outcome.ok ? "null" : JsonString(s.outcome.error)) + "}";
}

std::string SubmittedText(const Submitted& s) {
  return ToHex(s.txid) + (s.outcome.ok ? " ok" : " failed: " + s.outcome.error);
}

int SubmitOne(Context& ctx, Repository& repo, const Tx& tx, const std::string& what, bool json) {
  auto res = repo.Submit({tx});
  if (!res.ok()) return Fail(ctx, res.status());
  return ReportOne(ctx, res->front(), what, json);
}

int ReportOne(Context& ctx, const Submitted& s, const std::string& what, bool json) {
  if (json) *ctx.out << SubmittedJson(s) << "\n";
  else if (!ctx.quiet && s.outcome.ok) *ctx.out << SubmittedText(s) << "\n";
  if (!s.outcome.ok) {
    *ctx.err << "aergo: error: " << what << " failed: " << s.outcome.error << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

Result<std::vector<Submitted>> SubmitTo(Context& ctx, Repository& repo, const std::optional<std::string>& remote,
                                        const std::vector<Tx>& txs, const SecretKey& key) {
  if (!remote) return repo.Submit(txs);
  AERGO_ASSIGN_OR_RETURN(auto ledger, OpenRemoteLedger(ctx, &repo, *remote, std::nullopt, &key));
  std::string branch;
  return ledger->Submit(txs, &branch);
}

}  // namespace aergo::cli
