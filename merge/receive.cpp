#include "merge/receive.h"

#include <map>
#include <set>

#include "core/import.h"

namespace aergo {

Result<PushOutcome> ReceivePush(Repository& repo, PackReceiver* pack, const PushRequest& request,
                                const SecretKey* key, const BlockFilter& may_name) {
  const std::string& branch = request.branch;
  if (!Repository::IsValidRefName(branch)) return Invalid("invalid branch name '" + branch + "'");
  std::set<std::string> tag_names;
  for (const auto& [name, id] : request.tags) {
    if (!Repository::IsValidRefName(name)) return Invalid("invalid tag name '" + name + "'");
    if (!tag_names.insert(name).second) return Invalid("tag '" + name + "' named twice");
  }

  // 1. Verify what arrived; nothing is stored yet.
  IncomingBlocks incoming;
  if (pack) {
    ImportOptions options;
    options.may_link = may_name;  // parents here that the caller may not name: as if missing
    AERGO_ASSIGN_OR_RETURN(incoming, VerifyPack(repo, pack, options));
  }
  std::map<Hash32, const Block*> arriving;
  for (const auto& e : incoming.blocks) arriving[e.block.Id()] = &e.block;
  // Blocks already here whose commits the pack carries again.
  std::set<Hash32> sent_again;
  if (pack && may_name) {
    AERGO_ASSIGN_OR_RETURN(std::vector<Oid> commits, pack->Commits());
    for (const auto& oid : commits) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlockByOid(oid));
      if (row) sent_again.insert(row->id);
    }
  }
  // A block the push may name: arriving, or here and nameable by the
  // pusher (a block here it may not name is answered as a missing one).
  auto have = [&](const Hash32& id) -> Result<bool> {
    if (arriving.count(id)) return true;
    AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(id));
    if (!row) return false;
    if (!may_name) return true;
    return may_name(id, sent_again.count(id) > 0);
  };
  AERGO_ASSIGN_OR_RETURN(bool have_block, have(request.block));
  if (!have_block) return NotFound("pushed block " + ToHex(request.block) + " did not arrive");

  // 2. Everything that can refuse the push, before anything is written.
  PushOutcome out;
  out.branch = branch;
  std::vector<std::pair<std::string, Hash32>> new_tags;
  for (const auto& [name, id] : request.tags) {
    AERGO_ASSIGN_OR_RETURN(bool have_tag_block, have(id));
    if (!have_tag_block) return NotFound("tag '" + name + "': block " + ToHex(id) + " did not arrive");
    AERGO_ASSIGN_OR_RETURN(auto existing, repo.TagTarget(name));
    if (existing && *existing != id) {
      // Tags never move. One whose block the pusher may not read is
      // refused without naming that block (daemon/access.h).
      bool seen = true;
      if (may_name) {
        AERGO_ASSIGN_OR_RETURN(seen, may_name(*existing, false));
      }
      if (!seen) return Exists("tag '" + name + "' already exists here");
      return Exists("tag '" + name + "' already names block " + ToHex(*existing) + " here, not " + ToHex(id));
    }
    if (!existing) new_tags.emplace_back(name, id);
  }
  AERGO_ASSIGN_OR_RETURN(out.old_head, repo.BranchHead(branch));
  enum class Action { kCreate, kUpToDate, kFastForward, kMerge } action = Action::kCreate;
  // Ancestry questions about arriving blocks are answered after they are
  // indexed; these need only the arriving set and the index.
  auto is_ancestor = [&](const Hash32& a, const Hash32& d) -> Result<bool> {
    if (a == d) return true;
    // Walk d's parents through arriving and indexed blocks.
    std::vector<Hash32> todo = {d};
    std::set<Hash32> seen;
    AERGO_ASSIGN_OR_RETURN(auto a_row, repo.index().GetBlock(a));
    while (!todo.empty()) {
      Hash32 x = todo.back();
      todo.pop_back();
      if (x == a) return true;
      if (!seen.insert(x).second) continue;
      if (auto it = arriving.find(x); it != arriving.end()) {
        for (const auto& p : it->second->header.parents) todo.push_back(p);
        continue;
      }
      // An indexed block: the index answers for the rest of its history
      // (an arriving block is never an indexed block's ancestor).
      if (!a_row) continue;
      AERGO_ASSIGN_OR_RETURN(bool in, repo.IsAncestor(a, x));
      if (in) return true;
    }
    return false;
  };
  if (out.old_head) {
    AERGO_ASSIGN_OR_RETURN(bool contained, is_ancestor(request.block, *out.old_head));
    AERGO_ASSIGN_OR_RETURN(bool ff, is_ancestor(*out.old_head, request.block));
    action = contained ? Action::kUpToDate : ff ? Action::kFastForward : Action::kMerge;
    if (action == Action::kMerge && key == nullptr)
      return Denied("branch '" + branch + "' has moved on here and needs a merge, but no signing key is "
                    "configured to seal it (the daemon's --key, or the pusher's key for a repository on a local path)");
  }

  // 3. Store and index the blocks, then move the refs. Pending txs in the
  // branch's merge pool are re-applied on its new head, in the SQLite
  // transaction that moves the state there (Repository::Repool); those
  // that no longer apply are dropped and reported in out.dropped.
  if (pack) AERGO_RETURN_IF_ERROR(StorePack(repo, pack, incoming));
  out.blocks = incoming.blocks.size();
  out.txs = incoming.txs;
  AERGO_ASSIGN_OR_RETURN(Head head, repo.CurrentHead());
  bool checked_out = head.branch && *head.branch == branch;
  AERGO_ASSIGN_OR_RETURN(uint64_t pending, repo.index().PoolCount(branch));
  const size_t dropped_mark = repo.dropped_txs().size();
  switch (action) {
    case Action::kCreate:
      AERGO_RETURN_IF_ERROR(repo.CreateBranch(branch, request.block, "", request.is_private));
      out.head = request.block;
      break;
    case Action::kUpToDate:
      out.up_to_date = true;
      out.head = *out.old_head;
      break;
    case Action::kFastForward:
      out.fast_forward = true;
      out.head = request.block;
      if (checked_out) {
        AERGO_RETURN_IF_ERROR(repo.FastForward(branch, *out.old_head, request.block, "push: fast-forward"));
      } else if (pending > 0) {
        // The pool follows the branch now, on the branch's state (a crash
        // in between: Reconcile moves the state and the pool, then HEAD
        // back).
        AERGO_RETURN_IF_ERROR(repo.WithBranchCheckedOut(branch, [&] {
          return repo.FastForward(branch, *out.old_head, request.block, "push: fast-forward");
        }));
      } else {
        AERGO_ASSIGN_OR_RETURN(BlockRow from, repo.BlockInfo(*out.old_head));
        AERGO_ASSIGN_OR_RETURN(BlockRow to, repo.BlockInfo(request.block));
        AERGO_RETURN_IF_ERROR(repo.git().UpdateRef("refs/heads/" + branch, to.oid, from.oid, "push: fast-forward"));
      }
      break;
    case Action::kMerge: {
      // The merge runs on the branch's state: check it out for the merge,
      // then return to where HEAD was (even after a crash: see
      // WithBranchCheckedOut).
      MergeOptions options;
      options.source_name = "pushed block " + ShortId(request.block);
      options.keep_pool = true;
      Result<MergeReport> merged = Failed("the merge did not run");
      AERGO_RETURN_IF_ERROR(repo.WithBranchCheckedOut(branch, [&] {
        merged = MergeInto(repo, request.block, key, options);
        return merged.status();
      }));
      out.head = merged->block.value_or(request.block);
      out.fast_forward = merged->fast_forward;
      out.merge = std::move(*merged);
      break;
    }
  }
  for (const auto& [name, id] : new_tags) {
    AERGO_RETURN_IF_ERROR(repo.CreateTag(name, id));
    out.tags_created.push_back(name);
  }
  auto& dropped = repo.dropped_txs();
  if (dropped.size() > dropped_mark) {
    out.dropped.assign(dropped.begin() + static_cast<std::ptrdiff_t>(dropped_mark), dropped.end());
  }
  return out;
}

}  // namespace aergo
