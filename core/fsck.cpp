#include "core/fsck.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/executor.h"

namespace aergo {

namespace {

struct SigJob {
  const Block* block;
  int tx;  // -1: the header
};

// Verifies every signature on `threads` workers; returns the failures.
std::vector<std::string> VerifySignatures(const std::vector<SigJob>& jobs, unsigned threads) {
  std::atomic<size_t> next{0};
  std::vector<std::vector<std::string>> bad(threads);
  auto work = [&](unsigned w) {
    constexpr size_t kChunk = 256;
    for (;;) {
      size_t start = next.fetch_add(kChunk);
      if (start >= jobs.size()) return;
      size_t end = std::min(jobs.size(), start + kChunk);
      for (size_t i = start; i < end; ++i) {
        const SigJob& j = jobs[i];
        if (j.tx < 0) {
          if (!j.block->header.VerifySignature())
            bad[w].push_back("block " + ToHex(j.block->Id()) + ": bad producer signature");
        } else if (!j.block->txs[static_cast<size_t>(j.tx)].VerifySignature()) {
          bad[w].push_back("block " + ToHex(j.block->Id()) + ": tx " +
                           ToHex(j.block->txs[static_cast<size_t>(j.tx)].Id()) + " has a bad signature");
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  std::vector<std::string> out;
  for (auto& v : bad) out.insert(out.end(), v.begin(), v.end());
  return out;
}

}  // namespace

Result<FsckReport> RunFsck(Repository* repo, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  FsckReport rep;
  auto problem = [&](std::string p) { rep.problems.push_back(std::move(p)); };

  // 1. Index rows and the blocks they name.
  AERGO_ASSIGN_OR_RETURN(auto rows, repo->index().AllBlocks());
  std::map<Hash32, BlockRow> by_id;
  for (const auto& r : rows) by_id[r.id] = r;
  std::map<Hash32, Block> blocks;
  std::map<Hash32, std::vector<Hash32>> tx_ids;  // per block, from CheckStructure
  std::map<Hash32, std::vector<Hash32>> children;  // first-parent children
  std::vector<Hash32> genesis;
  for (const auto& row : rows) {
    auto b = repo->ReadBlock(row);
    if (!b.ok()) { problem(b.status().message()); continue; }
    Block& block = b.value();
    std::string id = ToHex(row.id);
    const auto& h = block.header;
    std::vector<Hash32> ids;
    if (Status st = block.CheckStructure(&ids); !st.ok()) { problem(st.message()); continue; }
    if (h.height != row.height || h.parents != row.parents || h.time_ms != row.time_ms ||
        h.producer != row.producer || h.tx_count != row.txs || h.message != row.message)
      problem("block " + id + ": index row disagrees with the stored header");
    if (h.parents.empty()) {
      genesis.push_back(row.id);
      if (row.id != repo->chain_id()) problem("block " + id + ": a second genesis block");
    } else {
      if (h.chain_id != repo->chain_id()) problem("block " + id + ": belongs to another chain");
      uint64_t want_height = 0;
      auto parent_oids = repo->git().CommitParents(row.oid);
      if (!parent_oids.ok()) { problem(parent_oids.status().message()); continue; }
      if (parent_oids->size() != h.parents.size())
        problem("block " + id + ": stored commit has the wrong number of parents");
      for (size_t i = 0; i < h.parents.size(); ++i) {
        auto p = by_id.find(h.parents[i]);
        if (p == by_id.end()) {
          problem("block " + id + ": parent " + ToHex(h.parents[i]) + " is missing");
          continue;
        }
        want_height = std::max(want_height, p->second.height + 1);
        if (i < parent_oids->size() && (*parent_oids)[i] != p->second.oid)
          problem("block " + id + ": stored commit parent does not match parent block " +
                  ToHex(h.parents[i]));
        if (h.time_ms < p->second.time_ms) problem("block " + id + ": time is before its parent's");
      }
      if (want_height != 0 && h.height != want_height)
        problem("block " + id + ": height " + std::to_string(h.height) + ", expected " +
                std::to_string(want_height));
      children[h.parents[0]].push_back(row.id);
    }
    rep.txs += block.txs.size();
    tx_ids.emplace(row.id, std::move(ids));
    blocks.emplace(row.id, std::move(block));
  }
  rep.blocks = rows.size();
  if (by_id.find(repo->chain_id()) == by_id.end())
    problem("genesis block " + ToHex(repo->chain_id()) + " (the chain id) is missing");

  // 2. Refs.
  for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
    auto refs = repo->git().ListRefs(prefix);
    if (!refs.ok()) { problem(refs.status().message()); continue; }
    for (const auto& [name, oid] : refs.value()) {
      auto row = repo->index().GetBlockByOid(oid);
      if (!row.ok() || !row.value())
        problem(std::string("ref ") + prefix + name + " points to " + oid.Hex() +
                ", which is not an indexed block");
      else if (blocks.find(row.value()->id) == blocks.end())
        problem(std::string("ref ") + prefix + name + " points to unreadable block " +
                ToHex(row.value()->id));
    }
  }
  for (const auto& bad : repo->git().UnreadableRefs()) problem("unreadable ref " + bad);
  auto head = repo->git().Head();
  if (!head.ok()) problem(head.status().message());
  else if (!head->target) problem("HEAD names a branch that does not exist");

  // 3. Signatures on worker threads while this thread replays.
  std::vector<SigJob> jobs;
  jobs.reserve(rep.txs + blocks.size());
  for (const auto& [id, b] : blocks) {
    jobs.push_back({&b, -1});
    for (size_t i = 0; i < b.txs.size(); ++i) jobs.push_back({&b, static_cast<int>(i)});
  }
  std::vector<std::string> sig_problems;
  std::thread verifier([&] { sig_problems = VerifySignatures(jobs, threads); });

  // 4. Replay every first-parent path from genesis in a scratch database.
  std::vector<std::string> replay_problems;
  Status replay_status = [&]() -> Status {
    if (genesis.empty()) return Status::Ok();
    AERGO_ASSIGN_OR_RETURN(Db scratch, Db::Open("", true));
    // A memory journal: fast, and (unlike journal_mode=OFF) ROLLBACK TO works,
    // which the fork-point savepoints below depend on.
    AERGO_RETURN_IF_ERROR(scratch.Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF"));
    ContractEngine engine(scratch.get());
    struct Frame {
      Hash32 id;
      bool entered = false;
      int savepoint = -1;  // savepoint number, -1 if none
    };
    std::map<Hash32, int> on_path;  // txid -> count along the current path
    std::vector<Frame> stack;
    int next_sp = 0;
    for (const auto& g : genesis) stack.push_back({g, false, -1});
    if (genesis.size() > 1) for (auto& f : stack) f.savepoint = next_sp++;
    while (!stack.empty()) {
      Frame& f = stack.back();
      auto bit = blocks.find(f.id);
      if (f.entered || bit == blocks.end()) {
        if (bit != blocks.end() && f.entered)
          for (const auto& txid : tx_ids[f.id])
            if (--on_path[txid] == 0) on_path.erase(txid);
        if (f.savepoint >= 0) {
          std::string n = "fsck" + std::to_string(f.savepoint);
          AERGO_RETURN_IF_ERROR(scratch.Exec("ROLLBACK TO " + n + "; RELEASE " + n));
        }
        stack.pop_back();
        continue;
      }
      f.entered = true;
      if (f.savepoint >= 0) AERGO_RETURN_IF_ERROR(scratch.Exec("SAVEPOINT fsck" + std::to_string(f.savepoint)));
      const Block& b = bit->second;
      std::string id = ToHex(f.id);
      const std::vector<Hash32>& ids = tx_ids[f.id];
      for (const auto& txid : ids)
        if (++on_path[txid] == 2)
          replay_problems.push_back("block " + id + ": tx " + ToHex(txid) +
                                    " appears twice in one branch's history");
      Status st = ReplayBlock(&engine, scratch.get(), b, &ids);
      if (!st.ok()) {
        replay_problems.push_back(st.message());
        continue;  // its descendants cannot be checked
      }
      AERGO_ASSIGN_OR_RETURN(Hash32 root, engine.StateRoot());
      if (root != b.header.state_root) {
        replay_problems.push_back("block " + id + ": state root mismatch on replay");
        continue;
      }
      auto kids = children.find(f.id);
      if (kids == children.end()) continue;
      bool fork = kids->second.size() > 1;
      std::vector<Hash32> ks = kids->second;
      for (auto it = ks.rbegin(); it != ks.rend(); ++it)
        stack.push_back({*it, false, fork ? next_sp++ : -1});
    }
    return Status::Ok();
  }();
  verifier.join();
  AERGO_RETURN_IF_ERROR(replay_status);
  rep.problems.insert(rep.problems.end(), sig_problems.begin(), sig_problems.end());
  rep.problems.insert(rep.problems.end(), replay_problems.begin(), replay_problems.end());

  // 5. The checked-out state matches its head when no txs are pending.
  if (head.ok() && head->target) {
    auto h = repo->CurrentHead();
    auto pending = repo->PoolCount();
    if (h.ok() && pending.ok() && pending.value() == 0) {
      auto it = blocks.find(h->block.id);
      auto root = repo->engine().StateRoot();
      if (it != blocks.end() && root.ok() && root.value() != it->second.header.state_root)
        problem("checked-out state does not match block " + ToHex(h->block.id) +
                " (state root differs)");
    }
  }
  return rep;
}

}  // namespace aergo
