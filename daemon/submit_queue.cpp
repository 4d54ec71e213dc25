#include "daemon/submit_queue.h"

namespace aergo {

namespace {
std::vector<SubmitResult> FailAll(size_t n, const Status& why) {
  SubmitResult failed;
  failed.status = why;
  return std::vector<SubmitResult>(n, failed);
}
}  // namespace

SubmitResult SubmitQueue::Submit(SubmitEntry entry) {
  auto mine = std::make_shared<Pending>();
  mine->entry = std::move(entry);
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(mine);
  // Wait until the entry is answered, or no batch runs and, still queued,
  // we lead.
  done_.wait(lock, [&] { return mine->result.has_value() || (!running_ && !mine->taken); });
  if (mine->result) return std::move(*mine->result);

  running_ = true;
  std::vector<std::shared_ptr<Pending>> batch(queue_.begin(), queue_.end());
  queue_.clear();
  for (const auto& p : batch) p->taken = true;
  lock.unlock();
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

  // The next batch may execute while this one is made durable.
  lock.lock();
  running_ = false;
  done_.notify_all();
  lock.unlock();
  Status durable;
  try {
    durable = sync_();
  } catch (const std::exception& e) {
    durable = IoError(std::string("internal error syncing: ") + e.what());
  } catch (...) {
    durable = IoError("internal error syncing");
  }
  if (!durable.ok())
    results = FailAll(batch.size(), IoError("the submitted txs were executed, but syncing them to disk failed (" +
                                            durable.message() + "): they may or may not be kept"));
  lock.lock();
  for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
  done_.notify_all();
  return std::move(*mine->result);
}

}  // namespace aergo
