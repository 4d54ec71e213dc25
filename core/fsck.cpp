#include "core/fsck.h"

#include <map>
#include <set>
#include <thread>

#include "core/block_rules.h"
#include "core/engine.h"
#include "core/executor.h"
#include "core/sigverify.h"
#include "core/state.h"

namespace aergo {

Result<FsckReport> RunFsck(Repository* repo, const FsckOptions& options) {
  AERGO_RETURN_IF_ERROR(CheckEngine());
  unsigned threads = options.threads;
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
  AERGO_ASSIGN_OR_RETURN(ChainParams params, repo->chain_params());
  for (const auto& row : rows) {
    auto b = repo->ReadBlock(row);
    if (!b.ok()) { problem(b.status().message()); continue; }
    Block& block = b.value();
    std::string id = ToHex(row.id);
    const auto& h = block.header;
    std::vector<Hash32> ids;
    if (Status st = CheckBlockAlone(block, repo->chain_id(), params, &ids); !st.ok()) {
      problem(st.message());
      continue;
    }
    if (h.height != row.height || h.parents != row.parents || h.time_ms != row.time_ms ||
        h.producer != row.producer || h.tx_count != row.txs || h.message != row.message ||
        h.state_root != row.state_root)
      problem("block " + id + ": index row disagrees with the stored header");
    auto copy = repo->index().GetChanges(row.id);
    if (!copy.ok()) problem(copy.status().message());
    else if (!copy.value() || *copy.value() != block.changes)
      problem("block " + id + ": index copy of its changes differs from the stored changes");
    if (h.parents.empty()) {
      genesis.push_back(row.id);  // CheckBlockAlone: the chain's own
    } else {
      auto parent_oids = repo->git().CommitParents(row.oid);
      if (!parent_oids.ok()) { problem(parent_oids.status().message()); continue; }
      if (parent_oids->size() != h.parents.size())
        problem("block " + id + ": stored commit has the wrong number of parents");
      std::vector<ParentFacts> parents;
      for (size_t i = 0; i < h.parents.size(); ++i) {
        auto p = by_id.find(h.parents[i]);
        if (p == by_id.end()) {
          problem("block " + id + ": parent " + ToHex(h.parents[i]) + " is missing");
          continue;
        }
        parents.push_back({p->second.id, p->second.height, p->second.time_ms});
        if (i < parent_oids->size() && (*parent_oids)[i] != p->second.oid)
          problem("block " + id + ": stored commit parent does not match parent block " +
                  ToHex(h.parents[i]));
      }
      if (parents.size() == h.parents.size())
        if (Status st = CheckBlockLinks(block, parents); !st.ok()) problem(st.message());
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
  for (const char* prefix : {"refs/heads/", "refs/tags/", "refs/remotes/"}) {
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

  // 3. Replay (or, fast, apply the changes of) every first-parent path from
  // genesis in a scratch database, checking the checked-out state on the way.
  std::vector<std::string> replay_problems;
  std::optional<Repository::StatePosition> live;
  std::optional<ChangeSet> live_pool;
  std::string live_problem;
  bool live_checked = false;
  if (auto pos = repo->LiveState(); pos.ok() && pos.value()) {
    live = *pos.value();
    if (live->branch) {
      auto pc = repo->PoolChanges(*live->branch);
      if (pc.ok()) live_pool = std::move(pc.value());
      else live_problem = pc.status().message();
    }
  } else {
    live_problem = "the checked-out state has no known position";
  }
  Status replay_status = [&]() -> Status {
    if (genesis.empty()) return Status::Ok();
    AERGO_ASSIGN_OR_RETURN(Db scratch, Db::Open("", true));
    // A memory journal: fast, and (unlike journal_mode=OFF) ROLLBACK TO works,
    // which the fork-point savepoints below depend on.
    AERGO_RETURN_IF_ERROR(scratch.Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF"));
    ChangeRecorder recorder(scratch.get());
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
      Hash32 parent_root{};
      if (!b.header.parents.empty()) {
        auto parent = blocks.find(b.header.parents[0]);
        if (parent != blocks.end()) parent_root = parent->second.header.state_root;
      }
      Status st;
      if (options.fast) {
        // Apply the stored changes: they must decode canonically, chain to
        // the header's state root and start from the state they claim.
        auto stored = ChangeSet::Decode(b.changes, "changes of block " + id);
        st = stored.status();
        if (st.ok() && ChainStateRoot(parent_root, b.changes) != b.header.state_root)
          st = Corrupt("block " + id + ": state root does not match its changes");
        if (st.ok()) st = ApplyChanges(scratch.get(), &engine, *stored);
        if (!st.ok() && st.message().rfind("block ", 0) != 0) st = Corrupt("block " + id + ": " + st.message());
      } else {
        auto made = ReplayBlock(&engine, scratch.get(), &recorder, b, &ids);
        st = made.ok() ? CheckReplayedChanges(b, *made, parent_root) : made.status();
      }
      if (!st.ok()) {
        replay_problems.push_back(st.message());
        continue;  // its descendants cannot be checked
      }
      if (live && f.id == live->block) {
        // The checked-out state: this block plus the merge pool, if any.
        AERGO_RETURN_IF_ERROR(scratch.Exec("SAVEPOINT fsck_live"));
        Status pst = live_pool ? ApplyChanges(scratch.get(), &engine, *live_pool) : Status::Ok();
        auto want = pst.ok() ? engine.StateDigest() : Result<Hash32>(pst);
        AERGO_RETURN_IF_ERROR(scratch.Exec("ROLLBACK TO fsck_live; RELEASE fsck_live"));
        auto have = repo->engine().StateDigest();
        if (!want.ok()) live_problem = "the merge pool's changes do not apply to block " + id + ": " + want.status().message();
        else if (!have.ok()) live_problem = have.status().message();
        else if (*want != *have) live_problem = "checked-out state does not match block " + id + (live_pool ? " plus its merge pool" : "");
        live_checked = true;
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

  // 4. The checked-out state is the state of its position.
  if (!live_problem.empty()) problem(live_problem);
  else if (live && !live_checked && blocks.count(live->block))
    problem("checked-out block " + ToHex(live->block) + " could not be checked");
  return rep;
}

}  // namespace aergo
