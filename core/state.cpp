#include "core/state.h"

#include <map>
#include <set>

#include "core/sqlite.h"

namespace aergo {

std::string KeyDisplay(const TableChanges& table, const Row& row) {
  std::string out;
  for (uint32_t k : table.key) {
    if (!out.empty()) out += ", ";
    const std::string& col = k < table.columns.size() ? table.columns[k] : "?";
    out += col + "=" + (k < row.size() ? ValueToDisplay(row[k]) : "?");
  }
  return out;
}

namespace {

std::string ContractOf(const std::string& table) { return table.substr(0, table.find('.')); }

Result<Stmt> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    return IoError("apply changes: " + std::string(sqlite3_errmsg(db)));
  return Stmt(raw);
}

Status Mismatch(const std::string& table, const TableChanges& t, const Row& row, const std::string& why) {
  return Corrupt("state does not match the changes: table '" + table + "' row (" + KeyDisplay(t, row) +
                 ") " + why);
}

}  // namespace

Status ApplyChanges(sqlite3* db, ContractEngine* engine, const ChangeSet& changes) {
  if (changes.empty()) return Status::Ok();
  AERGO_RETURN_IF_ERROR(engine->InitSystemTables());
  // Which contracts' tables go away and which come (with their source).
  std::set<std::string> dropped;
  std::map<std::string, std::string> created;
  if (auto reg = changes.tables.find(kContractsTable); reg != changes.tables.end()) {
    const TableChanges& t = reg->second;
    size_t source_col = 0;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i] == "source") source_col = i;
    }
    if (source_col == 0) return Corrupt("changes to the contract registry lack its source column");
    for (const auto& [k, c] : t.rows) {
      if (c.before && c.after && *c.before == *c.after) continue;
      if (c.before) dropped.insert(c.before->front().bytes);
      if (c.after) created[c.after->front().bytes] = (*c.after)[source_col].bytes;
    }
  }
  auto moved = [&](const std::string& table) {
    std::string c = ContractOf(table);
    return dropped.count(c) > 0 || created.count(c) > 0;
  };
  for (const auto& name : dropped) AERGO_RETURN_IF_ERROR(engine->DropTables(name));
  for (const auto& [name, source] : created) AERGO_RETURN_IF_ERROR(engine->CreateTables(name, source));

  // Deletes, each by its full before-image.
  for (const auto& [table, t] : changes.tables) {
    if (moved(table) && table != kContractsTable) continue;
    // The key terms find the row through its index; the rest compare every
    // column exactly (bytes and type, whatever its collation or affinity).
    std::string where;
    for (uint32_t k : t.key) {
      if (k < t.old_columns.size())
        where += QuoteIdent(t.old_columns[k]) + " IS ?" + std::to_string(k + 1) + " AND ";
    }
    for (size_t i = 0; i < t.old_columns.size(); ++i) {
      std::string c = QuoteIdent(t.old_columns[i]), p = "?" + std::to_string(i + 1);
      where += (i ? " AND " : "") + c + " IS " + p + " COLLATE BINARY AND typeof(" + c + ") = typeof(" + p + ")";
    }
    Stmt del;
    for (const auto& [k, c] : t.rows) {
      if (!c.before || c.before == c.after) continue;
      if (!del) {
        AERGO_ASSIGN_OR_RETURN(del, Prepare(db, "DELETE FROM " + QuoteIdent(table) + " WHERE " + where));
      }
      for (size_t i = 0; i < c.before->size(); ++i) del.BindValue(static_cast<int>(i + 1), (*c.before)[i]);
      int rc = del.Step();
      del.Reset();
      if (rc != SQLITE_DONE) return IoError("apply changes: table '" + table + "': " + sqlite3_errmsg(db));
      if (sqlite3_changes(db) != 1) return Mismatch(table, t, *c.before, "is not in the state as recorded");
    }
  }
  // Inserts, by after-image.
  for (const auto& [table, t] : changes.tables) {
    std::string cols, params;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      cols += (i ? ", " : "") + QuoteIdent(t.columns[i]);
      params += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    bool fresh = moved(table) && table != kContractsTable;
    Stmt ins;
    for (const auto& [k, c] : t.rows) {
      if (!c.after || (!fresh && c.before == c.after)) continue;
      if (!ins) {
        AERGO_ASSIGN_OR_RETURN(ins, Prepare(db, "INSERT INTO " + QuoteIdent(table) + " (" + cols +
                                                    ") VALUES (" + params + ")"));
      }
      for (size_t i = 0; i < c.after->size(); ++i) ins.BindValue(static_cast<int>(i + 1), (*c.after)[i]);
      int rc = ins.Step();
      ins.Reset();
      if (rc == SQLITE_CONSTRAINT) return Mismatch(table, t, *c.after, "conflicts with the state");
      if (rc != SQLITE_DONE) return IoError("apply changes: table '" + table + "': " + sqlite3_errmsg(db));
    }
  }
  return Status::Ok();
}

}  // namespace aergo
