#include "core/executor.h"

#include "core/chain_params.h"
#include "core/engine.h"
#include "core/recorder.h"
#include "core/sqlite.h"

namespace aergo {

// Runs one statement on a system table with text parameters; SQLITE_DONE
// expected.
static Status RunSystemSql(sqlite3* db, const char* sql, std::initializer_list<std::string> params) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) return IoError(sqlite3_errmsg(db));
  Stmt stmt(s);
  int i = 1;
  for (const auto& p : params) stmt.Bind(i++, p);
  if (stmt.Step() != SQLITE_DONE) return IoError(sqlite3_errmsg(db));
  return Status::Ok();
}

static CallOutcome ExecuteGenesis(ContractEngine* engine, sqlite3* db, const Tx& tx) {
  CallOutcome out;
  auto params = ChainParams::FromGenesisArgs(tx.args);
  if (!params.ok()) {
    out.error = params.status().message();
    return out;
  }
  Savepoint sp(db, "aergo_genesis");
  Status st = sp.status();
  if (st.ok()) st = engine->InitSystemTables();
  auto exec = [&](const char* sql, const std::string& a, const std::string& b) {
    if (st.ok()) st = RunSystemSql(db, sql, {a, b});
  };
  const char* kSetting = "INSERT INTO \"aergo.settings\"(key, value) VALUES(?, ?)";
  exec("INSERT INTO \"aergo.directory\"(address, role) VALUES(?, ?)", AddressFromKey(tx.sender), "admin");
  exec(kSetting, "consensus", params->consensus);
  exec(kSetting, "public", params->is_public ? "1" : "0");
  if (params->rules > 0) {  // a ledger from before rules were versioned records none
    for (const auto& [name, value] : params->Named()) exec(kSetting, name, std::to_string(value));
  }
  if (st.ok()) st = sp.Release();
  if (!st.ok()) {
    out.error = st.message();
    return out;
  }
  engine->set_chain_params(*params);
  out.ok = true;
  return out;
}

// The chain parameters of the state db (written by the genesis tx).
Result<ChainParams> ReadChainParams(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT key, value FROM \"aergo.settings\"", -1, &s, nullptr) != SQLITE_OK)
    return IoError(std::string("read chain parameters: ") + sqlite3_errmsg(db));
  Stmt stmt(s);
  ChainParams p;
  bool has_rules = false;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    std::string key = stmt.Text(0), text = stmt.Text(1);
    int64_t v = 0;
    if (key == "consensus") p.consensus = text;
    else if (key == "public") p.is_public = text == "1";
    else if (ParseInt64(text, &v) && p.Set(key, v)) has_rules = has_rules || key == "rules";
  }
  if (rc != SQLITE_DONE) return IoError(std::string("read chain parameters: ") + sqlite3_errmsg(db));
  if (!has_rules) return Corrupt("the state has no chain parameters (aergo.settings has no rules)");
  return p;
}

// A call's bounds from the chain parameters, for the call's duration: the
// step budget, and (for calls, not deploys, whose source is bounded by the
// tx size) SQLite's length limit, which caps every string, blob and row the
// call makes at max_value_bytes, and the write bound.
// The write bound max_call_write_bytes is counted by the connection's
// ChangeRecorder (core/recorder.h), which every execution path installs.
class CallBounds {
 public:
  // is_call: a call or resolver call, bounded in values and writes; a
  // deploy (its source bounded by max_tx_bytes) only in steps.
  CallBounds(ContractEngine* engine, sqlite3* db, const ChainParams& p, bool is_call)
      : db_(db), params_(p), old_length_(sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1)),
        recorder_(is_call ? ChangeRecorder::Installed(db) : nullptr) {
    engine->set_step_budget(static_cast<uint64_t>(p.max_call_steps));
    if (is_call) sqlite3_limit(db, SQLITE_LIMIT_LENGTH, static_cast<int>(p.max_value_bytes));
    if (recorder_) {
      recorder_->ArmWriteBudget(p.max_call_write_bytes);
      // The recorder interrupts a call mid-way; a call whose last row
      // breaks a check ends before SQLite looks at the interrupt, so the
      // engine asks again before it keeps the call.
      engine_ = engine;
      engine->set_call_check([this] {
        CallOutcome out = Explain(CallOutcome{false, "", 0});
        return out.error.empty() ? Status::Ok() : Failed(out.error);
      });
    }
  }
  ~CallBounds() {
    sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, old_length_);
    if (recorder_) recorder_->DisarmWriteBudget();
    if (engine_) engine_->set_call_check(nullptr);
  }
  CallBounds(const CallBounds&) = delete;
  CallBounds& operator=(const CallBounds&) = delete;

  // Names the bound that failed the call.
  CallOutcome Explain(CallOutcome out) const {
    if (out.ok) return out;
    if (recorder_ && recorder_->InvalidText())
      out.error = "the call writes TEXT that is not valid UTF-8 (store such bytes as a BLOB)";
    else if (recorder_ && recorder_->WriteBudgetExceeded())
      out.error = "the call writes more than the chain's max_call_write_bytes (" +
                  std::to_string(params_.max_call_write_bytes) + " bytes)";
    else if (out.error.find("string or blob too big") != std::string::npos)
      out.error = "a value or row is over the chain's max_value_bytes (" +
                  std::to_string(params_.max_value_bytes) + " bytes)";
    return out;
  }

 private:
  sqlite3* db_;
  const ChainParams& params_;
  int old_length_;
  ChangeRecorder* recorder_;
  ContractEngine* engine_ = nullptr;
};

static Result<const ChainParams*> EngineParams(ContractEngine* engine, sqlite3* db) {
  if (!engine->chain_params()) {
    AERGO_ASSIGN_OR_RETURN(ChainParams p, ReadChainParams(db));
    engine->set_chain_params(p);
  }
  return engine->chain_params();
}

// aergo.grant(address, role) / aergo.revoke(address): only an admin (in the
// state the tx runs on) changes roles, and the last admin stays.
static CallOutcome ExecuteAccess(sqlite3* db, const Tx& tx) {
  CallOutcome out;
  auto role_of = [&](const std::string& address, std::string* role) -> Status {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT role FROM \"aergo.directory\" WHERE address = ?", -1, &s, nullptr) != SQLITE_OK)
      return IoError(sqlite3_errmsg(db));
    Stmt stmt(s);
    stmt.Bind(1, address);
    int rc = stmt.Step();
    if (rc == SQLITE_ROW) *role = stmt.Text(0);
    else if (rc == SQLITE_DONE) role->clear();
    else return IoError(sqlite3_errmsg(db));
    return Status::Ok();
  };
  std::string sender = AddressFromKey(tx.sender), sender_role;
  if (Status st = role_of(sender, &sender_role); !st.ok()) return CallOutcome{false, st.message(), 0};
  if (sender_role != "admin")
    return CallOutcome{false, "only an admin may change roles (" + sender + " has " +
                                  (sender_role.empty() ? std::string("no role") : "role " + sender_role) + ")", 0};
  const std::string& address = tx.args[0].bytes;
  if (!KeyFromAddress(address).ok()) return CallOutcome{false, "invalid address '" + address + "'", 0};
  Savepoint sp(db, "aergo_access");
  Status st = sp.status();
  std::string old_role;
  if (st.ok()) st = role_of(address, &old_role);
  if (!st.ok()) return CallOutcome{false, st.message(), 0};
  if (tx.function == "grant") {
    const std::string& role = tx.args[1].bytes;
    if (role != "read" && role != "write" && role != "admin")
      return CallOutcome{false, "unknown role '" + role + "' (read, write or admin)", 0};
    st = RunSystemSql(db, "INSERT INTO \"aergo.directory\"(address, role) VALUES(?, ?) "
                          "ON CONFLICT(address) DO UPDATE SET role = excluded.role", {address, role});
  } else {
    if (old_role.empty()) return CallOutcome{false, address + " has no role to revoke", 0};
    st = RunSystemSql(db, "DELETE FROM \"aergo.directory\" WHERE address = ?", {address});
  }
  // The repository keeps at least one admin.
  if (st.ok() && old_role == "admin") {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM \"aergo.directory\" WHERE role = 'admin'", -1, &s, nullptr) != SQLITE_OK) {
      st = IoError(sqlite3_errmsg(db));
    } else {
      Stmt stmt(s);
      if (stmt.Step() == SQLITE_ROW && stmt.Int(0) == 0) {
        return CallOutcome{false, "refused: " + address + " is the last admin", 0};
      }
    }
  }
  if (st.ok()) st = sp.Release();
  if (!st.ok()) return CallOutcome{false, st.message(), 0};
  out.ok = true;
  return out;
}

// The environment a tx's call (or its resolver's) sees.
static CallEnv TxEnv(const Tx& tx, const Hash32& txid, uint64_t height, uint64_t block_time_ms,
                     AddressCache* addresses) {
  CallEnv env;
  if (addresses) {
    auto it = addresses->find(tx.sender);
    if (it == addresses->end()) it = addresses->emplace(tx.sender, AddressFromKey(tx.sender)).first;
    env.sender = it->second;
  } else {
    env.sender = AddressFromKey(tx.sender);
  }
  env.height = static_cast<int64_t>(height);
  env.block_time = static_cast<int64_t>(block_time_ms / 1000);
  env.txid = ToHex(txid);
  return env;
}

CallOutcome ExecuteTx(ContractEngine* engine, sqlite3* db, const Tx& tx, const Hash32& txid,
                      uint64_t height, uint64_t block_time_ms, AddressCache* addresses) {
  if (const Status& st = CheckEngine(); !st.ok()) return CallOutcome{false, st.message(), 0};
  if (tx.kind == TxKind::kGenesis) return ExecuteGenesis(engine, db, tx);
  auto params = EngineParams(engine, db);
  if (!params.ok()) return CallOutcome{false, params.status().message(), 0};
  CallEnv env = TxEnv(tx, txid, height, block_time_ms, addresses);
  switch (tx.kind) {
    case TxKind::kGenesis:
      break;
    case TxKind::kDeploy: {
      CallBounds bounds(engine, db, **params, false);
      return bounds.Explain(engine->Deploy(tx.contract, tx.payload, env));
    }
    case TxKind::kCall: {  // Call itself refuses a missing function or wrong arguments
      CallBounds bounds(engine, db, **params, true);
      return bounds.Explain(engine->Call(tx.contract, tx.function, tx.args, env));
    }
    case TxKind::kAccess:
      return ExecuteAccess(db, tx);
  }
  return CallOutcome{false, "unknown tx kind", 0};
}

CallOutcome ResolveTx(ContractEngine* engine, const std::string& resolver, const Tx& tx,
                      const Hash32& txid, const std::string& error, uint64_t height,
                      uint64_t block_time_ms, AddressCache* addresses) {
  size_t dot = resolver.find('.');
  if (dot == std::string::npos) return CallOutcome{false, "invalid resolver name '" + resolver + "'", 0};
  std::vector<Value> args = {Value::Text(ToHex(txid)), Value::Text(tx.contract), Value::Text(tx.function),
                             Value::Text(ArgsJson(tx.args)), Value::Text(error)};
  auto params = EngineParams(engine, engine->db());
  if (!params.ok()) return CallOutcome{false, params.status().message(), 0};
  CallBounds bounds(engine, engine->db(), **params, true);
  return bounds.Explain(engine->Call(resolver.substr(0, dot), resolver.substr(dot + 1), args,
                                     TxEnv(tx, txid, height, block_time_ms, addresses)));
}

Result<ChangeSet> ReplayBlock(ContractEngine* engine, sqlite3* db, ChangeRecorder* recorder,
                              const Block& block, const std::vector<Hash32>* given_ids) {
  AERGO_RETURN_IF_ERROR(CheckEngine());  // never blame a block for this build's engine
  AddressCache addresses;
  std::vector<Hash32> computed;
  if (given_ids == nullptr) computed = block.TxIds();
  const std::vector<Hash32>& ids = given_ids ? *given_ids : computed;
  recorder->Clear();
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const Receipt& receipt = block.receipts[i];
    if (receipt.status == ReceiptStatus::kExcluded) continue;
    bool resolved = receipt.status == ReceiptStatus::kResolved;
    recorder->Begin();
    CallOutcome out =
        resolved ? ResolveTx(engine, receipt.resolver, block.txs[i], ids[i], receipt.error,
                             block.header.height, block.header.time_ms, &addresses)
                 : ExecuteTx(engine, db, block.txs[i], ids[i], block.header.height, block.header.time_ms,
                             &addresses);
    if (!out.ok) {
      recorder->Drop();
      return Corrupt("block " + ShortId(block.Id()) + " tx " + ShortId(ids[i]) +
                     (resolved ? " resolver " + receipt.resolver : std::string()) +
                     " fails on replay: " + out.error);
    }
    AERGO_RETURN_IF_ERROR(recorder->Keep());
  }
  return recorder->Take();
}

Status ClearState(sqlite3* db) {
  std::vector<std::string> tables;
  {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%.%'",
                           -1, &s, nullptr) != SQLITE_OK)
      return IoError(std::string("clear state: ") + sqlite3_errmsg(db));
    Stmt stmt(s);
    while (stmt.Step() == SQLITE_ROW) tables.push_back(stmt.Text(0));
  }
  for (const auto& t : tables) {
    std::string sql = "DROP TABLE " + QuoteIdent(t);
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "failed";
      sqlite3_free(err);
      return IoError("clear state: " + m);
    }
  }
  return Status::Ok();
}

}  // namespace aergo
