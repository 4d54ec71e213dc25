// Reads as of another block (docs/design.md §5, `aergo query --at`): an overlay of
// TEMP objects on the live connection that shadows state tables with their
// content at the target, built from the net changes between the checked-out
// state and the target. SQLite resolves unqualified names in the temp schema
// first, so queries read the target's rows while the live state, which
// nothing writes, stays as it is. Cost: the rows that differ, not the
// state's size.
//
// Per table:
//   changed rows          TEMP VIEW "c.t" = live rows minus the changed keys
//                         ("c.t.gone"), plus the target's rows ("c.t.at")
//   contract created      TEMP TABLE "c.t" from the contract's DDL, filled
//   contract gone         not visible (left out of tables(); a quoted name
//                         reads an empty TEMP VIEW)
// Ownership: borrows the connection; drops its objects on destruction.
// Thread-safety: the connection's thread only.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/changes.h"
#include "core/contract.h"
#include "core/sqlite.h"

namespace aergo {

// The state tables that exist after applying `from_live` to the live state
// of db.
Result<std::set<std::string>> TablesAfter(sqlite3* db, const ChangeSet& from_live);

class StateOverlay {
 public:
  static Result<std::unique_ptr<StateOverlay>> Create(sqlite3* db, const ChangeSet& from_live);
  ~StateOverlay();
  StateOverlay(const StateOverlay&) = delete;
  StateOverlay& operator=(const StateOverlay&) = delete;

  // What queries see: the state tables visible at the target, and the
  // names readable only through the overlay's views.
  const QueryView& view() const { return view_; }

 private:
  explicit StateOverlay(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  sqlite3* db_;
  QueryView view_;
  std::vector<std::string> drops_;  // "DROP ..." statements, run in reverse
};

// Reads the state as of one block (`query --at`): through a StateOverlay on
// the repository's connection, or on a cached materialized state
// (core/state_cache.h), with an overlay for the rows in between if it is
// a nearby block's. Made by Repository::ReadAt.
class BlockReader {
 public:
  Result<QueryResult> Query(std::string_view sql, const QueryLimits* limits = nullptr) {
    return engine_->Query(sql, overlay_ ? &overlay_->view() : nullptr, limits);
  }
  // "checked-out state", or "cached state of <block>".
  const std::string& source() const { return source_; }

 private:
  friend class Repository;
  // Destroyed in reverse: the overlay, then the engine, then the connection.
  Db cached_db_;
  std::unique_ptr<ContractEngine> cached_engine_;
  ContractEngine* engine_ = nullptr;
  std::unique_ptr<StateOverlay> overlay_;
  std::string source_;
};

}  // namespace aergo
