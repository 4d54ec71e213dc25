// RAII wrappers over SQLite handles.
//
// Db owns a connection; Stmt owns a prepared statement; Txn is a scoped
// BEGIN IMMEDIATE / COMMIT that rolls back unless committed; Savepoint is
// the nested form. Errors come back as Status naming the SQL's purpose.
// Thread-safety: a Db and its Stmts belong to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

#include "core/status.h"
#include "core/value.h"

namespace aergo {

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) { sqlite3_finalize(s_); s_ = o.s_; o.s_ = nullptr; }
    return *this;
  }

  sqlite3_stmt* get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }

  // Binders (1-based), chainable.
  Stmt& Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
  }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string(v)); }
  Stmt& BindBlob(int i, const void* p, size_t n) {
    sqlite3_bind_blob64(s_, i, p, n, SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindNull(int i) { sqlite3_bind_null(s_, i); return *this; }
  Stmt& BindValue(int i, const Value& v) { aergo::BindValue(s_, i, v); return *this; }

  // Step: SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() { return sqlite3_step(s_); }
  void Reset() { sqlite3_reset(s_); sqlite3_clear_bindings(s_); }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  Bytes Blob(int col) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, col));
    int n = sqlite3_column_bytes(s_, col);
    return p ? Bytes(p, p + n) : Bytes();
  }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// How long a statement waits for another connection's lock (sqlite3
// busy timeout) before failing SQLITE_BUSY.
inline constexpr int kBusyTimeoutMs = 10000;

class Db {
 public:
  Db() = default;
  ~Db() { if (db_) sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept {
    if (this != &o) { if (db_) sqlite3_close_v2(db_); db_ = o.db_; o.db_ = nullptr; }
    return *this;
  }

  // Opens (creating if `create`) the database at path; "" opens a private
  // temporary on-disk database, ":memory:" an in-memory one.
  static Result<Db> Open(const std::string& path, bool create);

  sqlite3* get() const { return db_; }

  // Runs one or more statements with no results.
  Status Exec(const std::string& sql);
  Result<Stmt> Prepare(const std::string& sql);
  // The connection's last error text.
  std::string Error() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }
  // Status for a failed step/prepare with result code rc.
  Status StepError(int rc, const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction (check status()), ROLLBACK on destruction
// unless Commit() succeeded.
class Txn {
 public:
  explicit Txn(Db* db);
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  const Status& status() const { return status_; }
  Status Commit();

 private:
  Db* db_;
  bool open_ = false;
  Status status_;
};

// SAVEPOINT <name>; Release() keeps the changes, destruction without
// Release() rolls them back.
class Savepoint {
 public:
  Savepoint(sqlite3* db, std::string name);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  const Status& status() const { return status_; }
  Status Release();
  void Rollback();

 private:
  sqlite3* db_;
  std::string name_;
  bool open_ = false;
  Status status_;
};

// Quotes an SQL identifier with double quotes.
std::string QuoteIdent(const std::string& name);

}  // namespace aergo
