#include "cmd/submit.h"

#include "core/json.h"

namespace aergo::cli {

std::string SubmittedJson(const Submitted& s) {
  return "{\"txid\": " + JsonString(ToHex(s.txid)) + ", \"status\": " +
         (s.outcome.ok ? "\"ok\"" : "\"failed\"") + ", \"error\": " +
         (s.outcome.ok ? "null" : JsonString(s.outcome.error)) + "}";
}

std::string SubmittedText(const Submitted& s) {
  return ToHex(s.txid) + (s.outcome.ok ? " ok" : " failed: " + s.outcome.error);
}

}  // namespace aergo::cli
