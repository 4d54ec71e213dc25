// ContractEngine: sandboxed deployment, calls, queries and the state root.
//
// Sandbox: see contract_sandbox.cpp. The engine sets the mode around
// every prepare and step of contract and query SQL and restores kOff.
//
// Step budget: during Call and Deploy a progress handler runs every
// kProgressOps VM instructions and aborts once the count exceeds the budget.
//
// Storage: CreateSchema (shared by Deploy, Validate and CreateTables) runs
// the DDL and creates every table whose PRIMARY KEY would be a separate
// index (not the rowid alias) WITHOUT ROWID, so a table's layout follows
// from its source alone: no NULL keys, no hidden rowids, scans in key order.
//
// Caching: each contract's parsed source and, per function, its prepared
// statements with a binding plan are cached after first use. A cached
// contract is revalidated on each call by its deploy txid in
// "aergo.contracts" (one primary-key lookup), so a state rolled back or
// switched to another branch never runs a stale contract.
#include "core/contract.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <set>

#include "core/contract_internal.h"
#include "core/sql_lexer.h"
#include "core/sqlite.h"

namespace aergo {
namespace {

using contract_internal::BuiltinParamIndex;
using contract_internal::kOnlyRead;
using contract_internal::kProgressOps;
using contract_internal::Sandbox;
using Mode = contract_internal::SandboxMode;

// Binding plan entry: statement parameter `index` gets builtin `-1 - b`
// (b indexes kBuiltinParams) when source < 0, else argument `source`.
struct Binding {
  int index;
  int source;
};

struct CompiledStatement {
  Stmt stmt;
  std::vector<Binding> bindings;
  int line = 0;
};

struct LoadedContract;

struct CompiledFunction {
  const LoadedContract* contract = nullptr;  // the owning entry
  ContractFunction decl;
  bool compiled = false;
  bool uses_changes = false;  // calls changes(): reset the counter first
  std::vector<CompiledStatement> statements;
};

struct LoadedContract {
  std::string name;
  std::string owner;
  std::string txid;
  std::string file;             // "<name>.sql", for messages
  std::set<std::string> names;  // own tables and indexes, lowercase
  std::map<std::string, CompiledFunction, std::less<>> functions;
};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string LineError(const std::string& file, int line, const std::string& reason) {
  return file + ":" + std::to_string(line) + ": " + reason;
}

Status CheckContractName(const std::string& name) {
  if (name == "aergo") return Exists("contract name 'aergo' is reserved");
  if (!IsValidContractName(name)) {
    return Invalid("invalid contract name '" + name +
                   "' (use a-z, 0-9 and _, not starting with a digit, at most 64 characters)");
  }
  return Status::Ok();
}

// Parsed source to the engine's view of a contract: name, file for
// messages, and its own table and index names.
LoadedContract Describe(const std::string& name, const std::string& owner, const std::string& file,
                        const ContractSource& src) {
  LoadedContract lc;
  lc.name = name;
  lc.owner = owner;
  lc.file = file;
  lc.names.insert(src.tables.begin(), src.tables.end());
  lc.names.insert(src.indexes.begin(), src.indexes.end());
  return lc;
}

}  // namespace

// Sandbox state (mode, denial, budget) plus the engine's caches. Passed to
// SQLite callbacks as Sandbox*.
struct ContractEngine::Impl : contract_internal::Sandbox {
  explicit Impl(sqlite3* d) { db = d; }

  std::map<std::string, std::unique_ptr<LoadedContract>, std::less<>> cache;
  Stmt sp_begin, sp_release, sp_rollback, lookup_txid, reset_changes;

  // Sets the sandbox mode for the scope's lifetime, restoring kOff after.
  class Scope {
   public:
    Scope(Impl* im, Mode m, std::string_view contract, std::string_view owner) : im_(im) {
      im_->mode = m;
      im_->contract.assign(contract);
      im_->prefix.assign(contract);
      im_->prefix += '.';
      im_->owner.assign(owner);
      im_->denial.clear();
      im_->budget_exceeded = false;
    }
    ~Scope() { im_->mode = Mode::kOff; }  // scopes never nest
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Impl* im_;
  };

  // Installs the step budget for the scope's lifetime.
  class Budget {
   public:
    Budget(Impl* im, uint64_t budget, uint64_t time_limit_ms = 0) : im_(im) {
      im_->steps = 0;
      im_->budget = budget;
      im_->budget_exceeded = false;
      im_->time_limit_ms = time_limit_ms;
      im_->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(time_limit_ms);
      im_->deadline_passed = false;
      sqlite3_progress_handler(im_->db, kProgressOps, &Sandbox::Progress,
                               static_cast<Sandbox*>(im_));
    }
    ~Budget() {
      sqlite3_progress_handler(im_->db, 0, nullptr, nullptr);
      im_->time_limit_ms = 0;
    }
    Budget(const Budget&) = delete;
    Budget& operator=(const Budget&) = delete;

   private:
    Impl* im_;
  };

  Status RunSimple(Stmt& stmt, const char* sql);
  Result<std::set<std::string>> DottedTables();
  Status RefreshPlainTables();
  Result<LoadedContract*> Load(std::string_view name);
  Result<CompiledFunction*> Compiled(std::string_view contract, std::string_view function);
  Status Compile(LoadedContract* lc, CompiledFunction* fn, const std::set<std::string>& qualified);
  Status CheckColumns(const LoadedContract& lc, const std::string& file, int line);
  Status CheckPrimaryKey(const std::string& table, const std::string& shown, const std::string& file,
                         int line);
  Status RunDdl(const LoadedContract& lc, const std::string& sql, int line);
  Status CreateSchema(const LoadedContract& lc, const ContractSource& src, bool deploy);
  Status CheckWritable(const LoadedContract& lc, const std::string& table, int line);
  Status Install(const std::string& name, std::string_view source, const std::string& file,
                 const CallEnv& env, bool record, uint64_t budget);
  Status RunCalls(CompiledFunction& fn, const std::vector<Value>& args, const CallEnv& env);
};

// ---- SQL functions ---------------------------------------------------------

namespace {

// require(cond, message): 1 if cond is true; else fails the statement with
// message. NULL and values that are 0 as numbers are false (as in WHERE).
void RequireFn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_value* cond = argv[0];
  if (sqlite3_value_type(cond) != SQLITE_NULL && sqlite3_value_double(cond) != 0.0) {
    sqlite3_result_int(ctx, 1);
    return;
  }
  const unsigned char* msg = sqlite3_value_text(argv[1]);
  int n = sqlite3_value_bytes(argv[1]);
  if (!msg || n == 0) {
    sqlite3_result_error(ctx, "require failed", -1);
  } else {
    sqlite3_result_error(ctx, reinterpret_cast<const char*>(msg), n);
  }
}

// A function that returns NULL (a stand-in that never runs).
void NullFn(sqlite3_context* ctx, int, sqlite3_value**) { sqlite3_result_null(ctx); }

// Binds v without copying: the caller keeps v alive until the statement is
// reset and its bindings cleared.
void BindStatic(sqlite3_stmt* s, int i, const Value& v) {
  switch (v.type) {
    case Value::Type::kNull:
      sqlite3_bind_null(s, i);
      break;
    case Value::Type::kInteger:
      sqlite3_bind_int64(s, i, v.integer);
      break;
    case Value::Type::kReal:
      sqlite3_bind_double(s, i, v.real);
      break;
    case Value::Type::kText:
      sqlite3_bind_text64(s, i, v.bytes.data(), v.bytes.size(), SQLITE_STATIC, SQLITE_UTF8);
      break;
    case Value::Type::kBlob:
      sqlite3_bind_blob64(s, i, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
      break;
  }
}

void BindText(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text64(s, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// The deterministic date/time functions. The engine's connection calls
// these wrappers in place of SQLite's own date, time, datetime, julianday,
// unixepoch, strftime and timediff. A wrapper refuses arguments that would
// read the clock or the host's time zone (DateTimeArgsReason: the error is
// "<name>(): <reason>") and otherwise returns what SQLite's own function
// gives for the same argument values, by evaluating "SELECT <name>(?1,
// ...)" on a private in-memory connection of the same SQLite: results are
// SQLite's, byte for byte. The connection and its statements (one per name
// and argument count) are shared by the wrappers and freed with the last
// of them (SQLite owns each wrapper's user data, so a wrapper that outlives
// the engine stays valid).
struct DateTimeShim {
  Db conn;
  std::map<std::pair<std::string, int>, Stmt> stmts;
};

struct DateTimeWrapper {
  std::shared_ptr<DateTimeShim> shim;
  std::string name;  // lowercase
};

void DateTimeFn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* w = static_cast<DateTimeWrapper*>(sqlite3_user_data(ctx));
  std::vector<std::optional<std::string_view>> texts;
  texts.reserve(static_cast<size_t>(argc));
  for (int i = 0; i < argc; ++i) {
    // As SQLite reads the argument: numbers as numbers, TEXT and BLOB as
    // NUL-terminated text (a BLOB read as bytes, so its value is untouched).
    const char* p = nullptr;
    size_t n = 0;
    switch (sqlite3_value_type(argv[i])) {
      case SQLITE_TEXT:
        p = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
        n = p ? std::strlen(p) : 0;
        break;
      case SQLITE_BLOB: {
        p = static_cast<const char*>(sqlite3_value_blob(argv[i]));
        n = static_cast<size_t>(sqlite3_value_bytes(argv[i]));
        if (const void* nul = p ? std::memchr(p, 0, n) : nullptr) n = static_cast<size_t>(static_cast<const char*>(nul) - p);
        if (!p) p = "";
        break;
      }
      default:
        break;
    }
    texts.push_back(p ? std::optional<std::string_view>(std::string_view(p, n)) : std::nullopt);
  }
  std::string reason = contract_internal::DateTimeArgsReason(w->name, texts);
  if (!reason.empty()) {
    std::string msg = w->name + "(): " + reason;
    sqlite3_result_error(ctx, msg.c_str(), static_cast<int>(msg.size()));
    return;
  }
  DateTimeShim& shim = *w->shim;
  Stmt& stmt = shim.stmts[{w->name, argc}];
  if (!stmt) {
    std::string sql = "SELECT " + w->name + "(";
    for (int i = 1; i <= argc; ++i) sql += (i > 1 ? ", ?" : "?") + std::to_string(i);
    sql += ")";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(shim.conn.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw,
                           nullptr) != SQLITE_OK) {
      std::string msg = w->name + "(): " + sqlite3_errmsg(shim.conn.get());
      shim.stmts.erase({w->name, argc});
      sqlite3_result_error(ctx, msg.c_str(), static_cast<int>(msg.size()));
      return;
    }
    stmt = Stmt(raw);
  }
  sqlite3_stmt* s = stmt.get();
  for (int i = 0; i < argc; ++i) sqlite3_bind_value(s, i + 1, argv[i]);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    sqlite3_result_value(ctx, sqlite3_column_value(s, 0));
  } else {
    std::string msg = w->name + "(): " + sqlite3_errmsg(shim.conn.get());
    sqlite3_result_error(ctx, msg.c_str(), static_cast<int>(msg.size()));
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
}

void DeleteDateTimeWrapper(void* p) { delete static_cast<DateTimeWrapper*>(p); }

// timediff takes exactly two arguments, as SQLite's (a call with another
// count then fails to prepare, as it would without the wrapper); the
// others any number.
int DateTimeArity(std::string_view name) { return name == "timediff" ? 2 : -1; }

// Installs the wrappers on db. On failure (no memory for the private
// connection) the engine keeps the date/time functions denied
// (Sandbox::date_time_checked), so SQLite's own never run in a contract.
Status InstallDateTimeWrappers(sqlite3* db) {
  AERGO_ASSIGN_OR_RETURN(Db conn, Db::Open(":memory:", true));
  auto shim = std::make_shared<DateTimeShim>();
  shim->conn = std::move(conn);
  for (std::string_view name : contract_internal::kDateTimeFunctions) {
    auto* w = new DateTimeWrapper{shim, std::string(name)};
    // On failure SQLite calls the destructor itself.
    int rc = sqlite3_create_function_v2(
        db, w->name.c_str(), DateTimeArity(name), SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
        w, DateTimeFn, nullptr, nullptr, DeleteDateTimeWrapper);
    if (rc != SQLITE_OK)
      return IoError("install " + std::string(name) + "(): " + sqlite3_errmsg(db));
  }
  return Status::Ok();
}

}  // namespace

// ---- engine internals ---------------------------------------------------------

Status ContractEngine::Impl::RunSimple(Stmt& stmt, const char* sql) {
  if (!stmt) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      return IoError(std::string(sql) + ": " + sqlite3_errmsg(db));
    }
    stmt = Stmt(raw);
  }
  int rc = sqlite3_step(stmt.get());
  Status st =
      rc == SQLITE_DONE ? Status::Ok() : IoError(std::string(sql) + ": " + sqlite3_errmsg(db));
  sqlite3_reset(stmt.get());
  return st;
}

Result<std::set<std::string>> ContractEngine::Impl::DottedTables() {
  sqlite3_stmt* raw = nullptr;
  const char* sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND instr(name, '.') > 0";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return IoError(std::string("list tables: ") + sqlite3_errmsg(db));
  }
  Stmt stmt(raw);
  std::set<std::string> out;
  while (stmt.Step() == SQLITE_ROW) out.insert(stmt.Text(0));
  return out;
}

Status ContractEngine::Impl::RefreshPlainTables() {
  sqlite3_stmt* raw = nullptr;
  const char* sql =
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND instr(name, '.') = 0 "
      "UNION SELECT name FROM sqlite_temp_master WHERE type IN ('table', 'view')";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return IoError(std::string("list tables: ") + sqlite3_errmsg(db));
  }
  Stmt stmt(raw);
  plain_tables.clear();
  while (stmt.Step() == SQLITE_ROW) plain_tables.insert(stmt.Text(0));
  plain_tables.insert("sqlite_master");
  plain_tables.insert("sqlite_temp_master");
  return Status::Ok();
}

Result<LoadedContract*> ContractEngine::Impl::Load(std::string_view name) {
  if (!lookup_txid) {
    sqlite3_stmt* raw = nullptr;
    const char* sql = "SELECT txid FROM \"aergo.contracts\" WHERE name = ?1";
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      return IoError(std::string("contract registry unavailable: ") + sqlite3_errmsg(db));
    }
    lookup_txid = Stmt(raw);
  }
  sqlite3_stmt* s = lookup_txid.get();
  sqlite3_bind_text64(s, 1, name.data(), name.size(), SQLITE_STATIC, SQLITE_UTF8);
  int rc = sqlite3_step(s);
  auto it = cache.find(name);
  bool fresh = false;
  if (rc == SQLITE_ROW && it != cache.end()) {
    const char* txid = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    fresh = txid && it->second->txid == txid;
  }
  std::string err = rc == SQLITE_ROW || rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (fresh) return it->second.get();
  if (it != cache.end()) cache.erase(it);
  if (!err.empty()) return IoError("contract registry: " + err);
  if (rc == SQLITE_DONE) return NotFound("contract '" + std::string(name) + "' not found");

  sqlite3_stmt* raw = nullptr;
  const char* sql = "SELECT owner, source, txid FROM \"aergo.contracts\" WHERE name = ?1";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return IoError(std::string("contract registry: ") + sqlite3_errmsg(db));
  }
  Stmt row(raw);
  row.Bind(1, std::string(name));
  if (row.Step() != SQLITE_ROW) return NotFound("contract '" + std::string(name) + "' not found");
  auto lc = std::make_unique<LoadedContract>();
  lc->name = std::string(name);
  lc->owner = row.Text(0);
  lc->txid = row.Text(2);
  lc->file = lc->name + ".sql";
  Result<ContractSource> src = ParseContract(row.Text(1), lc->file);
  if (!src.ok()) {
    return Corrupt("stored contract '" + lc->name + "' does not parse: " + src.status().message());
  }
  lc->names.insert(src->tables.begin(), src->tables.end());
  lc->names.insert(src->indexes.begin(), src->indexes.end());
  for (ContractFunction& f : src->functions) {
    std::string key = f.name;
    CompiledFunction& cf = lc->functions[key];
    cf.contract = lc.get();
    cf.decl = std::move(f);
  }
  LoadedContract* out = lc.get();
  cache[lc->name] = std::move(lc);
  return out;
}

Result<CompiledFunction*> ContractEngine::Impl::Compiled(std::string_view contract,
                                                         std::string_view function) {
  AERGO_ASSIGN_OR_RETURN(LoadedContract * lc, Load(contract));
  auto it = lc->functions.find(function);
  if (it == lc->functions.end()) {
    return NotFound("function '" + std::string(function) + "' not found in contract '" + lc->name +
                    "'");
  }
  if (!it->second.compiled) {
    AERGO_ASSIGN_OR_RETURN(std::set<std::string> qualified, DottedTables());
    AERGO_RETURN_IF_ERROR(Compile(lc, &it->second, qualified));
  }
  return &it->second;
}

// Prepares every statement of fn under kCall and builds its binding plan.
// Statically visible sandbox violations fail here, naming the line.
Status ContractEngine::Impl::Compile(LoadedContract* lc, CompiledFunction* fn,
                                     const std::set<std::string>& qualified) {
  const ContractFunction& decl = fn->decl;
  AERGO_RETURN_IF_ERROR(RefreshPlainTables());
  std::vector<CompiledStatement> out;
  for (size_t i = 0; i < decl.statements.size(); ++i) {
    int line = decl.statement_lines[i];
    auto fail = [&](Code code, const std::string& reason) {
      return Status::Error(code, LineError(lc->file, line, reason));
    };
    AERGO_ASSIGN_OR_RETURN(std::vector<SqlToken> tokens, TokenizeSql(decl.statements[i]));
    std::string sql = RewriteSqlNames(tokens, lc->names, lc->name + ".", qualified);
    for (const SqlToken& t : tokens) fn->uses_changes |= t.IsKeyword("changes");
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc;
    std::string err;
    bool denied;
    {
      Scope scope(this, Mode::kCall, lc->name, lc->owner);
      rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
      err = ErrorText();
      denied = !denial.empty();
    }
    CompiledStatement cs;
    cs.stmt = Stmt(raw);
    cs.line = line;
    if (rc != SQLITE_OK) return fail(denied ? Code::kDenied : Code::kInvalid, err);
    if (!raw) return fail(Code::kInvalid, "empty statement");
    if (!IsBlankSql(tail)) return fail(Code::kInvalid, "more than one statement before ;");
    for (int j = 1; j <= sqlite3_bind_parameter_count(raw); ++j) {
      const char* pname = sqlite3_bind_parameter_name(raw, j);
      if (!pname || pname[0] != ':') {
        return fail(Code::kInvalid, "positional parameters are not allowed: use :name");
      }
      std::string lower = AsciiLower(pname + 1);
      int source = BuiltinParamIndex(lower);
      if (source >= 0) {
        source = -1 - source;
      } else {
        for (size_t p = 0; p < decl.params.size() && source < 0; ++p) {
          if (decl.params[p].name == lower) source = static_cast<int>(p);
        }
        if (source < 0) return fail(Code::kInvalid, "unknown parameter :" + lower);
      }
      cs.bindings.push_back({j, source});
    }
    out.push_back(std::move(cs));
  }
  fn->statements = std::move(out);
  fn->compiled = true;
  return Status::Ok();
}

// Rejects columns whose names were rewritten (they collide with a table or
// index name of the contract) or contain '.'.
Status ContractEngine::Impl::CheckColumns(const LoadedContract& lc, const std::string& file,
                                          int line) {
  for (const std::string& name : lc.names) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1)", -1, &raw, nullptr) !=
        SQLITE_OK) {
      return IoError(std::string("table_info: ") + sqlite3_errmsg(db));
    }
    Stmt stmt(raw);
    stmt.Bind(1, lc.name + "." + name);
    while (stmt.Step() == SQLITE_ROW) {
      std::string col = stmt.Text(0);
      if (col.find('.') == std::string::npos) continue;
      std::string own = lc.name + ".";
      if (StartsWith(col, own)) {
        return Invalid(LineError(file, line,
                                 "column '" + col.substr(own.size()) + "' of table '" + name +
                                     "' has the same name as a table or index of the contract"));
      }
      return Invalid(LineError(file, line, "column name '" + col + "' must not contain '.'"));
    }
    AERGO_RETURN_IF_ERROR(CheckPrimaryKey(lc.name + "." + name, name, file, line));
  }
  return Status::Ok();
}

// Every table needs a PRIMARY KEY: state roots order rows by it and the
// session extension records changes only for tables that have one.
Status ContractEngine::Impl::CheckPrimaryKey(const std::string& table, const std::string& shown,
                                             const std::string& file, int line) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE pk > 0) "
                         "FROM pragma_table_list WHERE schema = 'main' AND name = ?1 AND "
                         "type = 'table'",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return IoError(std::string("table_list: ") + sqlite3_errmsg(db));
  }
  Stmt stmt(raw);
  stmt.Bind(1, table);
  // No row: an index, or a table not created yet.
  if (stmt.Step() != SQLITE_ROW || stmt.Int(0) != 0) return Status::Ok();
  return Invalid(LineError(file, line, "table '" + shown +
                                           "' needs a PRIMARY KEY (state roots and changes are "
                                           "keyed by it)"));
}

namespace {

// The significant tokens of one CREATE TABLE statement, without trailing
// ';', and the index (into `sig`) of the ')' closing its column list, or
// npos for CREATE TABLE ... AS SELECT.
struct TableDdl {
  std::vector<SqlToken> tokens;
  std::vector<size_t> sig;
  size_t close = std::string::npos;
};

Result<TableDdl> ScanTableDdl(const std::string& sql) {
  TableDdl d;
  AERGO_ASSIGN_OR_RETURN(d.tokens, TokenizeSql(sql));
  for (size_t i = 0; i < d.tokens.size(); ++i) {
    if (d.tokens[i].significant()) d.sig.push_back(i);
  }
  while (!d.sig.empty() && d.tokens[d.sig.back()].IsPunct(";")) d.sig.pop_back();
  // CREATE TABLE [IF NOT EXISTS] name ( ... ): the column list follows the name.
  size_t k = 2;
  if (k < d.sig.size() && d.tokens[d.sig[k]].IsKeyword("if")) k += 3;
  ++k;  // the name
  if (k >= d.sig.size() || !d.tokens[d.sig[k]].IsPunct("(")) return d;
  int depth = 0;
  for (; k < d.sig.size(); ++k) {
    const SqlToken& t = d.tokens[d.sig[k]];
    if (t.IsPunct("(")) ++depth;
    if (t.IsPunct(")") && --depth == 0) {
      d.close = k;
      break;
    }
  }
  return d;
}

// The statement with the table option WITHOUT ROWID added: " WITHOUT ROWID"
// after the column list when it ends the statement, else ", WITHOUT ROWID"
// after the options already there (STRICT). A trailing ';' is dropped.
std::string AppendWithoutRowid(const std::string& sql, const TableDdl& d) {
  const SqlToken& last = d.tokens[d.sig.back()];
  std::string out = sql.substr(0, last.pos + last.text.size());
  out += d.close + 1 == d.sig.size() ? " WITHOUT ROWID" : ", WITHOUT ROWID";
  return out;
}

// One statement prepared on db (the engine's own bookkeeping, outside the
// sandbox).
Result<Stmt> PrepareOn(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
    return IoError(std::string(sql) + ": " + sqlite3_errmsg(db));
  return Stmt(raw);
}

// Runs the first statement of sql on db; true if it succeeded.
bool TryCreate(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  Stmt stmt(raw);
  return rc == SQLITE_OK && raw && sqlite3_step(raw) == SQLITE_DONE;
}

// True if `table` on db is a rowid table whose PRIMARY KEY is a separate
// index (the key is not the rowid alias).
Result<bool> HasSeparateKeyIndex(sqlite3* db, const std::string& table) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT wr = 0 AND EXISTS (SELECT 1 FROM pragma_index_list(?1) "
                         "WHERE origin = 'pk') "
                         "FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return IoError(std::string("table_list: ") + sqlite3_errmsg(db));
  }
  Stmt stmt(raw);
  stmt.Bind(1, table);
  return stmt.Step() == SQLITE_ROW && stmt.Int(0) != 0;
}

}  // namespace

// Runs one rewritten CREATE TABLE / CREATE INDEX under kDeploy. Errors name
// the contract file and the statement's line.
Status ContractEngine::Impl::RunDdl(const LoadedContract& lc, const std::string& sql, int line) {
  Scope scope(this, Mode::kDeploy, lc.name, lc.owner);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  Stmt stmt(raw);
  if (rc == SQLITE_OK && raw) rc = sqlite3_step(raw);
  if (rc == SQLITE_OK || rc == SQLITE_DONE) return Status::Ok();
  return Status::Error(denial.empty() ? Code::kInvalid : Code::kDenied,
                       LineError(lc.file, line, ErrorText()));
}

// Runs the contract's DDL in declaration order, rewritten to storage names,
// and checks columns and keys after each statement. Storage rule: a CREATE
// TABLE whose table would be a rowid table with a separate PRIMARY KEY
// index gets WITHOUT ROWID appended. SQLite itself decides that, on a
// private in-memory database where the statement is tried first, so the
// real table is created once, in its final form (a DROP would fail while
// any statement of the caller's connection is active). The result is
// checked on the real table. Used by Install and CreateTables, so both
// leave identical sqlite_master entries.
Status ContractEngine::Impl::CreateSchema(const LoadedContract& lc, const ContractSource& src,
                                          bool deploy) {
  AERGO_RETURN_IF_ERROR(RefreshPlainTables());
  std::optional<Db> scratch;
  size_t next_table = 0;  // src.tables lists tables in DDL order
  size_t next_index = 0;  // src.indexes likewise
  for (size_t i = 0; i < src.ddl.size(); ++i) {
    int line = src.ddl_lines[i];
    AERGO_ASSIGN_OR_RETURN(std::vector<SqlToken> tokens, TokenizeSql(src.ddl[i]));
    std::string sql = RewriteSqlNames(tokens, lc.names, lc.name + ".", {});
    const SqlToken* second = nullptr;
    int seen = 0;
    for (const SqlToken& t : tokens) {
      if (t.significant() && ++seen == 2) {
        second = &t;
        break;
      }
    }
    std::string table;
    if (second && second->IsKeyword("table")) {
      if (next_table >= src.tables.size()) return Corrupt("contract source: table list mismatch");
      table = lc.name + "." + src.tables[next_table++];
      AERGO_ASSIGN_OR_RETURN(TableDdl d, ScanTableDdl(sql));
      if (d.close != std::string::npos) {  // not CREATE TABLE ... AS SELECT
        if (!scratch) {
          AERGO_ASSIGN_OR_RETURN(Db opened, Db::Open(":memory:", true));
          sqlite3_create_function_v2(opened.get(), "require", 2,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                     nullptr, RequireFn, nullptr, nullptr, nullptr);
          // So that a table naming contract_owner() is tried here too and
          // reaches the deploy checks (which refuse it), not the storage
          // rule's fallback. Its value does not matter: nothing runs.
          sqlite3_create_function_v2(opened.get(), "contract_owner", 0,
                                     SQLITE_UTF8 | SQLITE_DIRECTONLY, nullptr, NullFn,
                                     nullptr, nullptr, nullptr);
          scratch = std::move(opened);
        }
        // A statement the scratch database refuses is run as written: the
        // real database reports the error, or the check below refuses it.
        if (TryCreate(scratch->get(), sql)) {
          AERGO_ASSIGN_OR_RETURN(bool convert, HasSeparateKeyIndex(scratch->get(), table));
          AERGO_RETURN_IF_ERROR(scratch->Exec("DROP TABLE " + QuoteIdent(table)));
          if (convert) sql = AppendWithoutRowid(sql, d);
        }
      }
    }
    std::string index;
    if (second && !second->IsKeyword("table")) {
      if (next_index >= src.indexes.size()) return Corrupt("contract source: index list mismatch");
      index = lc.name + "." + src.indexes[next_index++];
    }
    AERGO_RETURN_IF_ERROR(RunDdl(lc, sql, line));
    if (deploy) {
      std::string written = table;
      if (!index.empty()) {  // the table the index is on
        AERGO_ASSIGN_OR_RETURN(Stmt on, PrepareOn(db, "SELECT tbl_name FROM sqlite_master WHERE "
                                                          "type = 'index' AND name = ?1"));
        on.Bind(1, index);
        if (on.Step() == SQLITE_ROW) written = on.Text(0);
      }
      if (!written.empty()) AERGO_RETURN_IF_ERROR(CheckWritable(lc, written, line));
    }
    if (!table.empty()) {
      AERGO_ASSIGN_OR_RETURN(bool rowid_key, HasSeparateKeyIndex(db, table));
      if (rowid_key) {
        return Invalid(LineError(lc.file, line,
                                 "table '" + src.tables[next_table - 1] +
                                     "' is a rowid table with a separate PRIMARY KEY index, "
                                     "which contract tables may not be"));
      }
    }
    AERGO_RETURN_IF_ERROR(CheckColumns(lc, lc.file, line));
  }
  return Status::Ok();
}

// Deploy only (a state rebuilt from changes re-creates what was deployed):
// refuses table features that deploy would accept but calls could not
// write, naming the line of the statement that made them.
//  - Generated columns: changes record and restore whole stored rows, and
//    SQLite neither reports nor accepts a value for a generated column.
//  - Foreign keys: the state's connections run with foreign_keys=OFF, so a
//    REFERENCES clause would never be checked (and one naming another
//    contract's table could never be, as that contract writes it).
//  - Everything SQLite resolves only when a write is compiled — CHECK,
//    DEFAULT, generated and index expressions and their functions and
//    collations: an INSERT and an UPDATE of every column are prepared (not
//    run) under the call sandbox, so an unknown or denied function, a
//    function SQLite refuses there (contract_owner(), changes()) or an
//    unknown collation fails the deploy with the reason the calls would
//    give.
Status ContractEngine::Impl::CheckWritable(const LoadedContract& lc, const std::string& table,
                                           int line) {
  std::string shown = StartsWith(table, lc.name + ".") ? table.substr(lc.name.size() + 1) : table;
  auto fail = [&](Code code, const std::string& reason) {
    return Status::Error(code, LineError(lc.file, line, "table '" + shown + "': " + reason));
  };
  std::vector<std::string> columns;
  {
    AERGO_ASSIGN_OR_RETURN(Stmt cols, PrepareOn(db, "SELECT name, hidden FROM pragma_table_xinfo(?1) ORDER BY cid"));
    cols.Bind(1, table);
    while (cols.Step() == SQLITE_ROW) {
      if (cols.Int(1) != 0) {
        return fail(Code::kInvalid,
                    "column '" + cols.Text(0) +
                        "' is a generated column, which contracts may not declare: blocks record "
                        "and restore whole stored rows, and a generated column can be neither "
                        "recorded nor written back");
      }
      columns.push_back(cols.Text(0));
    }
  }
  {
    AERGO_ASSIGN_OR_RETURN(Stmt fks, PrepareOn(db, "SELECT \"table\" FROM pragma_foreign_key_list(?1)"));
    fks.Bind(1, table);
    if (fks.Step() == SQLITE_ROW) {
      std::string parent = fks.Text(0);
      std::string own = lc.name + ".";
      bool other = !StartsWith(AsciiLower(parent), own);
      return fail(Code::kInvalid,
                  "a foreign key (REFERENCES " + (other ? "'" + parent + "'" : "'" + parent.substr(own.size()) + "'") +
                      ") is not allowed in contracts: the ledger state is written with foreign "
                      "keys off, so it would never be checked" +
                      (other ? std::string(", and '") + parent + "' is not a table of contract '" + lc.name +
                                   "' (another contract's writes could never check it)"
                             : std::string()));
    }
  }
  std::string update = "UPDATE " + QuoteIdent(table) + " SET ";
  for (size_t i = 0; i < columns.size(); ++i)
    update += (i ? ", " : "") + QuoteIdent(columns[i]) + " = " + QuoteIdent(columns[i]);
  for (const std::string& probe : {"INSERT INTO " + QuoteIdent(table) + " DEFAULT VALUES", update}) {
    sqlite3_stmt* raw = nullptr;
    int rc;
    std::string err;
    bool denied;
    {
      Scope scope(this, Mode::kCall, lc.name, lc.owner);
      rc = sqlite3_prepare_v2(db, probe.c_str(), static_cast<int>(probe.size()), &raw, nullptr);
      err = ErrorText();
      denied = !denial.empty();
    }
    Stmt stmt(raw);
    if (rc != SQLITE_OK)
      return fail(denied ? Code::kDenied : Code::kInvalid, "calls could not write it: " + err);
  }
  return Status::Ok();
}

// Creates the contract's tables and prepares its functions in the current
// savepoint; records it in "aergo.contracts" when `record`. The caller
// rolls back on failure (and always, for validation).
Status ContractEngine::Impl::Install(const std::string& name, std::string_view source,
                                     const std::string& file, const CallEnv& env, bool record,
                                     uint64_t step_budget) {
  AERGO_RETURN_IF_ERROR(CheckContractName(name));
  AERGO_ASSIGN_OR_RETURN(ContractSource src, ParseContract(source, file));
  {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM \"aergo.contracts\" WHERE name = ?1", -1, &raw,
                           nullptr) != SQLITE_OK) {
      return IoError(std::string("contract registry unavailable: ") + sqlite3_errmsg(db));
    }
    Stmt exists(raw);
    exists.Bind(1, name);
    if (exists.Step() == SQLITE_ROW) return Exists("contract '" + name + "' already exists");
  }
  LoadedContract lc = Describe(name, env.sender, file, src);
  Budget budget(this, step_budget);
  AERGO_RETURN_IF_ERROR(CreateSchema(lc, src, true));
  AERGO_ASSIGN_OR_RETURN(std::set<std::string> qualified, DottedTables());
  for (ContractFunction& f : src.functions) {
    CompiledFunction cf;
    cf.contract = &lc;
    cf.decl = std::move(f);
    AERGO_RETURN_IF_ERROR(Compile(&lc, &cf, qualified));
  }
  if (!record) return Status::Ok();
  sqlite3_stmt* raw = nullptr;
  const char* sql =
      "INSERT INTO \"aergo.contracts\" (name, owner, source, txid) VALUES (?1, ?2, ?3, ?4)";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return IoError(std::string("record contract: ") + sqlite3_errmsg(db));
  }
  Stmt insert(raw);
  insert.Bind(1, name).Bind(2, env.sender).Bind(3, std::string(source)).Bind(4, env.txid);
  if (insert.Step() != SQLITE_DONE) {
    return IoError(std::string("record contract: ") + sqlite3_errmsg(db));
  }
  return Status::Ok();
}

// Runs fn's statements in order (the caller holds the savepoint, the mode
// and the budget). Returns the first failure's reason.
Status ContractEngine::Impl::RunCalls(CompiledFunction& fn, const std::vector<Value>& args,
                                      const CallEnv& env) {
  for (CompiledStatement& cs : fn.statements) {
    sqlite3_stmt* s = cs.stmt.get();
    for (const Binding& b : cs.bindings) {
      switch (b.source) {
        case -1:
          BindText(s, b.index, env.sender);
          break;
        case -2:
          sqlite3_bind_int64(s, b.index, env.height);
          break;
        case -3:
          sqlite3_bind_int64(s, b.index, env.block_time);
          break;
        case -4:
          BindText(s, b.index, env.txid);
          break;
        default: {
          const Value& v = args[static_cast<size_t>(b.source)];
          if (fn.decl.params[static_cast<size_t>(b.source)].type == Value::Type::kReal &&
              v.type == Value::Type::kInteger) {
            sqlite3_bind_double(s, b.index, static_cast<double>(v.integer));
          } else {
            BindStatic(s, b.index, v);
          }
        }
      }
    }
    int rc;
    reserved_rowid_table.clear();
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    }
    std::string err;
    // A statement that stored the reserved rowid fails with that reason
    // even if it failed later for another (a row after it may have got a
    // random rowid), so every replay reports the same error.
    if (!reserved_rowid_table.empty() && !budget_exceeded) {
      std::string_view table = reserved_rowid_table;
      if (StartsWith(table, prefix)) table.remove_prefix(prefix.size());
      err = contract_internal::ReservedRowidError(table);
      rc = SQLITE_ERROR;
    } else if (rc != SQLITE_DONE) {
      err = ErrorText();
    }
    reserved_rowid_table.clear();
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) return Failed(err);
  }
  return Status::Ok();
}

// ---- public API ------------------------------------------------------------

ContractEngine::ContractEngine(sqlite3* db) : impl_(std::make_unique<Impl>(db)), db_(db) {
  sqlite3_create_function_v2(db, "require", 2,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                             RequireFn, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "contract_owner", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                             static_cast<Sandbox*>(impl_.get()), &Sandbox::OwnerFn, nullptr,
                             nullptr, nullptr);
  impl_->date_time_checked = InstallDateTimeWrappers(db).ok();
  sqlite3_set_authorizer(db, &Sandbox::Authorize, static_cast<Sandbox*>(impl_.get()));
  sqlite3_update_hook(db, &Sandbox::RowidHook, static_cast<Sandbox*>(impl_.get()));
}

ContractEngine::~ContractEngine() {
  sqlite3* db = impl_->db;
  impl_.reset();  // finalizes cached statements
  sqlite3_set_authorizer(db, nullptr, nullptr);
  sqlite3_progress_handler(db, 0, nullptr, nullptr);
  sqlite3_update_hook(db, nullptr, nullptr);
  // require() and the date/time wrappers own their state and stay;
  // contract_owner() points at the engine.
  sqlite3_create_function_v2(db, "contract_owner", 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, nullptr,
                             nullptr, nullptr, nullptr, nullptr);
}

Status ContractEngine::InitSystemTables() {
  const char* sql =
      "CREATE TABLE IF NOT EXISTS \"aergo.contracts\" (name TEXT PRIMARY KEY, owner TEXT NOT "
      "NULL, source TEXT NOT NULL, txid TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS \"aergo.directory\" (address TEXT PRIMARY KEY, role TEXT NOT "
      "NULL);"
      "CREATE TABLE IF NOT EXISTS \"aergo.settings\" (key TEXT PRIMARY KEY, value TEXT NOT NULL);";
  char* err = nullptr;
  if (sqlite3_exec(impl_->db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "failed";
    sqlite3_free(err);
    return IoError("create system tables: " + msg);
  }
  return Status::Ok();
}

Status ContractEngine::Validate(std::string_view name, std::string_view source,
                                std::string_view file) {
  Savepoint sp(impl_->db, "aergo_validate");
  AERGO_RETURN_IF_ERROR(sp.status());
  CallEnv env;
  return impl_->Install(std::string(name), source, std::string(file), env, false, step_budget_);
  // sp rolls back on destruction
}

CallOutcome ContractEngine::Deploy(std::string_view name, std::string_view source,
                                   const CallEnv& env) {
  CallOutcome out;
  Savepoint sp(impl_->db, "aergo_deploy");
  Status st = sp.status();
  std::string n(name);
  impl_->steps = 0;
  if (st.ok()) st = impl_->Install(n, source, n + ".sql", env, true, step_budget_);
  out.steps = impl_->steps;
  if (st.ok()) st = sp.Release();
  out.ok = st.ok();
  out.error = st.message();
  return out;
}

Status ContractEngine::CreateTables(std::string_view name, std::string_view source) {
  std::string n(name);
  std::string context = "create tables of contract '" + n + "'";
  Impl& im = *impl_;
  Status st = CheckContractName(n);
  if (!st.ok()) return st.Context(context);
  Result<ContractSource> src = ParseContract(source, n + ".sql");
  if (!src.ok()) return src.status().Context(context);
  Savepoint sp(im.db, "aergo_create_tables");
  st = sp.status();
  if (st.ok()) {
    // The owner is not needed: contract_owner() cannot appear in DDL.
    LoadedContract lc = Describe(n, "", n + ".sql", *src);
    Impl::Budget budget(&im, step_budget_);
    st = im.CreateSchema(lc, *src, false);
  }
  if (st.ok()) st = sp.Release();
  im.cache.erase(n);
  return st.Context(context);
}

Status ContractEngine::DropTables(std::string_view name) {
  std::string n(name);
  Impl& im = *impl_;
  if (n == "aergo") return Denied("the tables of the system contract 'aergo' are never dropped");
  AERGO_RETURN_IF_ERROR(CheckContractName(n));
  im.cache.erase(n);  // finalizes its statements, which would keep the tables busy
  // SQLite refuses DROP TABLE while any cursor is open, and a failed drop
  // would roll back the savepoint, which aborts the caller's statements:
  // check before changing anything.
  for (sqlite3_stmt* p = sqlite3_next_stmt(im.db, nullptr); p; p = sqlite3_next_stmt(im.db, p)) {
    if (!sqlite3_stmt_busy(p)) continue;
    const char* text = sqlite3_sql(p);
    return IoError("drop tables of contract '" + n +
                   "': a statement of the connection is still active (not reset): " +
                   (text ? text : "?"));
  }
  std::vector<std::pair<std::string, std::string>> drops;  // (kind, name)
  {
    sqlite3_stmt* raw = nullptr;
    const char* sql =
        "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'table') AND "
        "substr(name, 1, length(?1)) = ?1 ORDER BY type = 'table', name";
    if (sqlite3_prepare_v2(im.db, sql, -1, &raw, nullptr) != SQLITE_OK) {
      return IoError("drop tables of contract '" + n + "': " + sqlite3_errmsg(im.db));
    }
    Stmt stmt(raw);
    stmt.Bind(1, n + ".");
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) drops.emplace_back(stmt.Text(0), stmt.Text(1));
    if (rc != SQLITE_DONE) {
      return IoError("drop tables of contract '" + n + "': " + sqlite3_errmsg(im.db));
    }
  }
  Savepoint sp(im.db, "aergo_drop_tables");
  AERGO_RETURN_IF_ERROR(sp.status());
  for (const auto& [kind, object] : drops) {
    // Indexes come first; none of them belongs to another contract's table.
    std::string sql = (kind == "table" ? "DROP TABLE IF EXISTS " : "DROP INDEX IF EXISTS ") +
                      QuoteIdent(object);
    char* err = nullptr;
    if (sqlite3_exec(im.db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "failed";
      sqlite3_free(err);
      return IoError("drop tables of contract '" + n + "': " + kind + " '" + object + "': " + msg);
    }
  }
  return sp.Release();
}

CallOutcome ContractEngine::Call(std::string_view contract, std::string_view function,
                                 const std::vector<Value>& args, const CallEnv& env) {
  CallOutcome out;
  Impl& im = *impl_;
  Status st = im.RunSimple(im.sp_begin, "SAVEPOINT aergo_call");
  if (!st.ok()) {
    out.error = st.message();
    return out;
  }
  Result<CompiledFunction*> fn = im.Compiled(contract, function);
  st = fn.ok() ? CheckArgs((*fn)->decl, args) : fn.status();
  if (st.ok()) {
    // changes() and last_insert_rowid() must not see what ran before the call.
    sqlite3_set_last_insert_rowid(im.db, 0);
    if ((*fn)->uses_changes) {
      st = im.RunSimple(im.reset_changes, "DELETE FROM \"aergo.settings\" WHERE 0");
    }
  }
  if (st.ok()) {
    Impl::Budget budget(&im, step_budget_);
    Impl::Scope scope(&im, Mode::kCall, contract, (*fn)->contract->owner);
    st = im.RunCalls(**fn, args, env);
    out.steps = im.steps;
  }
  // The caller's verdict on what the call wrote (the executor's write
  // checks, which an interrupt alone cannot enforce on a call's last row).
  if (st.ok() && call_check_) st = call_check_();
  if (st.ok()) st = im.RunSimple(im.sp_release, "RELEASE aergo_call");
  if (!st.ok()) {
    // The call's error is what is reported. If these fail, SQLite already
    // rolled back the whole transaction (Repository::Submit notices).
    (void)im.RunSimple(im.sp_rollback, "ROLLBACK TO aergo_call");
    (void)im.RunSimple(im.sp_release, "RELEASE aergo_call");
    out.error = st.message();
    return out;
  }
  out.ok = true;
  return out;
}

Result<ContractFunction> ContractEngine::Function(std::string_view contract,
                                                  std::string_view function) {
  AERGO_ASSIGN_OR_RETURN(LoadedContract * lc, impl_->Load(contract));
  auto it = lc->functions.find(function);
  if (it == lc->functions.end()) {
    return NotFound("function '" + std::string(function) + "' not found in contract '" + lc->name +
                    "'");
  }
  return it->second.decl;
}

namespace {

std::string ArgCount(size_t n) { return std::to_string(n) + (n == 1 ? " argument" : " arguments"); }

// Converts one command-line argument to the declared type; nullopt if it
// does not convert.
std::optional<Value> ConvertText(Value::Type type, const std::string& text) {
  const char* b = text.data();
  const char* e = b + text.size();
  switch (type) {
    case Value::Type::kInteger: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e || text.empty()) return std::nullopt;
      return Value::Integer(v);
    }
    case Value::Type::kReal: {
      double v = 0;
      auto [p, ec] = std::from_chars(b, e, v, std::chars_format::general);
      if (ec != std::errc() || p != e || text.empty() || !std::isfinite(v)) return std::nullopt;
      return Value::Real(v);
    }
    case Value::Type::kText:
      if (!IsValidUtf8(text)) return std::nullopt;
      return Value::Text(text);
    case Value::Type::kBlob: {
      std::string_view hex = text;
      if (hex.size() >= 3 && (hex[0] == 'x' || hex[0] == 'X') && hex[1] == '\'' &&
          hex.back() == '\'') {
        hex = hex.substr(2, hex.size() - 3);
      } else if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex = hex.substr(2);
      } else {
        return std::nullopt;
      }
      if (hex.size() % 2 != 0) return std::nullopt;
      std::string bytes(hex.size() / 2, '\0');
      if (!FromHex(hex, reinterpret_cast<uint8_t*>(bytes.data()), bytes.size())) {
        return std::nullopt;
      }
      return Value::Blob(std::move(bytes));
    }
    case Value::Type::kNull:
      break;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<Value>> ContractEngine::ConvertArgs(std::string_view contract,
                                                       std::string_view function,
                                                       const std::vector<std::string>& text_args) {
  AERGO_ASSIGN_OR_RETURN(ContractFunction fn, Function(contract, function));
  std::string sig = fn.Signature();
  if (text_args.size() != fn.params.size()) {
    return Usage("contract '" + std::string(contract) + "' function '" + fn.name + "' takes " +
                 ArgCount(fn.params.size()) + ", got " + std::to_string(text_args.size()) + ": " +
                 sig);
  }
  std::vector<Value> out;
  for (size_t i = 0; i < text_args.size(); ++i) {
    const ContractParam& p = fn.params[i];
    std::optional<Value> v = ConvertText(p.type, text_args[i]);
    if (!v) {
      return Usage("argument '" + p.name + "' of " + sig + " must be " + ValueTypeName(p.type) +
                   (p.type == Value::Type::kBlob ? " (x'..' or 0x..)" : "") + ", got '" +
                   text_args[i] + "'");
    }
    out.push_back(std::move(*v));
  }
  return out;
}

Status ContractEngine::CheckArgs(const ContractFunction& fn, const std::vector<Value>& args) const {
  if (args.size() != fn.params.size()) {
    return Invalid("function '" + fn.name + "' takes " + ArgCount(fn.params.size()) + ", got " +
                   std::to_string(args.size()) + ": " + fn.Signature());
  }
  for (size_t i = 0; i < args.size(); ++i) {
    Value::Type want = fn.params[i].type;
    Value::Type got = args[i].type;
    if (got == want || (want == Value::Type::kReal && got == Value::Type::kInteger)) continue;
    return Invalid("argument '" + fn.params[i].name + "' of " + fn.Signature() + " must be " +
                   ValueTypeName(want) + ", got " + ValueTypeName(got));
  }
  return Status::Ok();
}

Result<QueryResult> ContractEngine::Query(std::string_view sql, const QueryView* view, const QueryLimits* limits) {
  Impl& im = *impl_;
  const uint64_t step_budget = limits ? limits->steps : query_step_budget_;
  const uint64_t result_limit = limits ? limits->result_bytes : query_result_limit_;
  std::set<std::string> qualified;
  if (view) {
    qualified = view->tables;
  } else {
    AERGO_ASSIGN_OR_RETURN(qualified, im.DottedTables());
  }
  Result<std::vector<SqlToken>> tokens = TokenizeSql(sql);
  if (!tokens.ok()) return Invalid("query: " + tokens.status().message());
  std::string text = RewriteSqlNames(*tokens, {}, "", qualified);
  AERGO_RETURN_IF_ERROR(im.RefreshPlainTables());
  Impl::Scope scope(&im, Mode::kQuery, "", "");
  struct ViewScope {
    Impl* im;
    ~ViewScope() { im->view = nullptr; }
  } view_scope{&im};
  im.view = view;
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(im.db, text.c_str(), static_cast<int>(text.size()), &raw, &tail);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) {
    if (!im.denial.empty()) return Denied(im.denial);
    // Writing through a view of another block's state.
    if (view && std::string(sqlite3_errmsg(im.db)).find("because it is a view") != std::string::npos)
      return Denied(kOnlyRead);
    return Invalid(std::string("query: ") + sqlite3_errmsg(im.db));
  }
  if (!raw) return Invalid("query: empty statement");
  if (!IsBlankSql(tail) || !sqlite3_stmt_readonly(raw)) return Denied(kOnlyRead);
  QueryResult out;
  Impl::Budget budget(&im, step_budget, limits ? limits->time_ms : 0);
  // The result bound: no value SQLite makes may exceed it either (so
  // zeroblob(1e9) fails before it is allocated), and the rows together may
  // not (8 bytes per number, the length of each text or blob).
  const int limit = static_cast<int>(std::min<uint64_t>(result_limit, 1'000'000'000));
  struct LengthLimit {
    sqlite3* db;
    int old;
    ~LengthLimit() { sqlite3_limit(db, SQLITE_LIMIT_LENGTH, old); }
  } length{im.db, sqlite3_limit(im.db, SQLITE_LIMIT_LENGTH, limit)};
  const std::string over = "query: the result is over " + std::to_string(result_limit) +
                           " bytes (add a LIMIT or select fewer columns)";
  uint64_t bytes = 0;
  int ncol = sqlite3_column_count(raw);
  for (int c = 0; c < ncol; ++c) out.columns.push_back(sqlite3_column_name(raw, c));
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    std::vector<Value> row;
    row.reserve(static_cast<size_t>(ncol));
    for (int c = 0; c < ncol; ++c) {
      row.push_back(ColumnValue(raw, c));
      bytes += row.back().type == Value::Type::kText || row.back().type == Value::Type::kBlob
                   ? row.back().bytes.size()
                   : 8;
    }
    if (bytes > result_limit) return Failed(over);
    out.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    if (!im.denial.empty()) return Denied(im.denial);
    if (rc == SQLITE_TOOBIG) return Failed(over);
    return Failed("query: " + im.ErrorText());
  }
  return out;
}

// Layout: contract_state.cpp.
Result<Hash32> ContractEngine::StateDigest() {
  return contract_internal::ComputeStateDigest(impl_->db);
}

Result<std::vector<std::string>> ContractEngine::Contracts() {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(impl_->db, "SELECT name FROM \"aergo.contracts\" ORDER BY name", -1, &raw,
                         nullptr) != SQLITE_OK) {
    return IoError(std::string("list contracts: ") + sqlite3_errmsg(impl_->db));
  }
  Stmt stmt(raw);
  std::vector<std::string> out;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) out.push_back(stmt.Text(0));
  if (rc != SQLITE_DONE)
    return IoError(std::string("list contracts: ") + sqlite3_errmsg(impl_->db));
  return out;
}

}  // namespace aergo
