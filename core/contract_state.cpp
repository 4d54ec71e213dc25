#include <sodium.h>

#include <map>

#include "core/contract_internal.h"
#include "core/sqlite.h"
#include "core/value.h"

namespace aergo::contract_internal {

// State digest (docs/formats/state.md). SHA-256 over the concatenation of:
//   "AERGO-STATE-V1"                       14 ASCII bytes, no length, no NUL
//   for each table whose name contains '.', in byte order of name
//   (sqlite_master type 'table'; system tables "aergo.*" included):
//     Text(name)                           u32 big-endian length + UTF-8 bytes
//     for each row:
//       U8(1)
//       for each column in declaration order (PRAGMA table_info; hidden
//       and generated columns excluded): the value's canonical encoding —
//       tag u8 (0 NULL, 1 INTEGER, 2 REAL, 3 TEXT, 4 BLOB) then payload
//       (i64 BE; IEEE-754 bits as u64 BE; u32 BE length + bytes)
//     U8(0)                                end of the table's rows
// Row order: by the PRIMARY KEY columns in key order (table_info pk
// numbering), each compared with COLLATE BINARY; tables without a declared
// PRIMARY KEY order by every column in declaration order, each by
// COLLATE BINARY then typeof() (so 1 and 1.0 order integer first); rowid
// tables whose key columns may be NULL (not NOT NULL, not a single INTEGER
// key, not WITHOUT ROWID) order by the key, then every column likewise. Values
// are read as stored (column affinity applied), as ColumnValue reports them.
// With no contract tables the root is SHA-256("AERGO-STATE-V1").
Result<Hash32> ComputeStateDigest(sqlite3* db) {
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  auto feed = [&h](const Bytes& b) { crypto_hash_sha256_update(&h, b.data(), b.size()); };
  static constexpr std::string_view kTag = "AERGO-STATE-V1";
  crypto_hash_sha256_update(&h, reinterpret_cast<const uint8_t*>(kTag.data()), kTag.size());

  auto prepare = [db](const std::string& sql) -> Result<Stmt> {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      return IoError("state root: " + std::string(sqlite3_errmsg(db)));
    }
    return Stmt(raw);
  };
  AERGO_ASSIGN_OR_RETURN(Stmt tables, prepare("SELECT name FROM sqlite_master WHERE type = 'table' "
                                              "AND instr(name, '.') > 0 ORDER BY name"));
  while (tables.Step() == SQLITE_ROW) {
    std::string table = tables.Text(0);
    Writer head;
    head.Text(table);
    feed(head.bytes());
    AERGO_ASSIGN_OR_RETURN(Stmt info,
                           prepare("SELECT name, pk, \"notnull\", upper(type), "
                                   "(SELECT wr FROM pragma_table_list WHERE name = ?1) "
                                   "FROM pragma_table_info(?1) ORDER BY cid"));
    info.Bind(1, table);
    std::vector<std::string> cols;
    std::map<int64_t, std::string> pk;
    bool nullable_key = false, integer_key = false, without_rowid = false;
    while (info.Step() == SQLITE_ROW) {
      cols.push_back(QuoteIdent(info.Text(0)));
      without_rowid = info.Int(4) != 0;
      if (info.Int(1) > 0) {
        pk[info.Int(1)] = cols.back();
        nullable_key = nullable_key || info.Int(2) == 0;
        integer_key = info.Text(3) == "INTEGER";
      }
    }
    // A rowid table's non-INTEGER key columns may hold several NULLs: order
    // such tables by every column after the key, so ties are canonical.
    bool tie_break = !pk.empty() && nullable_key && !without_rowid &&
                     !(pk.size() == 1 && integer_key);
    std::string select, order;
    for (const std::string& c : cols) select += (select.empty() ? "" : ", ") + c;
    for (const auto& [n, c] : pk) order += (order.empty() ? "" : ", ") + c + " COLLATE BINARY";
    if (pk.empty() || tie_break) {
      for (const std::string& c : cols) {
        order += (order.empty() ? "" : ", ") + c + " COLLATE BINARY, typeof(" + c + ")";
      }
    }
    AERGO_ASSIGN_OR_RETURN(Stmt rows, prepare("SELECT " + select + " FROM " + QuoteIdent(table) +
                                              " ORDER BY " + order));
    int rc;
    while ((rc = rows.Step()) == SQLITE_ROW) {
      Writer w;
      w.U8(1);
      for (int c = 0; c < static_cast<int>(cols.size()); ++c)
        EncodeValue(&w, ColumnValue(rows.get(), c));
      feed(w.bytes());
    }
    if (rc != SQLITE_DONE) return IoError("state root: " + std::string(sqlite3_errmsg(db)));
    feed(Bytes{0});
  }
  Hash32 out;
  crypto_hash_sha256_final(&h, out.data());
  return out;
}

}  // namespace aergo::contract_internal
