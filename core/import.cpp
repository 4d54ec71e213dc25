#include "core/import.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "core/executor.h"
#include "core/sigverify.h"
#include "core/state.h"

namespace aergo {

namespace {

// A scratch state that replays arriving blocks one after another; rebuilt
// from a known block's stored changes when the next block does not follow
// the last one replayed.
struct Scratch {
  Db db;
  std::unique_ptr<ChangeRecorder> recorder;
  std::unique_ptr<ContractEngine> engine;
  std::optional<Hash32> at;   // the block whose state it holds
  Hash32 base{};              // the known block the replayed path starts from
  std::set<Hash32> path_txs;  // tx ids of the arriving blocks on that path

  Status Reset() {
    engine.reset();
    recorder.reset();
    db = Db();
    AERGO_ASSIGN_OR_RETURN(db, Db::Open("", true));
    AERGO_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF"));
    recorder = std::make_unique<ChangeRecorder>(db.get());
    engine = std::make_unique<ContractEngine>(db.get());
    at.reset();
    path_txs.clear();
    return Status::Ok();
  }
};

}  // namespace

Result<IncomingBlocks> VerifyIncoming(Repository& repo, const std::vector<Oid>& tips,
                                      const ImportOptions& options) {
  Index& index = repo.index();
  IncomingBlocks in;
  std::map<std::string, size_t> by_oid;  // oid hex -> entry
  std::vector<std::vector<Oid>> commit_parents;

  // 1. The commits the index lacks, decoded and checked on their own.
  std::vector<Oid> todo = tips;
  std::set<std::string> seen;
  while (!todo.empty()) {
    Oid oid = todo.back();
    todo.pop_back();
    if (!seen.insert(oid.Hex()).second) continue;
    AERGO_ASSIGN_OR_RETURN(auto known, index.GetBlockByOid(oid));
    if (known) continue;
    auto blobs = repo.git().ReadBlockBlobs(oid);
    if (!blobs.ok())
      return NotFound("block commit " + oid.Hex() + " is unknown here and did not arrive (" +
                      blobs.status().message() + ")");
    auto block = Block::Decode(blobs->header, blobs->txs, blobs->receipts);
    if (!block.ok()) return Corrupt("block commit " + oid.Hex() + ": " + block.status().message());
    block->changes = std::move(blobs->changes);
    std::vector<Hash32> ids;
    Status st = block->CheckStructure(&ids);
    if (!st.ok()) return Corrupt("block " + ToHex(block->Id()) + ": " + st.message());
    AERGO_ASSIGN_OR_RETURN(auto parents, repo.git().CommitParents(oid));
    for (const auto& p : parents) todo.push_back(p);
    by_oid[oid.Hex()] = in.blocks.size();
    commit_parents.push_back(std::move(parents));
    in.txs += block->txs.size();
    in.blocks.push_back({std::move(*block), oid, std::move(ids)});
  }

  // 2. Links to parents, chain, heights and times.
  struct Node {
    Hash32 id{};
    uint64_t height = 0, time_ms = 0;
    Hash32 state_root{};
    bool arriving = false;
  };
  std::map<Hash32, Node> nodes;
  for (const auto& e : in.blocks)
    nodes[e.block.Id()] = {e.block.Id(), e.block.header.height, e.block.header.time_ms,
                           e.block.header.state_root, true};
  for (size_t i = 0; i < in.blocks.size(); ++i) {
    const Block& b = in.blocks[i].block;
    const auto& h = b.header;
    std::string id = ToHex(b.Id());
    if (h.parents.empty())
      return Corrupt("block " + id + ": a genesis block, but this repository's chain is " +
                     ToHex(repo.chain_id()));
    if (h.chain_id != repo.chain_id())
      return Corrupt("block " + id + ": belongs to chain " + ToHex(h.chain_id) + ", not " +
                     ToHex(repo.chain_id()));
    if (commit_parents[i].size() != h.parents.size())
      return Corrupt("block " + id + ": its commit has " + std::to_string(commit_parents[i].size()) +
                     " parents, its header " + std::to_string(h.parents.size()));
    uint64_t want_height = 0;
    for (size_t p = 0; p < h.parents.size(); ++p) {
      const Oid& poid = commit_parents[i][p];
      Node parent;
      if (auto it = by_oid.find(poid.Hex()); it != by_oid.end()) {
        parent = nodes[in.blocks[it->second].block.Id()];
      } else {
        AERGO_ASSIGN_OR_RETURN(auto row, index.GetBlockByOid(poid));
        if (!row) return NotFound("block " + id + ": parent " + ToHex(h.parents[p]) + " is unknown");
        parent = {row->id, row->height, row->time_ms, row->state_root, false};
        nodes.emplace(row->id, parent);
      }
      if (parent.id != h.parents[p])
        return Corrupt("block " + id + ": its commit's parent is block " + ToHex(parent.id) +
                       ", its header names " + ToHex(h.parents[p]));
      want_height = std::max(want_height, parent.height + 1);
      if (h.time_ms < parent.time_ms) return Corrupt("block " + id + ": time is before its parent's");
    }
    if (h.height != want_height)
      return Corrupt("block " + id + ": height " + std::to_string(h.height) + ", expected " +
                     std::to_string(want_height));
  }
  // Heights grow along every parent link, so this is parents first.
  std::stable_sort(in.blocks.begin(), in.blocks.end(), [](const auto& a, const auto& b) {
    return a.block.header.height < b.block.header.height;
  });
  std::map<Hash32, size_t> by_id;
  for (size_t i = 0; i < in.blocks.size(); ++i) by_id[in.blocks[i].block.Id()] = i;

  // 3. Signatures on every core while this thread replays.
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  SignatureVerifier verifier(threads);
  for (const auto& e : in.blocks) verifier.Add(&e.block);

  // 4. Replay each block on its first parent's state.
  Scratch s;
  auto replay = [&](const IncomingBlocks::Entry& e) -> Status {
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
    AERGO_ASSIGN_OR_RETURN(ChangeSet made, ReplayBlock(s.engine.get(), s.db.get(), s.recorder.get(), b, &e.tx_ids));
    AERGO_RETURN_IF_ERROR(CheckReplayedChanges(b, made, nodes[b.header.parents[0]].state_root));
    s.path_txs.insert(e.tx_ids.begin(), e.tx_ids.end());
    s.at = b.Id();
    return Status::Ok();
  };
  Status replayed = [&]() -> Status {
    for (const auto& e : in.blocks) {
      const Hash32& parent = e.block.header.parents[0];
      if (!s.at || *s.at != parent) {
        // Rebuild: the known block below `parent`, then the arriving blocks
        // from there up to `parent` (already verified; replayed again).
        std::vector<size_t> path;
        Hash32 k = parent;
        for (auto it = by_id.find(k); it != by_id.end(); it = by_id.find(k)) {
          path.push_back(it->second);
          k = in.blocks[it->second].block.header.parents[0];
        }
        AERGO_RETURN_IF_ERROR(s.Reset());
        AERGO_ASSIGN_OR_RETURN(ChangeSet at_k, repo.ChangesBetween(std::nullopt, k));
        {
          Txn build(&s.db);
          AERGO_RETURN_IF_ERROR(build.status());
          AERGO_RETURN_IF_ERROR(ApplyChanges(s.db.get(), s.engine.get(), at_k));
          AERGO_RETURN_IF_ERROR(build.Commit());
        }
        s.base = k;
        s.at = k;
        for (auto it = path.rbegin(); it != path.rend(); ++it) AERGO_RETURN_IF_ERROR(replay(in.blocks[*it]));
      }
      AERGO_RETURN_IF_ERROR(replay(e));
    }
    return Status::Ok();
  }();
  std::vector<std::string> bad = verifier.Finish();
  if (!bad.empty()) return Corrupt(bad.front());
  AERGO_RETURN_IF_ERROR(replayed);
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

Result<IncomingBlocks> VerifyPack(Repository& repo, PackReceiver* pack, const ImportOptions& options) {
  AERGO_RETURN_IF_ERROR(pack->Finish());
  AERGO_ASSIGN_OR_RETURN(std::vector<Oid> commits, pack->Commits());
  return VerifyIncoming(repo, commits, options);
}

Status StorePack(Repository& repo, PackReceiver* pack, const IncomingBlocks& incoming) {
  AERGO_RETURN_IF_ERROR(pack->Accept());
  return IndexIncoming(repo, incoming);
}

}  // namespace aergo
