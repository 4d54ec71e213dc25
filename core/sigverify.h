// SignatureVerifier: checks the producer signature of blocks and the
// signatures of their txs on worker threads while the caller goes on
// decoding and replaying (fsck, and blocks arriving by fetch or push).
// Ownership: borrows the blocks given to Add(), which must stay alive and in
// place until Finish(). Thread-safety: Add() and Finish() from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/objects.h"

namespace aergo {

class SignatureVerifier {
 public:
  explicit SignatureVerifier(unsigned threads) : bad_(threads) {
    for (unsigned w = 0; w < threads; ++w) workers_.emplace_back([this, w] { Work(w); });
  }
  ~SignatureVerifier() { Finish(); }

  void Add(const Block* block) {
    constexpr size_t kChunk = 256;
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({block, 0, 0, true});
    for (size_t i = 0; i < block->txs.size(); i += kChunk)
      queue_.push_back({block, i, std::min(block->txs.size(), i + kChunk), false});
    ready_.notify_all();
  }

  // Whether a check has failed so far (Finish says which): lets a caller
  // stop expensive work early.
  bool failed() const { return failed_; }

  // Drops the checks no worker has started (the caller gave up).
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
  }

  // Waits for every queued check; returns the failures.
  std::vector<std::string> Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    ready_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    std::vector<std::string> out;
    for (auto& v : bad_) out.insert(out.end(), v.begin(), v.end());
    return out;
  }

 private:
  struct Chunk {
    const Block* block;
    size_t begin, end;  // tx range
    bool header;
  };

  void Work(unsigned w) {
    for (;;) {
      Chunk c;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        c = queue_.front();
        queue_.pop_front();
      }
      if (c.header && !c.block->header.VerifySignature()) {
        bad_[w].push_back("block " + ToHex(c.block->Id()) + ": bad producer signature");
        failed_ = true;
      }
      for (size_t i = c.begin; i < c.end; ++i) {
        const Tx& tx = c.block->txs[i];
        if (!tx.VerifySignature()) {
          bad_[w].push_back("block " + ToHex(c.block->Id()) + ": tx " + ToHex(tx.Id()) +
                            " has a bad signature");
          failed_ = true;
        }
      }
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Chunk> queue_;
  bool closed_ = false;
  std::atomic<bool> failed_{false};
  std::vector<std::vector<std::string>> bad_;  // per worker
  std::vector<std::thread> workers_;
};


}  // namespace aergo
