// Unit tests for core/fsck.h: a clean repository passes; forged or damaged
// blocks, refs and index rows are reported.
#include "core/fsck.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/executor.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

class FsckTest : public testutil::RepoFixture {
 protected:
  FsckTest() : RepoFixture("aergo-fsck-test", 0x11) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RepoFixture::SetUp());
    // Block 1: deploy + mint 100 to alice. Block 2: bob opens, alice pays 30.
    BuildHistory("one", "two");
    auto row = repo_->BlockInfo(block2_.Id());
    ASSERT_TRUE(row.ok());
    oid2_ = row->oid;
  }

  // A block on top of block 2 with the given txs (all applied), correct tx
  // and receipt roots, and `state_root`, signed by the admin.
  Block BlockOnTop(std::vector<Tx> txs, const Hash32& state_root) {
    Block b;
    for (auto& tx : txs) {
      b.receipts.push_back(Receipt{tx.Id(), ReceiptStatus::kApplied, ""});
      b.txs.push_back(std::move(tx));
    }
    auto& h = b.header;
    h.chain_id = repo_->chain_id();
    h.height = 3;
    h.parents = {block2_.Id()};
    h.time_ms = block2_.header.time_ms + 1000;
    h.producer = admin_.public_key();
    h.tx_count = static_cast<uint32_t>(b.txs.size());
    h.tx_root = b.ComputeTxRoot();
    h.receipt_root = b.ComputeReceiptRoot();
    h.state_root = state_root;
    h.message = "forged";
    h.Sign(admin_);
    return b;
  }

  // Writes the block's objects and index row and points master at it.
  Oid Store(const Block& b, const Oid& parent) {
    auto oid = repo_->git().WriteBlock(b, {parent});
    EXPECT_TRUE(oid.ok()) << oid.status().message();
    EXPECT_TRUE(repo_->index().PutBlock(b, *oid).ok());
    EXPECT_TRUE(repo_->git().ForceRef("refs/heads/master", *oid, "test: forge").ok());
    return *oid;
  }

  // The state root after replaying block 2 and then txs at height 3.
  Hash32 StateRootWith(const std::vector<Tx>& txs) {
    auto scratch = Db::Open("", true);
    EXPECT_TRUE(scratch.ok());
    std::unique_ptr<ContractEngine> engine = std::make_unique<ContractEngine>(scratch->get());
    Status st = repo_->ReplayInto(&scratch.value(), &engine, block2_.Id(), true);
    EXPECT_TRUE(st.ok()) << st.message();
    for (const auto& tx : txs) {
      CallOutcome out = ExecuteTx(engine.get(), scratch->get(), tx, tx.Id(), 3, block2_.header.time_ms + 1000);
      EXPECT_TRUE(out.ok) << out.error;
    }
    auto root = engine->StateRoot();
    EXPECT_TRUE(root.ok());
    return root.ok() ? *root : Hash32{};
  }

  FsckReport Fsck(unsigned threads = 2) {
    auto r = RunFsck(repo_.get(), threads);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : FsckReport{};
  }

  static bool Has(const FsckReport& rep, const std::string& needle) {
    return std::any_of(rep.problems.begin(), rep.problems.end(),
                       [&](const std::string& p) { return p.find(needle) != std::string::npos; });
  }

  static std::string All(const FsckReport& rep) {
    std::string s;
    for (const auto& p : rep.problems) s += "  " + p + "\n";
    return s;
  }

  Oid oid2_;
};

TEST_F(FsckTest, CleanRepositoryPasses) {
  for (unsigned threads : {0u, 1u, 3u}) {
    FsckReport rep = Fsck(threads);
    EXPECT_TRUE(rep.ok()) << All(rep);
    EXPECT_EQ(rep.blocks, 3u);
    EXPECT_EQ(rep.txs, 5u);  // genesis + 2 + 2
  }
}

TEST_F(FsckTest, CleanWithTagsAndPendingPool) {
  ASSERT_TRUE(repo_->CreateTag("v1", block1_.Id()).ok());
  ASSERT_TRUE(repo_->CreateBranch("stale", block1_.Id()).ok());  // behind, not diverged
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(8)})});  // pending
  FsckReport rep = Fsck();
  EXPECT_TRUE(rep.ok()) << All(rep);
  EXPECT_EQ(rep.blocks, 3u);
}

TEST_F(FsckTest, CleanForkedHistoryPasses) {
  // Two branches diverge at block 1: master has block 2 (bob opens an
  // account, alice pays him 30), dev has a block minting 7 to bob (which
  // creates bob's account). Both are valid; fsck replays each path from
  // block 1's state and must not let one sibling's writes leak into the
  // other's replay.
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  ASSERT_TRUE(repo_->Checkout("dev").ok());
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(7)})});
  Block dev2 = CommitOk("dev");
  // Each path replays cleanly on its own.
  for (const Hash32& tip : {block2_.Id(), dev2.Id()}) {
    auto scratch = Db::Open("", true);
    ASSERT_TRUE(scratch.ok());
    auto engine = std::make_unique<ContractEngine>(scratch->get());
    Status st = repo_->ReplayInto(&scratch.value(), &engine, tip, true);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  FsckReport rep = Fsck();
  EXPECT_TRUE(rep.ok()) << All(rep);
  EXPECT_EQ(rep.blocks, 4u);
  EXPECT_EQ(rep.txs, 6u);
}

TEST_F(FsckTest, FsckDoesNotChangeTheRepository) {
  auto before_head = repo_->CurrentHead();
  auto before_root = repo_->engine().StateRoot();
  Fsck();
  EXPECT_EQ(repo_->CurrentHead()->block.id, before_head->block.id);
  EXPECT_EQ(*repo_->engine().StateRoot(), *before_root);
  EXPECT_EQ(*repo_->index().BlockCount(), 3u);
}

TEST_F(FsckTest, ReportsStateRootMismatch) {
  Tx tx = Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)});
  // Claim the state did not change (it did: bob got 1).
  Block forged = BlockOnTop({tx}, block2_.header.state_root);
  ASSERT_TRUE(forged.CheckStructure().ok());
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_FALSE(rep.ok());
  EXPECT_TRUE(Has(rep, "block " + ToHex(forged.Id()) + ": state root mismatch")) << All(rep);
  EXPECT_EQ(rep.blocks, 4u);
}

TEST_F(FsckTest, ForgedBlockWithCorrectRootsPasses) {
  // Control for the tests below: a well-formed block built by hand passes.
  Tx tx = Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)});
  Block b = BlockOnTop({tx}, StateRootWith({tx}));
  Store(b, oid2_);
  FsckReport rep = Fsck();
  // The checked-out state is still block 2's; fsck reports only that.
  EXPECT_TRUE(Has(rep, "checked-out state does not match block " + ToHex(b.Id()))) << All(rep);
  for (const auto& p : rep.problems)
    EXPECT_NE(p.find("checked-out state does not match"), std::string::npos) << p;
  EXPECT_EQ(rep.blocks, 4u);
}

TEST_F(FsckTest, ReportsBadTxSignature) {
  // Same block id (signatures are not in ids), same roots; only one tx
  // signature byte differs.
  Block forged = block2_;
  forged.txs[1].signature[5] ^= 0x40;
  ASSERT_EQ(forged.Id(), block2_.Id());
  ASSERT_TRUE(forged.CheckStructure().ok());
  auto row1 = repo_->BlockInfo(block1_.Id());
  ASSERT_TRUE(row1.ok());
  Oid oid = Store(forged, row1->oid);
  ASSERT_NE(oid, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "block " + ToHex(block2_.Id()) + ": tx " + ToHex(forged.txs[1].Id()) +
                           " has a bad signature"))
      << All(rep);
  EXPECT_EQ(rep.problems.size(), 1u) << All(rep);
}

TEST_F(FsckTest, ReportsBadProducerSignature) {
  Block forged = BlockOnTop({}, block2_.header.state_root);
  forged.header.signature[0] ^= 0x01;
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "block " + ToHex(forged.Id()) + ": bad producer signature")) << All(rep);
  EXPECT_EQ(rep.problems.size(), 1u) << All(rep);
}

TEST_F(FsckTest, ReportsRefToUnindexedObject) {
  Block loose = BlockOnTop({}, block2_.header.state_root);
  auto oid = repo_->git().WriteBlock(loose, {oid2_});
  ASSERT_TRUE(oid.ok()) << oid.status().message();
  ASSERT_TRUE(repo_->git().UpdateRef("refs/heads/ghost", *oid, std::nullopt, "test").ok());
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "ref refs/heads/ghost points to " + oid->Hex() + ", which is not an indexed block"))
      << All(rep);
  EXPECT_EQ(rep.problems.size(), 1u) << All(rep);
}

TEST_F(FsckTest, ReportsStoredHeaderThatHashesElsewhere) {
  // Rewrite block 2's objects with one header byte changed (the message)
  // and point its index row at them: what is stored no longer hashes to the
  // id the index names.
  Block tampered = block2_;
  tampered.header.message = "twO";
  auto row1 = repo_->BlockInfo(block1_.Id());
  ASSERT_TRUE(row1.ok());
  auto oid = repo_->git().WriteBlock(tampered, {row1->oid});
  ASSERT_TRUE(oid.ok());
  ASSERT_TRUE(repo_->db()
                  .Exec("UPDATE blocks SET oid = '" + oid->Hex() + "' WHERE id = '" +
                        ToHex(block2_.Id()) + "'")
                  .ok());
  ASSERT_TRUE(repo_->git().ForceRef("refs/heads/master", *oid, "test").ok());
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "block " + ToHex(block2_.Id()) + ": stored header hashes to " +
                           ToHex(tampered.Id())))
      << All(rep);
}

TEST_F(FsckTest, ReportsTxTwiceOnOnePath) {
  Tx again = block1_.txs[1];  // the mint of block 1
  Block forged = BlockOnTop({again}, StateRootWith({again}));
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "tx " + ToHex(again.Id()) + " appears twice in one branch's history"))
      << All(rep);
  EXPECT_FALSE(Has(rep, "state root mismatch")) << All(rep);
}

TEST_F(FsckTest, ReportsWrongHeightAndTime) {
  Block forged = BlockOnTop({}, block2_.header.state_root);
  forged.header.height = 5;
  forged.header.time_ms = block2_.header.time_ms - 1;
  forged.header.Sign(admin_);
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  std::string id = ToHex(forged.Id());
  EXPECT_TRUE(Has(rep, "block " + id + ": height 5, expected 3")) << All(rep);
  EXPECT_TRUE(Has(rep, "block " + id + ": time is before its parent's")) << All(rep);
}

TEST_F(FsckTest, ReportsStructuralDamage) {
  Block forged = BlockOnTop({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})},
                            block2_.header.state_root);
  forged.header.tx_root[0] ^= 1;
  forged.header.Sign(admin_);
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, ": tx root mismatch")) << All(rep);
}

}  // namespace
}  // namespace aergo
