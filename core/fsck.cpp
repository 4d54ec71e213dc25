#include "core/fsck.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <map>
#include <set>
#include <thread>

#include "core/executor.h"

namespace aergo {

namespace {

// Verifies signatures on worker threads while the caller goes on decoding
// and replaying. Blocks given to Add() must stay alive and in place until
// Finish() (RunFsck keeps them in a std::map).
class SignatureVerifier {
 public:
  explicit SignatureVerifier(unsigned threads) : bad_(threads) {
    for (unsigned w = 0; w < threads; ++w) workers_.emplace_back([this, w] { Work(w); });
  }
  ~SignatureVerifier() { Finish(); }

  void Add(const Block* block) {
    constexpr size_t kChunk = 256;
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({block, 0, 0, true});
    for (size_t i = 0; i < block->txs.size(); i += kChunk)
      queue_.push_back({block, i, std::min(block->txs.size(), i + kChunk), false});
    ready_.notify_all();
  }

  // Waits for every queued check; returns the failures.
  std::vector<std::string> Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    ready_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    std::vector<std::string> out;
    for (auto& v : bad_) out.insert(out.end(), v.begin(), v.end());
    return out;
  }

 private:
  struct Chunk {
    const Block* block;
    size_t begin, end;  // tx range
    bool header;
  };

  void Work(unsigned w) {
    for (;;) {
      Chunk c;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        c = queue_.front();
        queue_.pop_front();
      }
      if (c.header && !c.block->header.VerifySignature())
        bad_[w].push_back("block " + ToHex(c.block->Id()) + ": bad producer signature");
      for (size_t i = c.begin; i < c.end; ++i) {
        const Tx& tx = c.block->txs[i];
        if (!tx.VerifySignature())
          bad_[w].push_back("block " + ToHex(c.block->Id()) + ": tx " + ToHex(tx.Id()) +
                            " has a bad signature");
      }
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Chunk> queue_;
  bool closed_ = false;
  std::vector<std::vector<std::string>> bad_;  // per worker
  std::vector<std::thread> workers_;
};

}  // namespace

Result<FsckReport> RunFsck(Repository* repo, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  FsckReport rep;
  auto problem = [&](std::string p) { rep.problems.push_back(std::move(p)); };

  // 1. Index rows and the blocks they name.
  AERGO_ASSIGN_OR_RETURN(auto rows, repo->index().AllBlocks());
  std::map<Hash32, BlockRow> by_id;
  for (const auto& r : rows) by_id[r.id] = r;
  std::map<Hash32, Block> blocks;  // node-based: stable addresses for the verifier
  std::map<Hash32, std::vector<Hash32>> tx_ids;  // per block, from CheckStructure
  // Signatures are checked on every core from the first decoded block on,
  // while this thread decodes, checks links and replays.
  SignatureVerifier verifier(threads);
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
    verifier.Add(&blocks.emplace(row.id, std::move(block)).first->second);
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

  // 3. Replay every first-parent path from genesis in a scratch database.
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
  std::vector<std::string> sig_problems = verifier.Finish();
  AERGO_RETURN_IF_ERROR(replay_status);
  rep.problems.insert(rep.problems.end(), sig_problems.begin(), sig_problems.end());
  rep.problems.insert(rep.problems.end(), replay_problems.begin(), replay_problems.end());

  // 4. The checked-out state matches its head when no txs are pending.
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
