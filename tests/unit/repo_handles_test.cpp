// Unit tests for daemon/repo_handles.h and the lock policies behind it
// (core/repo.h LockPolicy): a read runs while a write is under way, a
// reader's snapshot does not move during its use, the lock is held only
// while a write runs, and a write after another process wrote sees what it
// wrote (the writer is reopened).
#include "daemon/repo_handles.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "core/lock.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

using namespace std::chrono_literals;

class RepoHandlesTest : public testutil::RepoFixture {
 protected:
  RepoHandlesTest() : RepoFixture("aergo-handles", 0x61) {}

  void SetUp() override {
    RepoFixture::SetUp();
    BuildHistory();
    aergo_dir_ = repo_->path();
    repo_.reset();  // the test's own writes reopen it, as another process would
    OpenOptions options;
    options.lock_timeout_ms = 200;
    auto h = RepoHandles::Open(aergo_dir_, clock_, options, 2);
    ASSERT_TRUE(h.ok()) << h.status().message();
    handles_ = std::move(*h);
  }

  void TearDown() override {
    handles_.reset();
    RepoFixture::TearDown();
  }

  // What another process does: open with the lock, submit and commit.
  Block CommitElsewhere() {
    auto other = Repository::Open(aergo_dir_, OpenMode::kWrite, clock_);
    EXPECT_TRUE(other.ok()) << other.status().message();
    if (!other.ok()) return Block{};
    auto tx = (*other)->MakeTx(TxKind::kCall, alice_, "token", "transfer", {Value::Text(Addr(bob_)), Value::Integer(1)}, "");
    auto sub = (*other)->Submit({tx});
    EXPECT_TRUE(sub.ok() && (*sub)[0].outcome.ok);
    clock_.Advance(1000);
    auto b = (*other)->Commit(admin_, "elsewhere");
    EXPECT_TRUE(b.ok()) << b.status().message();
    return b.ok() ? *b : Block{};
  }

  Hash32 MasterOf(Repository& repo) {
    auto head = repo.BranchHead("master");
    EXPECT_TRUE(head.ok() && *head);
    return head.ok() && *head ? **head : Hash32{};
  }

  std::string aergo_dir_;
  std::unique_ptr<RepoHandles> handles_;
};

TEST_F(RepoHandlesTest, ReadRunsWhileAWriteHoldsTheLock) {
  std::promise<void> read_done;
  auto read_finished = read_done.get_future();
  std::promise<void> writing;
  std::thread reader([&] {
    writing.get_future().wait();
    Status st = handles_->Read([&](const RepoHandles::Reader& repo) {
      EXPECT_EQ(MasterOf(*repo), block2_.Id());
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.message();
    read_done.set_value();
  });
  Status st = handles_->Write([&](Repository&) {
    writing.set_value();
    // The read finishes while this write still runs (and holds the lock).
    EXPECT_EQ(read_finished.wait_for(10s), std::future_status::ready);
    return Status::Ok();
  });
  reader.join();
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_F(RepoHandlesTest, LockIsHeldOnlyWhileAWriteRuns) {
  ASSERT_TRUE(handles_->Write([&](Repository&) {
    auto busy = RepoLock::Acquire(aergo_dir_ + "/lock", RepoLock::Mode::kExclusive, 0);
    EXPECT_EQ(busy.status().code(), Code::kBusy);
    return Status::Ok();
  }).ok());
  auto free = RepoLock::Acquire(aergo_dir_ + "/lock", RepoLock::Mode::kExclusive, 0);
  EXPECT_TRUE(free.ok()) << free.status().message();
  // And a write waits for another holder, then fails Busy with its reason.
  Status st = handles_->Write([](Repository&) { return Status::Ok(); });
  EXPECT_EQ(st.code(), Code::kBusy) << st.message();
}

TEST_F(RepoHandlesTest, WriteAfterAnotherProcessWroteSeesItsWrite) {
  ASSERT_TRUE(handles_->Write([&](Repository& repo) {
    EXPECT_EQ(MasterOf(repo), block2_.Id());
    auto pending = repo.PoolCount();
    EXPECT_TRUE(pending.ok() && *pending == 0);
    return Status::Ok();
  }).ok());
  Block elsewhere = CommitElsewhere();
  ASSERT_TRUE(handles_->Write([&](Repository& repo) {
    EXPECT_EQ(MasterOf(repo), elsewhere.Id());
    // The writer's state is the new head's: a tx that spends what the
    // other process's block left works on it.
    auto tx = repo.MakeTx(TxKind::kCall, bob_, "token", "transfer", {Value::Text(Addr(alice_)), Value::Integer(31)}, "");
    auto sub = repo.Submit({tx});
    EXPECT_TRUE(sub.ok()) << sub.status().message();
    if (sub.ok()) {
      EXPECT_TRUE((*sub)[0].outcome.ok) << (*sub)[0].outcome.error;
    }
    return Status::Ok();
  }).ok());
}

TEST_F(RepoHandlesTest, ReaderSnapshotHoldsStillAndTheNextReadSeesNewBlocks) {
  Block elsewhere;
  Status st = handles_->Read([&](const RepoHandles::Reader& repo) -> Status {
    auto before = repo->index().GetBlock(block2_.Id());
    EXPECT_TRUE(before.ok() && *before);
    elsewhere = CommitElsewhere();
    // The index as of the snapshot: the new block is not in it yet.
    auto after = repo->index().GetBlock(elsewhere.Id());
    EXPECT_TRUE(after.ok());
    if (after.ok()) {
      EXPECT_FALSE(after->has_value());
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.message();
  st = handles_->Read([&](const RepoHandles::Reader& repo) {
    EXPECT_EQ(MasterOf(*repo), elsewhere.Id());
    auto row = repo->index().GetBlock(elsewhere.Id());
    EXPECT_TRUE(row.ok() && *row);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_F(RepoHandlesTest, ARefNewerThanTheSnapshotIsReadAgainOnANewOne) {
  int runs = 0;
  Block elsewhere;
  Status st = handles_->Read([&](const RepoHandles::Reader& repo) -> Status {
    if (++runs == 1) elsewhere = CommitElsewhere();  // the ref moves past the snapshot
    auto head = repo->CurrentHead();
    if (!head.ok()) return head.status();
    EXPECT_EQ(head->block.id, elsewhere.Id());
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(runs, 2);
}

// Why the daemon asks a snapshot's LiveState, not HEAD, which branch its
// live state is (daemon/ledger_routes.cpp ServedIsLive): HEAD is read as
// it is now, the state as of the snapshot.
TEST_F(RepoHandlesTest, ASnapshotsLiveStateStaysItsOwnWhileHeadMoves) {
  {
    auto other = Repository::Open(aergo_dir_, OpenMode::kWrite, clock_);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->CreateBranch("side", block1_.Id()).ok());
    ASSERT_TRUE((*other)->Checkout("side").ok());
  }
  Status st = handles_->Read([&](const RepoHandles::Reader& repo) -> Status {
    {
      auto other = Repository::Open(aergo_dir_, OpenMode::kWrite, clock_);
      EXPECT_TRUE(other.ok());
      if (other.ok()) {
        EXPECT_TRUE((*other)->Checkout("master").ok());
      }
    }
    auto head = repo->CurrentHead();
    EXPECT_TRUE(head.ok() && head->branch && *head->branch == "master");
    auto pos = repo->LiveState();
    EXPECT_TRUE(pos.ok() && *pos && (*pos)->branch && *(*pos)->branch == "side");
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_F(RepoHandlesTest, PoliciesRefuseTheWrongMode) {
  OpenOptions o;
  o.lock = LockPolicy::kSnapshot;
  EXPECT_EQ(Repository::Open(aergo_dir_, OpenMode::kWrite, clock_, o).status().code(), Code::kInvalid);
  o.lock = LockPolicy::kHeldByCaller;
  EXPECT_EQ(Repository::Open(aergo_dir_, OpenMode::kRead, clock_, o).status().code(), Code::kInvalid);
}

// A Write's commits are each synced (a ref may follow them); only a
// WriteUnsynced runs unsynced, and Sync then covers it. What a write
// commits unsynced is there for the next write and for readers.
TEST_F(RepoHandlesTest, OnlyAnUnsyncedWriteSkipsTheSyncPerCommit) {
  auto synchronous = [](Repository& repo) {
    auto q = repo.db().Prepare("PRAGMA synchronous");
    EXPECT_TRUE(q.ok());
    return q.ok() && q->Step() == SQLITE_ROW ? q->Int(0) : -1;
  };
  int64_t during = -1;
  ASSERT_TRUE(handles_->Write([&](Repository& repo) {
    during = synchronous(repo);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(during, 2);  // FULL
  Hash32 txid{};
  ASSERT_TRUE(handles_->WriteUnsynced([&](Repository& repo) {
    during = synchronous(repo);
    auto tx = repo.MakeTx(TxKind::kCall, alice_, "token", "transfer", {Value::Text(Addr(bob_)), Value::Integer(1)}, "");
    auto sub = repo.Submit({tx});
    EXPECT_TRUE(sub.ok() && (*sub)[0].outcome.ok);
    if (sub.ok()) txid = (*sub)[0].txid;
    return Status::Ok();
  }).ok());
  EXPECT_EQ(during, 1);  // NORMAL
  ASSERT_TRUE(handles_->Sync().ok());
  ASSERT_TRUE(handles_->Write([&](Repository& repo) {
    during = synchronous(repo);
    EXPECT_EQ(*repo.PoolCount(), 1u);
    return Status::Ok();
  }).ok());
  EXPECT_EQ(during, 2);
  ASSERT_TRUE(handles_->Read([&](const RepoHandles::Reader& repo) {
    EXPECT_EQ(*repo->PoolCount(), 1u);
    return Status::Ok();
  }).ok());
}

}  // namespace
}  // namespace aergo
