// RepoLock: an flock(2) on <repo>/.aergo/lock. Writers hold it exclusive,
// readers shared; a second writer waits up to a timeout, then fails with a
// clear kBusy error. Released on destruction (or process death).
#pragma once

#include <string>

#include "core/status.h"

namespace aergo {

class RepoLock {
 public:
  enum class Mode { kShared, kExclusive };
  RepoLock() = default;
  ~RepoLock();
  RepoLock(RepoLock&& o) noexcept : fd_(o.fd_), mode_(o.mode_) { o.fd_ = -1; }
  RepoLock& operator=(RepoLock&& o) noexcept;
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;

  // timeout_ms < 0 waits forever.
  static Result<RepoLock> Acquire(const std::string& path, Mode mode, int timeout_ms);
  // Converts a shared lock to exclusive (waiting as Acquire does).
  Status Upgrade(int timeout_ms);
  Mode mode() const { return mode_; }

 private:
  int fd_ = -1;
  Mode mode_ = Mode::kShared;
  std::string path_;
};

}  // namespace aergo
