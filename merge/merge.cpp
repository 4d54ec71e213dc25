#include "merge/merge.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/engine.h"
#include "core/executor.h"
#include "core/state.h"

namespace aergo {

namespace {

constexpr uint8_t kTarget = 1, kSource = 2, kStale = 4;

// What a walk from both heads down finds: the blocks only the source
// reaches, and the best common ancestors.
struct Walk {
  std::vector<BlockRow> source_only;
  std::vector<BlockRow> bases;  // maximal common ancestors, highest first
};

// Paints blocks reachable from the target and from the source, popping in
// descending height (a block's flags are final when it is popped: every
// child is higher). A common block is a base unless it is below another
// (kStale spreads from bases to their ancestors). Stops when no queued
// block could still be source-only or a base.
Result<Walk> PaintWalk(Repository& repo, const BlockRow& target, const BlockRow& source) {
  std::map<Hash32, uint8_t> flags;
  std::map<Hash32, BlockRow> rows;
  std::set<std::pair<uint64_t, Hash32>, std::greater<>> queue;
  size_t live = 0;  // queued blocks with kSource and not kStale
  auto is_live = [](uint8_t f) { return (f & kSource) && !(f & kStale); };
  auto add = [&](const BlockRow& row, uint8_t f) {
    auto [it, fresh] = flags.try_emplace(row.id, 0);
    bool queued = !fresh && queue.count({row.height, row.id});
    if (queued && is_live(it->second)) --live;
    it->second |= f;
    if (fresh) {
      rows.emplace(row.id, row);
      queue.insert({row.height, row.id});
      queued = true;
    }
    if (queued && is_live(it->second)) ++live;
  };
  add(target, kTarget);
  add(source, kSource);
  Walk out;
  while (!queue.empty() && live > 0) {
    auto [height, id] = *queue.begin();
    queue.erase(queue.begin());
    uint8_t f = flags[id];
    if (is_live(f)) --live;
    const BlockRow& row = rows.at(id);
    if ((f & kTarget) && (f & kSource)) {
      if (!(f & kStale)) out.bases.push_back(row);
      f |= kStale;
    } else if (f & kSource) {
      out.source_only.push_back(row);
    }
    for (const Hash32& p : row.parents) {
      AERGO_ASSIGN_OR_RETURN(BlockRow parent, repo.BlockInfo(p));
      add(parent, f);
    }
  }
  std::sort(out.source_only.begin(), out.source_only.end(), [](const BlockRow& a, const BlockRow& b) {
    return a.height != b.height ? a.height < b.height : a.id < b.id;
  });
  std::sort(out.bases.begin(), out.bases.end(), [](const BlockRow& a, const BlockRow& b) {
    return a.height != b.height ? a.height > b.height : a.id < b.id;
  });
  return out;
}

// The merge block's content, computed on a state at the target head.
struct Computed {
  std::vector<Tx> txs;
  std::vector<Receipt> receipts;
  ChangeSet changes;
  uint64_t height = 0;
  uint64_t time_ms = 0;
};

// What a call that made SQLite abort the whole transaction (a write over
// its step budget) failed with, so the replay can restart without it.
struct Poisoned {
  std::optional<std::string> tx_error;        // the tx's own call
  std::optional<std::string> resolver_error;  // the resolver's call for it
};

// Replays the source-only txs on db (at the target head, inside the
// caller's transaction), calling `resolver` (if not empty) for each that
// fails. `restart` is set if SQLite aborted that transaction, with the
// offending call's error recorded in `poisoned`.
Result<Computed> Replay(Repository& repo, sqlite3* db, ContractEngine* engine, ChangeRecorder* recorder,
                        const BlockRow& target, const BlockRow& source, const Walk& walk,
                        const std::string& resolver, std::map<Hash32, Poisoned>* poisoned, bool* restart) {
  // An engine that computes differently must not turn into exclusions.
  AERGO_RETURN_IF_ERROR(CheckEngine());
  Computed out;
  out.height = std::max(target.height, source.height) + 1;
  out.time_ms = std::max(target.time_ms, source.time_ms);
  std::set<Hash32> source_blocks, seen;
  for (const auto& b : walk.source_only) source_blocks.insert(b.id);
  // The source's own history: its first-parent chain down to what the
  // target has. A merge block there carries the txs of its second parent
  // with the decisions that merge made (applied or excluded), so blocks off
  // that chain are not replayed again, and a conflict the source settled
  // stays settled.
  std::vector<BlockRow> chain;
  for (BlockRow row = source; source_blocks.count(row.id);) {
    chain.push_back(row);
    if (row.parents.empty()) break;
    AERGO_ASSIGN_OR_RETURN(row, repo.BlockInfo(row.parents[0]));
  }
  std::reverse(chain.begin(), chain.end());
  // A tx is already on the target if a block holding it is in the
  // target's history (cherry-picked, or pushed on both sides).
  auto on_target = [&](const Hash32& txid) -> Result<bool> {
    AERGO_ASSIGN_OR_RETURN(auto blocks, repo.index().BlocksWithTx(txid));
    for (const Hash32& b : blocks) {
      if (source_blocks.count(b)) continue;
      AERGO_ASSIGN_OR_RETURN(bool in, repo.IsAncestor(b, target.id));
      if (in) return true;
    }
    return false;
  };
  recorder->Clear();
  AddressCache addresses;
  *restart = false;
  for (const BlockRow& row : chain) {
    AERGO_ASSIGN_OR_RETURN(Block b, repo.ReadBlock(row));
    std::vector<Hash32> ids = b.TxIds();
    for (size_t i = 0; i < b.txs.size(); ++i) {
      if (b.receipts[i].status == ReceiptStatus::kExcluded || !seen.insert(ids[i]).second) continue;
      if (b.txs[i].kind == TxKind::kGenesis) continue;
      AERGO_ASSIGN_OR_RETURN(bool present, on_target(ids[i]));
      if (present) continue;
      auto found = poisoned->find(ids[i]);
      const Poisoned poison = found != poisoned->end() ? found->second : Poisoned{};
      // Runs one call under the recorder, or takes the failure remembered
      // from an aborted run. False if SQLite aborted the transaction (the
      // error is then remembered, and the replay restarts).
      auto run = [&](auto&& call, std::optional<std::string> Poisoned::*slot, CallOutcome* r) -> Result<bool> {
        if (poison.*slot) {
          *r = CallOutcome{false, *(poison.*slot), 0};
          return true;
        }
        recorder->Begin();
        *r = call();
        if (sqlite3_get_autocommit(db)) {
          (*poisoned)[ids[i]].*slot = r->error.empty() ? "call aborted its transaction" : r->error;
          return false;
        }
        if (r->ok) AERGO_RETURN_IF_ERROR(recorder->Keep());
        else recorder->Drop();
        return true;
      };
      // The tx failed with `error`: hands it to `with`; resolved, or
      // excluded with both errors.
      auto resolve = [&](const std::string& with, const std::string& error, Receipt* receipt) -> Result<bool> {
        CallOutcome rr;
        AERGO_ASSIGN_OR_RETURN(bool done, run([&] {
          return ResolveTx(engine, with, b.txs[i], ids[i], error, out.height, out.time_ms, &addresses);
        }, &Poisoned::resolver_error, &rr));
        if (rr.ok) *receipt = Receipt{ids[i], ReceiptStatus::kResolved, error, with};
        else *receipt = Receipt{ids[i], ReceiptStatus::kExcluded,
                                (error + "; resolver " + with + " failed: " + rr.error).substr(0, kMaxErrorBytes), ""};
        return done;
      };
      Receipt receipt{ids[i], ReceiptStatus::kApplied, "", ""};
      bool done = true;
      if (b.receipts[i].status == ReceiptStatus::kResolved) {
        // Settled where it was sealed by a resolver: the settlement travels
        // with the history, as an exclusion does — the same resolver is
        // called with the same error, and the tx itself is not run again.
        AERGO_ASSIGN_OR_RETURN(done, resolve(b.receipts[i].resolver, b.receipts[i].error, &receipt));
      } else {
        CallOutcome r;
        AERGO_ASSIGN_OR_RETURN(done, run([&] {
          return ExecuteTx(engine, db, b.txs[i], ids[i], out.height, out.time_ms, &addresses);
        }, &Poisoned::tx_error, &r));
        if (done && !r.ok) {
          std::string error = r.error.substr(0, kMaxErrorBytes);
          if (resolver.empty()) {
            receipt = Receipt{ids[i], ReceiptStatus::kExcluded, error, ""};
          } else {
            AERGO_ASSIGN_OR_RETURN(done, resolve(resolver, error, &receipt));
          }
        }
      }
      if (!done) {
        *restart = true;
        return out;
      }
      out.txs.push_back(b.txs[i]);
      out.receipts.push_back(std::move(receipt));
    }
  }
  out.changes = recorder->Take();
  return out;
}

// Runs Replay in a transaction on db until SQLite does not abort it; the
// transaction is left open (committed by the caller, or rolled back when
// `txn` goes away).
Result<Computed> ReplayInTxn(Repository& repo, Db* db, ContractEngine* engine, ChangeRecorder* recorder,
                             const BlockRow& target, const BlockRow& source, const Walk& walk,
                             const std::string& resolver, std::unique_ptr<Txn>* txn,
                             const std::function<Status()>& prepare = {}) {
  std::map<Hash32, Poisoned> poisoned;
  for (;;) {
    txn->reset();
    *txn = std::make_unique<Txn>(db);
    AERGO_RETURN_IF_ERROR((*txn)->status());
    if (prepare) AERGO_RETURN_IF_ERROR(prepare());
    bool restart = false;
    AERGO_ASSIGN_OR_RETURN(Computed c, Replay(repo, db->get(), engine, recorder, target, source, walk,
                                              resolver, &poisoned, &restart));
    if (!restart) return c;
  }
}

void Report(const Computed& c, MergeReport* r) {
  for (const Receipt& rc : c.receipts) {
    if (rc.status == ReceiptStatus::kApplied) r->applied.push_back(rc.txid);
    else if (rc.status == ReceiptStatus::kExcluded) r->excluded.push_back({rc.txid, rc.error, ""});
    else r->resolved.push_back({rc.txid, rc.error, rc.resolver});
  }
  r->changes = c.changes;
}

}  // namespace

Result<Hash32> MergeBase(Repository& repo, const Hash32& a, const Hash32& b) {
  AERGO_ASSIGN_OR_RETURN(BlockRow ra, repo.BlockInfo(a));
  AERGO_ASSIGN_OR_RETURN(BlockRow rb, repo.BlockInfo(b));
  if (a == b) return a;
  AERGO_ASSIGN_OR_RETURN(Walk w, PaintWalk(repo, ra, rb));
  if (w.bases.empty())
    return Failed("blocks " + ShortId(a) + " and " + ShortId(b) + " have unrelated histories");
  return w.bases.front().id;
}

Result<MergeReport> MergeInto(Repository& repo, const Hash32& source, const SecretKey* key,
                              const MergeOptions& options) {
  if (options.message.size() > kMaxMessageBytes)
    return Invalid("merge message is " + std::to_string(options.message.size()) + " bytes, limit " +
                   std::to_string(kMaxMessageBytes));
  if (!IsValidUtf8(options.message)) return Invalid("merge message is not valid UTF-8");
  AERGO_ASSIGN_OR_RETURN(std::string branch, repo.CheckedOutBranch("check out the branch to merge into"));
  AERGO_ASSIGN_OR_RETURN(Head head, repo.CurrentHead());
  AERGO_ASSIGN_OR_RETURN(uint64_t pending, repo.PoolCount());
  if (pending > 0 && !options.keep_pool)
    return Denied("the merge pool of branch '" + branch + "' holds " + std::to_string(pending) +
                  " pending tx(s): commit or reset them before merging");
  AERGO_ASSIGN_OR_RETURN(BlockRow src, repo.BlockInfo(source));
  MergeReport report;
  if (source == head.block.id) {
    report.up_to_date = true;
    report.base = source;
    return report;
  }
  AERGO_ASSIGN_OR_RETURN(Walk walk, PaintWalk(repo, head.block, src));
  if (walk.bases.empty())
    return Failed("refusing to merge unrelated histories: " + ShortId(source) + " shares no block with '" +
                  branch + "'");
  report.base = walk.bases.front().id;
  if (report.base == source) {
    report.up_to_date = true;
    return report;
  }
  std::string message = options.message.empty()
                            ? "merge " + (options.source_name.empty() ? ShortId(source) : options.source_name) +
                                  " into " + branch
                            : options.message;
  if (report.base == head.block.id) {
    report.fast_forward = true;
    AERGO_ASSIGN_OR_RETURN(report.changes, repo.ChangesBetween(head.block.id, source));
    if (options.preview) return report;
    AERGO_RETURN_IF_ERROR(repo.FastForward(branch, head.block.id, source, "merge: fast-forward to " + ToHex(source)));
    report.block = source;
    return report;
  }
  if (!options.preview && key == nullptr) return Invalid("a merge block needs a signing key");
  AERGO_ASSIGN_OR_RETURN(report.resolver, repo.BranchResolver(branch));
  std::unique_ptr<Txn> txn;
  // Pending txs: taken off the state (kept in the pool) at the start of
  // the transaction, re-executed on the merge block at its end.
  std::optional<PoolInfo> pool;
  auto lift = [&]() -> Status {
    AERGO_ASSIGN_OR_RETURN(pool, repo.LiftPool(branch));
    // Lifted, the state is the pool's base: it must be the head the merge
    // is computed on (checkout and reconcile keep them equal).
    if (pool && pool->base != head.block.id)
      return Failed("the merge pool of branch '" + branch + "' is based on " + ShortId(pool->base) +
                    ", not on its head " + ShortId(head.block.id) + " (check the branch out again)");
    return Status::Ok();
  };
  AERGO_ASSIGN_OR_RETURN(Computed c, ReplayInTxn(repo, &repo.db(), &repo.engine(), &repo.recorder(),
                                                 head.block, src, walk, report.resolver, &txn,
                                                 pending > 0 ? std::function<Status()>(lift) : nullptr));
  Report(c, &report);
  if (options.preview) return report;  // ~Txn rolls the replay back

  Block block;
  block.txs = std::move(c.txs);
  block.receipts = std::move(c.receipts);
  block.changes = c.changes.Encode();
  auto& h = block.header;
  h.chain_id = repo.chain_id();
  h.height = c.height;
  h.parents = {head.block.id, source};
  h.time_ms = c.time_ms;
  h.producer = key->public_key();
  h.tx_count = static_cast<uint32_t>(block.txs.size());
  std::vector<Hash32> ids;
  for (const Receipt& rc : block.receipts) ids.push_back(rc.txid);
  h.tx_root = MerkleRoot(ids);
  h.receipt_root = block.ComputeReceiptRoot();
  h.state_root = ChainStateRoot(head.block.state_root, block.changes);
  if (message.size() > kMaxMessageBytes || !IsValidUtf8(message))
    message = "merge " + ShortId(source) + " into " + branch;  // a revision name that cannot be a message
  h.message = message;
  h.resolver = report.resolver;
  AERGO_ASSIGN_OR_RETURN(ChainParams params, repo.chain_params());
  if (Status st = CheckBlockBounds(block, params); !st.ok())
    return Failed("cannot seal the merge of " + ShortId(source) + " into '" + branch + "': " + st.message());
  h.Sign(*key);
  // 1. objects  2. index + state (the replay's open transaction)  3. ref
  AERGO_ASSIGN_OR_RETURN(Oid oid, repo.git().WriteBlock(block, {head.block.oid, src.oid}));
  AERGO_RETURN_IF_ERROR(repo.index().PutBlock(block, oid, &ids));
  const size_t dropped_mark = repo.dropped_txs().size();
  if (pool) {
    Status repooled = repo.Repool(branch, *pool, block.Id());
    if (!repooled.ok()) {
      repo.dropped_txs().resize(dropped_mark);
      return repooled;
    }
  }
  AERGO_RETURN_IF_ERROR(repo.index().SetMeta("state_block", ToHex(block.Id())));
  if (Status st = txn->Commit(); !st.ok()) {
    repo.dropped_txs().resize(dropped_mark);
    return st;
  }
  AERGO_RETURN_IF_ERROR(repo.git().UpdateRef("refs/heads/" + branch, oid, head.block.oid,
                                             "merge: " + message.substr(0, message.find('\n'))));
  report.block = block.Id();
  return report;
}

Result<MergeVerification> VerifyMerge(Repository& repo, const Hash32& id) {
  AERGO_ASSIGN_OR_RETURN(Block b, repo.ReadBlock(id));
  if (b.header.parents.size() != 2) return Invalid("block " + ToHex(id) + " is not a merge block (it has " +
                                                   std::to_string(b.header.parents.size()) + " parent(s))");
  AERGO_ASSIGN_OR_RETURN(BlockRow target, repo.BlockInfo(b.header.parents[0]));
  AERGO_ASSIGN_OR_RETURN(BlockRow source, repo.BlockInfo(b.header.parents[1]));
  AERGO_ASSIGN_OR_RETURN(Walk walk, PaintWalk(repo, target, source));
  // A scratch state at the target head, built from the stored changes.
  AERGO_ASSIGN_OR_RETURN(Db scratch, Db::Open("", true));
  AERGO_RETURN_IF_ERROR(scratch.Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF"));
  ChangeRecorder recorder(scratch.get());
  ContractEngine engine(scratch.get());
  {
    AERGO_ASSIGN_OR_RETURN(ChangeSet at_target, repo.ChangesBetween(std::nullopt, target.id));
    Txn build(&scratch);
    AERGO_RETURN_IF_ERROR(build.status());
    AERGO_RETURN_IF_ERROR(ApplyChanges(scratch.get(), &engine, at_target));
    AERGO_RETURN_IF_ERROR(build.Commit());
  }
  std::unique_ptr<Txn> txn;
  AERGO_ASSIGN_OR_RETURN(Computed c, ReplayInTxn(repo, &scratch, &engine, &recorder, target, source, walk,
                                                 b.header.resolver, &txn));
  MergeVerification out;
  auto differ = [&](const std::string& what) { out.differences.push_back(what); };
  if (c.height != b.header.height) differ("height: recorded " + std::to_string(b.header.height) + ", recomputed " + std::to_string(c.height));
  if (c.time_ms != b.header.time_ms) differ("time: recorded " + std::to_string(b.header.time_ms) + ", recomputed " + std::to_string(c.time_ms));
  size_t n = std::max(c.receipts.size(), b.receipts.size());
  for (size_t i = 0; i < n; ++i) {
    std::string at = "tx " + std::to_string(i) + ": ";
    if (i >= b.receipts.size()) { differ(at + "recomputed " + ToHex(c.receipts[i].txid) + ", not recorded"); continue; }
    if (i >= c.receipts.size()) { differ(at + "recorded " + ToHex(b.receipts[i].txid) + ", not recomputed"); continue; }
    const Receipt& want = c.receipts[i];
    const Receipt& have = b.receipts[i];
    if (want.txid != have.txid) differ(at + "recorded " + ToHex(have.txid) + ", recomputed " + ToHex(want.txid));
    else if (want.status != have.status || want.error != have.error)
      differ(at + ToHex(have.txid) + " recorded " + ReceiptStatusName(have.status) +
             (have.error.empty() ? "" : " (" + have.error + ")") + ", recomputed " + ReceiptStatusName(want.status) +
             (want.error.empty() ? "" : " (" + want.error + ")"));
  }
  Bytes changes = c.changes.Encode();
  if (changes != b.changes) {
    auto stored = ChangeSet::Decode(b.changes, "changes of block " + ShortId(id));
    std::string table = stored.ok() ? FirstDifferentTable(c.changes, *stored) : "";
    differ("changes differ" + (table.empty() ? std::string() : ", first in table '" + table + "'"));
  }
  if (ChainStateRoot(target.state_root, changes) != b.header.state_root)
    differ("state root: recorded " + ToHex(b.header.state_root) + ", recomputed " +
           ToHex(ChainStateRoot(target.state_root, changes)));
  return out;
}

}  // namespace aergo
