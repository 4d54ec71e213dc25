// Printing of submission results shared by `aergo deploy` and `aergo call`.
#pragma once

#include "cmd/cli.h"

namespace aergo::cli {

// {"txid": id, "status": "ok"|"failed", "error": str|null}
std::string SubmittedJson(const Submitted& s);
// "<txid> ok" or "<txid> failed: <error>"
std::string SubmittedText(const Submitted& s);

}  // namespace aergo::cli
