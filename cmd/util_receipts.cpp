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

}  // namespace aergo::cli
