// The pre-update hook API is declared only under this macro; Debian's
// libsqlite3 is built with it (the session extension needs it).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "core/recorder.h"

#include <cstring>

#include "core/codec.h"
#include "core/sqlite.h"

namespace aergo {

namespace {
constexpr const char* kClientDataName = "aergo.recorder";
}  // namespace

ChangeRecorder::ChangeRecorder(sqlite3* db) : db_(db) {
  sqlite3_preupdate_hook(db_, &ChangeRecorder::Hook, this);
  sqlite3_set_clientdata(db_, kClientDataName, this, nullptr);
}

ChangeRecorder::~ChangeRecorder() {
  sqlite3_preupdate_hook(db_, nullptr, nullptr);
  sqlite3_set_clientdata(db_, kClientDataName, nullptr, nullptr);
}

ChangeRecorder* ChangeRecorder::Installed(sqlite3* db) {
  return static_cast<ChangeRecorder*>(sqlite3_get_clientdata(db, kClientDataName));
}

namespace {

// Reads the row the hook offers into `row`, reusing its buffers. False if
// SQLite refuses a column.
bool ReadRow(sqlite3* db, int (*get)(sqlite3*, int, sqlite3_value**), Row* row) {
  int n = sqlite3_preupdate_count(db);
  row->resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    sqlite3_value* v = nullptr;
    if (get(db, i, &v) != SQLITE_OK || v == nullptr) return false;
    Value& out = (*row)[static_cast<size_t>(i)];
    switch (sqlite3_value_type(v)) {
      case SQLITE_INTEGER:
        out.type = Value::Type::kInteger;
        out.integer = sqlite3_value_int64(v);
        break;
      case SQLITE_FLOAT:
        out.type = Value::Type::kReal;
        out.real = sqlite3_value_double(v);
        break;
      case SQLITE_TEXT:
        out.type = Value::Type::kText;
        out.bytes.assign(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                         static_cast<size_t>(sqlite3_value_bytes(v)));
        break;
      case SQLITE_BLOB: {
        out.type = Value::Type::kBlob;
        const void* p = sqlite3_value_blob(v);
        size_t len = static_cast<size_t>(sqlite3_value_bytes(v));
        out.bytes.assign(p ? static_cast<const char*>(p) : "", len);
        break;
      }
      default:
        out.type = Value::Type::kNull;
        break;
    }
  }
  return true;
}

// KeyBytes(row, key) into *out, reusing its buffer.
void KeyInto(const Row& row, const std::vector<uint32_t>& key, std::string* out) {
  out->clear();
  for (uint32_t k : key) {
    const Value& v = row[k];
    out->push_back(static_cast<char>(v.type));
    uint64_t bits = 0;
    switch (v.type) {
      case Value::Type::kNull:
        continue;
      case Value::Type::kInteger:
        bits = static_cast<uint64_t>(v.integer);
        break;
      case Value::Type::kReal:
        std::memcpy(&bits, &v.real, 8);
        break;
      case Value::Type::kText:
      case Value::Type::kBlob: {
        uint32_t n = static_cast<uint32_t>(v.bytes.size());
        for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((n >> s) & 0xff));
        out->append(v.bytes);
        continue;
      }
    }
    for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((bits >> s) & 0xff));
  }
}

}  // namespace

void ChangeRecorder::Hook(void* self, sqlite3* db, int op, const char* schema, const char* table,
                          sqlite3_int64, sqlite3_int64) {
  auto* rec = static_cast<ChangeRecorder*>(self);
  if (std::strcmp(schema, "main") != 0 || std::strchr(table, '.') == nullptr) return;
  if (rec->write_budget_ >= 0 && op != SQLITE_DELETE && !rec->write_budget_exceeded_ &&
      !rec->invalid_text_) {
    int n = sqlite3_preupdate_count(db);
    for (int i = 0; i < n; ++i) {
      sqlite3_value* v = nullptr;
      if (sqlite3_preupdate_new(db, i, &v) != SQLITE_OK || v == nullptr) continue;
      int type = sqlite3_value_type(v);
      if (type == SQLITE_TEXT) {
        const char* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
        size_t len = static_cast<size_t>(sqlite3_value_bytes(v));
        if (!IsValidUtf8(std::string_view(text ? text : "", len))) rec->invalid_text_ = true;
      }
      rec->written_ += 1 + (type == SQLITE_INTEGER || type == SQLITE_FLOAT ? 8
                            : type == SQLITE_NULL                          ? 0
                                                                           : 4 + sqlite3_value_bytes(v));
    }
    if (rec->written_ > rec->write_budget_) rec->write_budget_exceeded_ = true;
    if (rec->write_budget_exceeded_ || rec->invalid_text_) sqlite3_interrupt(db);
  }
  if (!rec->recording_) return;
  if (rec->used_ == rec->log_.size()) rec->log_.emplace_back();
  Event& e = rec->log_[rec->used_++];
  e.table.assign(table);
  e.op = op;
  bool ok = true;
  if (op != SQLITE_INSERT) ok = ReadRow(db, &sqlite3_preupdate_old, &e.old_row);
  else e.old_row.clear();
  if (op != SQLITE_DELETE) ok = ok && ReadRow(db, &sqlite3_preupdate_new, &e.new_row);
  else e.new_row.clear();
  if (!ok) e.op = -1;  // reported by Keep()
}

Result<ChangeRecorder::Layout*> ChangeRecorder::Table(const std::string& name) {
  auto it = layouts_.find(name);
  if (it != layouts_.end()) return last_ = &it->second;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT name, pk, hidden, upper(type) FROM pragma_table_xinfo(?1) ORDER BY cid", -1,
                         &raw, nullptr) != SQLITE_OK)
    return IoError("record changes: " + std::string(sqlite3_errmsg(db_)));
  Stmt s(raw);
  s.Bind(1, name);
  TableChanges t;
  Layout layout;
  std::map<int64_t, uint32_t> pk;
  while (s.Step() == SQLITE_ROW) {
    // Column affinity (SQLite's rules, in order): INT, then CHAR/CLOB/TEXT,
    // then BLOB or none, then REAL/FLOA/DOUB; else NUMERIC.
    std::string type = s.Text(3);
    auto has = [&](const char* w) { return type.find(w) != std::string::npos; };
    layout.real.push_back(!has("INT") && !has("CHAR") && !has("CLOB") && !has("TEXT") &&
                          !has("BLOB") && !type.empty() && (has("REAL") || has("FLOA") || has("DOUB")));
    if (s.Int(2) != 0)
      return Invalid("table '" + name + "' has hidden or generated columns, whose changes cannot be recorded");
    if (s.Int(1) > 0) pk[s.Int(1)] = static_cast<uint32_t>(t.columns.size());
    t.columns.push_back(s.Text(0));
  }
  if (t.columns.empty()) return IoError("record changes: table '" + name + "' not found");
  if (pk.empty()) return Invalid("table '" + name + "' has no PRIMARY KEY");
  for (const auto& [n, idx] : pk) t.key.push_back(idx);
  t.old_columns = t.columns;
  auto net = net_.tables.find(name);
  if (net == net_.tables.end()) net = net_.tables.emplace(name, std::move(t)).first;
  layout.changes = &net->second;
  layout.name = name;
  return last_ = &layouts_.emplace(name, std::move(layout)).first->second;
}

Status ChangeRecorder::Keep() {
  recording_ = false;
  for (size_t i = 0; i < used_; ++i) {
    Event& e = log_[i];
    Layout* layout = last_;
    if (layout == nullptr || layout->name != e.table) {
      AERGO_ASSIGN_OR_RETURN(layout, Table(e.table));
    }
    TableChanges* t = layout->changes;
    size_t n = t->columns.size();
    if (e.op < 0 || (e.op != SQLITE_INSERT && e.old_row.size() != n) ||
        (e.op != SQLITE_DELETE && e.new_row.size() != n))
      return IoError("record changes: table '" + e.table + "': row does not match its columns");
    for (Row* row : {&e.old_row, &e.new_row}) {
      for (size_t c = 0; c < row->size(); ++c) {
        Value& v = (*row)[c];
        if (layout->real[c] && v.type == Value::Type::kInteger) {
          v.real = static_cast<double>(v.integer);
          v.type = Value::Type::kReal;
        }
      }
    }
    // Folds one row event into the net changes: the first before-image
    // stays, the after-image is the latest. Images are swapped in, not
    // copied; the event keeps the old buffers for reuse.
    auto remove = [&](Row& old_row, const std::string& key) {
      auto it = t->rows.find(key);
      if (it == t->rows.end()) t->rows.emplace(key, RowChange{std::move(old_row), std::nullopt});
      else it->second.after.reset();
    };
    auto put = [&](Row& new_row, Row* old_row, const std::string& key) {
      auto it = t->rows.find(key);
      if (it == t->rows.end()) {
        t->rows.emplace(key, RowChange{old_row ? std::optional<Row>(std::move(*old_row)) : std::nullopt,
                                       std::move(new_row)});
      } else if (it->second.after) {
        std::swap(*it->second.after, new_row);
      } else {
        it->second.after = std::move(new_row);
      }
    };
    if (e.op == SQLITE_DELETE) {
      KeyInto(e.old_row, t->key, &key_);
      remove(e.old_row, key_);
    } else if (e.op == SQLITE_INSERT) {
      KeyInto(e.new_row, t->key, &key_);
      put(e.new_row, nullptr, key_);
    } else {
      bool same_key = true;
      for (uint32_t k : t->key) same_key = same_key && e.old_row[k] == e.new_row[k];
      KeyInto(e.old_row, t->key, &key_);
      if (same_key) {
        put(e.new_row, &e.old_row, key_);
      } else {  // the key changed: a delete and an insert
        KeyInto(e.new_row, t->key, &key2_);
        remove(e.old_row, key_);
        put(e.new_row, nullptr, key2_);
      }
    }
  }
  used_ = 0;
  return Status::Ok();
}

ChangeSet ChangeRecorder::Take() {
  ChangeSet out = std::move(net_);
  net_ = ChangeSet();
  layouts_.clear();
  last_ = nullptr;
  out.Normalize();
  return out;
}

void ChangeRecorder::Clear() {
  used_ = 0;
  recording_ = false;
  net_ = ChangeSet();
  layouts_.clear();
  last_ = nullptr;
}

}  // namespace aergo
