// Repository: the checked-out state and how it moves (docs/design.md §5).
//
// The state in ledger.db is the block named by meta `state_block` with, when
// meta `state_branch` names a branch that has a merge pool, that pool's
// changes applied. Moving it applies the net changes between the two
// positions (core/state.h), so checkout costs in proportion to the rows that
// differ. Replay (execution) is only for verification.
#include <algorithm>
#include <filesystem>

#include "core/engine.h"
#include "core/executor.h"
#include "core/recorder.h"
#include "core/repo.h"
#include "core/state.h"
#include "core/state_cache.h"

namespace aergo {

Result<std::vector<Hash32>> Repository::FirstParentChain(const Hash32& block) {
  std::vector<Hash32> chain;
  Hash32 cur = block;
  for (;;) {
    AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(cur));
    chain.push_back(cur);
    if (row.parents.empty()) break;
    cur = row.parents[0];
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

Result<ChangeSet> Repository::BlockChanges(const Hash32& id) {
  AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(id));
  Hash32 parent_root{};
  if (!row.parents.empty()) {
    AERGO_ASSIGN_OR_RETURN(BlockRow parent, BlockInfo(row.parents[0]));
    parent_root = parent.state_root;
  }
  return ChangesOf(row, parent_root);
}

Result<ChangeSet> Repository::ChangesOf(const BlockRow& row, const Hash32& parent_root) {
  AERGO_ASSIGN_OR_RETURN(auto bytes, index_->GetChanges(row.id));
  if (!bytes) {
    AERGO_ASSIGN_OR_RETURN(BlockBlobs blobs, git_.ReadBlockBlobs(row.oid));
    bytes = std::move(blobs.changes);
  }
  // The bytes must be the ones the block's state root commits to (one hash):
  // a damaged or misplaced copy never moves a state.
  if (ChainStateRoot(parent_root, *bytes) != row.state_root)
    return Corrupt("block " + ToHex(row.id) + ": stored changes do not match its state root (run aergo fsck)");
  return ChangeSet::Decode(*bytes, "changes of block " + ShortId(row.id));
}

Result<ChangeSet> Repository::PoolChanges(const std::string& branch) {
  AERGO_ASSIGN_OR_RETURN(std::vector<Bytes> parts, index_->GetPoolChanges(branch));
  const std::string what = "merge pool changes of branch '" + branch + "'";
  if (parts.empty()) return ChangeSet();
  if (parts.size() == 1) return ChangeSet::Decode(parts[0], what);
  // Each part extends the ones before (per row: the first before, the
  // last after). Normalized once, then in canonical form (encoded and
  // decoded: rows left unchanged go), the net changes are what one set of
  // changes rewritten by every submission gave: normalizing in between
  // only drops such rows sooner, and would cost a pass over every row per
  // part.
  ChangeSet net;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string part_what = what + " (part " + std::to_string(i + 1) + ")";
    AERGO_ASSIGN_OR_RETURN(ChangeSet part, ChangeSet::Decode(parts[i], part_what));
    if (i == 0) {
      net = std::move(part);
      continue;
    }
    Status chained = net.Then(part);
    if (!chained.ok()) return Corrupt(part_what + ": " + chained.message());
  }
  net.Normalize();
  return ChangeSet::Decode(net.Encode(), what);
}

Result<ChangeSet> Repository::ChangesBetween(const std::optional<Hash32>& from, const Hash32& to) {
  // Walk both ends up their first parents to the common ancestor: `up`
  // are undone (newest first), `down` are applied (oldest first); each with
  // its first parent's state root, which its changes must chain from.
  std::vector<std::pair<BlockRow, Hash32>> up, down;
  AERGO_ASSIGN_OR_RETURN(BlockRow b, BlockInfo(to));
  std::optional<BlockRow> a;
  if (from) {
    AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(*from));
    a = std::move(row);
  }
  auto unrelated = [&] { return Corrupt("blocks " + ShortId(*from) + " and " + ShortId(to) + " share no history"); };
  for (;;) {
    if (a && a->id == b.id) break;
    if (a && a->height >= b.height) {
      if (a->parents.empty()) return unrelated();
      AERGO_ASSIGN_OR_RETURN(BlockRow parent, BlockInfo(a->parents[0]));
      up.emplace_back(std::move(*a), parent.state_root);
      a = std::move(parent);
    } else if (b.parents.empty()) {
      if (a) return unrelated();
      down.emplace_back(std::move(b), Hash32{});
      break;
    } else {
      AERGO_ASSIGN_OR_RETURN(BlockRow parent, BlockInfo(b.parents[0]));
      down.emplace_back(std::move(b), parent.state_root);
      b = std::move(parent);
    }
  }
  ChangeSet net;
  for (const auto& [row, parent_root] : up) {
    AERGO_ASSIGN_OR_RETURN(ChangeSet c, ChangesOf(row, parent_root));
    AERGO_RETURN_IF_ERROR(net.Then(c.Inverted()));
  }
  for (auto it = down.rbegin(); it != down.rend(); ++it) {
    AERGO_ASSIGN_OR_RETURN(ChangeSet c, ChangesOf(it->first, it->second));
    AERGO_RETURN_IF_ERROR(net.Then(c));
  }
  net.Normalize();
  return net;
}

Result<std::optional<Repository::StatePosition>> Repository::LiveState() {
  AERGO_ASSIGN_OR_RETURN(auto sb, index_->GetMeta("state_branch"));
  AERGO_ASSIGN_OR_RETURN(auto sk, index_->GetMeta("state_block"));
  auto block = sk ? ParseHash(*sk) : std::nullopt;
  if (!block) return std::optional<StatePosition>();
  AERGO_ASSIGN_OR_RETURN(auto row, index_->GetBlock(*block));
  if (!row) return std::optional<StatePosition>();
  StatePosition pos{*block, std::nullopt};
  if (sb && !sb->empty()) pos.branch = *sb;
  return std::optional<StatePosition>(pos);
}

Result<ChangeSet> Repository::ChangesFromLive(const Hash32& to) {
  AERGO_ASSIGN_OR_RETURN(auto pos, LiveState());
  if (!pos) return Corrupt("the checked-out state has no known position (reopen to rebuild it)");
  ChangeSet net;
  if (pos->branch) {
    AERGO_ASSIGN_OR_RETURN(ChangeSet pool, PoolChanges(*pos->branch));
    net = pool.Inverted();
  }
  AERGO_ASSIGN_OR_RETURN(ChangeSet path, ChangesBetween(pos->block, to));
  AERGO_RETURN_IF_ERROR(net.Then(path));
  net.Normalize();
  return net;
}

Result<QueryResult> Repository::Query(const std::string& sql, const std::optional<Hash32>& at,
                                      const QueryLimits* limits) {
  if (!at) return engine_->Query(sql, nullptr, limits);
  AERGO_ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, ReadAt(*at));
  return reader->Query(sql, limits);
}

Result<std::unique_ptr<BlockReader>> Repository::ReadAt(const Hash32& block) {
  AERGO_ASSIGN_OR_RETURN(StateCacheLimits limits, StateCacheLimitsFrom(config_));
  StateCache cache(path_ + "/states");
  auto reader = std::unique_ptr<BlockReader>(new BlockReader());
  // Opens the cached state of `cached`, overlaid with `between` (the
  // changes from it to `block`).
  auto open_cached = [&](const Hash32& cached, const ChangeSet& between) -> Status {
    AERGO_ASSIGN_OR_RETURN(reader->cached_db_, Db::Open(cache.PathFor(cached), false));
    reader->cached_engine_ = std::make_unique<ContractEngine>(reader->cached_db_.get());
    reader->engine_ = reader->cached_engine_.get();
    if (!between.empty()) {
      AERGO_ASSIGN_OR_RETURN(reader->overlay_, StateOverlay::Create(reader->cached_db_.get(), between));
    }
    reader->source_ = "cached state of " + ToHex(cached);
    cache.Touch(cached);
    return Status::Ok();
  };
  std::vector<Hash32> cached = cache.List();
  if (cached.size() > limits.files) {  // the limit was lowered
    cache.Trim(limits.files);
    cached.resize(limits.files);
  }
  if (std::find(cached.begin(), cached.end(), block) != cached.end()) {
    AERGO_RETURN_IF_ERROR(open_cached(block, ChangeSet()));
    return reader;
  }
  AERGO_ASSIGN_OR_RETURN(ChangeSet from_live, ChangesFromLive(block));
  if (limits.files > 0 && from_live.RowCount() > limits.rows) {
    // The nearest cached state, if nearer than the checked-out one.
    std::optional<std::pair<Hash32, ChangeSet>> best;
    for (const Hash32& c : cached) {
      auto between = ChangesBetween(c, block);
      if (!between.ok()) continue;  // an unknown block: ignore the file
      if (!best || between->RowCount() < best->second.RowCount()) best.emplace(c, std::move(*between));
    }
    if (best && best->second.RowCount() <= limits.rows) {
      AERGO_RETURN_IF_ERROR(open_cached(best->first, best->second));
      return reader;
    }
    // Build this block's state from genesis's changes and cache it.
    AERGO_ASSIGN_OR_RETURN(std::string temp, cache.TempPath());
    Status built = [&]() -> Status {
      AERGO_ASSIGN_OR_RETURN(Db db, Db::Open(temp, true));
      AERGO_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF"));
      ContractEngine engine(db.get());
      AERGO_ASSIGN_OR_RETURN(ChangeSet all, ChangesBetween(std::nullopt, block));
      AERGO_RETURN_IF_ERROR(db.Exec("BEGIN"));
      AERGO_RETURN_IF_ERROR(ApplyChanges(db.get(), &engine, all));
      return db.Exec("COMMIT");
    }();
    if (!built.ok()) {
      std::error_code ec;
      std::filesystem::remove(temp, ec);
      return built;
    }
    AERGO_RETURN_IF_ERROR(cache.Install(temp, block, limits.files));
    AERGO_RETURN_IF_ERROR(open_cached(block, ChangeSet()));
    return reader;
  }
  reader->engine_ = engine_.get();
  AERGO_ASSIGN_OR_RETURN(reader->overlay_, StateOverlay::Create(db_.get(), from_live));
  reader->source_ = "checked-out state";
  return reader;
}

Status Repository::ReplayInto(Db* db, std::unique_ptr<ContractEngine>* engine,
                              const Hash32& block, bool verify_all) {
  AERGO_RETURN_IF_ERROR(CheckEngine());
  engine->reset();  // finalizes its cached statements before tables are dropped
  if (db == &db_) index_->ResetStatements();
  AERGO_RETURN_IF_ERROR(ClearState(db->get()));
  *engine = std::make_unique<ContractEngine>(db->get());
  std::unique_ptr<ChangeRecorder> own;
  ChangeRecorder* recorder = recorder_.get();
  if (db != &db_) {
    own = std::make_unique<ChangeRecorder>(db->get());
    recorder = own.get();
  }
  AERGO_ASSIGN_OR_RETURN(auto chain, FirstParentChain(block));
  Hash32 root{};
  for (const auto& id : chain) {
    AERGO_ASSIGN_OR_RETURN(Block b, ReadBlock(id));
    AERGO_ASSIGN_OR_RETURN(ChangeSet made, ReplayBlock(engine->get(), db->get(), recorder, b));
    if (verify_all || id == block) {
      AERGO_RETURN_IF_ERROR(CheckReplayedChanges(b, made, root));
    }
    root = b.header.state_root;
  }
  return Status::Ok();
}

// Re-executes a branch's pending txs on `block` (its pool was built on
// another block); those that no longer apply are dropped and recorded.
Status Repository::Repool(const std::string& branch, const PoolInfo& old, const Hash32& block) {
  AERGO_RETURN_IF_ERROR(CheckEngine());  // else pending txs would be dropped as no longer applying
  AERGO_ASSIGN_OR_RETURN(auto entries, index_->PoolEntries(branch));
  AERGO_ASSIGN_OR_RETURN(BlockRow head, BlockInfo(block));
  AERGO_RETURN_IF_ERROR(index_->ClearPool(branch));
  PoolInfo info{block, std::max(old.time_ms, head.time_ms)};
  bool any = false;
  AddressCache addresses;
  ChangeRecorder& recorder = *recorder_;
  recorder.Clear();
  std::vector<DroppedTx> dropped;
  for (const auto& e : entries) {
    // Already sealed in the new head's history (pushed, or merged in):
    // never applied twice.
    Status hist = CheckNotInHistory(block, e.receipt.txid);
    if (hist.code() == Code::kExists) {
      dropped.push_back(DroppedTx{branch, e.receipt.txid, hist.message()});
      continue;
    }
    AERGO_RETURN_IF_ERROR(hist);
    recorder.Begin();
    CallOutcome out = ExecuteTx(engine_.get(), db_.get(), e.tx, e.receipt.txid, head.height + 1,
                                info.time_ms, &addresses);
    if (sqlite3_get_autocommit(db_.get())) {
      // SQLite rolled the whole transaction back (a write over the step
      // budget): nothing of this operation is kept, the pool included.
      return Failed("pending tx " + ToHex(e.receipt.txid) + " of branch '" + branch +
                    "' aborted the transaction re-applying the merge pool: " +
                    (out.error.empty() ? "call aborted its transaction" : out.error) +
                    " (nothing was changed; commit or reset the merge pool first)");
    }
    if (!out.ok) {
      recorder.Drop();
      dropped.push_back(DroppedTx{branch, e.receipt.txid, out.error.substr(0, kMaxErrorBytes)});
      continue;
    }
    AERGO_RETURN_IF_ERROR(recorder.Keep());
    AERGO_RETURN_IF_ERROR(index_->AddPoolEntry(branch, e.tx, e.receipt));
    any = true;
  }
  dropped_.insert(dropped_.end(), dropped.begin(), dropped.end());
  if (!any) return Status::Ok();
  AERGO_RETURN_IF_ERROR(index_->OpenPool(branch, info));
  return index_->SetPoolChanges(branch, recorder.Take().Encode());
}

Result<std::optional<PoolInfo>> Repository::LiftPool(const std::string& branch) {
  AERGO_ASSIGN_OR_RETURN(auto pool, index_->GetPool(branch));
  if (!pool) return pool;
  AERGO_ASSIGN_OR_RETURN(ChangeSet pc, PoolChanges(branch));
  AERGO_RETURN_IF_ERROR(ApplyChanges(db_.get(), engine_.get(), pc.Inverted()));
  return pool;
}

// Moves the checked-out state to (branch, block) and records it in meta:
// by applying the net changes from where it is, or, when its position is
// unknown, by rebuilding it from genesis's changes.
Status Repository::Materialize(const std::optional<std::string>& branch, const Hash32& block) {
  Txn txn(&db_);
  AERGO_RETURN_IF_ERROR(txn.status());
  // Drops recorded by a Repool that is not committed are forgotten.
  const size_t dropped_mark = dropped_.size();
  struct ForgetDrops {
    std::vector<DroppedTx>* list;
    size_t mark;
    bool keep = false;
    ~ForgetDrops() { if (!keep) list->resize(mark); }
  } forget{&dropped_, dropped_mark};
  AERGO_ASSIGN_OR_RETURN(auto pos, LiveState());
  // One attempt, in a savepoint: from where the state is, or (rebuild) from
  // the empty state.
  auto move = [&](bool rebuild) -> Status {
    Savepoint sp(db_.get(), "aergo_move");
    AERGO_RETURN_IF_ERROR(sp.status());
    ChangeSet net;
    if (!rebuild) {
      AERGO_ASSIGN_OR_RETURN(net, ChangesFromLive(block));
    } else {
      engine_.reset();
      Status cleared = ClearState(db_.get());
      engine_ = std::make_unique<ContractEngine>(db_.get());
      AERGO_RETURN_IF_ERROR(cleared);
      AERGO_ASSIGN_OR_RETURN(net, ChangesBetween(std::nullopt, block));
    }
    std::optional<PoolInfo> repool;
    if (branch) {
      AERGO_ASSIGN_OR_RETURN(auto pool, index_->GetPool(*branch));
      if (pool && pool->base == block) {
        AERGO_ASSIGN_OR_RETURN(ChangeSet pc, PoolChanges(*branch));
        AERGO_RETURN_IF_ERROR(net.Then(pc));
        net.Normalize();
      } else if (pool) {
        repool = *pool;
      }
    }
    AERGO_RETURN_IF_ERROR(ApplyChanges(db_.get(), engine_.get(), net));
    if (repool) AERGO_RETURN_IF_ERROR(Repool(*branch, *repool, block));
    return sp.Release();
  };
  Status moved = move(!pos);
  if (!moved.ok()) dropped_.resize(dropped_mark);
  // A state that is not where meta says (damaged, or changed behind
  // aergo's back) is derived data: rebuild it from the blocks' changes.
  if (!moved.ok() && pos && moved.code() == Code::kCorrupt) {
    engine_ = std::make_unique<ContractEngine>(db_.get());  // its caches may name rolled-back tables
    moved = move(true);
  }
  AERGO_RETURN_IF_ERROR(moved);
  AERGO_RETURN_IF_ERROR(index_->SetMeta("state_branch", branch.value_or("")));
  AERGO_RETURN_IF_ERROR(index_->SetMeta("state_block", ToHex(block)));
  AERGO_RETURN_IF_ERROR(txn.Commit());
  forget.keep = true;
  return Status::Ok();
}

Status Repository::FastForward(const std::string& branch, const Hash32& from, const Hash32& to,
                               const std::string& log_message) {
  AERGO_ASSIGN_OR_RETURN(Oid from_oid, OidFor(from));
  AERGO_ASSIGN_OR_RETURN(Oid to_oid, OidFor(to));
  // The ref first: a crash before the state follows is repaired on open.
  AERGO_RETURN_IF_ERROR(git_.UpdateRef("refs/heads/" + branch, to_oid, from_oid, log_message));
  return Materialize(branch, to);
}

Status Repository::Checkout(const std::string& rev) {
  AERGO_ASSIGN_OR_RETURN(auto branch, BranchHead(rev));
  if (branch) {
    // Already there (Open reconciled the state): nothing to do.
    AERGO_ASSIGN_OR_RETURN(HeadRef head, git_.Head());
    if (head.branch && *head.branch == rev) return Status::Ok();
    AERGO_RETURN_IF_ERROR(Materialize(rev, *branch));
    return git_.SetHeadBranch(rev, "checkout: " + rev);
  }
  AERGO_ASSIGN_OR_RETURN(Hash32 id, Resolve(rev));
  AERGO_ASSIGN_OR_RETURN(Oid oid, OidFor(id));
  AERGO_RETURN_IF_ERROR(Materialize(std::nullopt, id));
  return git_.SetHeadDetached(oid, "checkout: " + rev);
}

}  // namespace aergo
