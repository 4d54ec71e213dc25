// Printing of submission results shared by `aergo deploy` and `aergo call`.
#pragma once

#include "cmd/cli.h"

namespace aergo::cli {

// {"txid": id, "status": "ok"|"failed", "error": str|null}
std::string SubmittedJson(const Submitted& s);
// "<txid> ok" or "<txid> failed: <error>"
std::string SubmittedText(const Submitted& s);

// Submits one tx to the checked-out branch's merge pool and prints its
// outcome (JSON, or the text line unless -q); a failed tx is
// "aergo: error: <what> failed: <error>" and exit 1.
int SubmitOne(Context& ctx, Repository& repo, const Tx& tx, const std::string& what, bool json);

}  // namespace aergo::cli
