// Moving a state database along recorded changes (docs/design.md §5).
//
// ApplyChanges turns one state into another by a ChangeSet: contract tables
// appear and disappear with their registry rows ("aergo.contracts"), then
// every changed row is deleted by its full before-image and inserted by its
// after-image. All deletes run before all inserts, so UNIQUE constraints
// never see a half-moved state. Every before-image is checked against the
// state: a state that is not the one the changes start from is Corrupt,
// naming the table and key. Runs in the caller's transaction; on error the
// caller rolls back.
// Thread-safety: the connection's thread only.
#pragma once

#include <sqlite3.h>

#include "core/changes.h"
#include "core/contract.h"

namespace aergo {

Status ApplyChanges(sqlite3* db, ContractEngine* engine, const ChangeSet& changes);

// "owner='Abc', n=1": the key columns of a row, for messages.
std::string KeyDisplay(const TableChanges& table, const Row& row);

}  // namespace aergo
