#include "daemon/events.h"

#include <algorithm>

#include "core/crypto.h"
#include "daemon/access.h"
#include "remote/json_body.h"

namespace aergo {

namespace {

using json_body::Dump;
using json_body::json;

json IdOrNull(const std::optional<Hash32>& id) { return id ? json(ToHex(*id)) : json(nullptr); }

std::string BlockEvent(const std::string& branch, const Block& block) {
  const BlockHeader& h = block.header;
  return SseEvent("block", Dump(json{{"branch", branch},
                                     {"id", ToHex(block.Id())},
                                     {"height", h.height},
                                     {"parent", h.parents.empty() ? json(nullptr) : json(ToHex(h.parents[0]))},
                                     {"time", h.time_ms},
                                     {"producer", AddressFromKey(h.producer)},
                                     {"txs", block.txs.size()}}));
}

std::string ReceiptEvent(const std::string& branch, const Hash32& block, const Receipt& r) {
  return SseEvent("receipt", Dump(json{{"branch", branch},
                                       {"block", ToHex(block)},
                                       {"tx", ToHex(r.txid)},
                                       {"status", ReceiptStatusName(r.status)},
                                       {"error", r.error.empty() ? json(nullptr) : json(r.error)},
                                       {"resolver", r.resolver.empty() ? json(nullptr) : json(r.resolver)},
                                       {"receipt", ToHex(r.Encode())}}));
}

std::string BranchEvent(const std::string& branch, const std::optional<Hash32>& old_head,
                        const std::optional<Hash32>& new_head, bool truncated) {
  return SseEvent("branch", Dump(json{{"branch", branch},
                                      {"old", IdOrNull(old_head)},
                                      {"new", IdOrNull(new_head)},
                                      {"truncated", truncated}}));
}

}  // namespace

std::string SseEvent(const std::string& name, const std::string& data) {
  return "event: " + name + "\ndata: " + data + "\n\n";
}

Result<BranchHeads> ReadBranchHeads(Repository& repo) {
  AERGO_ASSIGN_OR_RETURN(auto branches, repo.Branches());
  AERGO_ASSIGN_OR_RETURN(std::set<std::string> private_names, repo.index().PrivateBranches());
  BranchHeads out;
  for (auto& [name, head] : branches) out[name] = BranchState{head, private_names.count(name) > 0};
  return out;
}

void EventHub::Subscribe(std::optional<std::string> caller, std::shared_ptr<HttpPushStream> stream,
                         BranchHeads heads) {
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked();
  if (subs_.empty()) {
    heads_ = std::move(heads);
    primed_ = true;
  }
  stream->Push(": subscribed\n\n");
  subs_.push_back(Subscriber{std::move(caller), std::move(stream)});
}

void EventHub::PruneLocked() {
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [](const Subscriber& s) { return !s.stream->open(); }),
              subs_.end());
}

bool EventHub::HasSubscribers() {
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked();
  if (subs_.empty()) primed_ = false;
  return !subs_.empty();
}

size_t EventHub::subscribers() {
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked();
  return subs_.size();
}

void EventHub::EndAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : subs_) s.stream->End();
  subs_.clear();
  primed_ = false;
}

Result<EventHub::Move> EventHub::BuildMove(Repository& repo, const std::string& branch,
                                           const std::optional<BranchState>& old_state,
                                           const std::optional<BranchState>& new_state) {
  Move m;
  m.branch = branch;
  m.is_private = new_state ? new_state->is_private : old_state->is_private;
  if (old_state) m.old_head = old_state->head;
  if (new_state) m.new_head = new_state->head;
  bool truncated = false;
  std::string blocks;
  if (old_state && new_state) {
    // The new blocks: the first-parent path from the new head down to the
    // old head (or to its height, for a move that is not a fast-forward).
    uint64_t old_height = 0;
    AERGO_ASSIGN_OR_RETURN(auto old_row, repo.index().GetBlock(old_state->head));
    if (old_row) old_height = old_row->height;
    std::vector<BlockRow> rows;
    std::optional<Hash32> cur = new_state->head;
    while (cur && *cur != old_state->head) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(*cur));
      if (!row || (old_row && row->height <= old_height)) break;
      if (rows.size() == kMaxBlocksPerMove) {
        truncated = true;
        break;
      }
      cur = row->parents.empty() ? std::nullopt : std::optional<Hash32>(row->parents[0]);
      rows.push_back(std::move(*row));
    }
    for (auto it = rows.rbegin(); it != rows.rend() && !truncated; ++it) {
      AERGO_ASSIGN_OR_RETURN(Block block, repo.ReadBlock(*it));
      blocks += BlockEvent(branch, block);
      for (const auto& r : block.receipts) blocks += ReceiptEvent(branch, it->id, r);
      if (blocks.size() > kMaxMoveBytes) truncated = true;
    }
  }
  if (!truncated) m.text = std::move(blocks);
  m.text += BranchEvent(branch, m.old_head, m.new_head, truncated);
  return m;
}

Status EventHub::Check(Repository& repo) {
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked();
  if (subs_.empty()) {
    primed_ = false;
    return Status::Ok();
  }
  AERGO_ASSIGN_OR_RETURN(BranchHeads now, ReadBranchHeads(repo));
  if (!primed_) {
    heads_ = std::move(now);
    primed_ = true;
    return Status::Ok();
  }
  std::vector<Move> moves;
  // Both maps are sorted by name: one merge walk finds new, moved and
  // deleted branches in name order.
  auto o = heads_.begin();
  auto n = now.begin();
  while (o != heads_.end() || n != now.end()) {
    if (n == now.end() || (o != heads_.end() && o->first < n->first)) {
      AERGO_ASSIGN_OR_RETURN(Move m, BuildMove(repo, o->first, o->second, std::nullopt));
      moves.push_back(std::move(m));
      ++o;
    } else if (o == heads_.end() || n->first < o->first) {
      AERGO_ASSIGN_OR_RETURN(Move m, BuildMove(repo, n->first, std::nullopt, n->second));
      moves.push_back(std::move(m));
      ++n;
    } else {
      if (o->second.head != n->second.head) {
        AERGO_ASSIGN_OR_RETURN(Move m, BuildMove(repo, n->first, o->second, n->second));
        moves.push_back(std::move(m));
      }
      ++o;
      ++n;
    }
  }
  heads_ = std::move(now);
  if (moves.empty()) return Status::Ok();

  // What each distinct caller may see of this batch, computed once.
  struct Visible {
    bool allowed = false;      // still has read on the repository
    std::vector<bool> moves;   // per move
  };
  std::map<std::optional<std::string>, Visible> visible;
  for (const auto& s : subs_) {
    if (visible.count(s.caller)) continue;
    Visible v;
    Status access = CheckAccess(repo, name_, branch_, s.caller, Role::kRead, roles_);
    if (access.code() != Code::kDenied) AERGO_RETURN_IF_ERROR(access);
    v.allowed = access.ok();
    for (const auto& m : moves) {
      bool ok = v.allowed && !m.is_private;
      if (v.allowed && m.is_private && s.caller) {
        const Hash32& at = m.new_head ? *m.new_head : *m.old_head;
        AERGO_ASSIGN_OR_RETURN(Role role, BranchRole(repo, m.branch, at, *s.caller, roles_));
        ok = role >= Role::kRead;
      }
      v.moves.push_back(ok);
    }
    visible.emplace(s.caller, std::move(v));
  }
  for (auto& s : subs_) {
    const Visible& v = visible.at(s.caller);
    if (!v.allowed) {
      s.stream->End();  // its role on the repository is gone
      continue;
    }
    for (size_t i = 0; i < moves.size(); ++i)
      if (v.moves[i] && !s.stream->Push(moves[i].text)) break;
  }
  PruneLocked();
  return Status::Ok();
}

}  // namespace aergo
