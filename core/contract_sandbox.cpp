// The contract sandbox: one authorizer stays installed on the connection;
// what it allows depends on the mode:
//   kOff    everything (the repository's own statements, the engine's
//           savepoints and bookkeeping).
//   kQuery  SELECT, reads of tables named "c.t", json_each/json_tree, and
//           functions outside the denylist.
//   kCall   kQuery plus INSERT/UPDATE/DELETE on the running contract's own
//           tables "<contract>.*". Everything else — PRAGMA, ATTACH/DETACH,
//           transaction control, savepoints, DDL, ANALYZE, REINDEX, virtual
//           tables, writes elsewhere (aergo.*, other contracts, sqlite_*),
//           reads of tables without a dot — is denied with a reason.
//   kDeploy kCall plus CREATE TABLE / CREATE INDEX named "<contract>.*" (on
//           its own tables) and what SQLite does for them (schema-table
//           writes, the automatic index, REINDEX of the new index). TEMP
//           objects, views, triggers and virtual tables stay denied (the
//           parser already refuses them at top level).
// The authorizer records the first denial's reason, which errors report in
// place of SQLite's "not authorized". It runs when statements are prepared,
// and again when SQLite re-prepares a statement after a schema change —
// inside sqlite3_step — so the engine keeps the mode set while stepping.
// VACUUM never reaches the authorizer; the parser rejects it.
#include <cstring>
#include <map>

#include "core/contract_internal.h"
#include "core/sql_lexer.h"

namespace aergo::contract_internal {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

const char* DeniedFunctionReason(std::string_view name) {
  struct Entry {
    const char* name;
    const char* reason;
  };
  static constexpr const char* kClock = "not deterministic (reads the clock; use :block_time)";
  static constexpr const char* kLibm =
      "not deterministic (its result depends on the platform's math library)";
  static constexpr Entry kDenied[] = {
      {"random", "not deterministic"},
      {"randomblob", "not deterministic"},
      // date, time, datetime, julianday, strftime, unixepoch and timediff
      // are allowed on explicit arguments (DateTimeArgsReason).
      {"current_time", kClock},
      {"current_date", kClock},
      {"current_timestamp", kClock},
      {"total_changes", "not deterministic (depends on the connection's history)"},
      {"sqlite_version", "not deterministic (depends on the SQLite build)"},
      {"sqlite_source_id", "not deterministic (depends on the SQLite build)"},
      {"sqlite_compileoption_get", "not deterministic (depends on the SQLite build)"},
      {"sqlite_compileoption_used", "not deterministic (depends on the SQLite build)"},
      {"sqlite_offset", "not deterministic (depends on the storage layout)"},
      {"load_extension", "it loads native code"},
      // Transcendental math comes from the platform's libm, whose last-bit
      // results differ between machines. (sqrt, ceil, floor, trunc, mod
      // and pi are exact and stay allowed.)
      {"acos", kLibm}, {"acosh", kLibm}, {"asin", kLibm}, {"asinh", kLibm},
      {"atan", kLibm}, {"atan2", kLibm}, {"atanh", kLibm}, {"cos", kLibm},
      {"cosh", kLibm}, {"sin", kLibm}, {"sinh", kLibm}, {"tan", kLibm},
      {"tanh", kLibm}, {"exp", kLibm}, {"ln", kLibm}, {"log", kLibm},
      {"log10", kLibm}, {"log2", kLibm}, {"pow", kLibm}, {"power", kLibm},
      {"degrees", kLibm}, {"radians", kLibm},
  };
  for (const Entry& e : kDenied) {
    if (name == e.name) return e.reason;
  }
  return nullptr;
}

bool IsDateTimeFunction(std::string_view name) {
  for (std::string_view f : kDateTimeFunctions) {
    if (name == f) return true;
  }
  return false;
}

namespace {

// ASCII case-insensitive equality (SQLite's sqlite3_stricmp on the text).
bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

// SQLite 3.46's date.c: isDate() reads the clock for no arguments, and
// parseDateOrTime() for the time values "now", "subsec" and "subsecond";
// parseModifier() calls the C library's localtime() for "localtime" and
// "utc". Every comparison is sqlite3_stricmp on the NUL-terminated text.
std::string DateTimeArgsReason(std::string_view name,
                               const std::vector<std::optional<std::string_view>>& args) {
  size_t first = name == "strftime" ? 1 : 0;           // the first time value
  size_t values = name == "timediff" ? 2 : 1;          // how many time values
  if (args.size() <= first) return "without a time value it reads the clock; use :block_time";
  for (size_t i = first; i < args.size(); ++i) {
    if (!args[i]) continue;
    std::string_view text = *args[i];
    if (i < first + values) {
      for (std::string_view now : {"now", "subsec", "subsecond"}) {
        if (EqualsNoCase(text, now))
          return "'" + std::string(text) + "' reads the clock; use :block_time";
      }
    } else {
      for (std::string_view zone : {"localtime", "utc"}) {
        if (EqualsNoCase(text, zone))
          return "the modifier '" + std::string(text) + "' depends on the host's time zone";
      }
    }
  }
  return "";
}

std::string ReservedRowidError(std::string_view table) {
  return "rowid " + std::to_string(kReservedRowid) + " is reserved (table '" + std::string(table) +
         "'): after it SQLite picks rowids at random";
}

void Sandbox::RowidHook(void* arg, int op, const char* dbname, const char* table,
                        sqlite3_int64 rowid) {
  if (rowid != kReservedRowid || op == SQLITE_DELETE) return;
  auto* im = static_cast<Sandbox*>(arg);
  if (im->mode != SandboxMode::kCall || !im->reserved_rowid_table.empty()) return;
  if (std::string_view(dbname) != "main" || std::strchr(table, '.') == nullptr) return;
  im->reserved_rowid_table = table;
}

int Sandbox::Authorize(void* arg, int action, const char* a3, const char* a4, const char* dbname,
                       const char* trigger) {
  auto* im = static_cast<Sandbox*>(arg);
  if (im->mode == SandboxMode::kOff) return SQLITE_OK;
  std::string reason = im->Verdict(action, a3 ? a3 : "", a4 ? a4 : "", dbname == nullptr);
  // Reading another block's state: the live tables its views shadow and
  // their helper tables are reachable only through those views, so a query
  // cannot mix in rows of the checked-out state (main."c.t") or see the
  // overlay's insides.
  if (reason.empty() && im->view && action == SQLITE_READ && trigger == nullptr && a3 && dbname) {
    std::string_view db(dbname), table(a3);
    bool hidden = (db == "main" && im->view->shadowed.count(std::string(table))) ||
                  im->view->internal.count(std::string(table));
    if (hidden)
      reason = "table '" + std::string(table) + "' of schema '" + std::string(db) +
               "' is not readable when reading as of a block: name state tables <contract>.<table>";
  }
  if (reason.empty()) return SQLITE_OK;
  if (im->denial.empty()) im->denial = std::move(reason);
  return SQLITE_DENY;
}

int Sandbox::Progress(void* arg) {
  auto* im = static_cast<Sandbox*>(arg);
  im->steps += kProgressOps;
  if (im->steps > im->budget) {
    im->budget_exceeded = true;
    return 1;
  }
  if (im->time_limit_ms > 0 && (im->steps / kProgressOps) % 16 == 0 &&
      std::chrono::steady_clock::now() > im->deadline) {
    im->deadline_passed = true;
    return 1;
  }
  return 0;
}

std::string Sandbox::Verdict(int action, std::string_view a3, std::string_view a4,
                             bool no_db) const {
  const std::string where = mode == SandboxMode::kQuery ? "queries" : "contracts";
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return "";
    case SQLITE_READ:
      // READ of sqlite_master's rowid comes from SQLite's own nested parse
      // (DDL, eponymous virtual tables); it reveals nothing.
      if (a3 == "sqlite_master" && (a4 == "ROWID" || mode == SandboxMode::kDeploy)) return "";
      return ReadVerdict(a3, a4, no_db);
    case SQLITE_FUNCTION: {
      std::string name = AsciiLower(a4);
      const char* why = DeniedFunctionReason(name);
      if (!why && !date_time_checked && IsDateTimeFunction(name))
        why = "not deterministic (reads the clock; its checked replacement is not installed)";
      if (!why) return "";
      return "function " + name + "() is not allowed in " + where + ": " + why;
    }
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      return WriteVerdict(a3, action);
    case SQLITE_PRAGMA:
      return "PRAGMA is not allowed in " + where;
    default:
      break;
  }
  if (mode == SandboxMode::kQuery) return kOnlyRead;
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      return "ATTACH and DETACH are not allowed in contracts";
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed in "
             "contracts: a call is already atomic";
    default:
      return DdlVerdict(action, a3, a4);
  }
}

std::string Sandbox::ReadVerdict(std::string_view table, std::string_view column,
                                 bool no_db) const {
  if (table.find('.') != std::string_view::npos) return "";
  if (table == "json_each" || table == "json_tree") return "";
  // count(*) reports READ(name, "") without a database for tables, CTEs and
  // subqueries alike; a name that is no table is a CTE or subquery.
  if (no_db && column.empty() && plain_tables.find(table) == plain_tables.end()) return "";
  if (mode == SandboxMode::kQuery) {
    return "table '" + std::string(table) +
           "' is not readable from queries: only contract tables <contract>.<table> are";
  }
  return "contract '" + contract + "' may not read table '" + std::string(table) +
         "': only contract tables are readable";
}

std::string Sandbox::WriteVerdict(std::string_view table, int action) const {
  // SQLite reports the schema-table writes that DDL makes before the DDL
  // action itself; let them through so the DDL verdict names the statement.
  // (Eponymous virtual tables such as json_each report an UPDATE too, even
  // in a SELECT.) Direct writes to the schema tables are refused by SQLite
  // itself ("table sqlite_master may not be modified"; writable_schema
  // needs a PRAGMA, which is denied), and queries must also pass
  // sqlite3_stmt_readonly().
  bool schema = table == "sqlite_master" || table == "sqlite_temp_master";
  if (mode == SandboxMode::kQuery) return schema && action == SQLITE_UPDATE ? "" : kOnlyRead;
  if (schema || StartsWith(table, prefix)) return "";
  return "contract '" + contract + "' may not write table '" + std::string(table) + "'";
}

std::string Sandbox::DdlVerdict(int action, std::string_view a3, std::string_view a4) const {
  bool deploy = mode == SandboxMode::kDeploy;
  if (deploy && action == SQLITE_CREATE_TABLE && StartsWith(a3, prefix)) return "";
  if (deploy && action == SQLITE_CREATE_INDEX && StartsWith(a4, prefix) &&
      (StartsWith(a3, prefix) || StartsWith(a3, "sqlite_autoindex_" + prefix))) {
    return "";
  }
  if (deploy && action == SQLITE_REINDEX && StartsWith(a3, prefix)) return "";
  static const std::map<int, const char*> kNames = {
      {SQLITE_CREATE_INDEX, "CREATE INDEX"},
      {SQLITE_CREATE_TABLE, "CREATE TABLE"},
      {SQLITE_CREATE_TEMP_INDEX, "CREATE TEMP INDEX"},
      {SQLITE_CREATE_TEMP_TABLE, "CREATE TEMP TABLE"},
      {SQLITE_CREATE_TEMP_TRIGGER, "CREATE TEMP TRIGGER"},
      {SQLITE_CREATE_TEMP_VIEW, "CREATE TEMP VIEW"},
      {SQLITE_CREATE_TRIGGER, "CREATE TRIGGER"},
      {SQLITE_CREATE_VIEW, "CREATE VIEW"},
      {SQLITE_DROP_INDEX, "DROP INDEX"},
      {SQLITE_DROP_TABLE, "DROP TABLE"},
      {SQLITE_DROP_TEMP_INDEX, "DROP INDEX"},
      {SQLITE_DROP_TEMP_TABLE, "DROP TABLE"},
      {SQLITE_DROP_TEMP_TRIGGER, "DROP TRIGGER"},
      {SQLITE_DROP_TEMP_VIEW, "DROP VIEW"},
      {SQLITE_DROP_TRIGGER, "DROP TRIGGER"},
      {SQLITE_DROP_VIEW, "DROP VIEW"},
      {SQLITE_ALTER_TABLE, "ALTER TABLE"},
      {SQLITE_REINDEX, "REINDEX"},
      {SQLITE_ANALYZE, "ANALYZE"},
      {SQLITE_CREATE_VTABLE, "CREATE VIRTUAL TABLE"},
      {SQLITE_DROP_VTABLE, "DROP VIRTUAL TABLE"},
  };
  auto it = kNames.find(action);
  std::string what = it != kNames.end() ? it->second : "statement kind " + std::to_string(action);
  if (deploy && (action == SQLITE_CREATE_TABLE || action == SQLITE_CREATE_INDEX)) {
    return "contract '" + contract + "' may not create '" + std::string(a3) + "' on '" +
           std::string(action == SQLITE_CREATE_INDEX ? a4 : a3) + "'";
  }
  if (action == SQLITE_CREATE_TABLE || action == SQLITE_CREATE_INDEX) {
    return what + " is not allowed in contract functions (declare tables and indexes at top level)";
  }
  return what + " is not allowed in contracts";
}

std::string Sandbox::ErrorText() const {
  if (budget_exceeded) return "step budget exceeded (" + std::to_string(budget) + " steps)";
  if (deadline_passed) return "stopped at the time limit for queries (" + std::to_string(time_limit_ms) + " ms)";
  if (!denial.empty()) return denial;
  return sqlite3_errmsg(db);
}

// contract_owner(): the owner address of the running contract. DIRECTONLY
// keeps it out of CHECK/DEFAULT/index expressions and views, which could be
// evaluated outside a call.
void Sandbox::OwnerFn(sqlite3_context* ctx, int, sqlite3_value**) {
  auto* im = static_cast<Sandbox*>(sqlite3_user_data(ctx));
  if (im->mode != SandboxMode::kCall && im->mode != SandboxMode::kDeploy) {
    sqlite3_result_error(ctx, "contract_owner() is only available in contract functions", -1);
    return;
  }
  sqlite3_result_text64(ctx, im->owner.data(), im->owner.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace aergo::contract_internal
