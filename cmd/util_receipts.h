// Submission and the printing of its results, shared by `aergo deploy`,
// `aergo call` and `aergo access`.
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
// Prints one submitted tx's outcome as SubmitOne does; exit 1 if it failed.
int ReportOne(Context& ctx, const Submitted& s, const std::string& what, bool json);
// Submits txs to the local merge pool, or with `remote` set to that
// remote's (signing the requests with key).
Result<std::vector<Submitted>> SubmitTo(Context& ctx, Repository& repo, const std::optional<std::string>& remote,
                                        const std::vector<Tx>& txs, const SecretKey& key);

}  // namespace aergo::cli
