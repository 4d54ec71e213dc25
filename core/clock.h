// Clock: the source of wall time, behind an interface so tests can fix it.
#pragma once

#include <chrono>
#include <cstdint>

namespace aergo {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowMs() const = 0;
};

class SystemClock : public Clock {
 public:
  uint64_t NowMs() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
};

class FixedClock : public Clock {
 public:
  explicit FixedClock(uint64_t ms) : ms_(ms) {}
  uint64_t NowMs() const override { return ms_; }
  void Advance(uint64_t ms) { ms_ += ms; }

 private:
  uint64_t ms_;
};

}  // namespace aergo
