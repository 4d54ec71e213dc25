#include "daemon/access.h"

#include <memory>

#include "core/sqlite.h"

namespace aergo {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRead: return "read";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
    case Role::kNone: break;
  }
  return "none";
}

Role RoleFromName(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return Role::kNone;
}

bool IsPublic(Repository& repo) { return repo.config().Get("core.public") == "true"; }

std::optional<Role> RoleCache::Get(const Hash32& block, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = roles_.find({block, address});
  if (it == roles_.end()) return std::nullopt;
  return it->second;
}

void RoleCache::Put(const Hash32& block, const std::string& address, Role role) {
  std::lock_guard<std::mutex> lock(mu_);
  if (roles_.size() >= 4096) roles_.clear();
  roles_[{block, address}] = role;
}

Status CheckAccess(Repository& repo, const std::string& name, const std::string& served_branch,
                   const std::optional<std::string>& caller, Role needed, RoleCache* cache) {
  if (needed == Role::kNone) return Status::Ok();
  if (needed == Role::kRead && IsPublic(repo)) return Status::Ok();
  std::string role = RoleName(needed);
  if (!caller) {
    if (needed == Role::kRead)
      return Denied(name + " is private: sign the request with a key that has the read role");
    return Denied(name + " needs the " + role + " role: sign the request with a key that has it");
  }
  AERGO_ASSIGN_OR_RETURN(auto head, repo.BranchHead(served_branch));
  if (!head) return NotFound(name + " serves branch '" + served_branch + "', which no longer exists");
  AERGO_ASSIGN_OR_RETURN(Role has, BranchRole(repo, served_branch, *head, *caller, cache));
  if (has >= needed) return Status::Ok();
  return Denied(*caller + " lacks the " + role + " role on " + name +
                (has == Role::kNone ? " (it has no role there)" : " (it has " + std::string(RoleName(has)) + ")"));
}

Result<Role> BranchRole(Repository& repo, const std::string& branch, const Hash32& head,
                        const std::string& address, RoleCache* cache) {
  if (cache) {
    if (auto known = cache->Get(head, address)) return *known;
  }
  AERGO_ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, repo.ReadAt(head));
  // A verified signer's address is base58, but quote it as SQL text anyway.
  std::string literal = "'";
  for (char c : address) literal += c == '\'' ? std::string("''") : std::string(1, c);
  literal += "'";
  auto rows = reader->Query("SELECT role FROM aergo.directory WHERE address = " + literal);
  if (!rows.ok())
    return Failed("cannot read the directory of branch '" + branch + "' at " + ShortId(head) + ": " +
                  rows.status().message());
  Role role = rows->rows.empty() || rows->rows[0].empty() || rows->rows[0][0].type != Value::Type::kText
                  ? Role::kNone
                  : RoleFromName(rows->rows[0][0].bytes);
  if (cache) cache->Put(head, address, role);
  return role;
}

Result<ReadScope> ReadScope::EveryBranch(Repository& repo) { return Build(repo, std::nullopt, nullptr, true); }

Result<ReadScope> ReadScope::Compute(Repository& repo, const std::optional<std::string>& caller, RoleCache* cache) {
  return Build(repo, caller, cache, false);
}

Result<ReadScope> ReadScope::Build(Repository& repo, const std::optional<std::string>& caller, RoleCache* cache,
                                   bool every_branch) {
  ReadScope scope(&repo);
  AERGO_ASSIGN_OR_RETURN(auto all, repo.Branches());
  AERGO_ASSIGN_OR_RETURN(std::set<std::string> flagged, repo.index().PrivateBranches());
  std::map<Hash32, Role> at_head;  // the caller's role by head block: one directory read per head
  for (const auto& [name, head] : all) {
    bool is_private = flagged.count(name) > 0;
    if (is_private && !every_branch) {
      if (!caller) continue;  // anonymous callers never read a private branch
      Role role;
      if (auto it = at_head.find(head); it != at_head.end()) {
        role = it->second;
      } else {
        AERGO_ASSIGN_OR_RETURN(role, BranchRole(repo, name, head, *caller, cache));
        at_head[head] = role;
      }
      if (role < Role::kRead) continue;
      scope.private_.insert(name);
    }
    scope.readable_.insert(name);
    scope.branches_.emplace_back(name, head);
    if (scope.queued_.insert(head).second) {
      AERGO_ASSIGN_OR_RETURN(BlockRow row, repo.BlockInfo(head));
      scope.frontier_.emplace(row.height, head);
      scope.links_[head] = {row.height, row.parents};
    }
  }
  return scope;
}

Status ReadScope::WalkDownTo(uint64_t height) {
  // Past this many heights, one scan of the index beats a lookup per block.
  constexpr uint64_t kPointLookups = 64;
  if (!frontier_.empty() && frontier_.top().first >= height && height < loaded_floor_ &&
      frontier_.top().first - height > kPointLookups) {
    AERGO_ASSIGN_OR_RETURN(std::vector<BlockLink> links, repo_->index().BlockLinks(height, loaded_floor_));
    links_.reserve(links_.size() + links.size());
    reached_.reserve(reached_.size() + links.size());
    queued_.reserve(queued_.size() + links.size());
    for (BlockLink& l : links) links_[l.id] = {l.height, std::move(l.parents)};
    loaded_floor_ = height;
  }
  while (!frontier_.empty() && frontier_.top().first >= height) {
    Hash32 id = frontier_.top().second;
    frontier_.pop();
    reached_.insert(id);
    auto it = links_.find(id);  // every queued block's links were read when it was queued
    if (it == links_.end()) return Corrupt("block " + ToHex(id) + " vanished from the index during a walk");
    for (const Hash32& p : it->second.second) {
      if (!queued_.insert(p).second) continue;
      auto known = links_.find(p);
      if (known == links_.end()) {
        AERGO_ASSIGN_OR_RETURN(BlockRow row, repo_->BlockInfo(p));
        known = links_.emplace(p, std::make_pair(row.height, std::move(row.parents))).first;
      }
      frontier_.emplace(known->second.first, p);
    }
  }
  return Status::Ok();
}

Result<bool> ReadScope::Readable(const Hash32& block) {
  if (reached_.count(block)) return true;
  if (branches_.empty()) return false;
  AERGO_ASSIGN_OR_RETURN(auto row, repo_->index().GetBlock(block));
  if (!row) return false;
  if (block == repo_->chain_id()) return true;  // the genesis block: every branch descends from it
  AERGO_RETURN_IF_ERROR(WalkDownTo(row->height));
  return reached_.count(block) > 0;
}

Result<std::vector<std::pair<std::string, Hash32>>> ReadScope::VisibleTags() {
  AERGO_ASSIGN_OR_RETURN(auto tags, repo_->Tags());
  std::vector<std::pair<std::string, Hash32>> out;
  for (const auto& [name, target] : tags) {
    AERGO_ASSIGN_OR_RETURN(bool readable, Readable(target));
    if (readable) out.emplace_back(name, target);
  }
  return out;
}

Status CheckBlockReadable(Repository& repo, const std::optional<std::string>& caller, const Hash32& block) {
  AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(repo, caller));
  AERGO_ASSIGN_OR_RETURN(bool readable, scope.Readable(block));
  if (!readable) return NotFound("block " + ToHex(block) + " not found");
  return Status::Ok();
}

Result<Hash32> ResolveVisible(Repository& repo, const std::optional<std::string>& caller, const std::string& rev) {
  AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(repo, caller));
  AERGO_ASSIGN_OR_RETURN(HeadRef checked_out, repo.git().Head());
  constexpr std::string_view kHeads = "refs/heads/";
  auto visible = [&](const std::string& ref, const Hash32& block) -> Result<bool> {
    if (ref == "HEAD" && checked_out.branch) return scope.CanReadBranch(*checked_out.branch);
    if (ref.compare(0, kHeads.size(), kHeads) == 0) return scope.CanReadBranch(ref.substr(kHeads.size()));
    return scope.Readable(block);  // a tag, a remote-tracking ref, a detached HEAD, an id prefix
  };
  AERGO_ASSIGN_OR_RETURN(Hash32 id, repo.Resolve(rev, visible));
  // Every block below a readable name is readable; checked all the same.
  AERGO_ASSIGN_OR_RETURN(bool readable, scope.Readable(id));
  if (!readable) return NotFound("unknown revision '" + rev + "'");
  return id;
}

Status RevisionNotFound(const std::string& rev, const std::string& name) {
  return NotFound("revision '" + rev + "' not found in " + name);
}

Result<FoundTx> FindVisibleTx(Repository& repo, const std::optional<std::string>& caller, const std::string& name,
                              const std::string& served_branch, const std::string& prefix, RoleCache* cache) {
  AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(repo, caller, cache));
  auto visible = [&](const std::optional<Hash32>& block) -> Result<bool> {
    if (block) return scope.Readable(*block);
    // Pending in the checked-out branch's pool: the served branch's only
    // while that is the one checked out.
    AERGO_ASSIGN_OR_RETURN(Head head, repo.CurrentHead());
    return head.branch && *head.branch == served_branch && scope.CanReadBranch(served_branch);
  };
  auto found = repo.FindTx(prefix, visible);
  if (found.status().code() == Code::kNotFound) return NotFound("tx " + prefix + " not found in " + name);
  return found;
}

Result<BlockFilter> NameableBlocks(Repository& repo, const std::optional<std::string>& caller) {
  AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(repo, caller));
  auto shared = std::make_shared<ReadScope>(std::move(scope));
  // Every branch's reach, computed only if a block sent again needs it.
  auto all = std::make_shared<std::optional<ReadScope>>();
  Repository* r = &repo;
  return BlockFilter([shared, all, r](const Hash32& block, bool arrived) -> Result<bool> {
    AERGO_ASSIGN_OR_RETURN(bool readable, shared->Readable(block));
    if (readable || !arrived) return readable;
    // Sent again and on no branch at all: left by a push that died before
    // its ref moved. Its sender has its bytes, and it is no branch's.
    if (!*all) {
      AERGO_ASSIGN_OR_RETURN(ReadScope every, ReadScope::EveryBranch(*r));
      all->emplace(std::move(every));
    }
    AERGO_ASSIGN_OR_RETURN(bool on_a_branch, (*all)->Readable(block));
    return !on_a_branch;
  });
}

}  // namespace aergo
