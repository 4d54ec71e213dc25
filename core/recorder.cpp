// The pre-update hook API is declared only under this macro; Debian's
// libsqlite3 is built with it (the session extension needs it).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "core/recorder.h"

#include <cstring>

#include "core/sqlite.h"

namespace aergo {

ChangeRecorder::ChangeRecorder(sqlite3* db) : db_(db) {
  sqlite3_preupdate_hook(db_, &ChangeRecorder::Hook, this);
}

ChangeRecorder::~ChangeRecorder() { sqlite3_preupdate_hook(db_, nullptr, nullptr); }

void ChangeRecorder::Hook(void* self, sqlite3* db, int op, const char* schema, const char* table,
                          sqlite3_int64, sqlite3_int64) {
  auto* rec = static_cast<ChangeRecorder*>(self);
  if (!rec->recording_ || std::strcmp(schema, "main") != 0 || std::strchr(table, '.') == nullptr)
    return;
  Event e;
  e.table = table;
  e.op = op;
  int n = sqlite3_preupdate_count(db);
  auto read = [&](int (*get)(sqlite3*, int, sqlite3_value**), Row* row) {
    row->reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      sqlite3_value* v = nullptr;
      if (get(db, i, &v) != SQLITE_OK || v == nullptr) {
        row->clear();
        return;
      }
      row->push_back(SqlValue(v));
    }
  };
  if (op != SQLITE_INSERT) read(&sqlite3_preupdate_old, &e.old_row);
  if (op != SQLITE_DELETE) read(&sqlite3_preupdate_new, &e.new_row);
  rec->log_.push_back(std::move(e));
}

Result<TableChanges*> ChangeRecorder::Table(const std::string& name) {
  auto it = net_.tables.find(name);
  if (it != net_.tables.end()) return &it->second;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT name, pk, hidden, upper(type) FROM pragma_table_xinfo(?1) ORDER BY cid", -1,
                         &raw, nullptr) != SQLITE_OK)
    return IoError("record changes: " + std::string(sqlite3_errmsg(db_)));
  Stmt s(raw);
  s.Bind(1, name);
  TableChanges t;
  std::map<int64_t, uint32_t> pk;
  std::vector<bool>& real = real_columns_[name];
  real.clear();
  while (s.Step() == SQLITE_ROW) {
    // Column affinity (SQLite's rules, in order): INT, then CHAR/CLOB/TEXT,
    // then BLOB or none, then REAL/FLOA/DOUB; else NUMERIC.
    std::string type = s.Text(3);
    auto has = [&](const char* w) { return type.find(w) != std::string::npos; };
    real.push_back(!has("INT") && !has("CHAR") && !has("CLOB") && !has("TEXT") && !has("BLOB") &&
                   !type.empty() && (has("REAL") || has("FLOA") || has("DOUB")));
    if (s.Int(2) != 0) return Invalid("table '" + name + "' has hidden or generated columns, whose changes cannot be recorded");
    if (s.Int(1) > 0) pk[s.Int(1)] = static_cast<uint32_t>(t.columns.size());
    t.columns.push_back(s.Text(0));
  }
  if (t.columns.empty()) return IoError("record changes: table '" + name + "' not found");
  if (pk.empty()) return Invalid("table '" + name + "' has no PRIMARY KEY");
  for (const auto& [n, idx] : pk) t.key.push_back(idx);
  t.old_columns = t.columns;
  return &net_.tables.emplace(name, std::move(t)).first->second;
}

Status ChangeRecorder::Keep() {
  recording_ = false;
  for (Event& e : log_) {
    AERGO_ASSIGN_OR_RETURN(TableChanges * t, Table(e.table));
    size_t n = t->columns.size();
    if ((e.op != SQLITE_INSERT && e.old_row.size() != n) || (e.op != SQLITE_DELETE && e.new_row.size() != n))
      return IoError("record changes: table '" + e.table + "': row does not match its columns");
    const std::vector<bool>& real = real_columns_[e.table];
    for (Row* row : {&e.old_row, &e.new_row}) {
      for (size_t i = 0; i < row->size() && i < real.size(); ++i) {
        Value& v = (*row)[i];
        if (real[i] && v.type == Value::Type::kInteger) v = Value::Real(static_cast<double>(v.integer));
      }
    }
    auto remove = [&](Row&& old_row) {
      std::string k = KeyBytes(old_row, t->key);
      auto [it, fresh] = t->rows.try_emplace(std::move(k));
      if (fresh) it->second.before = std::move(old_row);
      it->second.after.reset();
    };
    auto put = [&](Row&& new_row, std::optional<Row> old_row) {
      std::string k = KeyBytes(new_row, t->key);
      auto [it, fresh] = t->rows.try_emplace(std::move(k));
      if (fresh) it->second.before = std::move(old_row);
      it->second.after = std::move(new_row);
    };
    if (e.op == SQLITE_DELETE) {
      remove(std::move(e.old_row));
    } else if (e.op == SQLITE_INSERT) {
      put(std::move(e.new_row), std::nullopt);
    } else if (KeyBytes(e.old_row, t->key) == KeyBytes(e.new_row, t->key)) {
      put(std::move(e.new_row), std::move(e.old_row));
    } else {  // the key changed: a delete and an insert
      remove(std::move(e.old_row));
      put(std::move(e.new_row), std::nullopt);
    }
  }
  log_.clear();
  return Status::Ok();
}

ChangeSet ChangeRecorder::Take() {
  ChangeSet out = std::move(net_);
  net_ = ChangeSet();
  out.Normalize();
  return out;
}

void ChangeRecorder::Clear() {
  log_.clear();
  recording_ = false;
  net_ = ChangeSet();
  real_columns_.clear();
}

}  // namespace aergo
