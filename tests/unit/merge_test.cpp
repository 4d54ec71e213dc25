// Unit tests for merge/merge.h: merge bases (including criss-cross
// histories), the source-only txs a merge takes (order, deduplication,
// txs already on the target), fast-forward, refusals, consistent merges
// (resolvers that succeed, fail, or abort their transaction), and
// VerifyMerge.
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

  // After BuildHistory (alice 70, bob 30), and the resolver contract
  // `merges` if given: branch feature where alice pays bob 70 and bob pays
  // alice 1; on master admin opens an account and alice pays admin 70.
  // Master is checked out.
  void DivergedBranches(const char* resolver_contract = nullptr) {
    BuildHistory();
    if (resolver_contract) {
      SubmitOk({repo_->MakeTx(TxKind::kDeploy, admin_, "merges", "", {}, resolver_contract)});
      CommitOk("deploy merges");
    }
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

// A resolver that records each conflict; one that refuses; one that
// writes without end (over the step budget, SQLite aborts the merge's
// whole transaction).
constexpr const char* kResolvers = R"sql(
CREATE TABLE conflicts (txid TEXT PRIMARY KEY, contract TEXT NOT NULL, function TEXT NOT NULL,
                        args TEXT NOT NULL, error TEXT NOT NULL, sender TEXT NOT NULL, height INTEGER NOT NULL);
CREATE FUNCTION record(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS
  INSERT INTO conflicts VALUES (:tx, :c, :f, :a, :e, :sender, :height);
END;
CREATE FUNCTION refuse(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS
  INSERT INTO conflicts VALUES (:tx, :c, :f, :a, :e, :sender, :height);
  SELECT require(0, 'refused by the resolver');
END;
CREATE FUNCTION spin(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS
  INSERT INTO conflicts
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
    SELECT printf('%d', i), '', '', '', '', '', 0 FROM n;
END;
)sql";

class ConsistentMergeTest : public MergeTest {
 protected:
  // Diverged branches; `cons` (master's head, resolver merges.<fn>) is
  // checked out.
  void Setup(const std::string& fn) {
    DivergedBranches(kResolvers);
    Status st = repo_->CreateBranch("cons", Head(), "merges." + fn);
    ASSERT_TRUE(st.ok()) << st.message();
    Checkout("cons");
  }
  QueryResult Conflicts() {
    auto q = repo_->engine().Query("SELECT txid, contract, function, args, error, sender, height FROM merges.conflicts");
    EXPECT_TRUE(q.ok()) << q.status().message();
    return q.ok() ? *q : QueryResult{};
  }
};

TEST_F(ConsistentMergeTest, ResolverTakesWhatFailsAndItsWritesAreKept) {
  Setup("record");
  MergeReport r = MergeOk("feature");
  ASSERT_TRUE(r.block);
  EXPECT_EQ(r.resolver, "merges.record");
  EXPECT_TRUE(r.excluded.empty());
  ASSERT_EQ(r.resolved.size(), 1u);
  EXPECT_EQ(r.resolved[0].txid, pay_bob_.Id());
  EXPECT_EQ(r.resolved[0].error, "CHECK constraint failed: balance >= 0");
  EXPECT_EQ(r.applied, std::vector<Hash32>{pay_alice_.Id()});
  auto b = repo_->ReadBlock(*r.block);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->header.resolver, "merges.record");
  EXPECT_EQ(b->receipts[0].status, ReceiptStatus::kResolved);
  EXPECT_EQ(b->receipts[0].error, "CHECK constraint failed: balance >= 0");
  // The resolver saw the call and ran as the failed tx's sender, at the
  // merge block's height.
  QueryResult c = Conflicts();
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_EQ(c.rows[0][0].bytes, ToHex(pay_bob_.Id()));
  EXPECT_EQ(c.rows[0][1].bytes, "token");
  EXPECT_EQ(c.rows[0][2].bytes, "transfer");
  EXPECT_EQ(c.rows[0][3].bytes, "[\"" + Addr(bob_) + "\",70]");
  EXPECT_EQ(c.rows[0][4].bytes, "CHECK constraint failed: balance >= 0");
  EXPECT_EQ(c.rows[0][5].bytes, Addr(alice_));
  EXPECT_EQ(c.rows[0][6].integer, static_cast<int64_t>(b->header.height));
  EXPECT_EQ(Balance(alice_), 1);  // the transfer itself still did not apply
  EXPECT_EQ(LiveDigest(), ReplayDigest(*r.block));
  ExpectVerified(*r.block);
  ExpectFsckClean();
}

TEST_F(ConsistentMergeTest, AFailingResolverExcludesTheTx) {
  Setup("refuse");
  MergeReport r = MergeOk("feature");
  ASSERT_TRUE(r.block);
  EXPECT_TRUE(r.resolved.empty());
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].error,
            "CHECK constraint failed: balance >= 0; resolver merges.refuse failed: refused by the resolver");
  EXPECT_TRUE(Conflicts().rows.empty());  // its writes were undone
  auto b = repo_->ReadBlock(*r.block);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->header.resolver, "merges.refuse");
  ExpectVerified(*r.block);
  ExpectFsckClean();
}

TEST_F(ConsistentMergeTest, AResolverThatAbortsTheTransactionExcludesOnlyItsTx) {
  Setup("spin");  // its writes pass the chain's max_call_write_bytes, which aborts the transaction
  MergeReport r = MergeOk("feature");
  ASSERT_TRUE(r.block);
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_EQ(r.excluded[0].txid, pay_bob_.Id());
  EXPECT_EQ(r.excluded[0].error, "CHECK constraint failed: balance >= 0; resolver merges.spin failed: the call writes more than the "
            "chain's max_call_write_bytes (8388608 bytes)");
  EXPECT_EQ(r.applied, std::vector<Hash32>{pay_alice_.Id()});  // re-run after the abort
  EXPECT_TRUE(Conflicts().rows.empty());
  EXPECT_EQ(Balance(alice_), 1);
  EXPECT_EQ(LiveDigest(), ReplayDigest(*r.block));
  ExpectFsckClean();
}

TEST_F(ConsistentMergeTest, PreviewCallsTheResolverAndWritesNothing) {
  Setup("record");
  Hash32 before = LiveDigest(), head = Head();
  MergeReport p = MergeOk("feature", true);
  EXPECT_EQ(p.resolved.size(), 1u);
  EXPECT_EQ(p.resolver, "merges.record");
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(LiveDigest(), before);
  EXPECT_TRUE(Conflicts().rows.empty());
}

TEST_F(ConsistentMergeTest, VerifyUsesTheRecordedResolverNotTheBranchPolicy) {
  Setup("record");
  MergeReport r = MergeOk("feature");
  ASSERT_TRUE(r.block);
  // The same heads merged automatically differ from the recorded merge
  // only in the policy: verification recomputes with the block's resolver.
  ASSERT_TRUE(repo_->CreateBranch("auto", *repo_->Resolve("cons^1")).ok());
  Checkout("auto");
  MergeReport a = MergeOk("feature");
  ASSERT_TRUE(a.block);
  EXPECT_EQ(a.resolver, "");
  ASSERT_EQ(a.excluded.size(), 1u);
  ExpectVerified(*r.block);
  ExpectVerified(*a.block);
  EXPECT_NE(repo_->ReadBlock(*r.block)->header.state_root, repo_->ReadBlock(*a.block)->header.state_root);
}

// A resolution made on `cons` travels when cons is merged into an
// automatic branch: the tx is not run again, the recorded resolver is.
TEST_F(ConsistentMergeTest, AResolutionTravelsWithTheHistory) {
  Setup("record");
  MergeReport r = MergeOk("feature");
  ASSERT_EQ(r.resolved.size(), 1u);
  ASSERT_TRUE(repo_->CreateBranch("later", block2_.Id()).ok());  // before the merges contract
  Checkout("later");
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(100)})});
  CommitOk("alice could pay bob here");
  MergeReport t = MergeOk("cons");
  ASSERT_TRUE(t.block);
  EXPECT_EQ(t.resolver, "");
  ASSERT_EQ(t.resolved.size(), 1u);
  EXPECT_EQ(t.resolved[0].txid, pay_bob_.Id());
  EXPECT_EQ(t.resolved[0].error, "CHECK constraint failed: balance >= 0");
  auto b = repo_->ReadBlock(*t.block);
  ASSERT_TRUE(b.ok());
  bool found = false;
  for (const Receipt& rc : b->receipts)
    if (rc.txid == pay_bob_.Id()) {
      found = true;
      EXPECT_EQ(rc.status, ReceiptStatus::kResolved);
      EXPECT_EQ(rc.resolver, "merges.record");
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(Balance(bob_), 29);  // 30, minus 1 to alice; the transfer from alice did not apply here either
  EXPECT_EQ(Conflicts().rows.size(), 1u);
  EXPECT_EQ(LiveDigest(), ReplayDigest(*t.block));
  ExpectVerified(*t.block);
  ExpectFsckClean();
}

TEST_F(ConsistentMergeTest, BranchResolverIsCheckedAtItsBlock) {
  DivergedBranches(kResolvers);
  Hash32 before_merges = block2_.Id();
  auto code = [&](const std::string& name, const Hash32& at, const std::string& resolver) {
    return repo_->CreateBranch(name, at, resolver);
  };
  EXPECT_TRUE(code("ok", Head(), "merges.record").ok());
  EXPECT_EQ(*repo_->BranchResolver("ok"), "merges.record");
  EXPECT_EQ(*repo_->BranchResolver("master"), "");
  Status st = code("early", before_merges, "merges.record");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "resolver 'merges.record': contract 'merges' is not deployed at block " +
                              ShortId(before_merges));
  st = code("wrong", Head(), "token.transfer");
  EXPECT_EQ(st.message(), "resolver 'token.transfer' must take (txid TEXT, contract TEXT, function TEXT, "
                          "args TEXT, error TEXT); it is declared transfer(recipient TEXT, amount INTEGER)");
  EXPECT_EQ(code("none", Head(), "merges.nope").message(),
            "resolver 'merges.nope': contract 'merges' has no function 'nope'");
  EXPECT_EQ(code("bad", Head(), "merges").code(), Code::kInvalid);
  for (const char* name : {"early", "wrong", "none", "bad"}) EXPECT_FALSE(*repo_->BranchHead(name)) << name;
  // An existing branch keeps its policy; deleting drops it.
  EXPECT_EQ(code("ok", Head(), "").code(), Code::kExists);
  EXPECT_EQ(*repo_->BranchResolver("ok"), "merges.record");
  ASSERT_TRUE(repo_->DeleteBranch("ok").ok());
  ASSERT_TRUE(code("ok", Head(), "").ok());
  EXPECT_EQ(*repo_->BranchResolver("ok"), "");
  EXPECT_EQ(repo_->BranchResolver("gone").status().code(), Code::kNotFound);
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
