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

namespace {

// The blocks reachable from `head` and from none of `known`, oldest first
// (height, then id): git's painting walk, highest block first; a block's
// flags are final when it is popped (its children are all higher). Stops
// when nothing queued is new. False in *complete when it met a bound.
Result<std::vector<BlockRow>> NewBlocks(Repository& repo, const Hash32& head, const std::vector<Hash32>& known,
                                        bool* complete) {
  constexpr uint8_t kNew = 1, kKnown = 2;
  using Key = std::pair<uint64_t, Hash32>;  // height, id
  std::map<Key, uint8_t> queue;             // popped from the end: highest first
  std::map<Hash32, uint64_t> height_of;     // queued blocks
  size_t queued_new = 0;                    // queued with kNew alone
  std::vector<BlockRow> out;
  *complete = true;
  auto add = [&](const Hash32& id, uint8_t flag) -> Status {
    auto h = height_of.find(id);
    if (h == height_of.end()) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(id));
      if (!row) return Status::Ok();  // not indexed: nothing to announce or to know
      height_of[id] = row->height;
      queue[{row->height, id}] = flag;
      if (flag == kNew) ++queued_new;
      return Status::Ok();
    }
    uint8_t& f = queue[{h->second, id}];
    if (f == kNew && (flag & kKnown)) --queued_new;
    f |= flag;
    return Status::Ok();
  };
  AERGO_RETURN_IF_ERROR(add(head, kNew));
  for (const Hash32& k : known) AERGO_RETURN_IF_ERROR(add(k, kKnown));
  size_t walked = 0;
  while (queued_new > 0 && !queue.empty()) {
    if (++walked > kMaxMoveWalk) {
      *complete = false;
      break;
    }
    auto last = std::prev(queue.end());
    Key key = last->first;
    uint8_t flag = last->second;
    queue.erase(last);
    height_of.erase(key.second);
    if (flag == kNew) --queued_new;
    AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(key.second));
    if (!row) continue;
    for (const Hash32& p : row->parents) AERGO_RETURN_IF_ERROR(add(p, flag));
    if (flag == kNew) {
      if (out.size() == kMaxBlocksPerMove) {
        *complete = false;
        break;
      }
      out.push_back(std::move(*row));
    }
  }
  std::sort(out.begin(), out.end(), [](const BlockRow& a, const BlockRow& b) {
    return a.height != b.height ? a.height < b.height : a.id < b.id;
  });
  return out;
}

std::string GapEvent(const std::string& branch, const std::optional<Hash32>& from, const std::optional<Hash32>& to) {
  return SseEvent("gap", Dump(json{{"branch", branch}, {"from", IdOrNull(from)}, {"to", IdOrNull(to)}}));
}

std::string DroppedEvent(const DroppedTx& d) {
  return SseEvent("dropped", Dump(json{{"branch", d.branch}, {"error", d.error}, {"txid", ToHex(d.txid)}}));
}

}  // namespace

Result<std::string> EventHub::MoveText(Repository& repo, const Move& m, std::vector<Hash32>* known) {
  bool truncated = false;
  std::string blocks;
  if (m.new_head) {
    bool complete = true;
    AERGO_ASSIGN_OR_RETURN(std::vector<BlockRow> rows, NewBlocks(repo, *m.new_head, *known, &complete));
    truncated = !complete;
    for (size_t i = 0; i < rows.size() && !truncated; ++i) {
      AERGO_ASSIGN_OR_RETURN(Block block, repo.ReadBlock(rows[i]));
      blocks += BlockEvent(m.branch, block);
      for (const auto& r : block.receipts) blocks += ReceiptEvent(m.branch, rows[i].id, r);
      if (blocks.size() > kMaxMoveBytes) truncated = true;
    }
    known->push_back(*m.new_head);
  }
  std::string text = truncated ? GapEvent(m.branch, m.old_head, m.new_head) : std::move(blocks);
  text += BranchEvent(m.branch, m.old_head, m.new_head, truncated);
  return text;
}

Status EventHub::Check(Repository& repo, const std::vector<DroppedTx>& dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked();
  if (subs_.empty()) {
    primed_ = false;
    return Status::Ok();
  }
  AERGO_ASSIGN_OR_RETURN(BranchHeads now, ReadBranchHeads(repo));
  if (!primed_) {
    heads_ = now;
    primed_ = true;
    if (dropped.empty()) return Status::Ok();
  }
  std::vector<Move> moves;
  // Both maps are sorted by name: one merge walk finds new, moved and
  // deleted branches in name order.
  auto move_of = [](const std::string& branch, const std::optional<BranchState>& o,
                    const std::optional<BranchState>& n) {
    Move m;
    m.branch = branch;
    m.is_private = n ? n->is_private : o->is_private;
    if (o) m.old_head = o->head;
    if (n) m.new_head = n->head;
    return m;
  };
  auto o = heads_.begin();
  auto n = now.begin();
  while (o != heads_.end() || n != now.end()) {
    if (n == now.end() || (o != heads_.end() && o->first < n->first)) {
      moves.push_back(move_of(o->first, o->second, std::nullopt));
      ++o;
    } else if (o == heads_.end() || n->first < o->first) {
      moves.push_back(move_of(n->first, std::nullopt, n->second));
      ++n;
    } else {
      if (o->second.head != n->second.head) moves.push_back(move_of(n->first, o->second, n->second));
      ++o;
      ++n;
    }
  }
  const BranchHeads before = std::move(heads_);
  heads_ = std::move(now);
  if (moves.empty() && dropped.empty()) return Status::Ok();
  bool any_new_head = false;
  for (const auto& m : moves) any_new_head = any_new_head || m.new_head.has_value();

  // What each distinct caller may see of this batch, computed once: the
  // moves, the heads it could see before (what it knows) and the branches
  // whose dropped txs it may read.
  struct Visible {
    bool allowed = false;       // still has read on the repository
    std::vector<bool> moves;    // per move
    std::vector<bool> before;   // per branch of `before` (only when a move has a new head)
    std::vector<bool> dropped;  // per dropped tx
  };
  auto may_read = [&](const std::optional<std::string>& caller, const std::string& branch, bool is_private,
                      const Hash32& at) -> Result<bool> {
    if (!is_private) return true;
    if (!caller) return false;
    AERGO_ASSIGN_OR_RETURN(Role role, BranchRole(repo, branch, at, *caller, roles_));
    return role >= Role::kRead;
  };
  std::map<std::optional<std::string>, Visible> visible;
  for (const auto& s : subs_) {
    if (visible.count(s.caller)) continue;
    Visible v;
    Status access = CheckAccess(repo, name_, branch_, s.caller, Role::kRead, roles_);
    if (access.code() != Code::kDenied) AERGO_RETURN_IF_ERROR(access);
    v.allowed = access.ok();
    if (v.allowed) {
      for (const auto& m : moves) {
        const Hash32& at = m.new_head ? *m.new_head : *m.old_head;
        AERGO_ASSIGN_OR_RETURN(bool ok, may_read(s.caller, m.branch, m.is_private, at));
        v.moves.push_back(ok);
      }
      if (any_new_head) {
        for (const auto& [b, st] : before) {
          AERGO_ASSIGN_OR_RETURN(bool ok, may_read(s.caller, b, st.is_private, st.head));
          v.before.push_back(ok);
        }
      }
      for (const auto& d : dropped) {
        auto it = heads_.find(d.branch);
        bool ok = false;
        if (it != heads_.end()) {
          AERGO_ASSIGN_OR_RETURN(ok, may_read(s.caller, d.branch, it->second.is_private, it->second.head));
        }
        v.dropped.push_back(ok);
      }
    }
    visible.emplace(s.caller, std::move(v));
  }
  // The events, once per distinct view (usually one: every subscriber
  // sees every branch).
  std::map<std::pair<std::vector<bool>, std::vector<bool>>, std::string> texts;
  auto text_for = [&](const Visible& v) -> Result<const std::string*> {
    auto key = std::make_pair(v.moves, v.before);
    if (auto it = texts.find(key); it != texts.end()) return &it->second;
    std::vector<Hash32> known;
    size_t i = 0;
    for (const auto& [b, st] : before) {
      if (i < v.before.size() && v.before[i]) known.push_back(st.head);
      ++i;
    }
    std::string text;
    for (size_t m = 0; m < moves.size(); ++m) {
      if (!v.moves[m]) continue;
      AERGO_ASSIGN_OR_RETURN(std::string t, MoveText(repo, moves[m], &known));
      text += t;
    }
    return &texts.emplace(std::move(key), std::move(text)).first->second;
  };
  for (auto& s : subs_) {
    const Visible& v = visible.at(s.caller);
    if (!v.allowed) {
      s.stream->End();  // its role on the repository is gone
      continue;
    }
    AERGO_ASSIGN_OR_RETURN(const std::string* text, text_for(v));
    std::string out = *text;
    for (size_t i = 0; i < dropped.size(); ++i)
      if (v.dropped[i]) out += DroppedEvent(dropped[i]);
    if (!out.empty()) s.stream->Push(out);
  }
  PruneLocked();
  return Status::Ok();
}

}  // namespace aergo
