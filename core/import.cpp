#include "core/import.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

#include "core/block_rules.h"
#include "core/engine.h"
#include "core/executor.h"
#include "core/sigverify.h"
#include "core/state.h"

namespace aergo {

namespace {

struct HashOfHash32 {
  size_t operator()(const Hash32& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

// Copies the state tables of the checked-out state (ledger.db), with their
// indexes, into `db`, which has none yet.
Status CopyLiveState(Repository& repo, Db* db) {
  const char* path = sqlite3_db_filename(repo.db().get(), "main");
  if (!path || !*path) return Failed("the checked-out state has no file");
  {
    AERGO_ASSIGN_OR_RETURN(Stmt attach, db->Prepare("ATTACH ?1 AS aergo_live"));
    attach.Bind(1, path);
    if (attach.Step() != SQLITE_DONE) return IoError("cannot read the checked-out state: " + db->Error());
  }
  Status copied = [&]() -> Status {
    Txn txn(db);
    AERGO_RETURN_IF_ERROR(txn.status());
    std::vector<std::pair<std::string, std::string>> tables, indexes;  // name, sql
    {
      AERGO_ASSIGN_OR_RETURN(
          Stmt q, db->Prepare("SELECT type, name, sql FROM aergo_live.sqlite_master "
                              "WHERE tbl_name LIKE '%.%' AND sql IS NOT NULL ORDER BY rowid"));
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) {
        std::string type = q.Text(0);
        if (type == "table") tables.emplace_back(q.Text(1), q.Text(2));
        else if (type == "index") indexes.emplace_back(q.Text(1), q.Text(2));
        else return Failed("the checked-out state holds a " + type + " '" + q.Text(1) + "'");
      }
      if (rc != SQLITE_DONE) return IoError("cannot read the checked-out state: " + db->Error());
    }
    for (const auto& [name, sql] : tables) {
      AERGO_RETURN_IF_ERROR(db->Exec(sql));
      AERGO_RETURN_IF_ERROR(db->Exec("INSERT INTO main." + QuoteIdent(name) + " SELECT * FROM aergo_live." +
                                     QuoteIdent(name)));
    }
    for (const auto& [name, sql] : indexes) AERGO_RETURN_IF_ERROR(db->Exec(sql));
    return txn.Commit();
  }();
  Status detached = db->Exec("DETACH aergo_live");
  AERGO_RETURN_IF_ERROR(copied);
  return detached;
}

// A scratch state that replays arriving blocks one after another; rebuilt
// at a known block when the next block does not follow the last one
// replayed.
struct Scratch {
  Db db;
  std::unique_ptr<ChangeRecorder> recorder;
  std::unique_ptr<ContractEngine> engine;
  std::optional<Hash32> at;   // the block whose state it holds
  Hash32 base{};              // the known block the replayed path starts from
  std::unordered_set<Hash32, HashOfHash32> path_txs;  // tx ids of the arriving blocks on that path
  bool used_live = false;     // some Reset started from the checked-out state

  // Starts over at the indexed block k: from a copy of the checked-out
  // state moved to k by the stored changes between the two (in proportion
  // to how far apart they are), or, when that fails, from the stored
  // changes of every block from genesis to k.
  Status Reset(Repository& repo, const Hash32& k, bool allow_live) {
    if (!allow_live || !Open(repo, true, k).ok()) AERGO_RETURN_IF_ERROR(Open(repo, false, k));
    else used_live = true;
    base = k;
    at = k;
    return Status::Ok();
  }

 private:
  Status Open(Repository& repo, bool from_live, const Hash32& k) {
    engine.reset();
    recorder.reset();
    db = Db();
    at.reset();
    path_txs.clear();
    // A private temporary database: in memory up to its page cache (64 MiB),
    // spilling to a temporary file beyond.
    AERGO_ASSIGN_OR_RETURN(db, Db::Open("", true));
    AERGO_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536"));
    ChangeSet to_k;
    if (from_live) {
      AERGO_ASSIGN_OR_RETURN(to_k, repo.ChangesFromLive(k));
      AERGO_RETURN_IF_ERROR(CopyLiveState(repo, &db));  // before the engine's authorizer is set
    } else {
      AERGO_ASSIGN_OR_RETURN(to_k, repo.ChangesBetween(std::nullopt, k));
    }
    engine = std::make_unique<ContractEngine>(db.get());
    {
      Txn build(&db);
      AERGO_RETURN_IF_ERROR(build.status());
      AERGO_RETURN_IF_ERROR(ApplyChanges(db.get(), engine.get(), to_k));
      AERGO_RETURN_IF_ERROR(build.Commit());
    }
    recorder = std::make_unique<ChangeRecorder>(db.get());
    return Status::Ok();
  }
};

}  // namespace

Result<IncomingBlocks> VerifyIncoming(Repository& repo, const std::vector<Oid>& tips,
                                      const ImportOptions& options) {
  AERGO_RETURN_IF_ERROR(CheckEngine());
  Index& index = repo.index();
  IncomingBlocks in;
  // Decoded blocks stay in place (the signature workers read them) until
  // they move into `in` at the end.
  std::deque<IncomingBlocks::Entry> decoded;
  std::map<std::string, size_t> by_oid;  // oid hex -> entry
  std::vector<std::vector<Oid>> commit_parents;

  // Signatures are checked on every core from the moment each block is
  // decoded, while this thread decodes the next and then replays.
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  SignatureVerifier verifier(threads);
  struct CancelUnlessFinished {
    SignatureVerifier* v;
    ~CancelUnlessFinished() { v->Cancel(); }  // a failure returns at once
  } cancel{&verifier};

  // 1. The commits the index lacks, decoded and checked on their own.
  AERGO_ASSIGN_OR_RETURN(ChainParams params, repo.chain_params());
  std::vector<Oid> todo = tips;
  std::set<std::string> seen;
  std::set<std::string> sent;  // the tips: what the pack carries (VerifyPack)
  for (const auto& t : tips) sent.insert(t.Hex());
  while (!todo.empty()) {
    Oid oid = todo.back();
    todo.pop_back();
    if (!seen.insert(oid.Hex()).second) continue;
    AERGO_ASSIGN_OR_RETURN(auto known, index.GetBlockByOid(oid));
    // A block the filter refuses is answered as one this repository lacks,
    // with the same message (so the answer does not tell that it is here).
    auto missing = [&] { return NotFound("block commit " + oid.Hex() + " is unknown here and did not arrive"); };
    if (known) {
      if (!options.may_link) continue;
      AERGO_ASSIGN_OR_RETURN(bool may, options.may_link(known->id, sent.count(oid.Hex()) > 0));
      if (may) continue;
      return missing();
    }
    if (!repo.git().HasObject(oid)) return missing();
    auto blobs = repo.git().ReadBlockBlobs(oid);
    if (!blobs.ok())
      return NotFound("block commit " + oid.Hex() + " is unknown here and did not arrive (" +
                      blobs.status().message() + ")");
    auto block = Block::Decode(blobs->header, blobs->txs, blobs->receipts);
    if (!block.ok()) return Corrupt("block commit " + oid.Hex() + ": " + block.status().message());
    block->changes = std::move(blobs->changes);
    std::vector<Hash32> ids;
    AERGO_RETURN_IF_ERROR(CheckBlockAlone(*block, repo.chain_id(), params, &ids));
    // The producer's signature now, before links and any replay: one
    // verification per block, where a forged block would otherwise cost a
    // full replay before it is refused. Tx signatures follow in parallel
    // with the replay, which stops at the first that fails.
    if (!block->header.VerifySignature())
      return Corrupt("block " + ToHex(block->Id()) + ": bad producer signature");
    AERGO_ASSIGN_OR_RETURN(auto parents, repo.git().CommitParents(oid));
    for (const auto& p : parents) todo.push_back(p);
    by_oid[oid.Hex()] = decoded.size();
    commit_parents.push_back(std::move(parents));
    in.txs += block->txs.size();
    decoded.push_back({std::move(*block), oid, std::move(ids)});
    verifier.Add(&decoded.back().block);
  }

  // 2. Links to parents, chain, heights and times.
  struct Node {
    Hash32 id{};
    uint64_t height = 0, time_ms = 0;
    Hash32 state_root{};
    bool arriving = false;
  };
  std::map<Hash32, Node> nodes;
  std::vector<Hash32> block_ids(decoded.size());
  for (size_t i = 0; i < decoded.size(); ++i) {
    const auto& h = decoded[i].block.header;
    block_ids[i] = decoded[i].block.Id();
    nodes[block_ids[i]] = {block_ids[i], h.height, h.time_ms, h.state_root, true};
  }
  for (size_t i = 0; i < decoded.size(); ++i) {
    const Block& b = decoded[i].block;
    const auto& h = b.header;
    std::string id = ToHex(block_ids[i]);
    if (commit_parents[i].size() != h.parents.size())
      return Corrupt("block " + id + ": its commit has " + std::to_string(commit_parents[i].size()) +
                     " parents, its header " + std::to_string(h.parents.size()));
    std::vector<ParentFacts> parents;
    for (size_t p = 0; p < h.parents.size(); ++p) {
      const Oid& poid = commit_parents[i][p];
      Node parent;
      if (auto it = by_oid.find(poid.Hex()); it != by_oid.end()) {
        parent = nodes[block_ids[it->second]];
      } else {
        AERGO_ASSIGN_OR_RETURN(auto row, index.GetBlockByOid(poid));
        if (!row) return NotFound("block " + id + ": parent " + ToHex(h.parents[p]) + " is unknown");
        parent = {row->id, row->height, row->time_ms, row->state_root, false};
        nodes.emplace(row->id, parent);
      }
      parents.push_back({parent.id, parent.height, parent.time_ms});
    }
    AERGO_RETURN_IF_ERROR(CheckBlockLinks(b, parents));
  }
  // Heights grow along every parent link, so this is parents first.
  std::vector<size_t> order(decoded.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return decoded[a].block.header.height < decoded[b].block.header.height;
  });
  std::map<Hash32, size_t> by_id;
  for (size_t i = 0; i < decoded.size(); ++i) by_id[block_ids[i]] = i;

  // 3. Signatures: queued above, checked while this thread replays.
  // 4. Replay each block on its first parent's state. The index is read
  // (tx lookups, stored changes) in one read transaction, not one per query.
  // A caller's own transaction may hold writes that another connection
  // would not see: then the scratch state is never copied from ledger.db.
  bool may_copy_live = sqlite3_get_autocommit(repo.db().get()) != 0;
  Savepoint reading(repo.db().get(), "aergo_verify");
  AERGO_RETURN_IF_ERROR(reading.status());
  Scratch s;
  auto replay = [&](const IncomingBlocks::Entry& e) -> Status {
    if (verifier.failed()) {
      verifier.Cancel();
      return Corrupt(verifier.Finish().front());
    }
    const Block& b = e.block;
    std::string id = ToHex(b.Id());
    for (const auto& txid : e.tx_ids) {
      bool twice = s.path_txs.count(txid) > 0;
      if (!twice) {
        AERGO_ASSIGN_OR_RETURN(auto holders, index.BlocksWithTx(txid));
        for (const auto& holder : holders) {
          AERGO_ASSIGN_OR_RETURN(twice, repo.IsAncestor(holder, s.base));
          if (twice) break;
        }
      }
      if (twice) return Corrupt("block " + id + ": tx " + ToHex(txid) + " is already in its branch's history");
    }
    // One transaction per block: the calls' savepoints nest in it instead
    // of each committing to the scratch database.
    Txn block_txn(&s.db);
    AERGO_RETURN_IF_ERROR(block_txn.status());
    AERGO_ASSIGN_OR_RETURN(ChangeSet made, ReplayBlock(s.engine.get(), s.db.get(), s.recorder.get(), b, &e.tx_ids));
    AERGO_RETURN_IF_ERROR(block_txn.Commit());
    AERGO_RETURN_IF_ERROR(CheckReplayedChanges(b, made, nodes[b.header.parents[0]].state_root));
    s.path_txs.insert(e.tx_ids.begin(), e.tx_ids.end());
    s.at = b.Id();
    return Status::Ok();
  };
  auto replay_all = [&](bool allow_live) -> Status {
    s.at.reset();
    for (size_t at : order) {
      const IncomingBlocks::Entry& e = decoded[at];
      const Hash32& parent = e.block.header.parents[0];
      if (!s.at || *s.at != parent) {
        // Rebuild: the known block below `parent`, then the arriving blocks
        // from there up to `parent` (already verified; replayed again).
        std::vector<size_t> path;
        Hash32 k = parent;
        for (auto it = by_id.find(k); it != by_id.end(); it = by_id.find(k)) {
          path.push_back(it->second);
          k = decoded[it->second].block.header.parents[0];
        }
        AERGO_RETURN_IF_ERROR(s.Reset(repo, k, allow_live));
        for (auto it = path.rbegin(); it != path.rend(); ++it) AERGO_RETURN_IF_ERROR(replay(decoded[*it]));
      }
      AERGO_RETURN_IF_ERROR(replay(e));
    }
    return Status::Ok();
  };
  Status replayed = replay_all(may_copy_live);
  // A refusal is confirmed from genesis's changes alone, so that damage to
  // the checked-out state is never blamed on the arriving blocks.
  if (!replayed.ok() && s.used_live) replayed = replay_all(false);
  if (replayed.ok()) replayed = reading.Release();
  std::vector<std::string> bad = verifier.Finish();
  if (!bad.empty()) return Corrupt(bad.front());
  AERGO_RETURN_IF_ERROR(replayed);
  in.blocks.reserve(order.size());
  for (size_t at : order) in.blocks.push_back(std::move(decoded[at]));
  return in;
}

Status IndexIncoming(Repository& repo, const IncomingBlocks& incoming) {
  if (incoming.blocks.empty()) return Status::Ok();
  Txn txn(&repo.db());
  AERGO_RETURN_IF_ERROR(txn.status());
  for (const auto& e : incoming.blocks) {
    AERGO_ASSIGN_OR_RETURN(auto known, repo.index().GetBlock(e.block.Id()));
    if (known) continue;
    AERGO_RETURN_IF_ERROR(repo.index().PutBlock(e.block, e.oid, &e.tx_ids));
  }
  return txn.Commit();
}

Result<std::unique_ptr<PackReceiver>> ReceiverFor(Repository& repo, uint64_t max_bytes) {
  AERGO_ASSIGN_OR_RETURN(ChainParams params, repo.chain_params());
  AERGO_ASSIGN_OR_RETURN(auto rx, PackReceiver::Create(&repo.git(), max_bytes));
  rx->set_limits(PackLimits::ForChain(params));
  return rx;
}

Result<IncomingBlocks> VerifyPack(Repository& repo, PackReceiver* pack, const ImportOptions& options) {
  AERGO_ASSIGN_OR_RETURN(ChainParams params, repo.chain_params());
  pack->set_limits(PackLimits::ForChain(params));
  AERGO_RETURN_IF_ERROR(pack->Finish());
  AERGO_RETURN_IF_ERROR(pack->CheckReferenced());
  AERGO_ASSIGN_OR_RETURN(std::vector<Oid> commits, pack->Commits());
  return VerifyIncoming(repo, commits, options);
}

Status StorePack(Repository& repo, PackReceiver* pack, const IncomingBlocks& incoming) {
  AERGO_RETURN_IF_ERROR(pack->Accept());
  return IndexIncoming(repo, incoming);
}

}  // namespace aergo
