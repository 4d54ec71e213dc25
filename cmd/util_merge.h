// Merging the checked-out branch and printing the report, shared by
// `aergo merge` and `aergo pull`; the report's JSON and text forms, shared
// with `aergo push` (which prints the merge a remote made).
#pragma once

#include "cmd/cli.h"
#include "merge/merge.h"

namespace aergo::cli {

// Merges `source` into the checked-out branch (merge/merge.h MergeInto).
// The signing key is loaded only when a merge block will be sealed, after
// the refusals that need none, unless `loaded` already holds it. Prints the
// report (JSON or text) and returns the exit code.
int MergeAndReport(Context& ctx, Repository& repo, const Hash32& source,
                   const std::optional<std::string>& key_flag, const MergeOptions& options, bool json,
                   const SecretKey* loaded = nullptr);

std::string MergeTxListJson(const std::vector<MergedTx>& txs);
std::string MergeReportJson(const MergeReport& r, bool preview);
// The report as `aergo merge` prints it; source names the merged revision.
std::string MergeReportText(const MergeReport& r, const std::string& source, const std::string& branch,
                            bool preview);

}  // namespace aergo::cli
