// libgit2 storage for blocks and refs (docs/design.md §4, docs/ARCHITECTURE.md).
//
// A block is a git commit whose tree holds four blobs — `header`, `txs`,
// `receipts`, `changes` — in their canonical encodings, and whose parents are the
// commits of the parent blocks. The commit's oid is only a storage key; the
// SHA-256 block id is what users see. Refs: refs/heads/* (branches),
// refs/tags/* (tags), HEAD (symbolic to a branch, or detached). Ref updates
// are compare-and-swap and recorded in the reflog.
// Ownership: GitRepo owns its git_repository. Thread-safety: one thread.
#pragma once

#include <git2.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/objects.h"
#include "core/status.h"

namespace aergo {

// A unique_ptr owning a libgit2 handle that `Free` releases
// (GitPtr<git_tree, git_tree_free>).
template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;

// Initialises libgit2 for the process lifetime (idempotent).
void GitGlobalInit();

struct Oid {
  git_oid raw{};
  std::string Hex() const;
  static std::optional<Oid> FromHex(const std::string& hex);
  bool operator==(const Oid& o) const { return git_oid_equal(&raw, &o.raw) != 0; }
  bool operator!=(const Oid& o) const { return !(*this == o); }
};

struct HeadRef {
  std::optional<std::string> branch;  // set unless detached
  std::optional<Oid> target;          // unset when the branch is unborn
};

// The four blobs of a block as stored, before decoding.
struct BlockBlobs {
  Bytes header, txs, receipts, changes;
};

class GitRepo {
 public:
  GitRepo() = default;
  ~GitRepo();
  GitRepo(GitRepo&& o) noexcept : repo_(o.repo_) { o.repo_ = nullptr; }
  GitRepo& operator=(GitRepo&& o) noexcept;
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // Creates a bare repository at path with HEAD -> refs/heads/<branch>.
  static Result<GitRepo> Init(const std::string& path, const std::string& branch);
  static Result<GitRepo> Open(const std::string& path);

  git_repository* get() const { return repo_; }

  // Writes the block's blobs, tree and commit (idempotent).
  Result<Oid> WriteBlock(const Block& block, const std::vector<Oid>& parent_commits);
  // Reads the block's blobs; Corrupt if the commit or a blob is missing,
  // or the tree has the wrong shape.
  Result<BlockBlobs> ReadBlockBlobs(const Oid& commit) const;
  // Parent commit oids of a commit.
  Result<std::vector<Oid>> CommitParents(const Oid& commit) const;
  // Whether the object store holds an object with this id (readable or not).
  bool HasObject(const Oid& oid) const;

  // Ref helpers. Names are full ("refs/heads/master").
  Result<std::optional<Oid>> ReadRef(const std::string& name) const;
  // Creates or moves a ref. expected: nullopt = must not exist (create),
  // else the ref must currently point there.
  Status UpdateRef(const std::string& name, const Oid& target, const std::optional<Oid>& expected,
                   const std::string& log_message);
  // Moves a ref unconditionally (force), used by recovery.
  Status ForceRef(const std::string& name, const Oid& target, const std::string& log_message);
  Status DeleteRef(const std::string& name);
  // (short name, target) for refs under prefix ("refs/heads/"), sorted.
  Result<std::vector<std::pair<std::string, Oid>>> ListRefs(const std::string& prefix) const;

  // Declares that the caller holds the repository lock exclusively, so a
  // ref lock file found in the way (refs/heads/x.lock, HEAD.lock,
  // packed-refs.lock) can only be left by a process killed mid-update: ref
  // writes then delete it and retry once, instead of failing forever.
  void set_exclusive(bool exclusive) { exclusive_ = exclusive; }

  // Files under refs/ that libgit2 cannot read as refs (its iterator skips
  // them silently), as "refs/heads/x: <why>".
  std::vector<std::string> UnreadableRefs() const;

  Result<HeadRef> Head() const;
  Status SetHeadBranch(const std::string& branch, const std::string& log_message);
  Status SetHeadDetached(const Oid& target, const std::string& log_message);

  // Rebuilds the object database view (UseFastObjectStore), forgetting
  // extra backends and rescanning packs (after a pack is moved in).
  Status RefreshObjects() { return UseFastObjectStore(); }

 private:
  explicit GitRepo(git_repository* r) : repo_(r) {}
  // Replaces libgit2's default object database with the same two backends
  // (loose, then packs) but loose objects deflated at Z_BEST_SPEED: block
  // blobs are mostly keys and signatures, which do not compress, and
  // libgit2 1.5 ignores core.compression.
  Status UseFastObjectStore();
  // libgit2 1.5 can spin forever inflating a truncated loose object, so
  // every loose object is inflated here first, bounded, before libgit2
  // reads it. Corrupt on any damage; Ok for packed or absent objects.
  Status CheckLoose(const git_oid& oid) const;
  // Runs a ref write; on GIT_ELOCKED under the exclusive lock removes the
  // stale lock files of `ref` and runs it once more.
  template <typename Op>
  int RetryStaleLock(const std::string& ref, Op op);
  git_repository* repo_ = nullptr;
  bool exclusive_ = false;
};

// The last libgit2 error as text.
std::string GitError();

}  // namespace aergo
