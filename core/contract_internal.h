// Internals shared by the contract engine's source files; not a public API.
//   contract_parse.cpp    ParseContract, names, signatures
//   contract_sandbox.cpp  the authorizer (Sandbox), the function denylist
//   contract_state.cpp    the state digest
//   contract.cpp          ContractEngine
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/codec.h"
#include "core/contract.h"
#include "core/status.h"

namespace aergo::contract_internal {

// Why SQL function `lower_name` (lowercase) may not be used in contracts or
// queries, or nullptr when it may. The denylist: random, randomblob, the
// date/time functions and CURRENT_* keywords, total_changes,
// sqlite_version, sqlite_source_id, sqlite_compileoption_get/used,
// sqlite_offset, load_extension. changes() and last_insert_rowid() are
// allowed (the engine resets both at the start of every call).
const char* DeniedFunctionReason(std::string_view lower_name);

// Built-in call parameters (:sender TEXT, :height INTEGER,
// :block_time INTEGER, :txid TEXT); index into CallEnv order.
inline constexpr std::string_view kBuiltinParams[] = {"sender", "height", "block_time", "txid"};
// Index in kBuiltinParams, or -1.
int BuiltinParamIndex(std::string_view lower_name);

enum class SandboxMode { kOff, kDeploy, kCall, kQuery };

inline constexpr int kProgressOps = 1000;
inline constexpr const char* kOnlyRead = "only a single read-only statement (SELECT) is allowed";

// The authorizer's and progress handler's state for one connection. What
// each mode allows is documented in contract_sandbox.cpp.
struct Sandbox {
  sqlite3* db = nullptr;
  SandboxMode mode = SandboxMode::kOff;
  std::string contract;  // running contract (kDeploy, kCall)
  std::string prefix;    // contract + "."
  std::string owner;     // what contract_owner() returns while running
  std::string denial;    // the first denial's reason since the mode was set
  // Tables and views without a dot (repository tables, sqlite_*); refreshed
  // before sandboxed statements are prepared.
  std::set<std::string, std::less<>> plain_tables;
  const QueryView* view = nullptr;  // kQuery of another block's state
  uint64_t steps = 0;  // VM steps counted by the progress handler
  uint64_t budget = 0;
  bool budget_exceeded = false;

  // sqlite3_set_authorizer callback; arg is the Sandbox.
  static int Authorize(void* arg, int action, const char* a3, const char* a4, const char* dbname,
                       const char* trigger);
  // sqlite3_progress_handler callback (every kProgressOps steps); arg is the Sandbox.
  static int Progress(void* arg);
  // contract_owner() SQL function; user data is the Sandbox.
  static void OwnerFn(sqlite3_context* ctx, int argc, sqlite3_value** argv);

  // Why the last failed prepare or step failed: the step budget, the
  // authorizer's reason, or SQLite's message.
  std::string ErrorText() const;

  // "" when allowed, else the reason.
  std::string Verdict(int action, std::string_view a3, std::string_view a4, bool no_db) const;

 private:
  std::string ReadVerdict(std::string_view table, std::string_view column, bool no_db) const;
  std::string WriteVerdict(std::string_view table, int action) const;
  std::string DdlVerdict(int action, std::string_view a3, std::string_view a4) const;
};

// The canonical state digest of db (layout in contract_state.cpp).
Result<Hash32> ComputeStateDigest(sqlite3* db);

}  // namespace aergo::contract_internal
