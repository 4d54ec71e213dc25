// Internals shared by contract_parse.cpp and contract.cpp; not a public API.
#pragma once

#include <string_view>

namespace aergo::contract_internal {

// Why SQL function `lower_name` (lowercase) may not be used in contracts or
// queries, or nullptr when it may. The denylist: random, randomblob, the
// date/time functions and CURRENT_* keywords, total_changes,
// sqlite_version, sqlite_source_id, sqlite_compileoption_get/used,
// sqlite_offset, load_extension. changes() and last_insert_rowid() are
// allowed (deterministic within a call).
const char* DeniedFunctionReason(std::string_view lower_name);

// Built-in call parameters (:sender TEXT, :height INTEGER,
// :block_time INTEGER, :txid TEXT); index into CallEnv order.
inline constexpr std::string_view kBuiltinParams[] = {"sender", "height", "block_time", "txid"};
// Index in kBuiltinParams, or -1.
int BuiltinParamIndex(std::string_view lower_name);

}  // namespace aergo::contract_internal
