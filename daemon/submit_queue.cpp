#include "daemon/submit_queue.h"

namespace aergo {

SubmitResult SubmitQueue::Submit(SubmitEntry entry) {
  auto mine = std::make_shared<Pending>();
  mine->entry = std::move(entry);
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(mine);
  // Wait until the entry is answered, or no batch runs and we lead.
  done_.wait(lock, [&] { return mine->result.has_value() || !running_; });
  while (!mine->result) {
    running_ = true;
    std::vector<std::shared_ptr<Pending>> batch(queue_.begin(), queue_.end());
    queue_.clear();
    lock.unlock();
    std::vector<const SubmitEntry*> entries;
    for (const auto& p : batch) entries.push_back(&p->entry);
    std::vector<SubmitResult> results;
    try {
      results = run_(entries);
    } catch (const std::exception& e) {
      SubmitResult failed;
      failed.status = IoError(std::string("internal error submitting txs: ") + e.what());
      results.assign(batch.size(), failed);
    } catch (...) {
      SubmitResult failed;
      failed.status = IoError("internal error submitting txs");
      results.assign(batch.size(), failed);
    }
    if (results.size() != batch.size()) {
      SubmitResult failed;
      failed.status = IoError("internal error: a submission batch lost its results");
      results.assign(batch.size(), failed);
    }
    lock.lock();
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
    running_ = false;
    done_.notify_all();
  }
  return std::move(*mine->result);
}

}  // namespace aergo
