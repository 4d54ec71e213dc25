#include "daemon/submit_queue.h"

namespace aergo {

namespace {
std::vector<SubmitResult> FailAll(size_t n, const Status& why) {
  SubmitResult failed;
  failed.status = why;
  return std::vector<SubmitResult>(n, failed);
}
}  // namespace

// A caller who does not lead sleeps on its entry's state alone (a futex:
// std::atomic::wait), never on mu_, and is woken once: to lead the next
// batch, or with its result. A wake-up costs a context switch; none is
// spent on a caller who would only sleep again.
SubmitResult SubmitQueue::Submit(SubmitEntry entry) {
  auto mine = std::make_shared<Pending>();
  mine->entry = std::move(entry);
  {
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(mine);
    if (running_) {
      lock.unlock();
      mine->state.wait(Pending::kWaiting, std::memory_order_acquire);
      while (mine->state.load(std::memory_order_acquire) == Pending::kWaiting)  // spurious wake-up
        mine->state.wait(Pending::kWaiting, std::memory_order_acquire);
      if (mine->state.load(std::memory_order_acquire) == Pending::kAnswered) return std::move(*mine->result);
      lock.lock();  // kLead: handed the lead (running_ stayed true)
    }
    running_ = true;
  }
  std::vector<std::shared_ptr<Pending>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.assign(queue_.begin(), queue_.end());
    queue_.clear();
  }
  std::vector<const SubmitEntry*> entries;
  for (const auto& p : batch) entries.push_back(&p->entry);
  std::vector<SubmitResult> results;
  try {
    results = run_(entries);
  } catch (const std::exception& e) {
    results = FailAll(batch.size(), IoError(std::string("internal error submitting txs: ") + e.what()));
  } catch (...) {
    results = FailAll(batch.size(), IoError("internal error submitting txs"));
  }
  if (results.size() != batch.size())
    results = FailAll(batch.size(), IoError("internal error: a submission batch lost its results"));

  // The next batch may execute while this one is made durable: the lead
  // goes to the first caller queued meanwhile, if any.
  std::shared_ptr<Pending> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) running_ = false;
    else next = queue_.front();
  }
  if (next) {
    next->state.store(Pending::kLead, std::memory_order_release);
    next->state.notify_one();
  }
  Status durable;
  try {
    durable = sync_();
  } catch (const std::exception& e) {
    durable = IoError(std::string("internal error syncing: ") + e.what());
  } catch (...) {
    durable = IoError("internal error syncing");
  }
  if (!durable.ok()) {
    // A request refused on its own (no role) keeps its answer.
    for (auto& r : results) {
      if (!r.status.ok()) continue;
      r = SubmitResult{};
      r.status = IoError("the submitted txs were executed, but syncing them to disk failed (" + durable.message() +
                         "): they may or may not be kept");
    }
  }
  SubmitResult own;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] == mine) {
      own = std::move(results[i]);
      continue;
    }
    batch[i]->result = std::move(results[i]);
    batch[i]->state.store(Pending::kAnswered, std::memory_order_release);
    batch[i]->state.notify_one();
  }
  return own;
}

}  // namespace aergo
