// ParallelFor: runs fn(i) for i in [0, n) on up to `threads` threads
// (0 = one per core), in contiguous chunks. fn must be safe to call
// concurrently for different i. Small n runs inline; so does the share of
// threads that cannot be started.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace aergo {

template <typename Fn>
void ParallelFor(size_t n, unsigned threads, Fn fn) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  constexpr size_t kChunk = 256;
  if (threads == 1 || n <= kChunk) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      size_t start = next.fetch_add(kChunk);
      if (start >= n) return;
      size_t end = std::min(n, start + kChunk);
      for (size_t i = start; i < end; ++i) fn(i);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 1; t < threads; ++t) {
    // No thread to be had (a process or memory limit): this one does the
    // chunks no thread took.
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (auto& t : pool) t.join();
}

}  // namespace aergo
