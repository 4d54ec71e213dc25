#include "core/sqlite.h"

namespace aergo {

Result<Db> Db::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db;
  db.db_ = raw;
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return IoError("cannot open database '" + path + "': " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return IoError("database error: " + msg);
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return IoError("database error: " + Error());
  return Stmt(s);
}

Status Db::StepError(int rc, const std::string& what) const {
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return Busy(what + ": database is locked");
  return IoError(what + ": " + Error());
}

Txn::Txn(Db* db) : db_(db) {
  status_ = db_->Exec("BEGIN IMMEDIATE");
  open_ = status_.ok();
}

Txn::~Txn() {
  if (open_) sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Txn::Commit() {
  if (!open_) return status_.ok() ? IoError("transaction not open") : status_;
  Status st = db_->Exec("COMMIT");
  if (st.ok()) open_ = false;
  return st;
}

Savepoint::Savepoint(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {
  char* err = nullptr;
  if (sqlite3_exec(db_, ("SAVEPOINT " + name_).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    status_ = IoError(std::string("savepoint: ") + (err ? err : "failed"));
    sqlite3_free(err);
  } else {
    open_ = true;
  }
}

Savepoint::~Savepoint() { Rollback(); }

void Savepoint::Rollback() {
  if (!open_) return;
  std::string sql = "ROLLBACK TO " + name_ + "; RELEASE " + name_;
  sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  open_ = false;
}

Status Savepoint::Release() {
  if (!open_) return IoError("savepoint not open");
  char* err = nullptr;
  if (sqlite3_exec(db_, ("RELEASE " + name_).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status st = IoError(std::string("release savepoint: ") + (err ? err : "failed"));
    sqlite3_free(err);
    return st;
  }
  open_ = false;
  return Status::Ok();
}

std::string QuoteIdent(const std::string& name) {
  std::string o = "\"";
  for (char c : name) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

}  // namespace aergo
