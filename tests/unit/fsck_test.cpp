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
  // and receipt roots, the changes its txs make on block 2's state and the
  // state root those chain to, signed by the admin.
  Block BlockOnTop(std::vector<Tx> txs) {
    Block b;
    for (auto& tx : txs) {
      b.receipts.push_back(Receipt{tx.Id(), ReceiptStatus::kApplied, "", ""});
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
    h.message = "forged";
    SetChanges(&b, ChangesOnTop(b));
    return b;
  }

  // Gives b these changes and the state root they chain to from its parent
  // (block 2), and signs it again.
  void SetChanges(Block* b, const ChangeSet& changes) {
    b->changes = changes.Encode();
    b->header.state_root = ChainStateRoot(block2_.header.state_root, b->changes);
    b->header.Sign(admin_);
  }

  // The changes b's txs make on block 2's state, recorded replaying them in
  // a scratch database.
  ChangeSet ChangesOnTop(const Block& b) {
    auto scratch = Db::Open("", true);
    EXPECT_TRUE(scratch.ok());
    std::unique_ptr<ContractEngine> engine;
    Status st = repo_->ReplayInto(&scratch.value(), &engine, block2_.Id(), true);
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok()) return ChangeSet();
    ChangeRecorder recorder(scratch->get());  // ReplayInto's own has gone
    auto made = ReplayBlock(engine.get(), scratch->get(), &recorder, b);
    EXPECT_TRUE(made.ok()) << made.status().message();
    return made.ok() ? *made : ChangeSet();
  }

  // Writes the block's objects and index row (with the copy of its changes)
  // and points master at it.
  Oid Store(const Block& b, const Oid& parent) {
    auto oid = repo_->git().WriteBlock(b, {parent});
    EXPECT_TRUE(oid.ok()) << oid.status().message();
    Status st = repo_->index().PutBlock(b, *oid);
    EXPECT_TRUE(st.ok()) << st.message();
    EXPECT_TRUE(repo_->git().ForceRef("refs/heads/master", *oid, "test: forge").ok());
    return *oid;
  }

  // Block b's stored changes with the balance of `owner` in its
  // token.accounts after-image set to `balance`.
  static ChangeSet WithBalance(const Block& b, const std::string& owner, int64_t balance) {
    auto changes = ChangeSet::Decode(b.changes, "test");
    EXPECT_TRUE(changes.ok()) << changes.status().message();
    if (!changes.ok()) return ChangeSet();
    bool found = false;
    for (auto& [key, row] : changes->tables.at("token.accounts").rows) {
      if (row.after && (*row.after)[0].bytes == owner) {
        (*row.after)[1] = Value::Integer(balance);
        found = true;
      }
    }
    EXPECT_TRUE(found) << "no after-image for " << owner;
    return *changes;
  }

  FsckReport Fsck(unsigned threads = 2, bool fast = false) {
    auto r = RunFsck(repo_.get(), FsckOptions{threads, fast});
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
  for (bool fast : {false, true}) {
    for (unsigned threads : {0u, 1u, 3u}) {
      FsckReport rep = Fsck(threads, fast);
      EXPECT_TRUE(rep.ok()) << (fast ? "fast:\n" : "full:\n") << All(rep);
      EXPECT_EQ(rep.blocks, 3u);
      EXPECT_EQ(rep.txs, 5u);  // genesis + 2 + 2
    }
  }
}

TEST_F(FsckTest, CleanWithTagsAndPendingPool) {
  ASSERT_TRUE(repo_->CreateTag("v1", block1_.Id()).ok());
  ASSERT_TRUE(repo_->CreateBranch("stale", block1_.Id()).ok());  // behind, not diverged
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(8)})});  // pending
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(rep.ok()) << All(rep);
    EXPECT_EQ(rep.blocks, 3u);
  }
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
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(rep.ok()) << All(rep);
    EXPECT_EQ(rep.blocks, 4u);
    EXPECT_EQ(rep.txs, 6u);
  }
}

TEST_F(FsckTest, FsckDoesNotChangeTheRepository) {
  auto before_head = repo_->CurrentHead();
  auto before_root = repo_->engine().StateDigest();
  Fsck();
  EXPECT_EQ(repo_->CurrentHead()->block.id, before_head->block.id);
  EXPECT_EQ(*repo_->engine().StateDigest(), *before_root);
  EXPECT_EQ(*repo_->index().BlockCount(), 3u);
}

TEST_F(FsckTest, ReportsStateRootMismatch) {
  // The block's changes are right (bob gets 1) but its header claims the
  // state root of its parent.
  Block forged = BlockOnTop({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  forged.header.state_root = block2_.header.state_root;
  forged.header.Sign(admin_);
  ASSERT_TRUE(forged.CheckStructure().ok());
  Store(forged, oid2_);
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(Has(rep, "block " + ToHex(forged.Id()) + ": state root does not match its changes"))
        << (fast ? "fast:\n" : "full:\n") << All(rep);
    EXPECT_FALSE(Has(rep, "differ from replay")) << All(rep);
    EXPECT_EQ(rep.blocks, 4u);
  }
}

TEST_F(FsckTest, ForgedBlockWithCorrectRootsPasses) {
  // Control for the tests below: a well-formed block built by hand passes.
  // The checked-out state stays at block 2, its recorded position, which
  // it matches; the next open moves it to the new head along its changes.
  Tx tx = Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)});
  Block b = BlockOnTop({tx});
  ASSERT_TRUE(RootChains(b));
  Store(b, oid2_);
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(rep.ok()) << All(rep);
    EXPECT_EQ(rep.blocks, 4u);
  }
  std::string path = repo_->path();
  repo_.reset();
  auto reopened = Repository::Open(path, OpenMode::kWrite, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  repo_ = std::move(reopened.value());
  EXPECT_EQ(*repo_->index().GetMeta("state_block"), ToHex(b.Id()));
  EXPECT_EQ(LiveDigest(), ReplayDigest(b.Id()));
  FsckReport rep = Fsck();
  EXPECT_TRUE(rep.ok()) << All(rep);
}

TEST_F(FsckTest, ReportsChangesThatDifferFromReplay) {
  // A producer signs a block whose changes and root agree with each other
  // but not with what its tx does (bob gets 2, the mint gives 1).
  Tx tx = Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)});
  Block forged = BlockOnTop({tx});
  SetChanges(&forged, WithBalance(forged, Addr(bob_), 32));
  ASSERT_TRUE(RootChains(forged));
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "block " + ToHex(forged.Id()) +
                           ": stored changes differ from replay, first in table 'token.accounts'"))
      << All(rep);
  // fast checks only that changes decode, chain to the root and apply; this
  // it cannot see (documented in FsckOptions::fast).
  EXPECT_TRUE(Fsck(2, true).ok());
}

TEST_F(FsckTest, ReportsChangesThatDoNotApplyToTheirParent) {
  // Changes that agree with the root but start from a state the parent does
  // not have (bob's balance before the mint claimed as 29, not 30).
  Tx tx = Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)});
  Block forged = BlockOnTop({tx});
  ChangeSet changes = ChangesOnTop(forged);
  for (auto& [key, row] : changes.tables.at("token.accounts").rows)
    if (row.before && (*row.before)[0].bytes == Addr(bob_)) (*row.before)[1] = Value::Integer(29);
  SetChanges(&forged, changes);
  Store(forged, oid2_);
  std::string id = ToHex(forged.Id());
  FsckReport full = Fsck();
  EXPECT_TRUE(Has(full, "block " + id + ": stored changes differ from replay, first in table 'token.accounts'"))
      << All(full);
  // Fast: applying them finds bob's row is not the one they start from.
  FsckReport fast = Fsck(2, true);
  EXPECT_TRUE(Has(fast, "block " + id + ": state does not match the changes: table 'token.accounts' row (owner=" +
                            Addr(bob_) + ") is not in the state as recorded"))
      << All(fast);
}

TEST_F(FsckTest, ReportsTamperedChanges) {
  // Rewrite block 1's stored changes (alice minted 101, not 100) in its git
  // objects and its index row and copy, as the forging helpers do; block 2
  // is rewritten on top so commit parents still link. The signed header,
  // and so the block id and state root, stay.
  Block tampered = block1_;
  tampered.changes = WithBalance(block1_, Addr(alice_), 101).Encode();
  ASSERT_EQ(tampered.Id(), block1_.Id());
  ASSERT_NE(tampered.changes, block1_.changes);
  auto genesis = repo_->BlockInfo(repo_->chain_id());
  ASSERT_TRUE(genesis.ok());
  Oid oid1 = Store(tampered, genesis->oid);
  Store(block2_, oid1);
  ASSERT_EQ(repo_->ReadBlock(block1_.Id())->changes, tampered.changes);
  std::string id = ToHex(block1_.Id());

  // Full: replay shows the changes are not what its txs make, naming the
  // first table that differs (aergo.contracts, which sorts first, matches).
  FsckReport full = Fsck();
  EXPECT_TRUE(Has(full, "block " + id + ": stored changes differ from replay, first in table 'token.accounts'"))
      << All(full);
  EXPECT_FALSE(Has(full, "first in table 'aergo.contracts'")) << All(full);
  EXPECT_FALSE(Has(full, "index copy")) << All(full);
  // Fast: the changes no longer hash to what the header's root commits to.
  FsckReport fast = Fsck(2, true);
  EXPECT_TRUE(Has(fast, "block " + id + ": state root does not match its changes")) << All(fast);
  EXPECT_FALSE(Has(fast, "index copy")) << All(fast);
}

TEST_F(FsckTest, ReportsIndexCopyOfChangesThatDiffers) {
  // Only the index's copy of block 2's changes is altered.
  Bytes altered = WithBalance(block2_, Addr(bob_), 31).Encode();
  ASSERT_TRUE(repo_->index().PutChanges(block2_.Id(), altered).ok());
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(Has(rep, "block " + ToHex(block2_.Id()) +
                             ": index copy of its changes differs from the stored changes"))
        << All(rep);
  }
}

TEST_F(FsckTest, ReportsDamagedCheckedOutState) {
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(3)})});  // pending
  ASSERT_TRUE(repo_->db()
                  .Exec("UPDATE \"token.accounts\" SET balance = balance + 1 WHERE owner = '" +
                        Addr(bob_) + "'")
                  .ok());
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(Has(rep, "checked-out state does not match block " + ToHex(block2_.Id()) +
                             " plus its merge pool"))
        << All(rep);
    EXPECT_EQ(rep.problems.size(), 1u) << All(rep);
  }
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
  Block forged = BlockOnTop({});
  forged.header.signature[0] ^= 0x01;
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, "block " + ToHex(forged.Id()) + ": bad producer signature")) << All(rep);
  EXPECT_EQ(rep.problems.size(), 1u) << All(rep);
}

TEST_F(FsckTest, ReportsRefToUnindexedObject) {
  Block loose = BlockOnTop({});
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
  Block forged = BlockOnTop({again});
  Store(forged, oid2_);
  for (bool fast : {false, true}) {
    FsckReport rep = Fsck(2, fast);
    EXPECT_TRUE(Has(rep, "tx " + ToHex(again.Id()) + " appears twice in one branch's history"))
        << All(rep);
    EXPECT_EQ(rep.problems.size(), 1u) << All(rep);
  }
}

TEST_F(FsckTest, ReportsWrongHeightAndTime) {
  Block forged = BlockOnTop({});
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
  Block forged = BlockOnTop({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  forged.header.tx_root[0] ^= 1;
  forged.header.Sign(admin_);
  Store(forged, oid2_);
  FsckReport rep = Fsck();
  EXPECT_TRUE(Has(rep, ": tx root mismatch")) << All(rep);
}

}  // namespace
}  // namespace aergo
