// Repository: one ledger repository on disk (<worktree>/.aergo, docs/design.md §4).
//
//   .aergo/git/       libgit2 bare object store and refs (blocks, branches, tags, reflog)
//   .aergo/ledger.db  SQLite: the index (blocks, tx_blocks, pools, pool, meta) and the
//                     state of the checked-out head with its merge pool applied
//   .aergo/config     INI config
//   .aergo/lock       flock: writers exclusive, readers shared
//
// Write order (crash safety): objects first (idempotent), then index and
// state in one SQLite transaction, then the ref. Open() reconciles: a state
// one block ahead of its branch ref (an interrupted commit) rolls the ref
// forward; any other mismatch between state and HEAD rebuilds the state.
//
// Ownership: a Repository owns its handles and its lock. Thread-safety: one
// thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/changes.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/contract.h"
#include "core/git.h"
#include "core/index.h"
#include "core/block_rules.h"
#include "core/chain_params.h"
#include "core/lock.h"
#include "core/objects.h"
#include "core/recorder.h"
#include "core/state_at.h"
#include "core/sqlite.h"

namespace aergo {

// What `aergo init` fixes in genesis (core/chain_params.h).
using InitParams = ChainParams;

struct Head {
  std::optional<std::string> branch;  // unset when detached
  BlockRow block;
};

// Outcome of submitting one tx to the merge pool.
// Where a tx was found (Repository::FindTx).
struct FoundTx {
  Tx tx;
  Receipt receipt;
  std::optional<Hash32> block;  // unset: pending in the current branch's merge pool
};

struct Submitted {
  Hash32 txid{};
  CallOutcome outcome;
};

// A tx after the checks that need no state (Repository::Precheck): its id,
// and why it is refused ("" if it passed: it is of this chain, within the
// chain's tx size, canonically encoded, not a genesis tx, and its
// signature verifies). Made only by Precheck, so Submit can trust it and
// leave the signature unverified a second time (one made any other way is
// refused as unchecked). Immutable: safe to hand between threads.
class CheckedTx {
 public:
  CheckedTx() = default;
  // A tx not checked (yet): Submit refuses it.
  explicit CheckedTx(Tx tx) : tx_(std::move(tx)), id_(tx_.Id()) {}
  const Tx& tx() const { return tx_; }
  const Hash32& id() const { return id_; }
  const std::string& refusal() const { return refusal_; }

 private:
  friend class Repository;
  Tx tx_;
  Hash32 id_{};
  Hash32 chain_id_{};
  std::string refusal_ = "tx was not checked";
};

// A pending tx that left a merge pool because it no longer applies on the
// block its pool was moved to (Repository::Repool): it failed there, or
// that block's history already holds it.
struct DroppedTx {
  std::string branch;
  Hash32 txid{};
  std::string error;
};

// kInspect: read-only, and a repository whose HEAD or state cannot be
// reconciled still opens (for fsck, which reports what is wrong).
enum class OpenMode { kRead, kWrite, kInspect };

inline constexpr int kDefaultLockTimeoutMs = 10000;

// Who holds the repository's lock (core/lock.h) while it is open.
enum class LockPolicy {
  // Open takes it (shared for kRead and kInspect, exclusive for kWrite)
  // and holds it until the Repository is destroyed. Every command.
  kTake,
  // kWrite only: the caller holds the lock exclusively (RepoLock::Acquire)
  // around every use, and may let it go between uses, keeping the
  // repository open (the daemon: daemon/repo_handles.h). After taking the
  // lock again the caller asks ChangedElsewhere() and reopens if it says
  // so, since another process may have written meanwhile.
  kHeldByCaller,
  // kRead only: no lock at all. Every use runs between BeginSnapshot() and
  // EndSnapshot(): the index and state are read as of one committed SQLite
  // transaction (WAL), so a writer never makes a reader wait, nor the
  // reverse. Refs are read as they are now, which may be newer than the
  // snapshot: a ref naming a block the snapshot lacks reads as Corrupt,
  // and the caller retries on a new snapshot. Nothing is repaired (Open
  // does not reconcile): the caller keeps a writer that does.
  kSnapshot,
};

// What the caller decides about opening a repository (core reads no
// environment: cmd/ fills this from AERGO_LOCK_TIMEOUT_MS).
struct OpenOptions {
  // How long to wait for another process's lock before failing Busy
  // (core/lock.h); negative: wait forever.
  int lock_timeout_ms = kDefaultLockTimeoutMs;
  LockPolicy lock = LockPolicy::kTake;
};

class Repository {
 public:
  ~Repository();

  // Finds the repository's .aergo directory: `aergo_dir` if given (the
  // caller's AERGO_DIR: a worktree holding .aergo, or a .aergo directory;
  // NotFound if it is neither), else `start` or a parent holding .aergo.
  // NotFound if there is none.
  static Result<std::string> Locate(const std::string& start,
                                    const std::optional<std::string>& aergo_dir = std::nullopt);
  // Creates <dir>/.aergo with a genesis block signed by key (its holder
  // becomes admin) and branch master. Atomic: built in a temporary
  // directory, then renamed.
  static Result<std::unique_ptr<Repository>> Init(const std::string& dir, const SecretKey& key,
                                                  const InitParams& params, const Clock& clock,
                                                  const OpenOptions& options = {});
  // Creates <dir>/.aergo holding another repository's genesis block (the
  // first step of a clone), with branch master on it. The block is checked
  // first: structure, signatures, and its tx replayed to the same receipt,
  // changes and state root. Config core.consensus and core.public follow
  // its genesis tx.
  static Result<std::unique_ptr<Repository>> InitFromGenesis(const std::string& dir,
                                                             const Block& genesis,
                                                             const Clock& clock,
                                                             const OpenOptions& options = {});
  // Opens the repository whose .aergo directory is `aergo_dir`.
  static Result<std::unique_ptr<Repository>> Open(const std::string& aergo_dir, OpenMode mode,
                                                  const Clock& clock, const OpenOptions& options = {});

  const std::string& path() const { return path_; }
  const Hash32& chain_id() const { return chain_id_; }

  // LockPolicy::kHeldByCaller, with the lock held: true if another
  // process committed to the index or rewrote the config since Open or the
  // last call. The repository's caches (contracts, config, chain
  // parameters) may then be stale: the caller reopens it.
  Result<bool> ChangedElsewhere();
  // LockPolicy::kSnapshot: starts and ends the read transaction every use
  // runs in (see LockPolicy). BeginSnapshot fails if one is open.
  Status BeginSnapshot();
  void EndSnapshot();
  // kWrite: whether each commit is synced before it returns (the
  // default). false leaves commits atomic and in order but unsynced (a
  // power failure may take the last ones back) until the caller syncs the
  // log (core/log_sync.h): only for writes to the index and the state (a
  // submission batch), never for one that writes objects or moves refs,
  // so that no ref can outlive the index rows of its block.
  Status SetSyncCommits(bool sync);
  // A writer's housekeeping, with the exclusive lock held: past 1 MiB the
  // write-ahead log is copied back into ledger.db and truncated (the next
  // process to open the database would otherwise read all of it). Also
  // done when a repository opened with the exclusive lock is destroyed.
  // Never waits for readers: with one on an older snapshot it fails (the
  // log is then trimmed by a later call).
  Status TrimLog();
  // The chain parameters of genesis (core/chain_params.h), read from the
  // checked-out state's "aergo.settings" on first use.
  Result<ChainParams> chain_params();
  GitRepo& git() { return git_; }
  Index& index() { return *index_; }
  Config& config() { return config_; }
  ContractEngine& engine() { return *engine_; }
  Db& db() { return db_; }
  // Installed on db() for the repository's lifetime (core/recorder.h).
  ChangeRecorder& recorder() { return *recorder_; }

  Result<Head> CurrentHead();
  // The checked-out branch, or Denied "HEAD is detached at <id>: <hint>".
  Result<std::string> CheckedOutBranch(const std::string& hint);
  Result<BlockRow> BlockInfo(const Hash32& id);
  // Reads and decodes a block, checking it is the block the id names.
  Result<Block> ReadBlock(const Hash32& id);
  Result<Block> ReadBlock(const BlockRow& row);

  // Revisions (docs/design.md §10): branch, tag, remote-tracking ref
  // (<remote>/<branch>), id prefix (7+ hex), HEAD, rev~N, rev^, rev^2,
  // branch@height.
  Result<Hash32> Resolve(const std::string& rev);
  // Which names a revision may use: called with the full ref a base name
  // matched ("HEAD", "refs/heads/<b>", "refs/tags/<t>",
  // "refs/remotes/<r>/<b>"), or "" for a block an id prefix matched, and
  // the block it names. A name it refuses is treated as absent, before any
  // @height, ~N or ^N is applied (daemon/access.h: a hidden branch answers
  // as an unknown one in every revision form).
  using RefFilter = std::function<Result<bool>(const std::string& ref, const Hash32& block)>;
  // Resolve, seeing only what `visible` allows (empty: everything).
  Result<Hash32> Resolve(const std::string& rev, const RefFilter& visible);
  // A tx by id or unique prefix (7+ hex digits, any case), from the
  // indexed blocks (the first block holding it) or the current branch's
  // merge pool. NotFound, or Invalid if the prefix is not hex or matches
  // several txs.
  Result<FoundTx> FindTx(const std::string& hex);
  // Which matches FindTx may see: called with the block holding a matching
  // tx, or nullopt for one pending in the current branch's merge pool. A
  // match it refuses is treated as absent before uniqueness is judged
  // (daemon/access.h: a hidden tx makes no visible prefix ambiguous, and
  // several hidden ones answer as none); a tx is found in the first block
  // holding it that the filter accepts.
  using TxFilter = std::function<Result<bool>(const std::optional<Hash32>& block)>;
  // FindTx, seeing only what `visible` allows (empty: everything).
  Result<FoundTx> FindTx(const std::string& hex, const TxFilter& visible);
  // 7 to 64 hex digits.
  static bool IsTxIdPrefix(const std::string& s);
  // True if `ancestor` is reachable from `descendant` (or equal).
  Result<bool> IsAncestor(const Hash32& ancestor, const Hash32& descendant);

  Result<std::vector<std::pair<std::string, Hash32>>> Branches();
  Result<std::vector<std::pair<std::string, Hash32>>> Tags();
  Result<std::optional<Hash32>> BranchHead(const std::string& name);
  Result<std::optional<Hash32>> TagTarget(const std::string& name);
  // resolver: "contract.function" for the consistent merge policy (checked
  // against the state at `at`: the function must exist and take five TEXT
  // parameters), or "" for the automatic one. is_private: the branch is
  // private (aergo branch --private; what that hides: daemon/access.h).
  Status CreateBranch(const std::string& name, const Hash32& at, const std::string& resolver = "",
                      bool is_private = false);
  // The branch's resolver, or "" (automatic merge); NotFound if no branch.
  Result<std::string> BranchResolver(const std::string& name);
  // Whether the branch is private; NotFound if no branch.
  Result<bool> BranchPrivate(const std::string& name);
  // Marks an existing branch private or not (clone, for the branch it
  // checks out); NotFound if no branch. Needs the repository open for
  // writing.
  Status SetBranchPrivate(const std::string& name, bool is_private);
  // Ok if `resolver` names a function of the state at `at` that a merge can
  // call: (txid TEXT, contract TEXT, function TEXT, args TEXT, error TEXT).
  Status CheckResolver(const std::string& resolver, const Hash32& at);
  // Refuses a branch whose merge pool holds pending txs unless force.
  Status DeleteBranch(const std::string& name, bool force = false);
  Status CreateTag(const std::string& name, const Hash32& at);
  Status DeleteTag(const std::string& name);
  static bool IsValidRefName(const std::string& name);

  // Switches HEAD to a branch (attached) or, for a tag or block, detached;
  // the state follows.
  Status Checkout(const std::string& rev);
  // For work on a branch that is not checked out (a push that merges into
  // it): checks `branch` out, runs `op`, then checks out again what was
  // checked out before. The way back is recorded in the index first, so if
  // the process dies in between, the next open of the repository puts HEAD
  // back (Reconcile): a crash never leaves another branch checked out.
  Status WithBranchCheckedOut(const std::string& branch, const std::function<Status()>& op);
  // Moves the checked-out branch from its head `from` to `to` (compare and
  // swap; the caller checked that `from` is an ancestor of `to` and that
  // the merge pool is empty), then moves the state along.
  Status FastForward(const std::string& branch, const Hash32& from, const Hash32& to,
                     const std::string& log_message);

  // Builds and signs a tx for this chain (time from the clock, random salt).
  Tx MakeTx(TxKind kind, const SecretKey& key, std::string contract, std::string function,
            std::vector<Value> args, std::string payload) const;
  // Pre-executes txs in order on the current branch's pool state; keeps
  // those that succeed in the merge pool. One SQLite transaction: all kept
  // or (on an I/O error) none. Refuses a detached head. time_budget_ms
  // (0: none) bounds the whole call's execution: once spent, the txs not
  // yet executed fail "not executed: ... time budget" and are not kept
  // (each tx is bounded alone by the chain's step budget).
  Result<std::vector<Submitted>> Submit(const std::vector<Tx>& txs, uint64_t time_budget_ms = 0);
  // Submit in two steps: the checks that need no state (signatures), which
  // callers may run on any thread and on any open of the repository, and
  // then the execution, which takes only txs this chain's Precheck made.
  Result<std::vector<CheckedTx>> Precheck(const std::vector<Tx>& txs);
  Result<std::vector<Submitted>> Submit(const std::vector<CheckedTx>& txs, uint64_t time_budget_ms = 0);
  // Ok if Commit would have something to seal: an attached HEAD and a
  // non-empty merge pool (checked before asking for a key).
  Status CheckCommittable();
  // Seals the current branch's merge pool into a block signed by key.
  Result<Block> Commit(const SecretKey& key, const std::string& message);
  // Discards the current branch's pending txs; returns how many.
  Result<uint64_t> ResetPool();
  Result<uint64_t> PoolCount();

  // Re-executes `branch`'s pending txs (its pool was built on `old.base`)
  // on the checked-out state, which must be the state at `block` without
  // that pool, and re-bases the pool on `block`; a tx that fails there, or
  // that `block`'s history already holds (same tx id), is dropped and
  // recorded (dropped_txs()). Runs in the caller's SQLite transaction, so
  // the pool's old entries and the new ones are never both or neither
  // committed. Materialize (checkout, fast-forward, reconcile) calls it
  // when a branch's pool base differs from the block it moves to; MergeInto
  // calls it on the merge block.
  Status Repool(const std::string& branch, const PoolInfo& old, const Hash32& block);
  // Undoes the changes of the checked-out branch's merge pool on the state
  // (its entries stay in the pool, to be re-executed by Repool in the same
  // SQLite transaction); returns the pool, or nullopt if there is none.
  // Call inside a transaction.
  Result<std::optional<PoolInfo>> LiftPool(const std::string& branch);
  // The pending txs dropped so far by Repool in committed operations of
  // this Repository object, oldest first (a push reports them; the daemon
  // announces them). TakeDroppedTxs empties the list.
  std::vector<DroppedTx>& dropped_txs() { return dropped_; }
  std::vector<DroppedTx> TakeDroppedTxs() { return std::exchange(dropped_, {}); }

  // Versioned state (core/repo_state.cpp).
  // The changes block `id` made on its first parent's state.
  Result<ChangeSet> BlockChanges(const Hash32& id);
  // Net changes that turn the state at `from` (nullopt: the empty state)
  // into the state at `to`, through their first-parent common ancestor.
  Result<ChangeSet> ChangesBetween(const std::optional<Hash32>& from, const Hash32& to);
  // Net changes of a branch's merge pool on its base (empty if none).
  Result<ChangeSet> PoolChanges(const std::string& branch);
  // Net changes that turn the checked-out state (head plus merge pool)
  // into the state at `to`.
  Result<ChangeSet> ChangesFromLive(const Hash32& to);
  // Where the checked-out state is: a block, plus the merge pool of
  // `branch` when set. nullopt when unknown (it is then rebuilt on open).
  struct StatePosition {
    Hash32 block{};
    std::optional<std::string> branch;
  };
  Result<std::optional<StatePosition>> LiveState();
  // A reader of the state as of `block` (query --at); may build a cached
  // state (core/state_cache.h). Changes nothing in the repository.
  Result<std::unique_ptr<BlockReader>> ReadAt(const Hash32& block);
  // Runs a read-only query on the checked-out state (at unset) or on the
  // state as of block `at` (through ReadAt).
  Result<QueryResult> Query(const std::string& sql, const std::optional<Hash32>& at,
                            const QueryLimits* limits = nullptr);

  // Rebuilds a state database at `block` by executing its first-parent
  // chain from genesis, checking each block's replayed changes and state
  // root against the stored ones (all blocks when verify_all, else the
  // last). For verification; checkout applies changes instead.
  Status ReplayInto(Db* db, std::unique_ptr<ContractEngine>* engine, const Hash32& block,
                    bool verify_all);

 private:
  Repository() = default;
  // Init and InitFromGenesis: builds .aergo in a temporary directory with
  // the block make_genesis returns (run inside the index transaction, on
  // the new state), then renames it into place.
  static Result<std::unique_ptr<Repository>> Create(
      const std::string& dir, const InitParams& params, const Clock& clock, const OpenOptions& options,
      const std::function<Result<Block>(Db*, ContractEngine*)>& make_genesis);
  // At open: repairs what an interrupted command left (the state behind
  // HEAD, a half-finished commit, a temporary checkout).
  Status Reconcile();
  Status ReconcileState();
  // Checks out what WithBranchCheckedOut recorded, if anything, and clears
  // the record.
  Status RestoreHead();
  Status Materialize(const std::optional<std::string>& branch, const Hash32& block);
  // The changes of block `row`, checked to chain from parent_root to its
  // state root.
  Result<ChangeSet> ChangesOf(const BlockRow& row, const Hash32& parent_root);
  Result<std::vector<Hash32>> FirstParentChain(const Hash32& block);
  Result<Hash32> ResolveBase(const std::string& base, const RefFilter& visible, bool* is_ref);
  Result<Hash32> IdForOid(const Oid& oid);
  // The block a ref under prefix ("refs/heads/") names, if the ref exists.
  Result<std::optional<Hash32>> RefTarget(const char* prefix, const std::string& name);
  Result<Oid> OidFor(const Hash32& id);
  Status CheckNotInHistory(const Hash32& head, const Hash32& txid);

  std::string path_;
  const Clock* clock_ = nullptr;
  OpenOptions options_;
  RepoLock lock_;
  // Whether this process may write: the lock is exclusive, taken by Open
  // or held by the caller (LockPolicy::kHeldByCaller).
  bool exclusive() const;
  // ChangedElsewhere(): the index's data_version and the config file's
  // identity when last asked.
  int64_t data_version_ = -1;
  std::string config_stamp_;
  bool in_snapshot_ = false;
  GitRepo git_;
  Db db_;
  std::unique_ptr<Index> index_;
  // Installed on db_ for the repository's lifetime (see recorder.h);
  // records only between Begin() and Keep()/Drop().
  std::unique_ptr<ChangeRecorder> recorder_;
  std::unique_ptr<ContractEngine> engine_;
  Config config_;
  Hash32 chain_id_{};
  std::optional<ChainParams> chain_params_;
  std::vector<DroppedTx> dropped_;
};


}  // namespace aergo
