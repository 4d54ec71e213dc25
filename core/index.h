// The repository index (SQLite, in .aergo/ledger.db beside the state):
// block id <-> commit, heights and parents, tx id -> blocks, merge pools and
// repository metadata. Derived from the object store; fsck cross-checks it.
// Schema in docs/formats/index.md. Tables here have no dot in their names,
// which keeps them invisible to contracts and queries.
// Ownership: borrows the Db. Thread-safety: one thread.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/git.h"
#include "core/objects.h"
#include "core/sqlite.h"

namespace aergo {

struct BlockRow {
  Hash32 id{};
  Oid oid;
  uint64_t height = 0;
  std::vector<Hash32> parents;
  uint64_t time_ms = 0;
  PublicKey producer{};
  uint32_t txs = 0;
  std::string message;
  Hash32 state_root{};
};

// What a walk over the block graph needs of a block.
struct BlockLink {
  Hash32 id{};
  uint64_t height = 0;
  std::vector<Hash32> parents;
};

struct PoolInfo {
  Hash32 base{};         // the block the pool's txs were executed on
  uint64_t time_ms = 0;  // the pending block's time (fixed when the pool opens)
};

struct PoolSize {
  uint64_t txs = 0;
  uint64_t bytes = 0;  // sum of the txs' encodings
};

struct PoolEntry {
  Tx tx;
  Receipt receipt;
};

// A branch's local settings (docs/formats/index.md, branch_policies); not
// versioned, not in any block.
struct BranchPolicy {
  std::string resolver;     // "contract.function" (consistent merge), "" for automatic
  bool is_private = false;  // aergo branch --private: see daemon/access.h for what it hides
};

class Index {
 public:
  explicit Index(Db* db) : db_(db) {}
  // Prepared statements kept per index: at least the slots of index.cpp.
  static constexpr size_t kStatementSlots = 48;

  // Creates the schema if absent.
  Status Init();

  // Indexes the block, its txs and a copy of its changes.
  // tx_ids: the block's tx ids if the caller has them (else computed).
  Status PutBlock(const Block& block, const Oid& oid, const std::vector<Hash32>* tx_ids = nullptr);
  Result<std::optional<BlockRow>> GetBlock(const Hash32& id);
  Result<std::optional<BlockRow>> GetBlockByOid(const Oid& oid);
  // Ids whose hex starts with prefix (up to limit).
  Result<std::vector<Hash32>> FindBlocks(const std::string& hex_prefix, int limit);
  // (txid, block) pairs whose txid hex starts with prefix (up to limit).
  Result<std::vector<std::pair<Hash32, Hash32>>> FindTxs(const std::string& hex_prefix, int limit);
  Result<std::vector<Hash32>> BlocksWithTx(const Hash32& txid);
  Result<uint64_t> BlockCount();
  // Every indexed block id, by height.
  Result<std::vector<BlockRow>> AllBlocks();
  // The id, height and parents of every block with min_height <= height <
  // max_height, in no particular order: one scan of the table, for walks
  // over many blocks (a point lookup per block costs far more).
  Result<std::vector<BlockLink>> BlockLinks(uint64_t min_height, uint64_t max_height);

  Result<std::optional<std::string>> GetMeta(const std::string& key);
  Status SetMeta(const std::string& key, const std::string& value);

  Result<std::optional<PoolInfo>> GetPool(const std::string& branch);
  // Records the pool (base, time) and counts the entries it holds; entries
  // added later are counted as they come (AddPoolEntry).
  Status OpenPool(const std::string& branch, const PoolInfo& info);
  Result<std::vector<PoolEntry>> PoolEntries(const std::string& branch);
  // From the pool record's counters: no scan of the entries.
  Result<uint64_t> PoolCount(const std::string& branch);
  Result<PoolSize> PoolSizeOf(const std::string& branch);
  Result<bool> PoolHasTx(const std::string& branch, const Hash32& txid);
  Status AddPoolEntry(const std::string& branch, const Tx& tx, const Receipt& receipt);
  // Drops a branch's pending txs, their changes and its pool record.
  Status ClearPool(const std::string& branch);

  // A copy of each block's encoded changes (the `changes` blob of its git
  // tree), so walking many blocks' changes reads no objects.
  Status PutChanges(const Hash32& block, const Bytes& changes);
  Result<std::optional<Bytes>> GetChanges(const Hash32& block);
  Result<uint64_t> ChangesCount();
  // The changes a branch's merge pool made on its base, in parts (encoded
  // ChangeSets, in the order they were made): the net changes last set,
  // then those each later submission appended. Empty when none.
  Result<std::vector<Bytes>> GetPoolChanges(const std::string& branch);
  // Replaces every part with `changes`.
  Status SetPoolChanges(const std::string& branch, const Bytes& changes);
  // Adds one part: what one submission changed after the others (so a
  // submission writes its own changes, not the whole pool's again).
  Status AppendPoolChanges(const std::string& branch, const Bytes& changes);

  // A branch's local settings (table branch_policies): its resolver and
  // its private flag. A branch without a record has the default policy
  // (automatic, not private); setting the default removes the record.
  // Records of branches that no longer exist are ignored (CreateBranch
  // overwrites, DeleteBranch removes).
  Result<BranchPolicy> GetBranchPolicy(const std::string& branch);
  Status SetBranchPolicy(const std::string& branch, const BranchPolicy& policy);
  // GetBranchPolicy(branch).resolver.
  Result<std::string> BranchResolver(const std::string& branch);
  // The names of the records with the private flag (possibly of branches
  // that no longer exist: callers match them against the refs).
  Result<std::set<std::string>> PrivateBranches();
  // Format 3 -> 4: adds the private column to branch_policies (every
  // existing record reads as not private). The caller runs it once, in the
  // transaction that marks the format.
  Status AddPrivateColumn();
  // Format 4 -> 5: adds the pool counters (computed from the entries) and
  // the table of appended pool changes. The caller runs it once, in the
  // transaction that marks the format.
  Status AddPoolCounters();
  // A format-2 index opened read-only has no policy table: every branch
  // reads as automatic and not private.
  void set_no_branch_policies() { has_branch_policies_ = false; }
  // A format-3 index opened read-only has no private column: every branch
  // reads as not private.
  void set_no_private_column() { has_private_column_ = false; }
  // An index of format 4 or older opened read-only has neither pool
  // counters nor appended pool changes: pools are counted by scanning
  // their entries, and their changes are the one part set.
  void set_no_pool_counters() { has_pool_counters_ = false; }

  // Resets every cached statement so none holds a read open (DROP TABLE
  // needs that).
  void ResetStatements() {
    for (auto& s : cache_) if (s) s.Reset();
  }

 private:
  Result<Stmt*> Cached(int slot, const char* sql);
  Result<BlockRow> ReadRow(Stmt* s);
  Status ClearPoolBatches(const std::string& branch);
  Db* db_;
  Stmt cache_[kStatementSlots];
  bool has_branch_policies_ = true;
  bool has_private_column_ = true;
  bool has_pool_counters_ = true;
};

// Parses 64 hex digits; nullopt otherwise.
std::optional<Hash32> ParseHash(const std::string& hex);

}  // namespace aergo
