// Unit tests for daemon/submit_queue.h: every caller gets the results of
// its own entry, concurrent callers are grouped into one batch while
// another runs, and a runner that throws or loses results fails its
// batch's entries (and only those) while the queue goes on working.
#include "daemon/submit_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

namespace aergo {
namespace {

using namespace std::chrono_literals;

// An entry whose caller is `name` and with `n` txs, each told apart by its
// time_ms (base + i).
SubmitEntry Entry(const std::string& name, size_t n, uint64_t base = 0) {
  SubmitEntry e;
  e.caller = name;
  for (size_t i = 0; i < n; ++i) {
    Tx tx;
    tx.time_ms = base + i;
    e.txs.emplace_back(tx);
  }
  return e;
}

// What a batch runner that echoes gives an entry: branch = its caller, one
// Submitted per tx whose txid's first bytes carry the tx's time_ms, failed
// when the time is odd.
SubmitResult Echo(const SubmitEntry& e) {
  SubmitResult r;
  r.branch = e.caller.value_or("<anonymous>");
  for (const CheckedTx& checked : e.txs) {
    const Tx& tx = checked.tx();
    Submitted s;
    for (int b = 0; b < 8; ++b) s.txid[b] = static_cast<uint8_t>(tx.time_ms >> (8 * (7 - b)));
    s.outcome.ok = tx.time_ms % 2 == 0;
    if (!s.outcome.ok) s.outcome.error = "odd " + std::to_string(tx.time_ms);
    r.submitted.push_back(s);
  }
  return r;
}

// A syncer for runners whose commits need none.
Status NoSync() { return Status::Ok(); }

uint64_t TimeOf(const Submitted& s) {
  uint64_t t = 0;
  for (int b = 0; b < 8; ++b) t = (t << 8) | s.txid[b];
  return t;
}

// Checks that r is what Echo gives Entry(name, n, base).
void ExpectEcho(const SubmitResult& r, const std::string& name, size_t n, uint64_t base) {
  ASSERT_TRUE(r.status.ok()) << name << ": " << r.status.message();
  EXPECT_EQ(r.branch, name);
  ASSERT_EQ(r.submitted.size(), n) << name;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(TimeOf(r.submitted[i]), base + i) << name << " tx " << i;
    EXPECT_EQ(r.submitted[i].outcome.ok, (base + i) % 2 == 0) << name << " tx " << i;
  }
}

TEST(SubmitQueue, OneCallerGetsItsResults) {
  int runs = 0;
  SubmitQueue q([&](const std::vector<const SubmitEntry*>& batch) {
    ++runs;
    std::vector<SubmitResult> out;
    for (const auto* e : batch) out.push_back(Echo(*e));
    return out;
  }, NoSync);
  ExpectEcho(q.Submit(Entry("alice", 3, 10)), "alice", 3, 10);
  ExpectEcho(q.Submit(Entry("bob", 1, 7)), "bob", 1, 7);
  SubmitResult anon = q.Submit(SubmitEntry{std::nullopt, {}});
  EXPECT_TRUE(anon.status.ok());
  EXPECT_EQ(anon.branch, "<anonymous>");
  EXPECT_TRUE(anon.submitted.empty());
  EXPECT_EQ(runs, 3);  // one after the other: a batch each
}

TEST(SubmitQueue, ConcurrentCallersEachGetTheirOwnResults) {
  std::atomic<int> runs{0};
  std::atomic<size_t> entries{0};
  SubmitQueue q([&](const std::vector<const SubmitEntry*>& batch) {
    ++runs;
    entries += batch.size();
    std::vector<SubmitResult> out;
    for (const auto* e : batch) out.push_back(Echo(*e));
    std::this_thread::sleep_for(1ms);  // let others queue up meanwhile
    return out;
  }, NoSync);
  constexpr int kThreads = 12, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string name = "caller-" + std::to_string(t) + "-" + std::to_string(i);
        size_t n = static_cast<size_t>(1 + (t + i) % 4);
        uint64_t base = static_cast<uint64_t>(t) * 100000 + static_cast<uint64_t>(i) * 10;
        SubmitResult r = q.Submit(Entry(name, n, base));
        bool good = r.status.ok() && r.branch == name && r.submitted.size() == n;
        for (size_t k = 0; good && k < n; ++k) good = TimeOf(r.submitted[k]) == base + k;
        if (!good) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(entries.load(), static_cast<size_t>(kThreads * kEach));  // each entry ran exactly once
  EXPECT_LE(runs.load(), kThreads * kEach);
}

// The state of thread `tid` of this process ('S' while it sleeps in a
// wait), or '?'.
char ThreadState(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// Runs a first entry whose batch blocks in the runner until `kFollowers`
// other callers are waiting in Submit; the batch after it must hold all of
// them. `fail_first`: the first batch throws instead of answering.
void RunGroupCommit(bool fail_first) {
  constexpr size_t kFollowers = 6;
  std::mutex mu;
  std::condition_variable cv;
  bool first_running = false, release = false;
  std::vector<std::vector<std::string>> batches;  // the callers of each batch, in order
  SubmitQueue q([&](const std::vector<const SubmitEntry*>& batch) {
    std::vector<std::string> names;
    for (const auto* e : batch) names.push_back(e->caller.value_or(""));
    bool first;
    {
      std::unique_lock<std::mutex> lock(mu);
      batches.push_back(names);
      first = batches.size() == 1;
      if (first) {
        first_running = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
      }
    }
    if (first && fail_first) throw std::runtime_error("disk on fire");
    std::vector<SubmitResult> out;
    for (const auto* e : batch) out.push_back(Echo(*e));
    return out;
  }, NoSync);

  SubmitResult leader_result;
  std::thread leader([&] { leader_result = q.Submit(Entry("leader", 2, 0)); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return first_running; }));
  }
  // The followers arrive while the first batch runs.
  std::vector<SubmitResult> results(kFollowers);
  std::vector<std::atomic<pid_t>> tids(kFollowers);
  std::vector<std::thread> followers;
  for (size_t i = 0; i < kFollowers; ++i)
    followers.emplace_back([&, i] {
      tids[i] = static_cast<pid_t>(syscall(SYS_gettid));
      results[i] = q.Submit(Entry("f" + std::to_string(i), i + 1, 1000 * (i + 1)));
    });
  // Wait until every follower sleeps (in Submit's wait: the queue's lock is
  // free while the runner runs), then give them a moment more.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (size_t i = 0; i < kFollowers; ++i)
    while ((tids[i] == 0 || ThreadState(tids[i]) != 'S') && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(100ms);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(batches.size(), 1u) << "a follower ran while the first batch ran";
    release = true;
  }
  cv.notify_all();
  leader.join();
  for (auto& f : followers) f.join();

  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], std::vector<std::string>{"leader"});
  std::set<std::string> second(batches[1].begin(), batches[1].end());
  std::set<std::string> want;
  for (size_t i = 0; i < kFollowers; ++i) want.insert("f" + std::to_string(i));
  EXPECT_EQ(second, want);
  EXPECT_EQ(batches[1].size(), kFollowers);

  if (fail_first) {
    EXPECT_EQ(leader_result.status.code(), Code::kIo);
    EXPECT_EQ(leader_result.status.message(), "internal error submitting txs: disk on fire");
    EXPECT_TRUE(leader_result.submitted.empty());
    EXPECT_FALSE(leader_result.lacks_role);
  } else {
    ExpectEcho(leader_result, "leader", 2, 0);
  }
  for (size_t i = 0; i < kFollowers; ++i) ExpectEcho(results[i], "f" + std::to_string(i), i + 1, 1000 * (i + 1));
}

TEST(SubmitQueue, CallersArrivingDuringABatchFormTheNextBatch) { RunGroupCommit(false); }

TEST(SubmitQueue, AFailedBatchDoesNotFailTheNextOne) { RunGroupCommit(true); }

TEST(SubmitQueue, AThrowingRunnerFailsEveryEntryOfItsBatchAndTheQueueGoesOn) {
  std::atomic<int> runs{0};
  SubmitQueue q([&](const std::vector<const SubmitEntry*>& batch) {
    ++runs;
    for (const auto* e : batch)
      if (e->caller == "boom") throw std::runtime_error("database is locked");
    std::vector<SubmitResult> out;
    for (const auto* e : batch) out.push_back(Echo(*e));
    return out;
  }, NoSync);
  SubmitResult bad = q.Submit(Entry("boom", 3, 0));
  EXPECT_FALSE(bad.status.ok());
  EXPECT_EQ(bad.status.code(), Code::kIo);
  EXPECT_EQ(bad.status.message(), "internal error submitting txs: database is locked");
  EXPECT_TRUE(bad.submitted.empty());
  EXPECT_EQ(bad.branch, "");
  // The queue is not stuck: the next caller leads a batch of its own.
  ExpectEcho(q.Submit(Entry("alice", 2, 4)), "alice", 2, 4);
  ExpectEcho(q.Submit(Entry("bob", 1, 9)), "bob", 1, 9);
  EXPECT_EQ(runs.load(), 3);
}

TEST(SubmitQueue, ARunnerThatLosesResultsFailsItsBatch) {
  // Results for the first batch: one too few; then one too many; then right.
  std::atomic<int> runs{0};
  SubmitQueue q([&](const std::vector<const SubmitEntry*>& batch) {
    int run = runs++;
    std::vector<SubmitResult> out;
    for (const auto* e : batch) out.push_back(Echo(*e));
    if (run == 0) out.pop_back();
    if (run == 1) out.push_back(Echo(*batch[0]));
    return out;
  }, NoSync);
  for (const char* name : {"short", "long"}) {
    SubmitResult r = q.Submit(Entry(name, 2, 0));
    EXPECT_EQ(r.status.code(), Code::kIo) << name;
    EXPECT_EQ(r.status.message(), "internal error: a submission batch lost its results") << name;
    EXPECT_TRUE(r.submitted.empty()) << name;
  }
  ExpectEcho(q.Submit(Entry("fine", 2, 6)), "fine", 2, 6);
}

TEST(SubmitQueue, PerEntryRefusalsReachOnlyTheirCaller) {
  // A runner that refuses one caller (as the daemon does for a missing
  // role) and answers the others of the same batch.
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, release = false;
  std::atomic<int> runs{0};
  SubmitQueue q([&](const std::vector<const SubmitEntry*>& batch) {
    if (runs++ == 0) {
      std::unique_lock<std::mutex> lock(mu);
      started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    }
    std::vector<SubmitResult> out;
    for (const auto* e : batch) {
      if (e->caller == "mallory") {
        SubmitResult r;
        r.status = Denied("mallory lacks the write role");
        r.lacks_role = true;
        out.push_back(r);
      } else {
        out.push_back(Echo(*e));
      }
    }
    return out;
  }, NoSync);
  SubmitResult first, mallory, carol;
  std::thread t0([&] { first = q.Submit(Entry("first", 1, 2)); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return started; }));
  }
  std::thread t1([&] { mallory = q.Submit(Entry("mallory", 2, 0)); });
  std::thread t2([&] { carol = q.Submit(Entry("carol", 2, 20)); });
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  t0.join();
  t1.join();
  t2.join();
  ExpectEcho(first, "first", 1, 2);
  EXPECT_EQ(mallory.status.code(), Code::kDenied);
  EXPECT_TRUE(mallory.lacks_role);
  EXPECT_TRUE(mallory.submitted.empty());
  ExpectEcho(carol, "carol", 2, 20);
  EXPECT_FALSE(carol.lacks_role);
}

// The batch after one runs while that one is being synced, and no caller
// of a batch is answered before its sync returns.
TEST(SubmitQueue, TheNextBatchRunsWhileOneIsSynced) {
  std::mutex mu;
  std::condition_variable cv;
  int syncs_started = 0;
  bool release_first_sync = false;
  std::vector<std::string> ran;
  SubmitQueue q(
      [&](const std::vector<const SubmitEntry*>& batch) {
        std::vector<SubmitResult> out;
        std::lock_guard<std::mutex> lock(mu);
        for (const auto* e : batch) {
          ran.push_back(e->caller.value_or(""));
          out.push_back(Echo(*e));
        }
        cv.notify_all();
        return out;
      },
      [&] {
        std::unique_lock<std::mutex> lock(mu);
        if (++syncs_started == 1) {
          cv.notify_all();
          cv.wait(lock, [&] { return release_first_sync; });
        }
        return Status::Ok();
      });
  std::atomic<bool> first_answered{false};
  SubmitResult first;
  std::thread t1([&] {
    first = q.Submit(Entry("first", 1, 0));
    first_answered = true;
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return syncs_started == 1; }));
  }
  // The first batch is being synced: a second caller's batch runs now, and
  // is synced and answered (its sync does not wait for the first).
  SubmitResult second = q.Submit(Entry("second", 2, 10));
  ExpectEcho(second, "second", 2, 10);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(ran, (std::vector<std::string>{"first", "second"}));
  }
  EXPECT_FALSE(first_answered.load()) << "answered before its sync returned";
  {
    std::lock_guard<std::mutex> lock(mu);
    release_first_sync = true;
  }
  cv.notify_all();
  t1.join();
  ExpectEcho(first, "first", 1, 0);
}

// A sync that fails fails every caller of its batch, saying their txs may
// have been kept; the queue goes on.
TEST(SubmitQueue, AFailedSyncFailsItsBatch) {
  int syncs = 0;
  SubmitQueue q(
      [&](const std::vector<const SubmitEntry*>& batch) {
        std::vector<SubmitResult> out;
        for (const auto* e : batch) out.push_back(Echo(*e));
        return out;
      },
      [&] { return ++syncs == 1 ? IoError("fdatasync: Input/output error") : Status::Ok(); });
  SubmitResult failed = q.Submit(Entry("alice", 2, 0));
  ASSERT_EQ(syncs, 1);
  EXPECT_EQ(failed.status.code(), Code::kIo);
  EXPECT_NE(failed.status.message().find("syncing them to disk failed (fdatasync: Input/output error): they may or "
                                         "may not be kept"),
            std::string::npos)
      << failed.status.message();
  EXPECT_TRUE(failed.submitted.empty());
  ExpectEcho(q.Submit(Entry("bob", 1, 4)), "bob", 1, 4);
}

// A request refused on its own (no write role) keeps that answer when its
// batch's sync fails: it executed nothing.
TEST(SubmitQueue, AFailedSyncLeavesARefusalAsItIs) {
  SubmitQueue q(
      [&](const std::vector<const SubmitEntry*>& batch) {
        std::vector<SubmitResult> out;
        for (const auto* e : batch) {
          SubmitResult r;
          r.status = Denied("'" + e->caller.value_or("") + "' may not write");
          r.lacks_role = true;
          out.push_back(r);
        }
        return out;
      },
      [] { return IoError("fdatasync: Input/output error"); });
  SubmitResult r = q.Submit(Entry("mallory", 1, 0));
  EXPECT_EQ(r.status.code(), Code::kDenied) << r.status.message();
  EXPECT_TRUE(r.lacks_role);
}

}  // namespace
}  // namespace aergo
