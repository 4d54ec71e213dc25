// Row changes of the ledger state (docs/design.md §5; bytes in docs/formats/changes.md).
//
// A ChangeSet is the net difference between two states: per table, per
// primary key, the row before (absent if it did not exist) and the row
// after (absent if it no longer exists), as full rows in column declaration
// order. Every block stores the ChangeSet its txs made on its first
// parent's state, canonically encoded; its header's state root chains the
// parent's root with the hash of those bytes. Diff, checkout and reads as of
// any block combine (Then), invert and apply ChangeSets.
//
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/status.h"
#include "core/value.h"

namespace aergo {

using Row = std::vector<Value>;

// The contract registry: one row per deployed contract, first column its
// name; its rows decide which contract tables exist.
inline constexpr const char* kContractsTable = "aergo.contracts";

struct RowChange {
  std::optional<Row> before;  // unset: the row did not exist
  std::optional<Row> after;   // unset: the row no longer exists
  bool operator==(const RowChange&) const = default;
};

enum class ChangeOp { kInsert, kDelete, kUpdate };
ChangeOp OpOf(const RowChange& c);
const char* OpName(ChangeOp op);  // "insert", "delete", "update"

struct TableChanges {
  // Column names in declaration order for after-images; old_columns for
  // before-images (they differ only when a contract of the same name was
  // replaced by another along a combined path).
  std::vector<std::string> columns;
  std::vector<std::string> old_columns;
  std::vector<uint32_t> key;  // indexes into columns of the primary key, in key order
  // By KeyBytes of the row: the canonical encodings of its key values,
  // concatenated. Byte order of these strings is the canonical row order.
  std::map<std::string, RowChange> rows;
  bool operator==(const TableChanges&) const = default;
};

class ChangeSet {
 public:
  // By table name ("contract.table"); byte order is the canonical order.
  std::map<std::string, TableChanges> tables;

  bool empty() const { return tables.empty(); }
  size_t RowCount() const;

  // Canonical bytes: tables by name, rows by key bytes, no-op rows and
  // empty tables left out. Requires old_columns == columns for every table
  // (true of any block's or merge pool's changes).
  Bytes Encode() const;
  // Decodes untrusted bytes; rejects anything but the canonical form.
  static Result<ChangeSet> Decode(const Bytes& bytes, const std::string& what);

  // The changes that undo this one.
  ChangeSet Inverted() const;
  // Appends `next` (changes made after this one): per row, the earliest
  // before and the latest after. Corrupt if a row's before in `next` is not
  // this one's after (the two do not chain).
  Status Then(const ChangeSet& next);
  // Drops rows whose before equals after (except in tables of replaced
  // contracts), and tables left without rows.
  void Normalize();
  // Contracts whose registry row ("aergo.contracts") changes from one
  // deployment to another: their tables are dropped and re-created on apply.
  std::set<std::string> ReplacedContracts() const;
};

// The first table, in name order, whose changes differ between a and b
// (present in one only, or with other columns or rows); "" if none.
std::string FirstDifferentTable(const ChangeSet& a, const ChangeSet& b);

// Canonical key bytes of `row` under key columns `key`.
std::string KeyBytes(const Row& row, const std::vector<uint32_t>& key);

// State root (docs/formats/changes.md): SHA-256 of "AERGO-STATE-V2", the
// parent block's state root (32 zero bytes for genesis) and SHA-256 of the
// block's encoded changes.
Hash32 ChainStateRoot(const Hash32& parent_root, const Bytes& encoded_changes);

}  // namespace aergo
