#include "core/changes.h"

#include <sodium.h>

#include <set>
#include <string_view>

namespace aergo {

namespace {
constexpr uint8_t kFormatVersion = 1;
constexpr size_t kMaxTableName = 129;  // contract (64) + '.' + table (64)
constexpr size_t kMaxColumnName = 1024;
constexpr uint32_t kMaxColumns = 2000;  // SQLite's default SQLITE_MAX_COLUMN

void EncodeRow(Writer* w, const Row& row) {
  for (const Value& v : row) EncodeValue(w, v);
}

Row DecodeRow(Reader* r, size_t n, const char* field) {
  Row row;
  for (size_t i = 0; i < n && r->ok(); ++i) row.push_back(DecodeValue(r, field));
  return row;
}
}  // namespace

ChangeOp OpOf(const RowChange& c) {
  if (!c.before) return ChangeOp::kInsert;
  if (!c.after) return ChangeOp::kDelete;
  return ChangeOp::kUpdate;
}

const char* OpName(ChangeOp op) {
  switch (op) {
    case ChangeOp::kInsert: return "insert";
    case ChangeOp::kDelete: return "delete";
    case ChangeOp::kUpdate: return "update";
  }
  return "?";
}

std::string KeyBytes(const Row& row, const std::vector<uint32_t>& key) {
  Writer w;
  for (uint32_t k : key) EncodeValue(&w, row[k]);
  const Bytes& b = w.bytes();
  return std::string(b.begin(), b.end());
}

size_t ChangeSet::RowCount() const {
  size_t n = 0;
  for (const auto& [name, t] : tables) n += t.rows.size();
  return n;
}

Bytes ChangeSet::Encode() const {
  Writer w;
  w.U8(kFormatVersion);
  uint32_t ntables = 0;
  for (const auto& [name, t] : tables) {
    for (const auto& [k, c] : t.rows) {
      if (c.before != c.after) { ++ntables; break; }
    }
  }
  w.U32(ntables);
  for (const auto& [name, t] : tables) {
    uint32_t nrows = 0;
    for (const auto& [k, c] : t.rows) nrows += c.before != c.after ? 1 : 0;
    if (nrows == 0) continue;
    w.Text(name);
    w.U32(static_cast<uint32_t>(t.columns.size()));
    for (const auto& c : t.columns) w.Text(c);
    w.U32(static_cast<uint32_t>(t.key.size()));
    for (uint32_t k : t.key) w.U32(k);
    w.U32(nrows);
    for (const auto& [k, c] : t.rows) {
      if (c.before == c.after) continue;
      ChangeOp op = OpOf(c);
      w.U8(op == ChangeOp::kInsert ? 1 : op == ChangeOp::kDelete ? 2 : 3);
      if (c.before) EncodeRow(&w, *c.before);
      if (c.after) EncodeRow(&w, *c.after);
    }
  }
  return w.Take();
}

Result<ChangeSet> ChangeSet::Decode(const Bytes& bytes, const std::string& what) {
  Reader r(bytes, what);
  ChangeSet out;
  uint8_t version = r.U8("version");
  if (r.ok() && version != kFormatVersion) r.Fail("unknown changes format version " + std::to_string(version));
  uint32_t ntables = r.U32("table count");
  std::string prev_table;
  for (uint32_t t = 0; t < ntables && r.ok(); ++t) {
    std::string name = r.Text("table name", kMaxTableName);
    if (!r.ok()) break;
    if (name.find('.') == std::string::npos) r.Fail("table name '" + name + "' has no contract prefix");
    if (t > 0 && !(prev_table < name)) r.Fail("tables out of order at '" + name + "'");
    prev_table = name;
    TableChanges tc;
    uint32_t ncols = r.U32("column count");
    if (r.ok() && (ncols == 0 || ncols > kMaxColumns))
      r.Fail("table '" + name + "': column count " + std::to_string(ncols));
    for (uint32_t c = 0; c < ncols && r.ok(); ++c) tc.columns.push_back(r.Text("column name", kMaxColumnName));
    uint32_t nkey = r.U32("key column count");
    if (r.ok() && (nkey == 0 || nkey > ncols))
      r.Fail("table '" + name + "': key column count " + std::to_string(nkey));
    std::vector<bool> used(r.ok() ? ncols : 0);
    for (uint32_t k = 0; k < nkey && r.ok(); ++k) {
      uint32_t idx = r.U32("key column");
      if (!r.ok()) break;
      if (idx >= ncols || used[idx]) {
        r.Fail("table '" + name + "': bad key column " + std::to_string(idx));
        break;
      }
      used[idx] = true;
      tc.key.push_back(idx);
    }
    uint32_t nrows = r.U32("row count");
    if (r.ok() && nrows == 0) r.Fail("table '" + name + "' has no rows");
    // Each row takes at least 1 + ncols bytes: no count may exceed what is left.
    if (r.ok() && nrows > r.remaining() / (1 + ncols)) r.Fail("table '" + name + "': row count too large");
    std::string prev_key;
    for (uint32_t i = 0; i < nrows && r.ok(); ++i) {
      uint8_t op = r.U8("row op");
      if (r.ok() && (op < 1 || op > 3)) {
        r.Fail("table '" + name + "': unknown row op " + std::to_string(op));
        break;
      }
      RowChange rc;
      if (op != 1) rc.before = DecodeRow(&r, ncols, "row value");
      if (op != 2) rc.after = DecodeRow(&r, ncols, "row value");
      if (!r.ok()) break;
      std::string key = KeyBytes(rc.before ? *rc.before : *rc.after, tc.key);
      if (op == 3 && (KeyBytes(*rc.after, tc.key) != key || *rc.before == *rc.after)) {
        r.Fail("table '" + name + "': update row " + std::to_string(i) + " changes its key or nothing");
        break;
      }
      if (i > 0 && !(prev_key < key)) {
        r.Fail("table '" + name + "': rows out of key order at row " + std::to_string(i));
        break;
      }
      prev_key = key;
      tc.rows.emplace_hint(tc.rows.end(), std::move(key), std::move(rc));
    }
    tc.old_columns = tc.columns;
    if (r.ok()) out.tables.emplace_hint(out.tables.end(), std::move(name), std::move(tc));
  }
  r.ExpectEnd();
  if (!r.ok()) return Corrupt(r.status().message());
  return out;
}

ChangeSet ChangeSet::Inverted() const {
  ChangeSet out;
  for (const auto& [name, t] : tables) {
    TableChanges inv;
    inv.columns = t.old_columns;
    inv.old_columns = t.columns;
    inv.key = t.key;
    for (const auto& [k, c] : t.rows) inv.rows.emplace_hint(inv.rows.end(), k, RowChange{c.after, c.before});
    out.tables.emplace_hint(out.tables.end(), name, std::move(inv));
  }
  return out;
}

Status ChangeSet::Then(const ChangeSet& next) {
  for (const auto& [name, nt] : next.tables) {
    auto it = tables.find(name);
    if (it == tables.end()) {
      tables.emplace(name, nt);
      continue;
    }
    TableChanges& t = it->second;
    // A contract replaced by another of the same name along the path: every
    // old row ends absent and every new row starts absent, so rows still
    // chain; after-images take the new shape (old_columns keeps the old).
    t.key = nt.key;
    t.columns = nt.columns;
    for (const auto& [k, c] : nt.rows) {
      auto [rit, fresh] = t.rows.try_emplace(k, c);
      if (fresh) continue;
      if (rit->second.after != c.before)
        return Corrupt("changes do not chain: table '" + name + "' row " + ToHex(reinterpret_cast<const uint8_t*>(k.data()), k.size()) +
                       " differs from the row the next changes start from");
      rit->second.after = c.after;
    }
  }
  return Status::Ok();
}

std::set<std::string> ChangeSet::ReplacedContracts() const {
  std::set<std::string> out;
  auto reg = tables.find(kContractsTable);
  if (reg == tables.end()) return out;
  for (const auto& [k, c] : reg->second.rows) {
    if (c.before && c.after && *c.before != *c.after && !c.after->empty() &&
        c.after->front().type == Value::Type::kText)
      out.insert(c.after->front().bytes);
  }
  return out;
}

void ChangeSet::Normalize() {
  // Rows of a replaced contract's tables stay even when unchanged: applying
  // re-creates those tables from their after-images alone.
  std::set<std::string> replaced = ReplacedContracts();
  for (auto it = tables.begin(); it != tables.end();) {
    std::string contract = it->first.substr(0, it->first.find('.'));
    auto& rows = it->second.rows;
    if (!replaced.count(contract)) {
      for (auto r = rows.begin(); r != rows.end();) {
        if (r->second.before == r->second.after) r = rows.erase(r);
        else ++r;
      }
    }
    if (rows.empty()) it = tables.erase(it);
    else ++it;
  }
}

std::string FirstDifferentTable(const ChangeSet& a, const ChangeSet& b) {
  auto ia = a.tables.begin(), ib = b.tables.begin();
  while (ia != a.tables.end() || ib != b.tables.end()) {
    if (ib == b.tables.end() || (ia != a.tables.end() && ia->first < ib->first)) return ia->first;
    if (ia == a.tables.end() || ib->first < ia->first) return ib->first;
    if (!(ia->second == ib->second)) return ia->first;
    ++ia;
    ++ib;
  }
  return "";
}

Hash32 ChainStateRoot(const Hash32& parent_root, const Bytes& encoded_changes) {
  Hash32 digest;
  crypto_hash_sha256(digest.data(), encoded_changes.data(), encoded_changes.size());
  static constexpr std::string_view kTag = "AERGO-STATE-V2";
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  crypto_hash_sha256_update(&h, reinterpret_cast<const uint8_t*>(kTag.data()), kTag.size());
  crypto_hash_sha256_update(&h, parent_root.data(), parent_root.size());
  crypto_hash_sha256_update(&h, digest.data(), digest.size());
  Hash32 out;
  crypto_hash_sha256_final(&h, out.data());
  return out;
}

}  // namespace aergo
