// Unit tests for merge/merge.h: merge bases (including criss-cross
// histories), the source-only txs a merge takes (order, deduplication,
// txs already on the target), fast-forward, refusals, and VerifyMerge.
#include "merge/merge.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/fsck.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

class MergeTest : public testutil::RepoFixture {
 protected:
  MergeTest() : RepoFixture("aergo-merge-test", 0x31) {}

  Hash32 Head() { return repo_->CurrentHead()->block.id; }

  void Checkout(const std::string& rev) {
    Status st = repo_->Checkout(rev);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  Result<MergeReport> Merge(const std::string& rev, bool preview = false) {
    auto id = repo_->Resolve(rev);
    if (!id.ok()) return id.status();
    MergeOptions options;
    options.source_name = rev;
    options.preview = preview;
    clock_.Advance(1000);
    return MergeInto(*repo_, *id, &admin_, options);
  }

  MergeReport MergeOk(const std::string& rev, bool preview = false) {
    auto r = Merge(rev, preview);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : MergeReport{};
  }

  int64_t Balance(const SecretKey& k) {
    auto q = repo_->engine().Query("SELECT balance FROM token.accounts WHERE owner = '" + Addr(k) + "'");
    if (!q.ok() || q->rows.empty()) return -1;
    return q->rows[0][0].integer;
  }

  void ExpectFsckClean() {
    for (bool fast : {false, true}) {
      auto rep = RunFsck(repo_.get(), FsckOptions{2, fast});
      ASSERT_TRUE(rep.ok()) << rep.status().message();
      EXPECT_TRUE(rep->ok()) << (rep->problems.empty() ? "" : rep->problems[0]);
    }
  }

  void ExpectVerified(const Hash32& block) {
    auto v = VerifyMerge(*repo_, block);
    ASSERT_TRUE(v.ok()) << v.status().message();
    EXPECT_TRUE(v->differences.empty()) << v->differences.front();
  }

  Tx Transfer(const SecretKey& from, const SecretKey& to, int64_t n) {
    return Call(from, "transfer", {Value::Text(Addr(to)), Value::Integer(n)});
  }

  // After BuildHistory (alice 70, bob 30): branch feature where alice pays
  // bob 70 and bob pays alice 1; on master admin opens an account and
  // alice pays admin 70. Master is checked out.
  void DivergedBranches() {
    BuildHistory();
    ASSERT_TRUE(repo_->CreateBranch("feature", Head()).ok());
    Checkout("feature");
    SubmitOk({pay_bob_ = Transfer(alice_, bob_, 70)});
    CommitOk("alice pays bob 70");
    SubmitOk({pay_alice_ = Transfer(bob_, alice_, 1)});
    CommitOk("bob pays alice 1");
    Checkout("master");
    SubmitOk({Call(admin_, "open", {}), Transfer(alice_, admin_, 70)});
    CommitOk("alice pays admin 70");
  }

  Tx pay_bob_, pay_alice_;
};

TEST_F(MergeTest, AutomaticMergeExcludesWhatFailsOnTheTarget) {
  DivergedBranches();
  Hash32 target = Head();
  Hash32 source = *repo_->Resolve("feature");
  MergeReport r = MergeOk("feature");
  ASSERT_TRUE(r.block);
  EXPECT_FALSE(r.fast_forward);
  EXPECT_EQ(r.base, block2_.Id());
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].txid, pay_bob_.Id());
  EXPECT_NE(r.excluded[0].error.find("CHECK constraint failed"), std::string::npos) << r.excluded[0].error;
  EXPECT_EQ(r.applied, std::vector<Hash32>{pay_alice_.Id()});
  EXPECT_EQ(Balance(alice_), 1);
  EXPECT_EQ(Balance(bob_), 29);
  EXPECT_EQ(Balance(admin_), 70);
  // The merge block: parents target then source, both txs in source order.
  auto b = repo_->ReadBlock(*r.block);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->header.parents, (std::vector<Hash32>{target, source}));
  ASSERT_EQ(b->txs.size(), 2u);
  EXPECT_EQ(b->receipts[0].status, ReceiptStatus::kExcluded);
  EXPECT_EQ(b->receipts[1].status, ReceiptStatus::kApplied);
  EXPECT_EQ(Head(), *r.block);
  EXPECT_EQ(LiveDigest(), ReplayDigest(*r.block));
  ExpectVerified(*r.block);
  ExpectFsckClean();
  // The excluded tx stays in this branch's history: it cannot come back.
  auto again = repo_->Submit({pay_bob_});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->front().outcome.ok);
}

TEST_F(MergeTest, PreviewIsTheMergeWithoutWriting) {
  DivergedBranches();
  Hash32 before = LiveDigest(), head = Head();
  MergeReport preview = MergeOk("feature", true);
  EXPECT_FALSE(preview.block);
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(LiveDigest(), before);
  MergeReport real = MergeOk("feature");
  EXPECT_EQ(preview.applied, real.applied);
  ASSERT_EQ(preview.excluded.size(), real.excluded.size());
  EXPECT_EQ(preview.changes.Encode(), real.changes.Encode());
}

TEST_F(MergeTest, FastForwardAndUpToDate) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("behind", block1_.Id()).ok());
  Checkout("behind");
  MergeReport ff = MergeOk("master");
  EXPECT_TRUE(ff.fast_forward);
  ASSERT_TRUE(ff.block);
  EXPECT_EQ(*ff.block, block2_.Id());
  EXPECT_EQ(Head(), block2_.Id());
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
  MergeReport same = MergeOk("master");
  EXPECT_TRUE(same.up_to_date);
  EXPECT_FALSE(same.block);
  Checkout("master");
  EXPECT_TRUE(MergeOk(ToHex(block1_.Id())).up_to_date);
  EXPECT_EQ(Head(), block2_.Id());
}

TEST_F(MergeTest, RefusesPendingPoolAndDetachedHead) {
  DivergedBranches();
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  auto pending = Merge("feature");
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.status().code(), Code::kDenied);
  EXPECT_NE(pending.status().message().find("commit or reset"), std::string::npos);
  ASSERT_TRUE(repo_->ResetPool().ok());
  Checkout(ToHex(block2_.Id()));
  auto detached = Merge("feature");
  ASSERT_FALSE(detached.ok());
  EXPECT_NE(detached.status().message().find("detached"), std::string::npos);
}

TEST_F(MergeTest, TxAlreadyOnTheTargetIsNotTakenAgain) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("feature", Head()).ok());
  Tx shared = Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(5)});
  SubmitOk({shared});
  CommitOk("mint on master");
  Checkout("feature");
  Tx only = Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(2)});
  SubmitOk({shared, only});  // the same signed tx, on the other branch
  CommitOk("mint on feature");
  Checkout("master");
  MergeReport r = MergeOk("feature");
  EXPECT_EQ(r.applied, std::vector<Hash32>{only.Id()});
  EXPECT_TRUE(r.excluded.empty());
  EXPECT_EQ(Balance(bob_), 35);  // minted once
  EXPECT_EQ(Balance(alice_), 72);
  ExpectVerified(*r.block);
  ExpectFsckClean();
}

TEST_F(MergeTest, CrissCrossHistoryHasADeterministicBase) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("f", Head()).ok());
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)})});
  Hash32 m1 = CommitOk("m1").Id();
  Checkout("f");
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  Hash32 f1 = CommitOk("f1").Id();
  Checkout("master");
  MergeReport mm = MergeOk("f");  // master: m1 + f1
  Checkout("f");
  MergeReport fm = MergeOk(ToHex(m1));  // f: f1 + m1
  ASSERT_TRUE(mm.block && fm.block);
  auto base = MergeBase(*repo_, *mm.block, *fm.block);
  ASSERT_TRUE(base.ok()) << base.status().message();
  EXPECT_EQ(*base, std::min(m1, f1)) << "two maximal common ancestors: the smallest id wins";
  auto reverse = MergeBase(*repo_, *fm.block, *mm.block);
  ASSERT_TRUE(reverse.ok());
  EXPECT_EQ(*reverse, *base);
  // Merging the two merges brings nothing new: every tx is on both sides.
  Checkout("master");
  MergeReport both = MergeOk("f");
  ASSERT_TRUE(both.block);
  EXPECT_TRUE(both.applied.empty());
  EXPECT_TRUE(both.excluded.empty());
  EXPECT_EQ(Balance(alice_), 71);
  EXPECT_EQ(Balance(bob_), 31);
  ExpectVerified(*both.block);
  ExpectFsckClean();
}

// A conflict a branch settled in its own merge stays settled when that
// branch is merged elsewhere: the source's history is its first-parent
// chain, whose merge block carries the decision (whatever the block ids).
TEST_F(MergeTest, ASettledConflictStaysSettled) {
  BuildHistory();  // alice 70, bob 30
  Hash32 base = Head();
  for (const char* b : {"x", "y", "z"}) ASSERT_TRUE(repo_->CreateBranch(b, base).ok());
  Checkout("y");
  Tx to_bob = Transfer(alice_, bob_, 70);
  SubmitOk({to_bob});
  CommitOk("alice pays bob 70");
  Checkout("x");
  SubmitOk({Call(admin_, "open", {}), Transfer(alice_, admin_, 70)});
  CommitOk("alice pays admin 70");
  MergeReport xy = MergeOk("y");
  ASSERT_EQ(xy.excluded.size(), 1u);
  EXPECT_EQ(xy.excluded[0].txid, to_bob.Id());
  Checkout("z");
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  CommitOk("mint bob 1");
  MergeReport zx = MergeOk("x");
  EXPECT_EQ(Balance(admin_), 70) << "x decided for admin";
  EXPECT_EQ(Balance(bob_), 31);
  EXPECT_EQ(Balance(alice_), 0);
  EXPECT_TRUE(std::find(zx.applied.begin(), zx.applied.end(), to_bob.Id()) == zx.applied.end());
  ExpectVerified(*zx.block);
  ExpectFsckClean();
}

TEST_F(MergeTest, MergeBaseOfUnrelatedAndOfAncestors) {
  BuildHistory();
  EXPECT_EQ(*MergeBase(*repo_, block1_.Id(), block2_.Id()), block1_.Id());
  EXPECT_EQ(*MergeBase(*repo_, block2_.Id(), block1_.Id()), block1_.Id());
  EXPECT_EQ(*MergeBase(*repo_, block2_.Id(), block2_.Id()), block2_.Id());
  auto v = VerifyMerge(*repo_, block2_.Id());
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("is not a merge block"), std::string::npos);
}

}  // namespace
}  // namespace aergo
