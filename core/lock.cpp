#include "core/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace aergo {

RepoLock::~RepoLock() {
  if (fd_ >= 0) close(fd_);
}

RepoLock& RepoLock::operator=(RepoLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    mode_ = o.mode_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

static Status Wait(int fd, int op, int timeout_ms, const std::string& path) {
  auto start = std::chrono::steady_clock::now();
  while (flock(fd, op | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR)
      return IoError("cannot lock '" + path + "': " + std::strerror(errno));
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
    if (timeout_ms >= 0 && waited >= timeout_ms)
      return Busy("repository is locked by another aergo process (waited " +
                  std::to_string(waited / 1000.0).substr(0, 4) + " s on '" + path + "')");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status::Ok();
}

Result<RepoLock> RepoLock::Acquire(const std::string& path, Mode mode, int timeout_ms) {
  RepoLock lock;
  lock.path_ = path;
  lock.fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd_ < 0) return IoError("cannot open lock file '" + path + "': " + std::strerror(errno));
  AERGO_RETURN_IF_ERROR(Wait(lock.fd_, mode == Mode::kShared ? LOCK_SH : LOCK_EX, timeout_ms, path));
  lock.mode_ = mode;
  return lock;
}

Status RepoLock::Upgrade(int timeout_ms) {
  if (mode_ == Mode::kExclusive) return Status::Ok();
  AERGO_RETURN_IF_ERROR(Wait(fd_, LOCK_EX, timeout_ms, path_));
  mode_ = Mode::kExclusive;
  return Status::Ok();
}

}  // namespace aergo
