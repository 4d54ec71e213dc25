// ChangeRecorder: records the row changes that one SQLite connection makes to
// state tables (names with a dot, schema "main") through SQLite's pre-update
// hook, and folds them into a net ChangeSet (core/changes.h). Why not the
// session extension: it ignores rows whose key holds NULL, records only the
// changed columns of an update, and re-reads every row when asked for its
// changeset; blocks need full before and after rows (docs/formats/changes.md).
//
// Contract: every change between Begin() and Keep() is folded into the net
// set; Drop() forgets the changes since Begin() (the tx failed and SQLite
// rolled it back); changes outside Begin()..Keep()/Drop() are ignored. Only
// one recorder may be installed on a connection; install it before any
// contract statement is prepared and keep it, because SQLite compiles an
// unconditional DELETE into a page truncation that reports no rows unless a
// pre-update hook is present at prepare time.
// Values of REAL-affinity columns are recorded as REAL (SQLite stores whole
// numbers there as integers and the hook reports an insert's new row so).
// Ownership: borrows the connection; installs the hook for its lifetime.
// Thread-safety: the connection's thread only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/changes.h"

namespace aergo {

class ChangeRecorder {
 public:
  explicit ChangeRecorder(sqlite3* db);
  ~ChangeRecorder();
  ChangeRecorder(const ChangeRecorder&) = delete;
  ChangeRecorder& operator=(const ChangeRecorder&) = delete;

  void Begin() {
    used_ = 0;
    recording_ = true;
  }
  Status Keep();
  void Drop() {
    used_ = 0;
    recording_ = false;
  }
  // The net changes kept so far, normalized; the recorder starts empty again.
  ChangeSet Take();
  // Forgets everything, including cached table layouts (tables may have
  // been dropped or re-created).
  void Clear();

  // The write checks of one call, from ArmWriteBudget until
  // DisarmWriteBudget, on every row an insert or update writes to a state
  // table, recorded or not:
  //  - the bound max_call_write_bytes: the rows' values' encoded sizes
  //    (docs/formats/encoding.md) are summed; past `bytes`,
  //    WriteBudgetExceeded() becomes true;
  //  - TEXT must be valid UTF-8 (SQLite lets CAST(x'ff' AS TEXT) and the
  //    like through; the change format and every decoder refuse it): else
  //    InvalidText() becomes true.
  // Either way the hook interrupts the connection (the statement fails and
  // SQLite rolls back the transaction, as for the step budget); the flags
  // stay until the next Arm.
  void ArmWriteBudget(int64_t bytes) {
    write_budget_ = bytes;
    written_ = 0;
    write_budget_exceeded_ = false;
    invalid_text_ = false;
  }
  void DisarmWriteBudget() { write_budget_ = -1; }
  bool WriteBudgetExceeded() const { return write_budget_exceeded_; }
  bool InvalidText() const { return invalid_text_; }

  // The recorder installed on db, or null (sqlite3_get_clientdata).
  static ChangeRecorder* Installed(sqlite3* db);

 private:
  struct Event {
    std::string table;
    int op;  // SQLITE_INSERT, SQLITE_DELETE, SQLITE_UPDATE
    Row old_row, new_row;
  };
  struct Layout {
    std::string name;
    TableChanges* changes;   // in net_
    std::vector<bool> real;  // per column: REAL affinity
  };
  static void Hook(void* self, sqlite3* db, int op, const char* schema, const char* table,
                   sqlite3_int64 key1, sqlite3_int64 key2);
  Result<Layout*> Table(const std::string& name);

  sqlite3* db_;
  bool recording_ = false;
  int64_t write_budget_ = -1;  // -1: not armed
  int64_t written_ = 0;
  bool write_budget_exceeded_ = false;
  bool invalid_text_ = false;
  // Events of the current tx: log_[0, used_). Entries past used_ keep their
  // buffers, so steady-state recording allocates little.
  std::vector<Event> log_;
  size_t used_ = 0;
  ChangeSet net_;
  std::map<std::string, Layout, std::less<>> layouts_;  // tables seen since Take()
  Layout* last_ = nullptr;                              // the last one used
  std::string key_, key2_;                              // scratch key bytes
};

}  // namespace aergo
