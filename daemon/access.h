// Who may do what on a served repository (docs/design.md §8): the daemon's one
// access rule, kept here so it is easy to read and to change.
//
//   - A repository is public if its config says core.public = true.
//   - A caller's role is the `role` column of its row in the state table
//     "aergo.directory" (address TEXT PRIMARY KEY, role TEXT) as of the
//     sealed head of the served branch (the branch the daemon serves,
//     fixed when it starts): 'read', 'write' or 'admin', where admin
//     includes write and write includes read. No row: no role. Never the
//     merge pool: a grant counts once sealed, a pending one can be reset,
//     and a revocation holds whatever the server checks out later.
//   - refs and fetch need read; anonymous callers have it on a public
//     repository only. push needs write, whatever the repository.
//
// Private branches (aergo branch --private: a flag in the index,
// Index::GetBranchPolicy), checked after the repository role above:
//
//   - A branch that is not private is readable by whoever has read on the
//     repository.
//   - A private branch is readable only by a signed caller whose role is
//     at least 'read' in the directory of that branch's own head state:
//     "aergo.directory" as of the branch's head block (Repository::ReadAt),
//     never its merge pool. Roles are versioned with the ledger, so a private
//     branch has its own directory: a grant or revoke committed on that
//     branch and pushed there changes who reads it. Anonymous callers
//     never read a private branch, even on a public repository.
//   - A tag is visible if its target block is reachable from the head of a
//     branch the caller can read; other tags are not advertised.
//   - A block is readable if it is reachable from the head of a branch the
//     caller can read (this covers every visible tag). refs advertises
//     only readable branches (private ones flagged) and visible tags, and
//     its head is "" when the served branch is not readable; fetch
//     answers a want that is not readable exactly as an unknown block
//     (404 "block <id> not found in <name>"), so its existence does not
//     leak.
//   - A revision a caller sends (/blocks/<rev>, a query's `at`) may use
//     only names the caller can read: a branch it cannot read, a tag or
//     remote-tracking ref whose block it cannot read, HEAD on a branch it
//     cannot read, and an id prefix of a block it cannot read are treated
//     as absent before @height, ~N and ^N apply (ResolveVisible), so every
//     revision form over a hidden name answers exactly as over an unknown
//     one: 404 "revision '<rev>' not found in <name>".
//   - The served branch's own state (a query without `at`) is asked for
//     without naming it: if the caller cannot read the served branch, the
//     answer is the one for a revision it cannot resolve, for the revision
//     "HEAD" (refs advertises no head to it): 404 "revision 'HEAD' not
//     found in <name>" (RevisionNotFound). It names neither the branch nor
//     says that it is private, so a private served branch answers exactly
//     as a checked-out HEAD the caller cannot read, or any unknown name.
//   - A tx id or prefix (GET /txs/<prefix>) is matched only against the
//     txs the caller can see (FindVisibleTx): those in readable blocks,
//     and those pending in the served branch's merge pool while it is
//     checked out and readable. A hidden tx is absent: it makes no visible
//     match ambiguous, several hidden matches answer as none (404 "tx
//     <prefix> not found in <name>"), and a tx in both a hidden and a
//     readable block is found in the readable one.
//   - A push may name only blocks its caller can read: every block that
//     was on the server before the push and that the push would make
//     reachable from a ref (the pushed block and each tag's block if they
//     are there already, and the blocks there that pushed blocks link to
//     as parents) must be readable (NameableBlocks, checked by ReceivePush
//     before anything is replayed or written); one that is not is answered
//     exactly as a block the server lacks (404 "pushed block <id> did not
//     arrive", "tag '<t>': block <id> did not arrive", "block commit <oid>
//     is unknown here and did not arrive"). Blocks that arrive in the
//     pushed pack and are new to the server are the pusher's own, and so
//     are blocks the pack carries again that no branch reaches (left
//     indexed by a push that died before its ref moved: without this, one
//     killed push would stop that branch from ever being pushed again).
//   - A push to an existing private branch also needs 'write' in that
//     branch's own directory (same state as above); refused with 403 and
//     role 'write'. The refusal tells a caller who cannot read the branch
//     that it exists; that is accepted. A push that creates a branch
//     needs only the repository's write role, and creates it private if
//     the request says so.
//   - A pushed tag whose name an existing tag already uses for another
//     block is refused with 409 (tags never move). If the caller cannot
//     read the block that tag names (a hidden tag), the refusal is
//     "tag '<t>' already exists here" (merge/receive.cpp): it names no
//     block, height or branch, and is the same whichever hidden block the
//     tag names and whichever block the push asked for. That the name is
//     taken is told, as the create must fail; that is accepted, like the
//     private-branch refusal above. A tag the caller can see is refused
//     naming both blocks ("tag '<t>' already names block <id> here, not
//     <id>"): it may read both.
//
// The caller is the address of a verified request signature
// (core/request_auth.h), or none for an unsigned request.
// Thread-safety: pure functions over a repository the caller holds open
// (one thread at a time, like the Repository).
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/import.h"
#include "core/repo.h"
#include "core/status.h"

namespace aergo {

enum class Role { kNone = 0, kRead = 1, kWrite = 2, kAdmin = 3 };

// "read", "write", "admin"; "none" for kNone.
const char* RoleName(Role role);
// The role a directory row names; kNone for anything else.
Role RoleFromName(std::string_view name);

// core.public = true in the repository's config.
bool IsPublic(Repository& repo);

// Roles by (block, address), shared by a daemon's requests: the directory
// as of a block never changes, so an entry never goes stale. Bounded (it
// is emptied when full). Thread-safe.
class RoleCache {
 public:
  std::optional<Role> Get(const Hash32& block, const std::string& address);
  void Put(const Hash32& block, const std::string& address, Role role);

 private:
  std::mutex mu_;
  std::map<std::pair<Hash32, std::string>, Role> roles_;
};

// The role of `address` in the directory as of block `head` (a sealed
// state, read through Repository::ReadAt; never a merge pool). kNone
// without a row. `branch` only names it in errors. cache: optional.
Result<Role> BranchRole(Repository& repo, const std::string& branch, const Hash32& head,
                        const std::string& address, RoleCache* cache = nullptr);

// Ok if the caller may act with `needed` on the repository served as
// `name`, whose served branch is `served_branch`: the role comes from that
// branch's sealed head (BranchRole), so a grant counts once sealed and a
// revocation holds whatever the server checks out. Denied with a message
// for the caller otherwise (the daemon answers 401 to an unsigned request,
// 403 to a signed one); NotFound if the served branch is gone.
Status CheckAccess(Repository& repo, const std::string& name, const std::string& served_branch,
                   const std::optional<std::string>& caller, Role needed, RoleCache* cache = nullptr);

// What one caller may read of one repository under the rules above,
// computed once per request: the readable branches (each private one's
// directory read once), and reachability from their heads, walked lazily
// and remembered across questions. It does not check the repository
// role: CheckAccess does that first. Borrows the repository, which must
// outlive it and not change meanwhile (the request's lock).
class ReadScope {
 public:
  static Result<ReadScope> Compute(Repository& repo, const std::optional<std::string>& caller,
                                   RoleCache* cache = nullptr);
  // As if the caller could read every branch: Readable(b) says whether any
  // branch reaches b.
  static Result<ReadScope> EveryBranch(Repository& repo);

  // The readable branches, sorted by name, and the private ones among them.
  const std::vector<std::pair<std::string, Hash32>>& branches() const { return branches_; }
  const std::set<std::string>& private_branches() const { return private_; }
  bool CanReadBranch(const std::string& name) const { return readable_.count(name) > 0; }
  // The tags whose target is readable, sorted by name.
  Result<std::vector<std::pair<std::string, Hash32>>> VisibleTags();
  // True if `block` is an indexed block reachable from (or equal to) the
  // head of a readable branch.
  Result<bool> Readable(const Hash32& block);

 private:
  explicit ReadScope(Repository* repo) : repo_(repo) {}
  static Result<ReadScope> Build(Repository& repo, const std::optional<std::string>& caller, RoleCache* cache,
                                 bool every_branch);
  // Follows parents from the readable heads, highest blocks first, until
  // every block at `height` or above that they reach is in reached_. A
  // long walk reads the blocks it may cross in one scan of the index
  // (Index::BlockLinks), a short one block by block.
  Status WalkDownTo(uint64_t height);

  Repository* repo_;
  std::vector<std::pair<std::string, Hash32>> branches_;
  std::set<std::string> readable_, private_;
  // The walk: blocks known reachable, and the frontier still to expand
  // (by height, highest first). links_: the height and parents of the
  // blocks read so far; every block at loaded_floor_ or above is in it.
  struct IdHash {  // ids are SHA-256 digests: their first bytes are hash enough
    size_t operator()(const Hash32& h) const {
      size_t v;
      std::memcpy(&v, h.data(), sizeof v);
      return v;
    }
  };
  std::unordered_set<Hash32, IdHash> reached_, queued_;
  std::priority_queue<std::pair<uint64_t, Hash32>> frontier_;
  std::unordered_map<Hash32, std::pair<uint64_t, std::vector<Hash32>>, IdHash> links_;
  uint64_t loaded_floor_ = UINT64_MAX;
};

// For routes that answer a block (or a tx by the block holding it) by id:
// Ok if `block` is readable by `caller` (ReadScope::Readable), else
// NotFound("block <64 hex> not found"), for an unknown block and an
// unreadable one alike. Like ReadScope, it does not check the repository
// role (CheckAccess first). Computes one ReadScope: a route that checks
// several blocks should compute the scope once and ask it.
Status CheckBlockReadable(Repository& repo, const std::optional<std::string>& caller, const Hash32& block);

// A revision a caller sent (GET /blocks/<rev>, a query's `at`), resolved as
// the caller sees the repository: a branch, tag or remote-tracking ref it
// may not read, HEAD on a checked-out branch it may not read, and a block
// it may not read matched by an id prefix are treated as absent before any
// @height, ~N or ^N is applied, so every revision form over a hidden name
// answers exactly as over an unknown one (NotFound "unknown revision
// '<base>'"; a hidden tag or branch does not make a visible one of the same
// name ambiguous). The block found is checked readable too. Like
// ReadScope, it does not check the repository role.
Result<Hash32> ResolveVisible(Repository& repo, const std::optional<std::string>& caller, const std::string& rev);

// The NotFound answer to a revision `rev` the caller cannot resolve in the
// repository served as `name` (unknown, or hidden from it): "revision
// '<rev>' not found in <name>". Also the answer for the served branch's
// state when the caller cannot read that branch, with rev "HEAD" (see
// above): every such refusal is built here so their texts cannot drift.
Status RevisionNotFound(const std::string& rev, const std::string& name);

// GET /txs/<prefix>: the tx `prefix` names (Repository::FindTx) among the
// txs `caller` can see in the repository served as `name` whose served
// branch is `served_branch` (see above): txs in readable blocks, and txs
// pending in the merge pool of the checked-out branch if that is the
// served branch and readable. NotFound "tx <prefix> not found in <name>"
// for an unknown prefix and a hidden one alike; Invalid if it matches
// several visible txs. Like ReadScope, it does not check the repository
// role.
Result<FoundTx> FindVisibleTx(Repository& repo, const std::optional<std::string>& caller, const std::string& name,
                              const std::string& served_branch, const std::string& prefix,
                              RoleCache* cache = nullptr);

// For a push (merge/receive.h ReceivePush's may_name): true for a block
// `caller` may read (ReadScope::Readable) in the repository as it is before
// the push. Holds one ReadScope, so the repository must outlive the filter
// and not change while it is asked (ReceivePush asks before it writes).
Result<BlockFilter> NameableBlocks(Repository& repo, const std::optional<std::string>& caller);

}  // namespace aergo
