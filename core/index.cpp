#include "core/index.h"

#include <algorithm>
#include <cstdint>

namespace aergo {

namespace {
const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks(
  id TEXT PRIMARY KEY, oid TEXT NOT NULL UNIQUE, height INTEGER NOT NULL,
  parent1 TEXT, parent2 TEXT, time_ms INTEGER NOT NULL, producer TEXT NOT NULL,
  txs INTEGER NOT NULL, message TEXT NOT NULL, state_root TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tx_blocks(
  txid BLOB NOT NULL, block BLOB NOT NULL, pos INTEGER NOT NULL,
  PRIMARY KEY(txid, block)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pools(branch TEXT PRIMARY KEY, base TEXT NOT NULL,
  time_ms INTEGER NOT NULL, txs INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pool(branch TEXT NOT NULL, seq INTEGER NOT NULL,
  txid TEXT NOT NULL, tx BLOB NOT NULL, receipt BLOB NOT NULL,
  PRIMARY KEY(branch, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pool_txid ON pool(txid);
CREATE TABLE IF NOT EXISTS changes(block BLOB PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pool_changes(branch TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS pool_batches(branch TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY(branch, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS branch_policies(branch TEXT PRIMARY KEY, resolver TEXT NOT NULL,
  private INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
)sql";

enum Slot {
  kPutBlock, kPutTx, kGetBlock, kGetBlockByOid, kFindBlocks, kFindTxs, kBlocksWithTx, kGetMeta,
  kSetMeta, kGetPool, kOpenPool, kPoolEntries, kPoolSize, kPoolHasTx, kAddPool, kClearPool,
  kClearPools, kMaxSeq, kCount, kAll, kOtherPools, kClearAllPool, kPutChanges, kGetChanges, kGetPoolChanges,
  kSetPoolChanges, kClearPoolChanges, kCountChanges, kGetPolicy, kSetPolicy, kClearPolicy, kPrivateBranches, kBlockLinks,
  kGetPoolBatches, kAddPoolBatch, kClearPoolBatches, kCountPoolEntry, kPoolSizeScan, kOpenPoolUncounted, kSlotCount,
};

// Resets a cached statement when a reader returns, so no statement stays
// active between calls (DROP TABLE on the connection needs that).
struct ResetOnExit {
  Stmt* s;
  ~ResetOnExit() { s->Reset(); }
};

constexpr const char* kBlockCols =
    "id, oid, height, parent1, parent2, time_ms, producer, txs, message, state_root";
}  // namespace

std::optional<Hash32> ParseHash(const std::string& hex) {
  Hash32 h;
  if (!FromHex(hex, &h)) return std::nullopt;
  return h;
}

Status Index::Init() { return db_->Exec(kSchema); }

static_assert(kSlotCount <= Index::kStatementSlots, "Index keeps a slot per statement");

Result<Stmt*> Index::Cached(int slot, const char* sql) {
  if (!cache_[slot]) {
    AERGO_ASSIGN_OR_RETURN(cache_[slot], db_->Prepare(sql));
  }
  cache_[slot].Reset();
  return &cache_[slot];
}

Status Index::PutBlock(const Block& block, const Oid& oid, const std::vector<Hash32>* tx_ids) {
  std::string id = ToHex(block.Id());
  AERGO_ASSIGN_OR_RETURN(Stmt * s,
                         Cached(kPutBlock, "INSERT OR REPLACE INTO blocks VALUES(?,?,?,?,?,?,?,?,?,?)"));
  const auto& h = block.header;
  s->Bind(1, id).Bind(2, oid.Hex()).Bind(3, static_cast<int64_t>(h.height));
  if (h.parents.size() > 0) s->Bind(4, ToHex(h.parents[0])); else s->BindNull(4);
  if (h.parents.size() > 1) s->Bind(5, ToHex(h.parents[1])); else s->BindNull(5);
  s->Bind(6, static_cast<int64_t>(h.time_ms)).Bind(7, ToHex(h.producer))
      .Bind(8, static_cast<int64_t>(h.tx_count)).Bind(9, h.message).Bind(10, ToHex(h.state_root));
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "index block " + ShortId(block.Id()));
  AERGO_ASSIGN_OR_RETURN(Stmt * t, Cached(kPutTx, "INSERT OR REPLACE INTO tx_blocks VALUES(?,?,?)"));
  std::vector<Hash32> computed;
  if (tx_ids == nullptr) computed = block.TxIds();
  const std::vector<Hash32>& ids = tx_ids ? *tx_ids : computed;
  const Hash32 block_id = block.Id();
  for (size_t i = 0; i < block.txs.size(); ++i) {
    t->Reset();
    t->BindBlob(1, ids[i].data(), 32).BindBlob(2, block_id.data(), 32).Bind(3, static_cast<int64_t>(i));
    rc = t->Step();
    if (rc != SQLITE_DONE) return db_->StepError(rc, "index txs of block " + ShortId(block.Id()));
  }
  return PutChanges(block_id, block.changes);
}

Result<BlockRow> Index::ReadRow(Stmt* s) {
  BlockRow r;
  auto id = ParseHash(s->Text(0));
  auto oid = Oid::FromHex(s->Text(1));
  if (!id || !oid) return Corrupt("index row for block '" + s->Text(0) + "' is malformed");
  r.id = *id;
  r.oid = *oid;
  r.height = static_cast<uint64_t>(s->Int(2));
  for (int c : {3, 4}) {
    if (s->IsNull(c)) continue;
    auto p = ParseHash(s->Text(c));
    if (!p) return Corrupt("index row for block '" + s->Text(0) + "' has a malformed parent");
    r.parents.push_back(*p);
  }
  r.time_ms = static_cast<uint64_t>(s->Int(5));
  if (!FromHex(s->Text(6), &r.producer))
    return Corrupt("index row for block '" + s->Text(0) + "' has a malformed producer");
  r.txs = static_cast<uint32_t>(s->Int(7));
  r.message = s->Text(8);
  if (!FromHex(s->Text(9), &r.state_root))
    return Corrupt("index row for block '" + s->Text(0) + "' has a malformed state root");
  return r;
}

Result<std::optional<BlockRow>> Index::GetBlock(const Hash32& id) {
  AERGO_ASSIGN_OR_RETURN(
      Stmt * s, Cached(kGetBlock, (std::string("SELECT ") + kBlockCols + " FROM blocks WHERE id=?").c_str()));
  ResetOnExit guard_s{s};
  s->Bind(1, ToHex(id));
  int rc = s->Step();
  if (rc == SQLITE_DONE) return std::optional<BlockRow>();
  if (rc != SQLITE_ROW) return db_->StepError(rc, "read index");
  AERGO_ASSIGN_OR_RETURN(BlockRow r, ReadRow(s));
  return std::optional<BlockRow>(std::move(r));
}

Result<std::optional<BlockRow>> Index::GetBlockByOid(const Oid& oid) {
  AERGO_ASSIGN_OR_RETURN(
      Stmt * s, Cached(kGetBlockByOid,
                       (std::string("SELECT ") + kBlockCols + " FROM blocks WHERE oid=?").c_str()));
  ResetOnExit guard_s{s};
  s->Bind(1, oid.Hex());
  int rc = s->Step();
  if (rc == SQLITE_DONE) return std::optional<BlockRow>();
  if (rc != SQLITE_ROW) return db_->StepError(rc, "read index");
  AERGO_ASSIGN_OR_RETURN(BlockRow r, ReadRow(s));
  return std::optional<BlockRow>(std::move(r));
}

// Range scan [prefix, prefix + 'g') over lowercase hex.
Result<std::vector<Hash32>> Index::FindBlocks(const std::string& hex_prefix, int limit) {
  AERGO_ASSIGN_OR_RETURN(
      Stmt * s, Cached(kFindBlocks, "SELECT id FROM blocks WHERE id >= ? AND id < ? ORDER BY id LIMIT ?"));
  s->Bind(1, hex_prefix).Bind(2, hex_prefix + "g").Bind(3, limit);
  std::vector<Hash32> out;
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    if (auto h = ParseHash(s->Text(0))) out.push_back(*h);
  }
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read index");
  return out;
}

Result<std::vector<std::pair<Hash32, Hash32>>> Index::FindTxs(const std::string& hex_prefix,
                                                              int limit) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s,
                         Cached(kFindTxs,
                                "SELECT txid, block FROM tx_blocks WHERE txid >= ? AND txid < ? "
                                "ORDER BY txid LIMIT ?"));
  // Byte range of ids starting with the hex prefix: [prefix, next prefix),
  // each padded to whole bytes with '0' (a shorter blob sorts first).
  auto bytes_of = [](std::string hex) {
    if (hex.size() % 2) hex += '0';
    Bytes b(hex.size() / 2);
    FromHex(hex, b.data(), b.size());
    return b;
  };
  std::string next = hex_prefix;
  while (!next.empty() && next.back() == 'f') next.pop_back();
  if (!next.empty()) next.back() = "123456789abcdef"[std::string("0123456789abcde").find(next.back())];
  Bytes lo = bytes_of(hex_prefix), hi = bytes_of(next);
  s->BindBlob(1, lo.data(), lo.size());
  if (next.empty()) s->BindBlob(2, std::string(33, '\xff').data(), 33);  // past every id
  else s->BindBlob(2, hi.data(), hi.size());
  s->Bind(3, limit);
  std::vector<std::pair<Hash32, Hash32>> out;
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    Bytes t = s->Blob(0), b = s->Blob(1);
    if (t.size() != 32 || b.size() != 32) return Corrupt("index row in tx_blocks is malformed");
    Hash32 th, bh;
    std::copy(t.begin(), t.end(), th.begin());
    std::copy(b.begin(), b.end(), bh.begin());
    out.emplace_back(th, bh);
  }
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read index");
  return out;
}

Result<std::vector<Hash32>> Index::BlocksWithTx(const Hash32& txid) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kBlocksWithTx, "SELECT block FROM tx_blocks WHERE txid=?"));
  s->BindBlob(1, txid.data(), 32);
  std::vector<Hash32> out;
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    Bytes b = s->Blob(0);
    if (b.size() != 32) return Corrupt("index row in tx_blocks is malformed");
    Hash32 h;
    std::copy(b.begin(), b.end(), h.begin());
    out.push_back(h);
  }
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read index");
  return out;
}

Result<uint64_t> Index::BlockCount() {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kCount, "SELECT count(*) FROM blocks"));
  ResetOnExit guard_s{s};
  if (s->Step() != SQLITE_ROW) return IoError("read index: " + db_->Error());
  return static_cast<uint64_t>(s->Int(0));
}

Result<std::vector<BlockRow>> Index::AllBlocks() {
  AERGO_ASSIGN_OR_RETURN(
      Stmt * s, Cached(kAll, (std::string("SELECT ") + kBlockCols + " FROM blocks ORDER BY height, id").c_str()));
  std::vector<BlockRow> out;
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    AERGO_ASSIGN_OR_RETURN(BlockRow r, ReadRow(s));
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read index");
  return out;
}

Result<std::vector<BlockLink>> Index::BlockLinks(uint64_t min_height, uint64_t max_height) {
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  AERGO_ASSIGN_OR_RETURN(
      Stmt * s, Cached(kBlockLinks, "SELECT id, height, parent1, parent2 FROM blocks WHERE height >= ? AND height < ?"));
  ResetOnExit guard_s{s};
  s->Bind(1, static_cast<int64_t>(std::min(min_height, kMax))).Bind(2, static_cast<int64_t>(std::min(max_height, kMax)));
  std::vector<BlockLink> out;
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    BlockLink l;
    auto id = ParseHash(s->Text(0));
    if (!id) return Corrupt("index row for block '" + s->Text(0) + "' is malformed");
    l.id = *id;
    l.height = static_cast<uint64_t>(s->Int(1));
    for (int c : {2, 3}) {
      if (s->IsNull(c)) continue;
      auto p = ParseHash(s->Text(c));
      if (!p) return Corrupt("index row for block '" + s->Text(0) + "' has a malformed parent");
      l.parents.push_back(*p);
    }
    out.push_back(std::move(l));
  }
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read index");
  return out;
}

Result<std::optional<std::string>> Index::GetMeta(const std::string& key) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kGetMeta, "SELECT value FROM meta WHERE key=?"));
  ResetOnExit guard_s{s};
  s->Bind(1, key);
  int rc = s->Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return db_->StepError(rc, "read index");
  return std::optional<std::string>(s->Text(0));
}

Status Index::SetMeta(const std::string& key, const std::string& value) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kSetMeta, "INSERT OR REPLACE INTO meta VALUES(?,?)"));
  s->Bind(1, key).Bind(2, value);
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "write index");
  return Status::Ok();
}

Result<BranchPolicy> Index::GetBranchPolicy(const std::string& branch) {
  if (!has_branch_policies_) return BranchPolicy();
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kGetPolicy, has_private_column_
                                                          ? "SELECT resolver, private FROM branch_policies WHERE branch=?"
                                                          : "SELECT resolver, 0 FROM branch_policies WHERE branch=?"));
  ResetOnExit guard_s{s};
  s->Bind(1, branch);
  int rc = s->Step();
  if (rc == SQLITE_DONE) return BranchPolicy();
  if (rc != SQLITE_ROW) return db_->StepError(rc, "read the policy of branch '" + branch + "'");
  BranchPolicy p;
  p.resolver = s->Text(0);
  p.is_private = s->Int(1) != 0;
  return p;
}

Result<std::string> Index::BranchResolver(const std::string& branch) {
  AERGO_ASSIGN_OR_RETURN(BranchPolicy p, GetBranchPolicy(branch));
  return p.resolver;
}

Status Index::SetBranchPolicy(const std::string& branch, const BranchPolicy& policy) {
  Stmt* s = nullptr;
  if (policy.resolver.empty() && !policy.is_private) {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kClearPolicy, "DELETE FROM branch_policies WHERE branch=?"));
    s->Bind(1, branch);
  } else {
    if (!has_branch_policies_ || !has_private_column_)
      return Failed("cannot record the policy of branch '" + branch +
                    "': the index is an older format opened read-only");
    AERGO_ASSIGN_OR_RETURN(s, Cached(kSetPolicy, "INSERT OR REPLACE INTO branch_policies VALUES(?,?,?)"));
    s->Bind(1, branch).Bind(2, policy.resolver).Bind(3, static_cast<int64_t>(policy.is_private ? 1 : 0));
  }
  ResetOnExit guard_s{s};
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "write the policy of branch '" + branch + "'");
  return Status::Ok();
}

Result<std::set<std::string>> Index::PrivateBranches() {
  std::set<std::string> out;
  if (!has_branch_policies_ || !has_private_column_) return out;
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kPrivateBranches, "SELECT branch FROM branch_policies WHERE private<>0"));
  ResetOnExit guard_s{s};
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) out.insert(s->Text(0));
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read the private branches");
  return out;
}

Status Index::AddPrivateColumn() {
  return db_->Exec("ALTER TABLE branch_policies ADD COLUMN private INTEGER NOT NULL DEFAULT 0");
}

Result<std::optional<PoolInfo>> Index::GetPool(const std::string& branch) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kGetPool, "SELECT base, time_ms FROM pools WHERE branch=?"));
  ResetOnExit guard_s{s};
  s->Bind(1, branch);
  int rc = s->Step();
  if (rc == SQLITE_DONE) return std::optional<PoolInfo>();
  if (rc != SQLITE_ROW) return db_->StepError(rc, "read merge pool");
  PoolInfo info;
  auto base = ParseHash(s->Text(0));
  if (!base) return Corrupt("merge pool of branch '" + branch + "' has a malformed base");
  info.base = *base;
  info.time_ms = static_cast<uint64_t>(s->Int(1));
  return std::optional<PoolInfo>(info);
}

Status Index::OpenPool(const std::string& branch, const PoolInfo& info) {
  // An older index (read-only open that reconciles) has no counters.
  Stmt* s;
  if (has_pool_counters_) {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kOpenPool,
                                     "INSERT OR REPLACE INTO pools VALUES(?1,?2,?3,"
                                     "(SELECT count(*) FROM pool WHERE branch=?1),"
                                     "(SELECT coalesce(sum(length(tx)), 0) FROM pool WHERE branch=?1))"));
  } else {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kOpenPoolUncounted, "INSERT OR REPLACE INTO pools VALUES(?,?,?)"));
  }
  s->Bind(1, branch).Bind(2, ToHex(info.base)).Bind(3, static_cast<int64_t>(info.time_ms));
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "write merge pool");
  return Status::Ok();
}

Result<std::vector<PoolEntry>> Index::PoolEntries(const std::string& branch) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s,
                         Cached(kPoolEntries, "SELECT tx, receipt FROM pool WHERE branch=? ORDER BY seq"));
  s->Bind(1, branch);
  std::vector<PoolEntry> out;
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) {
    Bytes txb = s->Blob(0), rcb = s->Blob(1);
    auto tx = Tx::Decode(txb);
    if (!tx.ok()) return Corrupt("merge pool of branch '" + branch + "': " + tx.status().message());
    Reader r(rcb, "pool receipt");
    auto receipt = Receipt::Decode(&r);
    r.ExpectEnd();
    if (!receipt.ok() || !r.ok())
      return Corrupt("merge pool of branch '" + branch + "': receipt is malformed");
    out.push_back(PoolEntry{std::move(tx.value()), std::move(receipt.value())});
  }
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read merge pool");
  return out;
}

Result<uint64_t> Index::PoolCount(const std::string& branch) {
  AERGO_ASSIGN_OR_RETURN(PoolSize size, PoolSizeOf(branch));
  return size.txs;
}

Result<PoolSize> Index::PoolSizeOf(const std::string& branch) {
  Stmt* s;
  if (has_pool_counters_) {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kPoolSize, "SELECT coalesce(sum(txs), 0), coalesce(sum(bytes), 0) FROM pools WHERE branch=?"));
  } else {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kPoolSizeScan, "SELECT count(*), coalesce(sum(length(tx)), 0) FROM pool WHERE branch=?"));
  }
  ResetOnExit guard_s{s};
  s->Bind(1, branch);
  if (s->Step() != SQLITE_ROW) return IoError("read merge pool: " + db_->Error());
  int64_t txs = s->Int(0), bytes = s->Int(1);
  if (txs < 0 || bytes < 0) return Corrupt("merge pool of branch '" + branch + "' has negative counters");
  return PoolSize{static_cast<uint64_t>(txs), static_cast<uint64_t>(bytes)};
}

Result<bool> Index::PoolHasTx(const std::string& branch, const Hash32& txid) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s,
                         Cached(kPoolHasTx, "SELECT 1 FROM pool WHERE txid=? AND branch=?"));
  ResetOnExit guard_s{s};
  s->Bind(1, ToHex(txid)).Bind(2, branch);
  int rc = s->Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_->StepError(rc, "read merge pool");
  return rc == SQLITE_ROW;
}

Status Index::AddPoolEntry(const std::string& branch, const Tx& tx, const Receipt& receipt) {
  AERGO_ASSIGN_OR_RETURN(Stmt * m,
                         Cached(kMaxSeq, "SELECT coalesce(max(seq), -1) + 1 FROM pool WHERE branch=?"));
  ResetOnExit guard_m{m};
  m->Bind(1, branch);
  if (m->Step() != SQLITE_ROW) return IoError("read merge pool: " + db_->Error());
  int64_t seq = m->Int(0);
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kAddPool, "INSERT INTO pool VALUES(?,?,?,?,?)"));
  Bytes txb = tx.Encode(), rcb = receipt.Encode();
  s->Bind(1, branch).Bind(2, seq).Bind(3, ToHex(receipt.txid));
  s->BindBlob(4, txb.data(), txb.size()).BindBlob(5, rcb.data(), rcb.size());
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "write merge pool");
  if (!has_pool_counters_) return Status::Ok();
  // Counted in the pool record once it exists (OpenPool counts the
  // entries added before).
  AERGO_ASSIGN_OR_RETURN(Stmt * c, Cached(kCountPoolEntry, "UPDATE pools SET txs=txs+1, bytes=bytes+? WHERE branch=?"));
  ResetOnExit guard_c{c};
  c->Bind(1, static_cast<int64_t>(txb.size())).Bind(2, branch);
  rc = c->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "write merge pool");
  return Status::Ok();
}

Status Index::ClearPool(const std::string& branch) {
  // When no other branch has pending txs, an unconditional DELETE lets
  // SQLite clear the table page by page instead of row by row (100,000
  // pending txs: ~15x faster).
  AERGO_ASSIGN_OR_RETURN(Stmt * o, Cached(kOtherPools,
                                          "SELECT EXISTS(SELECT 1 FROM pool WHERE branch < ?1) OR "
                                          "EXISTS(SELECT 1 FROM pool WHERE branch > ?1)"));
  ResetOnExit guard_o{o};
  o->Bind(1, branch);
  if (o->Step() != SQLITE_ROW) return IoError("read merge pool: " + db_->Error());
  bool others = o->Int(0) != 0;
  o->Reset();
  Stmt* s;
  if (others) {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kClearPool, "DELETE FROM pool WHERE branch=?"));
    s->Bind(1, branch);
  } else {
    AERGO_ASSIGN_OR_RETURN(s, Cached(kClearAllPool, "DELETE FROM pool"));
  }
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "clear merge pool");
  AERGO_ASSIGN_OR_RETURN(Stmt * p, Cached(kClearPools, "DELETE FROM pools WHERE branch=?"));
  p->Bind(1, branch);
  rc = p->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "clear merge pool");
  AERGO_ASSIGN_OR_RETURN(Stmt * c, Cached(kClearPoolChanges, "DELETE FROM pool_changes WHERE branch=?"));
  c->Bind(1, branch);
  rc = c->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "clear merge pool");
  return ClearPoolBatches(branch);
}

Status Index::ClearPoolBatches(const std::string& branch) {
  if (!has_pool_counters_) return Status::Ok();
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kClearPoolBatches, "DELETE FROM pool_batches WHERE branch=?"));
  ResetOnExit guard_s{s};
  s->Bind(1, branch);
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "clear merge pool changes");
  return Status::Ok();
}

Status Index::PutChanges(const Hash32& block, const Bytes& changes) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kPutChanges, "INSERT OR REPLACE INTO changes VALUES(?,?)"));
  // A zero-length blob, not NULL, when there are no bytes.
  static const uint8_t kNone = 0;
  s->BindBlob(1, block.data(), 32).BindBlob(2, changes.empty() ? &kNone : changes.data(), changes.size());
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db_->StepError(rc, "index changes of block " + ShortId(block));
  return Status::Ok();
}

Result<std::optional<Bytes>> Index::GetChanges(const Hash32& block) {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kGetChanges, "SELECT data FROM changes WHERE block=?"));
  ResetOnExit guard_s{s};
  s->BindBlob(1, block.data(), 32);
  int rc = s->Step();
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  if (rc != SQLITE_ROW) return db_->StepError(rc, "read changes of block " + ShortId(block));
  std::optional<Bytes> out(s->Blob(0));
  s->Reset();
  return out;
}

Result<uint64_t> Index::ChangesCount() {
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kCountChanges, "SELECT count(*) FROM changes"));
  ResetOnExit guard_s{s};
  if (s->Step() != SQLITE_ROW) return IoError("read index: " + db_->Error());
  return static_cast<uint64_t>(s->Int(0));
}

Result<std::vector<Bytes>> Index::GetPoolChanges(const std::string& branch) {
  std::vector<Bytes> out;
  {
    AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kGetPoolChanges, "SELECT data FROM pool_changes WHERE branch=?"));
    ResetOnExit guard_s{s};
    s->Bind(1, branch);
    int rc = s->Step();
    if (rc == SQLITE_ROW) out.push_back(s->Blob(0));
    else if (rc != SQLITE_DONE) return db_->StepError(rc, "read merge pool changes");
  }
  if (!has_pool_counters_) return out;
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kGetPoolBatches, "SELECT data FROM pool_batches WHERE branch=? ORDER BY seq"));
  ResetOnExit guard_s{s};
  s->Bind(1, branch);
  int rc;
  while ((rc = s->Step()) == SQLITE_ROW) out.push_back(s->Blob(0));
  if (rc != SQLITE_DONE) return db_->StepError(rc, "read merge pool changes");
  return out;
}

namespace {
// Runs s, a write of (branch, changes) to a table of pool changes.
Status WritePoolChanges(Db* db, Stmt* s, const std::string& branch, const Bytes& changes) {
  ResetOnExit guard_s{s};
  static const uint8_t kNone = 0;  // a zero-length blob, not NULL, when there are no bytes
  s->Bind(1, branch).BindBlob(2, changes.empty() ? &kNone : changes.data(), changes.size());
  int rc = s->Step();
  if (rc != SQLITE_DONE) return db->StepError(rc, "write merge pool changes");
  return Status::Ok();
}
}  // namespace

Status Index::SetPoolChanges(const std::string& branch, const Bytes& changes) {
  AERGO_RETURN_IF_ERROR(ClearPoolBatches(branch));
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kSetPoolChanges, "INSERT OR REPLACE INTO pool_changes VALUES(?,?)"));
  return WritePoolChanges(db_, s, branch, changes);
}

Status Index::AppendPoolChanges(const std::string& branch, const Bytes& changes) {
  if (!has_pool_counters_) return Invalid("merge pool changes cannot be appended in a read-only index");
  AERGO_ASSIGN_OR_RETURN(Stmt * s, Cached(kAddPoolBatch,
                                          "INSERT INTO pool_batches VALUES(?1, (SELECT coalesce(max(seq), -1) + 1 "
                                          "FROM pool_batches WHERE branch=?1), ?2)"));
  return WritePoolChanges(db_, s, branch, changes);
}

Status Index::AddPoolCounters() {
  bool has_txs = false;
  {
    AERGO_ASSIGN_OR_RETURN(Stmt cols, db_->Prepare("SELECT 1 FROM pragma_table_info('pools') WHERE name='txs'"));
    int rc = cols.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_->StepError(rc, "read the index schema");
    has_txs = rc == SQLITE_ROW;
  }
  if (!has_txs) {
    AERGO_RETURN_IF_ERROR(db_->Exec("ALTER TABLE pools ADD COLUMN txs INTEGER NOT NULL DEFAULT 0;"
                                    "ALTER TABLE pools ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;"));
  }
  return db_->Exec(
      "UPDATE pools SET txs = (SELECT count(*) FROM pool WHERE pool.branch = pools.branch),"
      " bytes = (SELECT coalesce(sum(length(tx)), 0) FROM pool WHERE pool.branch = pools.branch);"
      "CREATE TABLE IF NOT EXISTS pool_batches(branch TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,"
      " PRIMARY KEY(branch, seq)) WITHOUT ROWID;");
}

}  // namespace aergo
