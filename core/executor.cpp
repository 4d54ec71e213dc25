#include "core/executor.h"

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
  if (tx.args.size() != 2 || tx.args[0].type != Value::Type::kText ||
      tx.args[1].type != Value::Type::kInteger) {
    out.error = "genesis tx must carry (consensus TEXT, public INTEGER)";
    return out;
  }
  Savepoint sp(db, "aergo_genesis");
  Status st = sp.status();
  if (st.ok()) st = engine->InitSystemTables();
  auto exec = [&](const char* sql, const std::string& a, const std::string& b) {
    if (st.ok()) st = RunSystemSql(db, sql, {a, b});
  };
  exec("INSERT INTO \"aergo.directory\"(address, role) VALUES(?, ?)", AddressFromKey(tx.sender), "admin");
  exec("INSERT INTO \"aergo.settings\"(key, value) VALUES(?, ?)", "consensus", tx.args[0].bytes);
  exec("INSERT INTO \"aergo.settings\"(key, value) VALUES(?, ?)", "public",
       tx.args[1].integer ? "1" : "0");
  if (st.ok()) st = sp.Release();
  if (!st.ok()) {
    out.error = st.message();
    return out;
  }
  out.ok = true;
  return out;
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
  CallEnv env = TxEnv(tx, txid, height, block_time_ms, addresses);
  switch (tx.kind) {
    case TxKind::kGenesis:
      return ExecuteGenesis(engine, db, tx);
    case TxKind::kDeploy:
      return engine->Deploy(tx.contract, tx.payload, env);
    case TxKind::kCall:  // Call itself refuses a missing function or wrong arguments
      return engine->Call(tx.contract, tx.function, tx.args, env);
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
  return engine->Call(resolver.substr(0, dot), resolver.substr(dot + 1), args,
                      TxEnv(tx, txid, height, block_time_ms, addresses));
}

Result<ChangeSet> ReplayBlock(ContractEngine* engine, sqlite3* db, ChangeRecorder* recorder,
                              const Block& block, const std::vector<Hash32>* given_ids) {
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
