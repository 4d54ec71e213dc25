#include "core/log_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

namespace aergo {

LogSync::LogSync(std::string aergo_dir) : aergo_dir_(std::move(aergo_dir)) {}

void LogSync::Committed() {
  std::lock_guard<std::mutex> lock(mu_);
  ++committed_;
}

Status LogSync::Sync() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t want = committed_;
  while (synced_ < want) {
    if (!failed_.ok()) return failed_;
    if (syncing_) {
      synced_cv_.wait(lock);  // the sync under way may cover `want`; if not, the loop syncs again
      continue;
    }
    syncing_ = true;
    const uint64_t target = committed_;
    lock.unlock();
    Status st = SyncFiles();
    lock.lock();
    syncing_ = false;
    if (st.ok() && target > synced_) synced_ = target;
    // Sticky: after a failed fdatasync the kernel may have dropped the
    // dirty pages and report success next time, and later commits build
    // on the ones lost. Nothing is synced (acknowledged) any more.
    if (!st.ok())
      failed_ = IoError("the write-ahead log could not be synced to disk (" + st.message() +
                        "); nothing is acknowledged from then on: check the disk and restart the daemon");
    synced_cv_.notify_all();
    if (!failed_.ok()) return failed_;
  }
  return Status::Ok();
}

namespace {
Status SyncPath(const std::string& path, bool directory, ino_t* inode) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && !directory) return NotFound(path);
    return IoError("sync '" + path + "': " + strerror(errno));
  }
  struct stat st {};
  int rc = ::fstat(fd, &st);
  if (rc == 0) rc = directory ? ::fsync(fd) : ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("sync '" + path + "': " + strerror(err));
  if (inode) *inode = st.st_ino;
  return Status::Ok();
}
}  // namespace

Status LogSync::SyncFiles() {
  ino_t inode = 0;
  Status st = SyncPath(aergo_dir_ + "/ledger.db-wal", false, &inode);
  // No log: SQLite folded it into ledger.db, which it synced doing so.
  if (st.code() == Code::kNotFound) return Status::Ok();
  AERGO_RETURN_IF_ERROR(st);
  if (inode != log_inode_) {
    AERGO_RETURN_IF_ERROR(SyncPath(aergo_dir_, true, nullptr));
    log_inode_ = inode;
  }
  return Status::Ok();
}

}  // namespace aergo
