#include "core/state_at.h"

#include <map>

#include "core/contract.h"
#include "core/sqlite.h"

namespace aergo {

namespace {

std::string ContractOf(const std::string& table) { return table.substr(0, table.find('.')); }

// Registry rows of `net`: contracts whose tables go away, and those whose
// tables come (with their source).
void RegistryMoves(const ChangeSet& net, std::set<std::string>* gone,
                   std::map<std::string, std::string>* come) {
  auto reg = net.tables.find(kContractsTable);
  if (reg == net.tables.end()) return;
  const TableChanges& t = reg->second;
  size_t source_col = 0;
  for (size_t i = 0; i < t.columns.size(); ++i)
    if (t.columns[i] == "source") source_col = i;
  for (const auto& [k, c] : t.rows) {
    if (c.before && c.after && *c.before == *c.after) continue;
    if (c.before) gone->insert(c.before->front().bytes);
    if (c.after && source_col < c.after->size()) (*come)[c.after->front().bytes] = (*c.after)[source_col].bytes;
  }
}

Result<std::vector<std::pair<std::string, std::string>>> SchemaRows(sqlite3* db, const std::string& sql,
                                                                     const std::string& arg) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    return IoError("read schema: " + std::string(sqlite3_errmsg(db)));
  Stmt s(raw);
  if (!arg.empty()) s.Bind(1, arg);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back(s.Text(0), s.Text(1));
  if (rc != SQLITE_DONE) return IoError("read schema: " + std::string(sqlite3_errmsg(db)));
  return out;
}

// The CREATE TABLE statements (as sqlite_master holds them) that deploying
// `source` as contract `name` makes, via a scratch in-memory database.
Result<std::vector<std::pair<std::string, std::string>>> ContractTableSql(const std::string& name,
                                                                          const std::string& source) {
  AERGO_ASSIGN_OR_RETURN(Db scratch, Db::Open(":memory:", true));
  ContractEngine engine(scratch.get());
  AERGO_RETURN_IF_ERROR(engine.InitSystemTables());
  AERGO_RETURN_IF_ERROR(engine.CreateTables(name, source));
  return SchemaRows(scratch.get(),
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND substr(name, 1, "
                    "length(?1)) = ?1 ORDER BY name",
                    name + ".");
}

// The state tables of the connection's main schema (name, unused).
Result<std::vector<std::pair<std::string, std::string>>> LiveStateTables(sqlite3* db) {
  return SchemaRows(db, "SELECT name, '' FROM main.sqlite_master WHERE type = 'table' AND instr(name, '.') > 0",
                    "");
}

}  // namespace

Result<std::set<std::string>> TablesAfter(sqlite3* db, const ChangeSet& from_live) {
  AERGO_ASSIGN_OR_RETURN(auto live, LiveStateTables(db));
  std::set<std::string> gone;
  std::map<std::string, std::string> come;
  RegistryMoves(from_live, &gone, &come);
  std::set<std::string> out;
  for (const auto& [name, unused] : live)
    if (!gone.count(ContractOf(name))) out.insert(name);
  for (const auto& [contract, source] : come) {
    AERGO_ASSIGN_OR_RETURN(auto tables, ContractTableSql(contract, source));
    for (const auto& [name, sql] : tables) out.insert(name);
  }
  return out;
}

Status StateOverlay::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "failed";
    sqlite3_free(err);
    return IoError("read as of another block: " + m);
  }
  return Status::Ok();
}

StateOverlay::~StateOverlay() {
  for (auto it = drops_.rbegin(); it != drops_.rend(); ++it)
    sqlite3_exec(db_, it->c_str(), nullptr, nullptr, nullptr);
}

namespace {

// Which part of each row InsertRows writes.
enum class Part { kAfter, kBeforeKey };

// Inserts into temp.<target>, for each row of t, its after-image (kAfter)
// or the key columns of its before-image (kBeforeKey); rows without that
// image are skipped.
Status InsertRows(sqlite3* db, const std::string& target, const TableChanges& t, Part part) {
  // Without such images nothing is prepared: after a contract was replaced
  // along the path, t's column list may be the other version's.
  bool any = false;
  for (const auto& [k, c] : t.rows) any = any || (part == Part::kAfter ? c.after : c.before).has_value();
  if (!any) return Status::Ok();
  size_t n = part == Part::kAfter ? t.columns.size() : t.key.size();
  std::string params;
  for (size_t i = 0; i < n; ++i) params += (i ? ", ?" : "?") + std::to_string(i + 1);
  sqlite3_stmt* raw = nullptr;
  std::string sql = "INSERT INTO temp." + QuoteIdent(target) + " VALUES (" + params + ")";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    return IoError("read as of another block: " + std::string(sqlite3_errmsg(db)));
  Stmt s(raw);
  for (const auto& [k, c] : t.rows) {
    const std::optional<Row>& image = part == Part::kAfter ? c.after : c.before;
    if (!image) continue;
    for (size_t i = 0; i < n; ++i)
      s.BindValue(static_cast<int>(i + 1), (*image)[part == Part::kAfter ? i : t.key[i]]);
    int rc = s.Step();
    s.Reset();
    if (rc != SQLITE_DONE) return IoError("read as of another block: " + std::string(sqlite3_errmsg(db)));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<StateOverlay>> StateOverlay::Create(sqlite3* db, const ChangeSet& from_live) {
  std::unique_ptr<StateOverlay> o(new StateOverlay(db));
  AERGO_ASSIGN_OR_RETURN(auto live, LiveStateTables(db));
  std::set<std::string> gone;
  std::map<std::string, std::string> come;
  RegistryMoves(from_live, &gone, &come);
  // The DDL of tables whose contract comes (or is replaced).
  std::map<std::string, std::string> come_sql;
  for (const auto& [contract, source] : come) {
    AERGO_ASSIGN_OR_RETURN(auto tables, ContractTableSql(contract, source));
    for (auto& [name, sql] : tables) {
      // sqlite_master keeps "CREATE TABLE " normalised at the start.
      if (sql.rfind("CREATE TABLE ", 0) != 0) return Corrupt("unexpected schema text for table '" + name + "'");
      come_sql[name] = std::move(sql);
    }
  }
  // Tables of contracts that go: hidden behind empty views.
  for (const auto& [name, unused] : live) {
    if (!gone.count(ContractOf(name))) {
      o->view_.tables.insert(name);
    } else if (!come_sql.count(name)) {
      o->view_.shadowed.insert(name);
      AERGO_RETURN_IF_ERROR(o->Exec("CREATE TEMP VIEW " + QuoteIdent(name) + " AS SELECT * FROM main." +
                                    QuoteIdent(name) + " WHERE 0"));
      o->drops_.push_back("DROP VIEW temp." + QuoteIdent(name));
    }
  }
  // Tables of contracts that come: created from their DDL, filled below.
  std::set<std::string> fresh;
  for (const auto& [name, sql] : come_sql) {
    o->view_.shadowed.insert(name);
    AERGO_RETURN_IF_ERROR(o->Exec("CREATE TEMP TABLE " + sql.substr(13)));
    o->drops_.push_back("DROP TABLE temp." + QuoteIdent(name));
    o->view_.tables.insert(name);
    fresh.insert(name);
  }
  // Changed rows of tables that stay.
  for (const auto& [name, t] : from_live.tables) {
    if (!o->view_.tables.count(name)) continue;
    if (fresh.count(name)) {
      AERGO_RETURN_IF_ERROR(InsertRows(db, name, t, Part::kAfter));
      continue;
    }
    std::string at = name + ".at", gone_keys = name + ".gone";
    o->view_.shadowed.insert(name);
    o->view_.internal.insert(at);
    o->view_.internal.insert(gone_keys);
    std::string key_cols, key_defs;
    for (size_t i = 0; i < t.key.size(); ++i) {
      key_cols += (i ? ", " : "") + QuoteIdent(t.columns[t.key[i]]);
      key_defs += (i ? ", k" : "k") + std::to_string(i);
    }
    AERGO_RETURN_IF_ERROR(o->Exec("CREATE TEMP TABLE " + QuoteIdent(at) + " AS SELECT * FROM main." +
                                  QuoteIdent(name) + " WHERE 0"));
    o->drops_.push_back("DROP TABLE temp." + QuoteIdent(at));
    AERGO_RETURN_IF_ERROR(o->Exec("CREATE TEMP TABLE " + QuoteIdent(gone_keys) + " AS SELECT " + key_cols +
                                  " FROM main." + QuoteIdent(name) + " WHERE 0"));
    o->drops_.push_back("DROP TABLE temp." + QuoteIdent(gone_keys));
    AERGO_RETURN_IF_ERROR(InsertRows(db, at, t, Part::kAfter));
    AERGO_RETURN_IF_ERROR(InsertRows(db, gone_keys, t, Part::kBeforeKey));
    std::string lhs = t.key.size() == 1 ? key_cols : "(" + key_cols + ")";
    AERGO_RETURN_IF_ERROR(o->Exec("CREATE TEMP VIEW " + QuoteIdent(name) + " AS SELECT * FROM main." +
                                  QuoteIdent(name) + " WHERE " + lhs + " NOT IN (SELECT * FROM temp." +
                                  QuoteIdent(gone_keys) + ") UNION ALL SELECT * FROM temp." + QuoteIdent(at)));
    o->drops_.push_back("DROP VIEW temp." + QuoteIdent(name));
  }
  return o;
}

}  // namespace aergo
