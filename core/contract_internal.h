// Internals shared by the contract engine's source files; not a public API.
//   contract_parse.cpp    ParseContract, names, signatures
//   contract_sandbox.cpp  the authorizer (Sandbox), the function denylist
//   contract_state.cpp    the state digest
//   contract.cpp          ContractEngine
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"
#include "core/contract.h"
#include "core/status.h"

namespace aergo::contract_internal {

// Why SQL function `lower_name` (lowercase) may not be used in contracts or
// queries, or nullptr when it may. The denylist: random, randomblob, the
// CURRENT_TIME/CURRENT_DATE/CURRENT_TIMESTAMP keywords, total_changes,
// sqlite_version, sqlite_source_id, sqlite_compileoption_get/used,
// sqlite_offset, load_extension, the libm-backed math functions.
// changes() and last_insert_rowid() are allowed (the engine resets both at
// the start of every call). The date/time functions are allowed on
// arguments that do not read the clock (DateTimeArgsReason).
const char* DeniedFunctionReason(std::string_view lower_name);

// The date and time functions a contract may call with explicit
// arguments: date, time, datetime, julianday, unixepoch, strftime and
// timediff. The engine replaces them on its connection with wrappers that
// check their arguments on every call (contract.cpp).
inline constexpr std::string_view kDateTimeFunctions[] = {
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff"};
bool IsDateTimeFunction(std::string_view lower_name);

// Why calling date/time function `lower_name` with these arguments would
// read the clock or the host's time zone, or "" when it would not. args:
// per argument, its text when it is TEXT or BLOB (up to the first NUL byte,
// as SQLite reads it), nullopt for numbers, NULL and, in the static check,
// anything that is not a string literal. Refused, as SQLite 3.46 reads
// them: no time value (date(), strftime('%Y')); a time value 'now',
// 'subsec' or 'subsecond' (any case); a modifier 'localtime' or 'utc' (any
// case). Time values: argument 0 (strftime: 1, after the format;
// timediff: both); modifiers: the arguments after it. The reason names no
// function: "'now' reads the clock; use :block_time".
std::string DateTimeArgsReason(std::string_view lower_name,
                               const std::vector<std::optional<std::string_view>>& args);

// The error of a write that stores rowid 9223372036854775807 in rowid
// table `table` (storage name): after that rowid SQLite picks new rowids at
// random, so no call may store it.
std::string ReservedRowidError(std::string_view table);
inline constexpr sqlite3_int64 kReservedRowid = 9223372036854775807LL;

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
  // A wall-clock bound (queries only, never a call: time is not part of
  // the ledger): 0 for none; else checked every 16 progress callbacks.
  uint64_t time_limit_ms = 0;
  std::chrono::steady_clock::time_point deadline{};
  bool deadline_passed = false;
  // Set by RowidHook when a call stores kReservedRowid in a contract
  // table: that table's storage name (the call then fails). Cleared by the
  // engine before each statement of a call.
  std::string reserved_rowid_table;
  // Whether the engine's date/time wrappers are installed; if not, the
  // date/time functions are denied (SQLite's own may read the clock).
  bool date_time_checked = false;

  // sqlite3_set_authorizer callback; arg is the Sandbox.
  static int Authorize(void* arg, int action, const char* a3, const char* a4, const char* dbname,
                       const char* trigger);
  // sqlite3_progress_handler callback (every kProgressOps steps); arg is the Sandbox.
  static int Progress(void* arg);
  // contract_owner() SQL function; user data is the Sandbox.
  static void OwnerFn(sqlite3_context* ctx, int argc, sqlite3_value** argv);
  // sqlite3_update_hook callback (rowid tables only; rowid = the row's
  // rowid after the change); arg is the Sandbox. During kCall, notes an
  // INSERT or UPDATE that stores kReservedRowid in a contract table.
  static void RowidHook(void* arg, int op, const char* dbname, const char* table,
                        sqlite3_int64 rowid);

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
