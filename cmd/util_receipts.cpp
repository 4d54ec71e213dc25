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
  const Submitted& s = res->front();
  if (json) *ctx.out << SubmittedJson(s) << "\n";
  else if (!ctx.quiet && s.outcome.ok) *ctx.out << SubmittedText(s) << "\n";
  if (!s.outcome.ok) {
    *ctx.err << "aergo: error: " << what << " failed: " << s.outcome.error << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace aergo::cli
