// AERGOSQL contracts: parsing, sandboxed deployment, calls, read-only
// queries and the canonical state digest (docs/design.md §6; docs/formats/state.md;
// the language: man/aergo-deploy.1).
//
// Storage naming: a contract's table `t` of contract `c` is the SQLite table
// named "c.t" (one identifier containing a dot). Contract SQL uses the bare
// name `t`; ContractEngine rewrites it. Queries name tables `c.t`, which the
// engine rewrites to the quoted identifier. System tables live under the
// reserved contract name `aergo`: "aergo.contracts", "aergo.directory",
// "aergo.settings". Tables without a dot belong to the repository index and
// are invisible to contracts and queries.
//
// Ownership: ContractEngine borrows the sqlite3 connection (the state
// database) for its lifetime and installs on it the SQL functions require()
// and contract_owner(), an authorizer and (during calls) a progress handler.
// Thread-safety: one engine per connection, used by one thread at a time.
//
// Library: this header is the API of aergo_contract (core/CMakeLists.txt),
// the contract engine. It owns contract.h, contract_internal.h (its files
// only), sql_lexer.h and engine.h and their .cpp files: parsing and static
// checks, the sandbox, deploy/call/query, the state digest, the lexer and
// the pinned engine's checks. It depends only on aergo_base (status, codec,
// value, sqlite, chain_params) and SQLite/libsodium, never on the kernel
// (blocks, txs, keys, index, git): the kernel links it, not the reverse.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/chain_params.h"
#include "core/codec.h"
#include "core/status.h"
#include "core/value.h"

namespace aergo {

struct ContractParam {
  std::string name;  // without ':'
  Value::Type type;  // declared type: INTEGER, REAL, TEXT or BLOB
};

struct ContractFunction {
  std::string name;
  std::vector<ContractParam> params;
  std::vector<std::string> statements;  // SQL as written (unqualified table names)
  std::vector<int> statement_lines;     // 1-based line of each statement in the file
  int line = 0;                         // line of CREATE FUNCTION

  // "transfer(recipient TEXT, amount INTEGER)"
  std::string Signature() const;
};

struct ContractSource {
  std::vector<std::string> ddl;  // CREATE TABLE / CREATE INDEX statements as written
  std::vector<int> ddl_lines;
  std::vector<std::string> tables;   // table names, as declared
  std::vector<std::string> indexes;  // index names, as declared
  std::vector<ContractFunction> functions;
};

// Parses a contract file. Errors read "<file>:<line>: <reason>".
// Only CREATE TABLE, CREATE INDEX and CREATE FUNCTION ... AS ... END; are
// allowed at top level; comments (-- and /* */) anywhere.
Result<ContractSource> ParseContract(std::string_view text, std::string_view file);

// A valid contract (and contract-table) name: [a-z_][a-z0-9_]{0,63}, not "aergo".
bool IsValidContractName(std::string_view name);

// Per-call environment exposed as :sender, :height, :block_time, :txid.
struct CallEnv {
  std::string sender;  // address text
  int64_t height = 0;
  int64_t block_time = 0;  // unix seconds
  std::string txid;        // 64 hex
};

struct CallOutcome {
  bool ok = false;
  std::string error;   // require() message, constraint text or sandbox reason
  uint64_t steps = 0;  // VM steps consumed (progress-handler granularity)
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

// What a query sees when it reads another block's state through TEMP
// objects (core/state_at.h) instead of the main schema.
struct QueryView {
  std::set<std::string> tables;    // state tables it may name as c.t
  std::set<std::string> shadowed;  // main-schema tables readable only through the views
  std::set<std::string> internal;  // TEMP helper tables readable only through the views
};

inline constexpr uint64_t kDefaultStepBudget = 10'000'000;
// Reads scan whole tables, so their budget is far larger; it exists to stop
// runaway queries (a recursive CTE without end), not large ones.
inline constexpr uint64_t kDefaultQueryStepBudget = 2'000'000'000;
// A query's answer (and any value it computes) is bounded too: 256 MiB
// locally; a daemon sets its own, smaller bound.
inline constexpr uint64_t kDefaultQueryResultBytes = 256ull << 20;

// Bounds for one query (ContractEngine::Query): steps, the answer's bytes
// (and any value computed), and wall-clock time (0: none). Queries are not
// part of the ledger, so a time bound is fine here and never in a call.
struct QueryLimits {
  uint64_t steps = kDefaultQueryStepBudget;
  uint64_t result_bytes = kDefaultQueryResultBytes;
  uint64_t time_ms = 0;
};

class ContractEngine {
 public:
  // Installs functions and the authorizer on db. Does not take ownership.
  explicit ContractEngine(sqlite3* db);
  ~ContractEngine();
  ContractEngine(const ContractEngine&) = delete;
  ContractEngine& operator=(const ContractEngine&) = delete;

  // Creates the system tables if absent (idempotent).
  Status InitSystemTables();

  // Checks a contract without changing anything: parse, create its tables
  // in a savepoint that is rolled back, prepare every statement under the
  // sandbox. Errors name file, line and reason.
  Status Validate(std::string_view name, std::string_view source, std::string_view file);

  // Deploys: as Validate, then creates the tables "name.t" and records
  // (name, owner, source, txid) in "aergo.contracts". Atomic: on failure
  // nothing changes and the outcome carries the error. A contract that
  // already exists fails.
  // Storage: a table whose PRIMARY KEY is not the rowid alias (a single
  // INTEGER PRIMARY KEY column) is created WITHOUT ROWID (the option is
  // appended to its CREATE TABLE), so key columns never hold NULL and full
  // scans run in key order.
  CallOutcome Deploy(std::string_view name, std::string_view source, const CallEnv& env);

  // Creates the tables and indexes of contract `name` from its source
  // exactly as Deploy does (same name rewriting, same storage rule, same
  // statement order, so sqlite_master holds the same SQL), without
  // compiling its functions or recording it in "aergo.contracts": for
  // building a state from recorded row changes. Atomic (savepoint).
  // Errors read "create tables of contract '<name>': <reason>".
  Status CreateTables(std::string_view name, std::string_view source);

  // Drops every table and index named "<name>.*" and forgets the cached
  // contract; "aergo.contracts" is not touched. The system contract
  // "aergo" is refused (kDenied). Atomic (savepoint). SQLite cannot drop a
  // table under an open cursor: while any statement of the connection is
  // active (stepped and not reset) this fails with kIo, naming that
  // statement, and changes nothing.
  Status DropTables(std::string_view name);

  // Calls contract.function with typed args. Atomic (savepoint): on any
  // failure nothing changes. Arguments must already match the declared
  // parameter types (see CheckArgs).
  CallOutcome Call(std::string_view contract, std::string_view function,
                   const std::vector<Value>& args, const CallEnv& env);

  // The function's declaration, or NotFound naming the contract/function.
  Result<ContractFunction> Function(std::string_view contract, std::string_view function);

  // Converts command-line text arguments by the declared parameter types.
  // Wrong count or unconvertible value: Usage error showing the signature.
  Result<std::vector<Value>> ConvertArgs(std::string_view contract, std::string_view function,
                                         const std::vector<std::string>& text_args);
  // Checks typed args (from a tx) against the declaration.
  Status CheckArgs(const ContractFunction& fn, const std::vector<Value>& args) const;

  // Runs one read-only statement; tables named "c.t". Anything but a single
  // read is refused with kDenied; a read past the query step budget fails,
  // and so does one whose answer, or any value it computes, is over the
  // result limit ("query: the result is over <n> bytes ...").
  // view: read another block's state (StateOverlay::view()); default: the
  // connection's main schema.
  // limits: instead of the engine's query step budget and result limit
  // (set_query_*), with a time limit too (a query past it fails with
  // "stopped at the time limit for queries (<n> ms)").
  Result<QueryResult> Query(std::string_view sql, const QueryView* view = nullptr,
                            const QueryLimits* limits = nullptr);

  // State digest: canonical SHA-256 over the full content of every table
  // with a dot in its name, in byte order of table name, rows in
  // primary-key order, values in the Value encoding (docs/formats/state.md).
  // Not in any header (state roots chain the blocks' changes,
  // docs/formats/changes.md); fsck and tests compare states with it.
  Result<Hash32> StateDigest();

  // Names of deployed contracts, sorted.
  Result<std::vector<std::string>> Contracts();

  void set_step_budget(uint64_t steps) { step_budget_ = steps; }
  uint64_t step_budget() const { return step_budget_; }

  // The chain's parameters (bounds), which the executor (core/executor.h)
  // loads from the state's "aergo.settings" on first use and applies to
  // every call. Null until then.
  sqlite3* db() const { return db_; }

  // Consulted by Call after the function's last statement, before the
  // call's savepoint is released: an error fails the call (rolled back)
  // with its message. Unset (empty) by default.
  void set_call_check(std::function<Status()> check) { call_check_ = std::move(check); }
  const ChainParams* chain_params() const { return chain_params_ ? &*chain_params_ : nullptr; }
  void set_chain_params(const ChainParams& p) { chain_params_ = p; }
  void set_query_step_budget(uint64_t steps) { query_step_budget_ = steps; }
  void set_query_result_limit(uint64_t bytes) { query_result_limit_ = bytes; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  sqlite3* db_;
  uint64_t step_budget_ = kDefaultStepBudget;
  std::optional<ChainParams> chain_params_;
  std::function<Status()> call_check_;
  uint64_t query_step_budget_ = kDefaultQueryStepBudget;
  uint64_t query_result_limit_ = kDefaultQueryResultBytes;
};

}  // namespace aergo
