#include "core/repo.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <queue>
#include <set>

#include "core/engine.h"
#include "core/executor.h"
#include "core/parallel.h"
#include "core/recorder.h"
#include "core/state.h"

namespace aergo {

namespace fs = std::filesystem;

namespace {
constexpr const char* kHeads = "refs/heads/";
constexpr const char* kTags = "refs/tags/";
// Index and block format. 2: blocks carry their state changes. 3: merge
// block headers carry the resolver (docs/formats/objects.md). 4: branches
// may be private (branch_policies.private; a format-3 aergo would ignore
// the flag, and its daemon would serve such branches to everyone). A
// format-2 repository without merge blocks and any format-3 repository
// read the same (no branch is private), and are marked 4 when opened for
// writing. 5: merge pools keep counters and take each submission's changes
// as a part of their own (pools.txs/bytes, pool_batches), so a submission
// does not rewrite the whole pool's changes; format 4 is migrated when
// opened for writing and read as it is.
constexpr const char* kFormat = "5";

// writer: a 64 MiB page cache and memory-mapped reads, for large commits
// and replays that otherwise spend their time copying pages through
// read(2); readers touch few pages and skip the mapping cost.
//
// No checkpoint on close: SQLite would otherwise copy the WAL into the
// database and fsync both every time the last connection closes, which is
// most of a small write command's time. Committed transactions are durable
// in the WAL (synchronous=FULL) and the next open reads it; a writer that
// leaves more than 1 MiB of it checkpoints on the way out (~Repository).
Status OpenDatabase(const std::string& path, Db* out, bool writer) {
  AERGO_ASSIGN_OR_RETURN(*out, Db::Open(path, true));
  if (sqlite3_db_config(out->get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr) != SQLITE_OK)
    return IoError("configure '" + path + "': " + out->Error());
  AERGO_RETURN_IF_ERROR(
      out->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; "
                "PRAGMA temp_store=MEMORY;"));
  if (!writer) return Status::Ok();
  // journal_size_limit: the WAL outlives connections (above); after a
  // checkpoint it is cut back to 4 MiB instead of keeping the size of the
  // largest transaction.
  return out->Exec(
      "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA journal_size_limit=4194304;");
}

bool IsHex(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}
}  // namespace

// The WAL outlives the connection (OpenDatabase), and the next process to
// open the database rebuilds its index by reading all of it and forgets
// what was already copied back. So a writer leaves it small: past 1 MiB
// (a large commit, checkout or rebuild) it is copied back and truncated.
Repository::~Repository() {
  if (!db_.get() || lock_.mode() != RepoLock::Mode::kExclusive) return;
  // Best effort: a failed checkpoint leaves a longer WAL, which the next
  // writer checkpoints; a destructor has no one to report to.
  (void)TrimLog();
}

Status Repository::SetSyncCommits(bool sync) {
  if (!exclusive()) return Invalid("commits of '" + path_ + "' are not this reader's to sync");
  return db_.Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

Status Repository::TrimLog() {
  std::error_code ec;
  auto size = fs::file_size(path_ + "/ledger.db-wal", ec);
  if (ec || size <= (1u << 20)) return Status::Ok();
  // Without waiting: a reader on an older snapshot (LockPolicy::kSnapshot)
  // makes it Busy, and the next write tries again.
  sqlite3_busy_timeout(db_.get(), 0);
  Status st = db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);
  return st;
}

bool Repository::exclusive() const {
  return options_.lock == LockPolicy::kHeldByCaller || lock_.mode() == RepoLock::Mode::kExclusive;
}

namespace {
// The config file's identity: a rewrite (write to a temporary, rename)
// changes the inode, an edit in place the time or size.
std::string FileStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
         "." + std::to_string(st.st_mtim.tv_nsec);
}
}  // namespace

Result<bool> Repository::ChangedElsewhere() {
  int64_t version = 0;
  {
    AERGO_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("PRAGMA data_version"));
    int rc = q.Step();
    if (rc != SQLITE_ROW) return db_.StepError(rc, "read the index's data version");
    version = sqlite3_column_int64(q.get(), 0);
  }
  std::string stamp = FileStamp(path_ + "/config");
  bool changed = version != data_version_ || stamp != config_stamp_;
  data_version_ = version;
  config_stamp_ = std::move(stamp);
  return changed;
}

Status Repository::BeginSnapshot() {
  if (in_snapshot_) return Invalid("a snapshot is already open on '" + path_ + "'");
  AERGO_RETURN_IF_ERROR(db_.Exec("BEGIN"));
  // BEGIN is deferred: the first read fixes the snapshot.
  Status first = db_.Exec("SELECT count(*) FROM meta");
  if (!first.ok()) {
    (void)db_.Exec("ROLLBACK");
    return first;
  }
  in_snapshot_ = true;
  return Status::Ok();
}

void Repository::EndSnapshot() {
  if (!in_snapshot_) return;
  // Read-only: ending it cannot lose anything.
  (void)db_.Exec("ROLLBACK");
  in_snapshot_ = false;
}

Result<std::string> Repository::Locate(const std::string& start,
                                       const std::optional<std::string>& aergo_dir) {
  if (aergo_dir) {
    fs::path p(*aergo_dir);
    if (fs::exists(p / ".aergo" / "ledger.db")) return fs::absolute(p / ".aergo").string();
    if (fs::exists(p / "ledger.db")) return fs::absolute(p).string();
    return NotFound("AERGO_DIR '" + *aergo_dir + "' is not an aergo repository");
  }
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) return NotFound("cannot resolve directory '" + start + "'");
  for (fs::path d = dir;; d = d.parent_path()) {
    if (fs::exists(d / ".aergo" / "ledger.db")) return (d / ".aergo").string();
    if (d == d.root_path() || d.empty()) break;
  }
  return NotFound("not an aergo repository (or any parent up to /): " + dir.string());
}

Result<std::unique_ptr<Repository>> Repository::Init(const std::string& dir, const SecretKey& key,
                                                     const InitParams& params,
                                                     const Clock& clock, const OpenOptions& options) {
  return Create(dir, params, clock, options, [&](Db* db, ContractEngine* engine) -> Result<Block> {
    uint64_t now = clock.NowMs();
    Tx tx;
    tx.kind = TxKind::kGenesis;
    tx.sender = key.public_key();
    tx.time_ms = now;
    randombytes_buf(tx.salt.data(), tx.salt.size());
    tx.contract = "aergo";
    tx.function = "genesis";
    tx.args = params.ToGenesisArgs();
    tx.Sign(key);

    ChangeRecorder recorder(db->get());
    recorder.Begin();
    CallOutcome out = ExecuteTx(engine, db->get(), tx, tx.Id(), 0, now);
    if (!out.ok) return IoError("genesis failed: " + out.error);
    AERGO_RETURN_IF_ERROR(recorder.Keep());
    Block block;
    block.txs.push_back(tx);
    block.receipts.push_back(Receipt{tx.Id(), ReceiptStatus::kApplied, "", ""});
    auto& h = block.header;
    h.height = 0;
    h.time_ms = now;
    h.producer = key.public_key();
    h.tx_count = 1;
    h.tx_root = block.ComputeTxRoot();
    h.receipt_root = block.ComputeReceiptRoot();
    block.changes = recorder.Take().Encode();
    h.state_root = ChainStateRoot(Hash32{}, block.changes);
    h.message = "genesis";
    h.Sign(key);
    return block;
  });
}

Result<std::unique_ptr<Repository>> Repository::InitFromGenesis(const std::string& dir,
                                                                const Block& genesis,
                                                                const Clock& clock,
                                                                const OpenOptions& options) {
  std::string id = ToHex(genesis.Id());
  if (Status st = genesis.CheckStructure(); !st.ok()) return Corrupt("genesis block " + id + ": " + st.message());
  const auto& h = genesis.header;
  if (!h.parents.empty() || h.height != 0 || genesis.txs.size() != 1 ||
      genesis.txs[0].kind != TxKind::kGenesis)
    return Corrupt("block " + id + " is not a genesis block");
  auto parsed = ChainParams::FromGenesisArgs(genesis.txs[0].args);
  if (!parsed.ok()) return Corrupt("genesis block " + id + ": " + parsed.status().message());
  if (!h.VerifySignature() || !genesis.txs[0].VerifySignature())
    return Corrupt("genesis block " + id + ": bad signature");
  const InitParams& params = *parsed;
  AERGO_RETURN_IF_ERROR(CheckLedgerRules(params.rules).Context("genesis block " + id));
  return Create(dir, params, clock, options, [&](Db* db, ContractEngine* engine) -> Result<Block> {
    ChangeRecorder recorder(db->get());
    AERGO_ASSIGN_OR_RETURN(ChangeSet made, ReplayBlock(engine, db->get(), &recorder, genesis));
    AERGO_RETURN_IF_ERROR(CheckReplayedChanges(genesis, made, Hash32{}));
    return genesis;
  });
}

Result<std::unique_ptr<Repository>> Repository::Create(
    const std::string& dir, const InitParams& params, const Clock& clock, const OpenOptions& options,
    const std::function<Result<Block>(Db*, ContractEngine*)>& make_genesis) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create directory '" + dir + "': " + ec.message());
  fs::path final_path = fs::absolute(fs::path(dir) / ".aergo");
  if (fs::exists(final_path)) return Exists("repository already exists at '" + final_path.string() + "'");
  fs::path tmp = final_path.string() + ".init-" + std::to_string(getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return IoError("cannot create '" + tmp.string() + "': " + ec.message());
  auto cleanup = [&] { std::error_code e; fs::remove_all(tmp, e); };

  Status st = [&]() -> Status {
    AERGO_RETURN_IF_ERROR(CheckLedgerRules(params.rules));
    AERGO_RETURN_IF_ERROR(CheckEngine());
    AERGO_ASSIGN_OR_RETURN(GitRepo git, GitRepo::Init((tmp / "git").string(), "master"));
    Db db;
    AERGO_RETURN_IF_ERROR(OpenDatabase((tmp / "ledger.db").string(), &db, true));
    Index index(&db);
    AERGO_RETURN_IF_ERROR(index.Init());
    ContractEngine engine(db.get());
    Txn txn(&db);
    AERGO_RETURN_IF_ERROR(txn.status());
    AERGO_ASSIGN_OR_RETURN(Block block, make_genesis(&db, &engine));
    AERGO_ASSIGN_OR_RETURN(Oid oid, git.WriteBlock(block, {}));
    AERGO_RETURN_IF_ERROR(index.PutBlock(block, oid));
    std::string id = ToHex(block.Id());
    AERGO_RETURN_IF_ERROR(index.SetMeta("chain_id", id));
    AERGO_RETURN_IF_ERROR(index.SetMeta("format", kFormat));
    AERGO_RETURN_IF_ERROR(index.SetMeta("rules", std::to_string(params.rules)));
    AERGO_RETURN_IF_ERROR(index.SetMeta("state_branch", "master"));
    AERGO_RETURN_IF_ERROR(index.SetMeta("state_block", id));
    AERGO_RETURN_IF_ERROR(txn.Commit());
    AERGO_RETURN_IF_ERROR(git.UpdateRef("refs/heads/master", oid, std::nullopt, "init: genesis"));
    AERGO_ASSIGN_OR_RETURN(Config cfg, Config::Load((tmp / "config").string()));
    AERGO_RETURN_IF_ERROR(cfg.Set("core.consensus", params.consensus));
    AERGO_RETURN_IF_ERROR(cfg.Set("core.public", params.is_public ? "true" : "false"));
    AERGO_RETURN_IF_ERROR(cfg.Save());
    return db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }();
  if (!st.ok()) {
    cleanup();
    return st;
  }
  fs::rename(tmp, final_path, ec);
  if (ec) {
    cleanup();
    if (fs::exists(final_path)) return Exists("repository already exists at '" + final_path.string() + "'");
    return IoError("cannot create '" + final_path.string() + "': " + ec.message());
  }
  return Open(final_path.string(), OpenMode::kWrite, clock, options);
}

Result<std::unique_ptr<Repository>> Repository::Open(const std::string& aergo_dir, OpenMode mode,
                                                     const Clock& clock, const OpenOptions& options) {
  std::unique_ptr<Repository> repo(new Repository());
  repo->path_ = aergo_dir;
  repo->clock_ = &clock;
  repo->options_ = options;
  switch (options.lock) {
    case LockPolicy::kTake: {
      AERGO_ASSIGN_OR_RETURN(repo->lock_,
                             RepoLock::Acquire(aergo_dir + "/lock",
                                               mode == OpenMode::kWrite ? RepoLock::Mode::kExclusive
                                                                        : RepoLock::Mode::kShared,
                                               options.lock_timeout_ms));
      break;
    }
    case LockPolicy::kHeldByCaller:
      if (mode != OpenMode::kWrite) return Invalid("a lock held by the caller is for opening to write");
      break;
    case LockPolicy::kSnapshot:
      if (mode != OpenMode::kRead) return Invalid("a snapshot is for opening to read");
      break;
  }
  AERGO_ASSIGN_OR_RETURN(repo->git_, GitRepo::Open(aergo_dir + "/git"));
  AERGO_RETURN_IF_ERROR(OpenDatabase(aergo_dir + "/ledger.db", &repo->db_, mode == OpenMode::kWrite));
  repo->index_ = std::make_unique<Index>(&repo->db_);
  AERGO_ASSIGN_OR_RETURN(repo->config_, Config::Load(aergo_dir + "/config"));
  AERGO_ASSIGN_OR_RETURN(auto chain, repo->index_->GetMeta("chain_id"));
  AERGO_ASSIGN_OR_RETURN(auto format, repo->index_->GetMeta("format"));
  if (format && *format == "2") {
    int rc;
    {
      AERGO_ASSIGN_OR_RETURN(Stmt merges, repo->db_.Prepare("SELECT 1 FROM blocks WHERE parent2 IS NOT NULL LIMIT 1"));
      rc = merges.Step();
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return repo->db_.StepError(rc, "read block index");
    if (rc == SQLITE_DONE) {
      // Format 2 -> 4: the tables formats 3 and 4 added.
      if (mode == OpenMode::kWrite) {
        Txn txn(&repo->db_);
        AERGO_RETURN_IF_ERROR(txn.status());
        AERGO_RETURN_IF_ERROR(repo->index_->Init());
        AERGO_RETURN_IF_ERROR(repo->index_->SetMeta("format", "4"));
        AERGO_RETURN_IF_ERROR(txn.Commit());
      } else {
        repo->index_->set_no_branch_policies();
      }
      format = "4";
    }
  } else if (format && *format == "3") {
    if (mode == OpenMode::kWrite) {
      Txn txn(&repo->db_);
      AERGO_RETURN_IF_ERROR(txn.status());
      AERGO_RETURN_IF_ERROR(repo->index_->AddPrivateColumn());
      AERGO_RETURN_IF_ERROR(repo->index_->SetMeta("format", "4"));
      AERGO_RETURN_IF_ERROR(txn.Commit());
    } else {
      repo->index_->set_no_private_column();
    }
    format = "4";
  }
  if (format && *format == "4") {
    // Format 4 -> 5: pool counters and appended pool changes.
    if (mode == OpenMode::kWrite) {
      Txn txn(&repo->db_);
      AERGO_RETURN_IF_ERROR(txn.status());
      AERGO_RETURN_IF_ERROR(repo->index_->AddPoolCounters());
      AERGO_RETURN_IF_ERROR(repo->index_->SetMeta("format", kFormat));
      AERGO_RETURN_IF_ERROR(txn.Commit());
    } else {
      repo->index_->set_no_pool_counters();
    }
    format = kFormat;
  }
  if (!format || *format != kFormat)
    return Corrupt("repository '" + aergo_dir + "' has format " + format.value_or("(none)") +
                   "; this aergo reads format " + kFormat + " only (re-create the repository)");
  auto cid = chain ? ParseHash(*chain) : std::nullopt;
  if (!cid) return Corrupt("repository '" + aergo_dir + "' has no chain id in its index");
  // Before anything executes or verifies: the ledger's contract rules must
  // be this build's (docs/determinism.md). An index without "rules" holds a
  // ledger made before rules were versioned.
  AERGO_ASSIGN_OR_RETURN(auto rules, repo->index_->GetMeta("rules"));
  int64_t rules_version = 0;
  if (rules && !ParseInt64(*rules, &rules_version))
    return Corrupt("repository '" + aergo_dir + "' has rules '" + *rules + "' in its index");
  AERGO_RETURN_IF_ERROR(CheckLedgerRules(rules_version).Context("repository '" + aergo_dir + "'"));
  repo->chain_id_ = *cid;
  repo->recorder_ = std::make_unique<ChangeRecorder>(repo->db_.get());
  repo->engine_ = std::make_unique<ContractEngine>(repo->db_.get());
  repo->git_.set_exclusive(mode == OpenMode::kWrite);
  if (options.lock == LockPolicy::kSnapshot) return repo;  // nothing is repaired without the lock
  Status reconciled = repo->Reconcile();
  if (!reconciled.ok() && mode != OpenMode::kInspect) return reconciled;
  if (options.lock == LockPolicy::kHeldByCaller) AERGO_RETURN_IF_ERROR(repo->ChangedElsewhere().status());
  return repo;
}

Result<ChainParams> Repository::chain_params() {
  if (!chain_params_) {
    AERGO_ASSIGN_OR_RETURN(ChainParams p, ReadChainParams(db_.get()));
    chain_params_ = p;
  }
  return *chain_params_;
}

Result<Hash32> Repository::IdForOid(const Oid& oid) {
  AERGO_ASSIGN_OR_RETURN(auto row, index_->GetBlockByOid(oid));
  if (!row) return Corrupt("ref target " + oid.Hex() + " is not an indexed block (run aergo fsck)");
  return row->id;
}

Result<Oid> Repository::OidFor(const Hash32& id) {
  AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(id));
  return row.oid;
}

Result<BlockRow> Repository::BlockInfo(const Hash32& id) {
  AERGO_ASSIGN_OR_RETURN(auto row, index_->GetBlock(id));
  if (!row) return NotFound("block " + ToHex(id) + " not found");
  return *row;
}

Result<Head> Repository::CurrentHead() {
  AERGO_ASSIGN_OR_RETURN(HeadRef ref, git_.Head());
  if (!ref.target)
    return Corrupt("HEAD names branch '" + ref.branch.value_or("?") + "', which does not exist");
  AERGO_ASSIGN_OR_RETURN(Hash32 id, IdForOid(*ref.target));
  AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(id));
  return Head{ref.branch, row};
}

Result<Block> Repository::ReadBlock(const Hash32& id) {
  AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(id));
  return ReadBlock(row);
}

Result<Block> Repository::ReadBlock(const BlockRow& row) {
  AERGO_ASSIGN_OR_RETURN(BlockBlobs blobs, git_.ReadBlockBlobs(row.oid));
  auto block = Block::Decode(blobs.header, blobs.txs, blobs.receipts);
  if (!block.ok()) return Corrupt("block " + ToHex(row.id) + ": " + block.status().message());
  block->changes = std::move(blobs.changes);
  if (block->Id() != row.id)
    return Corrupt("block " + ToHex(row.id) + ": stored header hashes to " + ToHex(block->Id()));
  return block;
}

// ---- revisions ----

bool Repository::IsValidRefName(const std::string& n) {
  if (n.empty() || n.size() > 200 || n[0] == '-' || n[0] == '.' || n.back() == '/' ||
      n.back() == '.' || n == "HEAD")
    return false;
  if (n.find("..") != std::string::npos || n.find("//") != std::string::npos) return false;
  // Per path component (git's rules): not empty, not starting with '.',
  // not ending with ".lock".
  for (size_t start = 0; start <= n.size();) {
    size_t end = n.find('/', start);
    if (end == std::string::npos) end = n.size();
    std::string part = n.substr(start, end - start);
    if (part.empty() || part[0] == '.') return false;
    if (part.size() >= 5 && part.compare(part.size() - 5, 5, ".lock") == 0) return false;
    start = end + 1;
  }
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

Result<std::optional<Hash32>> Repository::RefTarget(const char* prefix, const std::string& name) {
  if (!IsValidRefName(name)) return std::optional<Hash32>();
  AERGO_ASSIGN_OR_RETURN(auto oid, git_.ReadRef(prefix + name));
  if (!oid) return std::optional<Hash32>();
  AERGO_ASSIGN_OR_RETURN(Hash32 id, IdForOid(*oid));
  return std::optional<Hash32>(id);
}

Result<std::optional<Hash32>> Repository::BranchHead(const std::string& name) {
  return RefTarget(kHeads, name);
}

Result<std::optional<Hash32>> Repository::TagTarget(const std::string& name) {
  return RefTarget(kTags, name);
}

Result<Hash32> Repository::ResolveBase(const std::string& base, const RefFilter& visible, bool* is_ref) {
  *is_ref = true;
  // A name `visible` refuses is as absent: the same NotFound as an unknown one.
  auto shown = [&](const std::string& ref, const Hash32& id) -> Result<bool> {
    if (!visible) return true;
    return visible(ref, id);
  };
  auto unknown = [&] { return NotFound("unknown revision '" + base + "'"); };
  if (base == "HEAD") {
    AERGO_ASSIGN_OR_RETURN(Head h, CurrentHead());
    AERGO_ASSIGN_OR_RETURN(bool ok, shown("HEAD", h.block.id));
    if (!ok) return unknown();
    return h.block.id;
  }
  AERGO_ASSIGN_OR_RETURN(auto branch, BranchHead(base));
  AERGO_ASSIGN_OR_RETURN(auto tag, TagTarget(base));
  if (branch) {
    AERGO_ASSIGN_OR_RETURN(bool ok, shown(kHeads + base, *branch));
    if (!ok) branch.reset();
  }
  if (tag) {
    AERGO_ASSIGN_OR_RETURN(bool ok, shown(kTags + base, *tag));
    if (!ok) tag.reset();
  }
  if (branch && tag)
    return Invalid("ambiguous revision '" + base + "': both a branch and a tag");
  if (branch) return *branch;
  if (tag) return *tag;
  // A remote-tracking ref: <remote>/<branch>.
  if (base.find('/') != std::string::npos) {
    AERGO_ASSIGN_OR_RETURN(auto tracking, RefTarget("refs/remotes/", base));
    if (tracking) {
      AERGO_ASSIGN_OR_RETURN(bool ok, shown("refs/remotes/" + base, *tracking));
      if (ok) return *tracking;
    }
  }
  *is_ref = false;
  std::string lower = base;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower.size() >= 7 && lower.size() <= 64 && IsHex(lower)) {
    // With a filter, every match is read (a hidden one neither counts nor
    // makes a visible one ambiguous); id prefixes of 7+ digits match few.
    AERGO_ASSIGN_OR_RETURN(auto ids, index_->FindBlocks(lower, visible ? -1 : 2));
    std::vector<Hash32> seen;
    for (const Hash32& id : ids) {
      AERGO_ASSIGN_OR_RETURN(bool ok, shown("", id));
      if (ok) seen.push_back(id);
      if (seen.size() > 1) break;
    }
    if (seen.size() == 1) return seen[0];
    if (seen.size() > 1) return Invalid("ambiguous revision '" + base + "': matches several blocks");
  }
  return unknown();
}

bool Repository::IsTxIdPrefix(const std::string& s) {
  return s.size() >= 7 && s.size() <= 64 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

Result<FoundTx> Repository::FindTx(const std::string& what) { return FindTx(what, TxFilter()); }

Result<FoundTx> Repository::FindTx(const std::string& what, const TxFilter& visible) {
  if (!IsTxIdPrefix(what)) return Invalid("'" + what + "' is not a tx id (7 to 64 hex digits)");
  std::string lower = what;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  // Each matching txid, with the first indexed block holding it that the
  // filter accepts. Two txids settle it (ambiguous), so the rows are read
  // 64 at a time, and further only while a filter refuses some of them.
  std::map<Hash32, Hash32> in_blocks;
  std::map<Hash32, bool> shown;  // the filter's answer per block
  auto accepts = [&](const Hash32& block) -> Result<bool> {
    if (!visible) return true;
    auto it = shown.find(block);
    if (it == shown.end()) {
      AERGO_ASSIGN_OR_RETURN(bool ok, visible(block));
      it = shown.emplace(block, ok).first;
    }
    return it->second;
  };
  for (int limit = 64;; limit *= 4) {
    AERGO_ASSIGN_OR_RETURN(auto found, index_->FindTxs(lower, limit));
    in_blocks.clear();
    for (const auto& [t, b] : found) {
      if (in_blocks.count(t)) continue;
      AERGO_ASSIGN_OR_RETURN(bool ok, accepts(b));
      if (ok) in_blocks.emplace(t, b);
    }
    if (!visible || in_blocks.size() > 1 || found.size() < static_cast<size_t>(limit)) break;
  }
  std::set<Hash32> txids;
  for (const auto& [t, b] : in_blocks) txids.insert(t);
  std::vector<PoolEntry> pending;
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (head.branch) {
    AERGO_ASSIGN_OR_RETURN(auto entries, index_->PoolEntries(*head.branch));
    for (auto& e : entries)
      if (ToHex(e.receipt.txid).rfind(lower, 0) == 0) pending.push_back(std::move(e));
    if (!pending.empty() && visible) {
      AERGO_ASSIGN_OR_RETURN(bool ok, visible(std::nullopt));
      if (!ok) pending.clear();
    }
    for (const auto& e : pending) txids.insert(e.receipt.txid);
  }
  if (txids.empty()) return NotFound("unknown tx '" + what + "'");
  if (txids.size() > 1) return Invalid("ambiguous tx id '" + what + "': matches several txs");
  Hash32 txid = *txids.begin();
  if (auto it = in_blocks.find(txid); it != in_blocks.end()) {
    const Hash32& b = it->second;
    AERGO_ASSIGN_OR_RETURN(Block block, ReadBlock(b));
    for (size_t i = 0; i < block.txs.size(); ++i)
      if (block.receipts[i].txid == txid) return FoundTx{std::move(block.txs[i]), block.receipts[i], b};
    return Corrupt("tx " + ToHex(txid) + " is indexed in block " + ShortId(b) + " but not found there");
  }
  return FoundTx{std::move(pending.front().tx), pending.front().receipt, std::nullopt};
}

Result<Hash32> Repository::Resolve(const std::string& rev) { return Resolve(rev, RefFilter()); }

Result<Hash32> Repository::Resolve(const std::string& rev, const RefFilter& visible) {
  if (rev.empty()) return Invalid("empty revision");
  size_t cut = rev.find_first_of("~^");
  std::string base = rev.substr(0, cut);
  std::string suffix = cut == std::string::npos ? "" : rev.substr(cut);
  std::optional<uint64_t> at_height;
  if (size_t at = base.rfind('@'); at != std::string::npos) {
    std::string h = base.substr(at + 1);
    if (h.empty() || h.size() > 18 || !std::all_of(h.begin(), h.end(), ::isdigit))
      return Invalid("invalid revision '" + rev + "': expected <branch>@<height>");
    at_height = std::stoull(h);
    base = base.substr(0, at);
  }
  bool is_ref = false;
  AERGO_ASSIGN_OR_RETURN(Hash32 id, ResolveBase(base, visible, &is_ref));
  if (at_height) {
    if (!is_ref) return Invalid("invalid revision '" + rev + "': @<height> needs a branch, tag or HEAD");
    AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(id));
    if (*at_height > row.height)
      return NotFound("revision '" + rev + "': '" + base + "' has no block at height " +
                      std::to_string(*at_height) + " (its head is at " + std::to_string(row.height) + ")");
    // A merge block's height is max(parents) + 1, so the first-parent
    // chain can step over a height: then there is no such block, as past
    // the head (never the nearest block below it).
    uint64_t above = row.height;
    while (row.height > *at_height) {
      if (row.parents.empty()) return Corrupt("block " + ToHex(row.id) + " has no parent");
      above = row.height;
      AERGO_ASSIGN_OR_RETURN(row, BlockInfo(row.parents[0]));
    }
    if (row.height != *at_height)
      return NotFound("revision '" + rev + "': '" + base + "' has no block at height " +
                      std::to_string(*at_height) + " (its first-parent chain goes from height " +
                      std::to_string(above) + " to " + std::to_string(row.height) + ")");
    id = row.id;
  }
  size_t i = 0;
  while (i < suffix.size()) {
    char op = suffix[i++];
    // Only ~ and ^ chain: "master~1@1" or "HEAD^x" is no revision (not
    // HEAD^1 read past a character it does not know).
    if (op != '~' && op != '^')
      return Invalid("invalid revision '" + rev + "': unexpected '" + std::string(1, op) +
                     "' (suffixes are ~N and ^N; <ref>@<height> comes first)");
    size_t j = i;
    while (j < suffix.size() && std::isdigit(static_cast<unsigned char>(suffix[j]))) ++j;
    std::string digits = suffix.substr(i, j - i);
    if (digits.size() > 9) return Invalid("invalid revision '" + rev + "'");
    uint64_t n = digits.empty() ? 1 : std::stoull(digits);
    i = j;
    AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(id));
    if (op == '~') {
      for (uint64_t k = 0; k < n; ++k) {
        if (row.parents.empty())
          return NotFound("revision '" + rev + "' goes past genesis");
        AERGO_ASSIGN_OR_RETURN(row, BlockInfo(row.parents[0]));
      }
      id = row.id;
    } else {
      if (n == 0) continue;
      if (n > row.parents.size())
        return NotFound("revision '" + rev + "': block " + ShortId(row.id) + " has no parent " +
                        std::to_string(n));
      id = row.parents[n - 1];
    }
  }
  return id;
}

Result<bool> Repository::IsAncestor(const Hash32& ancestor, const Hash32& descendant) {
  AERGO_ASSIGN_OR_RETURN(BlockRow target, BlockInfo(ancestor));
  std::set<Hash32> seen;
  std::vector<Hash32> todo{descendant};
  while (!todo.empty()) {
    Hash32 cur = todo.back();
    todo.pop_back();
    if (cur == ancestor) return true;
    if (!seen.insert(cur).second) continue;
    AERGO_ASSIGN_OR_RETURN(BlockRow row, BlockInfo(cur));
    if (row.height <= target.height) continue;
    for (const auto& p : row.parents) todo.push_back(p);
  }
  return false;
}

// ---- branches and tags ----

static Result<std::vector<std::pair<std::string, Hash32>>> ListNamed(Repository* repo,
                                                                     const std::string& prefix) {
  AERGO_ASSIGN_OR_RETURN(auto refs, repo->git().ListRefs(prefix));
  std::vector<std::pair<std::string, Hash32>> out;
  for (const auto& [name, oid] : refs) {
    AERGO_ASSIGN_OR_RETURN(auto row, repo->index().GetBlockByOid(oid));
    if (!row) return Corrupt("ref '" + prefix + name + "' points to unindexed object " + oid.Hex());
    out.emplace_back(name, row->id);
  }
  return out;
}

Result<std::vector<std::pair<std::string, Hash32>>> Repository::Branches() {
  return ListNamed(this, kHeads);
}

Result<std::vector<std::pair<std::string, Hash32>>> Repository::Tags() { return ListNamed(this, kTags); }

Status Repository::CreateBranch(const std::string& name, const Hash32& at, const std::string& resolver,
                                bool is_private) {
  if (!IsValidRefName(name)) return Invalid("invalid branch name '" + name + "'");
  AERGO_ASSIGN_OR_RETURN(Oid oid, OidFor(at));
  AERGO_ASSIGN_OR_RETURN(auto existing, BranchHead(name));
  if (existing) return Exists("branch '" + name + "' already exists");
  if (!resolver.empty()) AERGO_RETURN_IF_ERROR(CheckResolver(resolver, at));
  // The policy first: a crash before the ref leaves a record for a branch
  // that does not exist, which is ignored and overwritten on creation
  // (also when the new branch has the default policy: the stale record
  // is removed).
  AERGO_RETURN_IF_ERROR(index_->SetBranchPolicy(name, BranchPolicy{resolver, is_private}));
  Status st = git_.UpdateRef(kHeads + name, oid, std::nullopt, "branch: created from " + ToHex(at));
  if (st.code() == Code::kExists) return Exists("branch '" + name + "' already exists");
  return st;
}

Status Repository::DeleteBranch(const std::string& name, bool force) {
  AERGO_ASSIGN_OR_RETURN(auto head, BranchHead(name));
  if (!head) return NotFound("branch '" + name + "' not found");
  AERGO_ASSIGN_OR_RETURN(HeadRef h, git_.Head());
  if (h.branch && *h.branch == name)
    return Denied("cannot delete branch '" + name + "': it is checked out");
  AERGO_ASSIGN_OR_RETURN(uint64_t pending, index_->PoolCount(name));
  if (pending > 0 && !force)
    return Denied("branch '" + name + "' has " + std::to_string(pending) +
                  " pending tx(s) in its merge pool: commit or reset them on that branch, or "
                  "delete with -D to discard them");
  {
    Txn txn(&db_);
    AERGO_RETURN_IF_ERROR(txn.status());
    AERGO_RETURN_IF_ERROR(index_->ClearPool(name));
    AERGO_RETURN_IF_ERROR(txn.Commit());
  }
  AERGO_RETURN_IF_ERROR(git_.DeleteRef(kHeads + name));
  return index_->SetBranchPolicy(name, BranchPolicy());
}

Result<std::string> Repository::BranchResolver(const std::string& name) {
  AERGO_ASSIGN_OR_RETURN(auto head, BranchHead(name));
  if (!head) return NotFound("branch '" + name + "' not found");
  return index_->BranchResolver(name);
}

Result<bool> Repository::BranchPrivate(const std::string& name) {
  AERGO_ASSIGN_OR_RETURN(auto head, BranchHead(name));
  if (!head) return NotFound("branch '" + name + "' not found");
  AERGO_ASSIGN_OR_RETURN(BranchPolicy policy, index_->GetBranchPolicy(name));
  return policy.is_private;
}

Status Repository::SetBranchPrivate(const std::string& name, bool is_private) {
  AERGO_ASSIGN_OR_RETURN(auto head, BranchHead(name));
  if (!head) return NotFound("branch '" + name + "' not found");
  AERGO_ASSIGN_OR_RETURN(BranchPolicy policy, index_->GetBranchPolicy(name));
  if (policy.is_private == is_private) return Status::Ok();
  policy.is_private = is_private;
  return index_->SetBranchPolicy(name, policy);
}

Status Repository::CheckResolver(const std::string& resolver, const Hash32& at) {
  if (!IsValidResolverName(resolver))
    return Invalid("invalid resolver '" + resolver + "': expected <contract>.<function>");
  size_t dot = resolver.find('.');
  std::string contract = resolver.substr(0, dot), function = resolver.substr(dot + 1);
  AERGO_ASSIGN_OR_RETURN(auto reader, ReadAt(at));
  // The name is [a-z0-9_] only (checked above), so it can be inlined.
  AERGO_ASSIGN_OR_RETURN(QueryResult found,
                         reader->Query("SELECT source FROM aergo.contracts WHERE name = '" + contract + "'"));
  if (found.rows.empty())
    return NotFound("resolver '" + resolver + "': contract '" + contract + "' is not deployed at block " +
                    ShortId(at));
  AERGO_ASSIGN_OR_RETURN(ContractSource source, ParseContract(found.rows[0][0].bytes, contract));
  for (const ContractFunction& fn : source.functions) {
    if (fn.name != function) continue;
    bool fits = fn.params.size() == 5;
    for (const ContractParam& p : fn.params) fits = fits && p.type == Value::Type::kText;
    if (!fits)
      return Invalid("resolver '" + resolver + "' must take (txid TEXT, contract TEXT, function TEXT, args TEXT, "
                     "error TEXT); it is declared " + fn.Signature());
    return Status::Ok();
  }
  return NotFound("resolver '" + resolver + "': contract '" + contract + "' has no function '" + function + "'");
}

Status Repository::CreateTag(const std::string& name, const Hash32& at) {
  if (!IsValidRefName(name)) return Invalid("invalid tag name '" + name + "'");
  AERGO_ASSIGN_OR_RETURN(Oid oid, OidFor(at));
  Status st = git_.UpdateRef(kTags + name, oid, std::nullopt, "tag: " + ToHex(at));
  if (st.code() == Code::kExists) return Exists("tag '" + name + "' already exists");
  return st;
}

Status Repository::DeleteTag(const std::string& name) {
  AERGO_ASSIGN_OR_RETURN(auto t, TagTarget(name));
  if (!t) return NotFound("tag '" + name + "' not found");
  return git_.DeleteRef(kTags + name);
}

namespace {
// Index meta: what to check out again after WithBranchCheckedOut ("" or
// absent: nothing).
constexpr const char* kRestoreHead = "restore_head";
}  // namespace

Status Repository::Reconcile() {
  AERGO_RETURN_IF_ERROR(ReconcileState());
  AERGO_ASSIGN_OR_RETURN(auto back, index_->GetMeta(kRestoreHead));
  if (!back || back->empty()) return Status::Ok();
  if (!exclusive()) {
    AERGO_RETURN_IF_ERROR(lock_.Upgrade(options_.lock_timeout_ms));
    git_.set_exclusive(true);
  }
  return RestoreHead().Context("put HEAD back after an interrupted push");
}

Status Repository::RestoreHead() {
  AERGO_ASSIGN_OR_RETURN(auto back, index_->GetMeta(kRestoreHead));
  if (!back || back->empty()) return Status::Ok();
  AERGO_RETURN_IF_ERROR(Checkout(*back));
  return index_->SetMeta(kRestoreHead, "");
}

Status Repository::WithBranchCheckedOut(const std::string& branch, const std::function<Status()>& op) {
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (head.branch && *head.branch == branch) return op();
  AERGO_RETURN_IF_ERROR(index_->SetMeta(kRestoreHead, head.branch ? *head.branch : ToHex(head.block.id)));
  Status st = Checkout(branch);
  if (st.ok()) st = op();
  Status back = RestoreHead();
  return st.ok() ? back : st;
}

Status Repository::ReconcileState() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    AERGO_ASSIGN_OR_RETURN(HeadRef ref, git_.Head());
    AERGO_ASSIGN_OR_RETURN(auto sb, index_->GetMeta("state_branch"));
    AERGO_ASSIGN_OR_RETURN(auto sk, index_->GetMeta("state_block"));
    std::string want_branch = ref.branch.value_or("");
    if (!ref.target) return Corrupt("HEAD names branch '" + want_branch + "', which does not exist");
    AERGO_ASSIGN_OR_RETURN(Hash32 want, IdForOid(*ref.target));
    auto have = sk ? ParseHash(*sk) : std::nullopt;
    if (sb && *sb == want_branch && have && *have == want) return Status::Ok();
    // Something to repair: take the lock exclusively and look again.
    if (!exclusive()) {
      AERGO_RETURN_IF_ERROR(lock_.Upgrade(options_.lock_timeout_ms));
      git_.set_exclusive(true);
      continue;
    }
    if (ref.branch && sb && *sb == want_branch && have) {
      auto row = index_->GetBlock(*have);
      if (row.ok() && row.value() && !row.value()->parents.empty() &&
          row.value()->parents[0] == want) {
        // An interrupted commit: objects and index are in; finish the ref.
        return git_.UpdateRef(kHeads + want_branch, row.value()->oid, *ref.target,
                              "recover: complete interrupted commit");
      }
    }
    return Materialize(ref.branch, want);
  }
  return Status::Ok();
}

// ---- merge pool ----

Tx Repository::MakeTx(TxKind kind, const SecretKey& key, std::string contract, std::string function,
                      std::vector<Value> args, std::string payload) const {
  Tx tx;
  tx.kind = kind;
  tx.chain_id = chain_id_;
  tx.sender = key.public_key();
  tx.time_ms = clock_->NowMs();
  randombytes_buf(tx.salt.data(), tx.salt.size());
  tx.contract = std::move(contract);
  tx.function = std::move(function);
  tx.args = std::move(args);
  tx.payload = std::move(payload);
  tx.Sign(key);
  return tx;
}

static Status DetachedError(const Head& h, const std::string& hint) {
  return Denied("HEAD is detached at " + ShortId(h.block.id) + hint);
}

static Status DetachedError(const Head& h) {
  return DetachedError(h, ": check out a branch first (a tag or block is read-only)");
}

Result<std::string> Repository::CheckedOutBranch(const std::string& hint) {
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (!head.branch) return DetachedError(head, ": " + hint);
  return *head.branch;
}

static Status EmptyPoolError(const std::string& branch) {
  return Failed("nothing to commit: the merge pool of branch '" + branch + "' is empty");
}

Status Repository::CheckNotInHistory(const Hash32& head, const Hash32& txid) {
  AERGO_ASSIGN_OR_RETURN(auto blocks, index_->BlocksWithTx(txid));
  for (const auto& b : blocks) {
    AERGO_ASSIGN_OR_RETURN(bool in, IsAncestor(b, head));
    if (in) return Exists("tx " + ToHex(txid) + " is already in this branch's history");
  }
  return Status::Ok();
}

Result<std::vector<CheckedTx>> Repository::Precheck(const std::vector<Tx>& txs) {
  AERGO_ASSIGN_OR_RETURN(ChainParams params, chain_params());
  std::vector<CheckedTx> out(txs.size());
  // Signature verification dominates a large batch: on every core.
  ParallelFor(txs.size(), 0, [&](size_t i) {
    CheckedTx& c = out[i];
    c.tx_ = txs[i];
    c.id_ = c.tx_.Id();
    c.chain_id_ = chain_id_;
    const Tx& tx = c.tx_;
    size_t size = TxEncodedSize(tx);
    c.refusal_.clear();
    if (tx.kind == TxKind::kGenesis) c.refusal_ = "a genesis tx cannot be submitted";
    else if (tx.chain_id != chain_id_) c.refusal_ = "tx belongs to another chain";
    else if (static_cast<int64_t>(size) > params.max_tx_bytes)
      c.refusal_ = "tx is " + std::to_string(size) + " bytes, over the chain's max_tx_bytes (" +
                   std::to_string(params.max_tx_bytes) + ")";
    else if (auto round = Tx::Decode(tx.Encode()); !round.ok()) c.refusal_ = round.status().message();
    else if (!tx.VerifySignature()) c.refusal_ = "tx signature is invalid";
  });
  return out;
}

Result<std::vector<Submitted>> Repository::Submit(const std::vector<Tx>& txs, uint64_t time_budget_ms) {
  AERGO_ASSIGN_OR_RETURN(std::vector<CheckedTx> checked, Precheck(txs));
  return Submit(checked, time_budget_ms);
}

Result<std::vector<Submitted>> Repository::Submit(const std::vector<CheckedTx>& checked, uint64_t time_budget_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(time_budget_ms);
  AERGO_RETURN_IF_ERROR(CheckEngine());
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (!head.branch) return DetachedError(head);
  const std::string& branch = *head.branch;
  AERGO_ASSIGN_OR_RETURN(ChainParams params, chain_params());
  std::vector<Submitted> out(checked.size());
  for (size_t i = 0; i < checked.size(); ++i) {
    // One that passed another chain's checks is a caller's mistake; one not
    // checked carries its refusal.
    if (checked[i].refusal_.empty() && checked[i].chain_id_ != chain_id_)
      return Invalid("txs checked for chain " + ToHex(checked[i].chain_id_) + " submitted to chain " + ToHex(chain_id_));
    out[i].txid = checked[i].id_;
    out[i].outcome = CallOutcome{false, checked[i].refusal_, 0};
  }

  // SQLite rolls back the whole transaction when a write statement is
  // interrupted (a call over its step budget). Then the batch restarts with
  // that tx marked failed; the others re-execute deterministically.
  std::vector<std::optional<CallOutcome>> poisoned(checked.size());
  ChangeRecorder& recorder = *recorder_;
  for (;;) {
    recorder.Clear();
    Txn txn(&db_);
    AERGO_RETURN_IF_ERROR(txn.status());
    AERGO_ASSIGN_OR_RETURN(auto pool, index_->GetPool(branch));
    bool new_pool = !pool;
    PoolInfo info =
        pool ? *pool : PoolInfo{head.block.id, std::max(clock_->NowMs(), head.block.time_ms)};
    size_t kept = 0;
    bool restart = false;
    AddressCache addresses;
    // The pool must stay one block: within the chain's block bounds.
    AERGO_ASSIGN_OR_RETURN(PoolSize pool_size, index_->PoolSizeOf(branch));
    for (size_t i = 0; i < checked.size() && !restart; ++i) {
      Submitted& s = out[i];
      if (!checked[i].refusal_.empty()) continue;  // refused by Precheck
      if (poisoned[i]) { s.outcome = *poisoned[i]; continue; }
      auto fail = [&](std::string why) { s.outcome = CallOutcome{false, std::move(why), 0}; };
      const Tx& tx = checked[i].tx_;
      int64_t size = static_cast<int64_t>(TxEncodedSize(tx));
      if (static_cast<int64_t>(pool_size.txs) + 1 > params.max_block_txs) {
        fail("the merge pool of branch '" + branch + "' is full: " + std::to_string(pool_size.txs) +
             " txs, the chain's max_block_txs; commit first");
        continue;
      }
      if (static_cast<int64_t>(pool_size.bytes) + size > params.max_block_bytes) {
        fail("the merge pool of branch '" + branch + "' is full: " + std::to_string(pool_size.bytes) +
             " bytes of txs, the chain's max_block_bytes is " + std::to_string(params.max_block_bytes) +
             "; commit first");
        continue;
      }
      if (time_budget_ms > 0 && std::chrono::steady_clock::now() >= deadline) {
        fail("not executed: the submission used up its time budget (" + std::to_string(time_budget_ms) +
             " ms) on the txs before it; submit it again");
        continue;
      }
      AERGO_ASSIGN_OR_RETURN(bool dup, index_->PoolHasTx(branch, s.txid));
      if (dup) { fail("tx is already in the merge pool"); continue; }
      Status hist = CheckNotInHistory(head.block.id, s.txid);
      if (hist.code() == Code::kExists) { fail(hist.message()); continue; }
      AERGO_RETURN_IF_ERROR(hist);
      recorder.Begin();
      s.outcome = ExecuteTx(engine_.get(), db_.get(), tx, s.txid, head.block.height + 1,
                            info.time_ms, &addresses);
      if (sqlite3_get_autocommit(db_.get())) {  // the transaction is gone
        CallOutcome failed = s.outcome;
        failed.ok = false;
        if (failed.error.empty()) failed.error = "call aborted its transaction";
        poisoned[i] = failed;
        restart = true;
        break;
      }
      if (!s.outcome.ok) {
        recorder.Drop();
        continue;
      }
      AERGO_RETURN_IF_ERROR(recorder.Keep());
      AERGO_RETURN_IF_ERROR(
          index_->AddPoolEntry(branch, tx, Receipt{s.txid, ReceiptStatus::kApplied, "", ""}));
      ++kept;
      pool_size.txs += 1;
      pool_size.bytes += static_cast<uint64_t>(size);
    }
    if (restart) continue;  // ~Txn rolls back whatever is left
    // This batch's changes, after the pool's (written alone: the pool's
    // are not read, nor written again).
    if (kept > 0) AERGO_RETURN_IF_ERROR(index_->AppendPoolChanges(branch, recorder.Take().Encode()));
    if (new_pool && kept > 0) AERGO_RETURN_IF_ERROR(index_->OpenPool(branch, info));
    AERGO_RETURN_IF_ERROR(txn.Commit());
    return out;
  }
}

Result<uint64_t> Repository::PoolCount() {
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (!head.branch) return uint64_t{0};
  return index_->PoolCount(*head.branch);
}

Result<uint64_t> Repository::ResetPool() {
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (!head.branch) return DetachedError(head);
  AERGO_ASSIGN_OR_RETURN(uint64_t n, index_->PoolCount(*head.branch));
  if (n == 0) return n;
  // Undo the pool's changes and drop it in one transaction.
  Txn txn(&db_);
  AERGO_RETURN_IF_ERROR(txn.status());
  AERGO_ASSIGN_OR_RETURN(ChangeSet pool, PoolChanges(*head.branch));
  AERGO_RETURN_IF_ERROR(ApplyChanges(db_.get(), engine_.get(), pool.Inverted()));
  AERGO_RETURN_IF_ERROR(index_->ClearPool(*head.branch));
  AERGO_RETURN_IF_ERROR(txn.Commit());
  return n;
}

Status Repository::CheckCommittable() {
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (!head.branch) return DetachedError(head);
  AERGO_ASSIGN_OR_RETURN(uint64_t pending, index_->PoolCount(*head.branch));
  if (pending == 0) return EmptyPoolError(*head.branch);
  return Status::Ok();
}

Result<Block> Repository::Commit(const SecretKey& key, const std::string& message) {
  if (message.size() > kMaxMessageBytes)
    return Invalid("commit message is " + std::to_string(message.size()) + " bytes, limit " +
                   std::to_string(kMaxMessageBytes));
  if (!IsValidUtf8(message)) return Invalid("commit message is not valid UTF-8");
  AERGO_ASSIGN_OR_RETURN(Head head, CurrentHead());
  if (!head.branch) return DetachedError(head);
  const std::string& branch = *head.branch;
  AERGO_ASSIGN_OR_RETURN(auto pool, index_->GetPool(branch));
  AERGO_ASSIGN_OR_RETURN(auto entries, index_->PoolEntries(branch));
  if (!pool || entries.empty()) return EmptyPoolError(branch);
  if (pool->base != head.block.id)
    return Corrupt("merge pool of branch '" + branch + "' was built on another block");

  Block block;
  block.txs.reserve(entries.size());
  block.receipts.reserve(entries.size());
  for (auto& e : entries) {
    block.txs.push_back(std::move(e.tx));
    block.receipts.push_back(std::move(e.receipt));
  }
  auto& h = block.header;
  h.chain_id = chain_id_;
  h.height = head.block.height + 1;
  h.parents = {head.block.id};
  h.time_ms = pool->time_ms;
  h.producer = key.public_key();
  h.tx_count = static_cast<uint32_t>(block.txs.size());
  // The pool's receipts carry the tx ids, checked when each tx entered it.
  std::vector<Hash32> tx_ids;
  tx_ids.reserve(block.receipts.size());
  for (const auto& rc : block.receipts) tx_ids.push_back(rc.txid);
  h.tx_root = MerkleRoot(tx_ids);
  h.receipt_root = block.ComputeReceiptRoot();
  AERGO_ASSIGN_OR_RETURN(ChangeSet pool_changes, PoolChanges(branch));
  block.changes = pool_changes.Encode();
  h.state_root = ChainStateRoot(head.block.state_root, block.changes);
  h.message = message;
  AERGO_ASSIGN_OR_RETURN(ChainParams params, chain_params());
  if (Status st = CheckBlockBounds(block, params); !st.ok())
    return Failed("cannot seal the merge pool of branch '" + branch + "': " + st.message());
  h.Sign(key);

  // 1. objects  2. index + state  3. ref
  AERGO_ASSIGN_OR_RETURN(Oid oid, git_.WriteBlock(block, {head.block.oid}));
  {
    Txn txn(&db_);
    AERGO_RETURN_IF_ERROR(txn.status());
    AERGO_RETURN_IF_ERROR(index_->PutBlock(block, oid, &tx_ids));
    AERGO_RETURN_IF_ERROR(index_->ClearPool(branch));
    AERGO_RETURN_IF_ERROR(index_->SetMeta("state_block", ToHex(block.Id())));
    AERGO_RETURN_IF_ERROR(txn.Commit());
  }
  std::string first_line = message.substr(0, message.find('\n'));
  AERGO_RETURN_IF_ERROR(git_.UpdateRef(kHeads + branch, oid, head.block.oid,
                                       "commit: " + (first_line.empty() ? "(no message)" : first_line)));
  return block;
}

}  // namespace aergo
