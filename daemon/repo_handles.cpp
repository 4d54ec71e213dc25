#include "daemon/repo_handles.h"

#include "core/lock.h"

namespace aergo {

RepoHandles::RepoHandles(std::string aergo_dir, const Clock& clock, OpenOptions options, size_t max_idle_readers)
    : aergo_dir_(std::move(aergo_dir)),
      clock_(clock),
      options_(options),
      max_idle_readers_(max_idle_readers),
      log_sync_(aergo_dir_) {}

RepoHandles::~RepoHandles() = default;

Result<std::unique_ptr<RepoHandles>> RepoHandles::Open(const std::string& aergo_dir, const Clock& clock,
                                                       const OpenOptions& options, size_t max_idle_readers) {
  std::unique_ptr<RepoHandles> h(new RepoHandles(aergo_dir, clock, options, max_idle_readers));
  AERGO_RETURN_IF_ERROR(h->Write([](Repository&) { return Status::Ok(); }));
  return h;
}

Status RepoHandles::Write(const std::function<Status(Repository&)>& fn) { return WriteAs(fn, true); }

Status RepoHandles::WriteUnsynced(const std::function<Status(Repository&)>& fn) { return WriteAs(fn, false); }

Status RepoHandles::Sync() { return log_sync_.Sync(); }

Status RepoHandles::WriteAs(const std::function<Status(Repository&)>& fn, bool synced) {
  std::lock_guard<std::mutex> guard(write_mu_);
  AERGO_ASSIGN_OR_RETURN(RepoLock lock,
                         RepoLock::Acquire(aergo_dir_ + "/lock", RepoLock::Mode::kExclusive, options_.lock_timeout_ms));
  if (writer_) {
    auto changed = writer_->ChangedElsewhere();
    if (!changed.ok() || *changed) writer_.reset();
  }
  if (!writer_) {
    OpenOptions o = options_;
    o.lock = LockPolicy::kHeldByCaller;
    AERGO_ASSIGN_OR_RETURN(writer_, Repository::Open(aergo_dir_, OpenMode::kWrite, clock_, o));
    writer_synced_ = true;  // a new connection syncs each commit
  }
  // The writer stays in the mode of its last write: a run of submission
  // batches switches nothing. A synced write's commits are each synced
  // (and with them every earlier one still in the log): nothing for
  // LogSync to count.
  if (writer_synced_ != synced) {
    AERGO_RETURN_IF_ERROR(writer_->SetSyncCommits(synced));
    writer_synced_ = synced;
  }
  Status st;
  try {
    st = fn(*writer_);
  } catch (...) {
    if (!synced) log_sync_.Committed();
    writer_.reset();
    throw;
  }
  if (!synced) log_sync_.Committed();
  if (!st.ok()) {
    writer_.reset();
    return st;
  }
  // What the write reported of the txs it dropped was taken by fn (a
  // push's outcome); the writer lives on, so its record must not grow.
  writer_->TakeDroppedTxs();
  // The write-ahead log is left to SQLite's automatic checkpoints, which
  // reuse it from its start once copied back: no truncation per write, so
  // a commit overwrites blocks the log already has and its sync writes no
  // file size.
  return st;
}

Result<RepoHandles::Reader> RepoHandles::Lend() {
  std::unique_ptr<Repository> repo;
  {
    std::lock_guard<std::mutex> guard(readers_mu_);
    if (!idle_.empty()) {
      repo = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!repo) {
    OpenOptions o = options_;
    o.lock = LockPolicy::kSnapshot;
    AERGO_ASSIGN_OR_RETURN(repo, Repository::Open(aergo_dir_, OpenMode::kRead, clock_, o));
  }
  Status begun = repo->BeginSnapshot();
  if (!begun.ok()) return begun;  // the reader is closed: it may be broken
  return Reader(repo.release(), [this](Repository* r) { Return(r); });
}

void RepoHandles::Return(Repository* raw) {
  std::unique_ptr<Repository> repo(raw);
  repo->EndSnapshot();
  std::lock_guard<std::mutex> guard(readers_mu_);
  if (idle_.size() < max_idle_readers_) idle_.push_back(std::move(repo));
}

Status RepoHandles::Read(const std::function<Status(const Reader&)>& fn) {
  Status st;
  for (int attempt = 0; attempt < 2; ++attempt) {
    AERGO_ASSIGN_OR_RETURN(Reader reader, Lend());
    st = fn(reader);
    if (st.code() != Code::kCorrupt) break;
  }
  return st;
}

}  // namespace aergo
