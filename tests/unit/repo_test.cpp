// Unit tests for core/repo.h: init, submit/commit, revisions, branches and
// tags, checkout, refusals, and crash recovery on open (docs/design.md §4).
#include "core/repo.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "tests/unit/test_util.h"

namespace aergo {
namespace {

namespace fs = std::filesystem;

class RepoTest : public testutil::RepoFixture {
 protected:
  RepoTest() : RepoFixture("aergo-repo-test", 0x01) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RepoFixture::SetUp());
    aergo_dir_ = repo_->path();
  }

  void Reopen() {
    repo_.reset();  // releases the lock
    auto r = Repository::Open(aergo_dir_, OpenMode::kWrite, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    repo_ = std::move(r.value());
  }

  // Balance of the key's account in the checked-out state; -1 if no row.
  int64_t Balance(const SecretKey& k) {
    auto q = repo_->engine().Query("SELECT balance FROM token.accounts WHERE owner = '" + Addr(k) + "'");
    EXPECT_TRUE(q.ok()) << q.status().message();
    if (!q.ok() || q->rows.empty()) return -1;
    return q->rows[0][0].integer;
  }

  Hash32 ResolveOk(const std::string& rev) {
    auto r = repo_->Resolve(rev);
    EXPECT_TRUE(r.ok()) << rev << ": " << r.status().message();
    return r.ok() ? r.value() : Hash32{};
  }

  std::string aergo_dir_;
};

// ---- init ----

TEST_F(RepoTest, InitCreatesLayoutAndGenesis) {
  EXPECT_EQ(fs::path(aergo_dir_), fs::absolute(fs::path(dir_) / ".aergo"));
  EXPECT_TRUE(fs::is_directory(aergo_dir_ + "/git"));
  EXPECT_TRUE(fs::is_regular_file(aergo_dir_ + "/ledger.db"));
  EXPECT_TRUE(fs::is_regular_file(aergo_dir_ + "/config"));
  for (const auto& e : fs::directory_iterator(dir_))  // no leftover temporary
    EXPECT_EQ(e.path().filename(), ".aergo") << e.path();

  auto head = repo_->CurrentHead();
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->branch, "master");
  EXPECT_EQ(head->block.height, 0u);
  EXPECT_EQ(head->block.id, repo_->chain_id());  // the genesis id is the chain id
  EXPECT_EQ(ResolveOk("HEAD"), repo_->chain_id());

  auto g = repo_->ReadBlock(repo_->chain_id());
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_TRUE(g->header.parents.empty());
  EXPECT_EQ(g->header.chain_id, Hash32{});
  EXPECT_EQ(g->header.message, "genesis");
  EXPECT_EQ(g->header.producer, admin_.public_key());
  EXPECT_EQ(g->header.time_ms, 1700000000000ull);
  EXPECT_TRUE(g->header.VerifySignature());
  ASSERT_EQ(g->txs.size(), 1u);
  EXPECT_EQ(g->txs[0].kind, TxKind::kGenesis);
  EXPECT_TRUE(g->txs[0].VerifySignature());
  EXPECT_TRUE(g->CheckStructure().ok());

  EXPECT_EQ(repo_->config().Get("core.consensus"), "solo");
  EXPECT_EQ(repo_->config().Get("core.public"), "false");
  auto meta = repo_->index().GetMeta("state_block");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(*meta, ToHex(repo_->chain_id()));
  // Genesis's root chains the zero root with its changes, and the state is
  // what executing genesis makes.
  EXPECT_TRUE(RootChains(*g));
  EXPECT_EQ(g->header.state_root, ChainStateRoot(Hash32{}, g->changes));
  EXPECT_EQ(LiveDigest(), ReplayDigest(repo_->chain_id()));
  // The admin is in the directory.
  auto q = repo_->engine().Query("SELECT role FROM aergo.directory WHERE address = '" + Addr(admin_) + "'");
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_EQ(q->rows.size(), 1u);
  EXPECT_EQ(q->rows[0][0].bytes, "admin");
  auto located = Repository::Locate(dir_ + "/.aergo/git");
  ASSERT_TRUE(located.ok()) << located.status().message();
  EXPECT_EQ(fs::path(*located), fs::path(aergo_dir_));
  // A given directory (the porcelain's AERGO_DIR) wins over the start
  // directory: a worktree or a .aergo directory, else NotFound.
  auto given = Repository::Locate("/", dir_);
  ASSERT_TRUE(given.ok()) << given.status().message();
  EXPECT_EQ(fs::path(*given), fs::path(aergo_dir_));
  auto inner = Repository::Locate("/", aergo_dir_);
  ASSERT_TRUE(inner.ok()) << inner.status().message();
  EXPECT_EQ(fs::path(*inner), fs::path(aergo_dir_));
  auto wrong = Repository::Locate(dir_, dir_ + "/.aergo/git");
  EXPECT_EQ(wrong.status().code(), Code::kNotFound);
}

TEST_F(RepoTest, InitTwiceIsExists) {
  auto again = Repository::Init(dir_, admin_, InitParams{}, clock_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kExists);
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
  // The existing repository is untouched.
  EXPECT_EQ(ResolveOk("HEAD"), repo_->chain_id());
}

TEST_F(RepoTest, DifferentInitsGiveDifferentChains) {
  testutil::TempDir other_dir("aergo-repo-test2");
  InitParams p;
  p.is_public = true;
  auto other = Repository::Init(other_dir.path(), admin_, p, clock_);
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_NE((*other)->chain_id(), repo_->chain_id());  // random genesis salt
  EXPECT_EQ((*other)->config().Get("core.public"), "true");
}

// ---- submit and commit ----

TEST_F(RepoTest, SubmitAndCommit) {
  Tx deploy = DeployToken();
  EXPECT_EQ(deploy.chain_id, repo_->chain_id());
  EXPECT_EQ(deploy.time_ms, 1700000000000ull);
  EXPECT_TRUE(deploy.VerifySignature());
  Tx mint = Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(100)});
  auto sub = repo_->Submit({deploy, mint});
  ASSERT_TRUE(sub.ok()) << sub.status().message();
  ASSERT_EQ(sub->size(), 2u);
  EXPECT_TRUE((*sub)[0].outcome.ok) << (*sub)[0].outcome.error;
  EXPECT_TRUE((*sub)[1].outcome.ok) << (*sub)[1].outcome.error;
  EXPECT_EQ((*sub)[0].txid, deploy.Id());
  EXPECT_EQ(*repo_->PoolCount(), 2u);
  EXPECT_EQ(Balance(alice_), 100);  // the pool's effects are visible at once

  // A failing call is reported and not kept.
  auto bad = repo_->Submit({Call(alice_, "mint", {Value::Text(Addr(alice_)), Value::Integer(5)})});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE((*bad)[0].outcome.ok);
  EXPECT_NE((*bad)[0].outcome.error.find("only the owner may mint"), std::string::npos)
      << (*bad)[0].outcome.error;
  EXPECT_EQ(*repo_->PoolCount(), 2u);

  Block b = CommitOk("deploy and mint\n\nmore text");
  EXPECT_EQ(b.header.height, 1u);
  ASSERT_EQ(b.header.parents.size(), 1u);
  EXPECT_EQ(b.header.parents[0], repo_->chain_id());
  EXPECT_EQ(b.header.chain_id, repo_->chain_id());
  EXPECT_EQ(b.header.tx_count, 2u);
  EXPECT_EQ(b.header.time_ms, 1700000000000ull);  // fixed when the pool opened
  EXPECT_TRUE(b.header.VerifySignature());
  EXPECT_TRUE(b.CheckStructure().ok()) << b.CheckStructure().message();
  ASSERT_EQ(b.txs.size(), 2u);
  EXPECT_EQ(b.txs[0].Id(), deploy.Id());
  EXPECT_EQ(b.txs[1].Id(), mint.Id());
  for (const auto& rc : b.receipts) EXPECT_EQ(rc.status, ReceiptStatus::kApplied);
  EXPECT_TRUE(RootChains(b));
  auto genesis = repo_->BlockInfo(repo_->chain_id());
  ASSERT_TRUE(genesis.ok());
  EXPECT_EQ(b.header.state_root, ChainStateRoot(genesis->state_root, b.changes));
  EXPECT_EQ(LiveDigest(), ReplayDigest(b.Id()));
  auto stored = repo_->BlockChanges(b.Id());  // the index copy decodes to the same bytes
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored->Encode(), b.changes);

  EXPECT_EQ(*repo_->PoolCount(), 0u);
  auto head = repo_->CurrentHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->block.id, b.Id());
  EXPECT_EQ(head->branch, "master");
  EXPECT_EQ(head->block.message, "deploy and mint\n\nmore text");
  auto read = repo_->ReadBlock(b.Id());
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->EncodeTxs(), b.EncodeTxs());
  EXPECT_EQ(read->EncodeReceipts(), b.EncodeReceipts());
  auto with = repo_->index().BlocksWithTx(mint.Id());
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(*with, std::vector<Hash32>{b.Id()});
  EXPECT_EQ(Balance(alice_), 100);

  // Survives reopening.
  Reopen();
  EXPECT_EQ(ResolveOk("HEAD"), b.Id());
  EXPECT_EQ(Balance(alice_), 100);
}

TEST_F(RepoTest, TwoBlocksOfHistory) {
  BuildHistory();
  EXPECT_EQ(Balance(alice_), 70);
  EXPECT_EQ(Balance(bob_), 30);
  EXPECT_EQ(block2_.header.height, 2u);
  EXPECT_EQ(block2_.header.parents[0], block1_.Id());
  EXPECT_EQ(block2_.header.time_ms, 1700000001000ull);
  auto count = repo_->index().BlockCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 3u);
}

TEST_F(RepoTest, CommitOnEmptyPoolFails) {
  auto b = repo_->Commit(admin_, "nothing");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kFailed);
  EXPECT_NE(b.status().message().find("nothing to commit"), std::string::npos) << b.status().message();
  EXPECT_EQ(ResolveOk("HEAD"), repo_->chain_id());
}

TEST_F(RepoTest, CommitRejectsBadMessage) {
  SubmitOk({DeployToken()});
  auto b = repo_->Commit(admin_, std::string(kMaxMessageBytes + 1, 'm'));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalid);
  b = repo_->Commit(admin_, "bad \xff utf8");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalid);
  EXPECT_EQ(*repo_->PoolCount(), 1u);  // the pool is kept
}

TEST_F(RepoTest, ResetPoolDiscardsPendingEffects) {
  SubmitOk({DeployToken(), Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(100)})});
  EXPECT_EQ(Balance(alice_), 100);
  auto n = repo_->ResetPool();
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(*repo_->PoolCount(), 0u);
  auto q = repo_->engine().Query("SELECT count(*) FROM aergo.contracts");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->rows[0][0].integer, 0);
}

// ---- refusals ----

TEST_F(RepoTest, TxFromAnotherChainRefused) {
  Tx tx = DeployToken();
  tx.chain_id[0] ^= 0xff;
  tx.Sign(admin_);  // validly signed, wrong chain
  auto r = repo_->Submit({tx});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_FALSE((*r)[0].outcome.ok);
  EXPECT_NE((*r)[0].outcome.error.find("another chain"), std::string::npos) << (*r)[0].outcome.error;
  EXPECT_EQ(*repo_->PoolCount(), 0u);
}

TEST_F(RepoTest, TxWithBadSignatureRefused) {
  Tx tx = DeployToken();
  tx.signature[10] ^= 0x01;
  Tx forged = DeployToken();
  forged.sender = alice_.public_key();  // signed by admin, claims alice
  auto r = repo_->Submit({tx, forged});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  for (const auto& s : *r) {
    EXPECT_FALSE(s.outcome.ok);
    EXPECT_NE(s.outcome.error.find("signature is invalid"), std::string::npos) << s.outcome.error;
  }
  EXPECT_EQ(*repo_->PoolCount(), 0u);
}

TEST_F(RepoTest, GenesisTxCannotBeSubmitted) {
  Tx tx = repo_->MakeTx(TxKind::kGenesis, admin_, "aergo", "genesis",
                        {Value::Text("solo"), Value::Integer(0)}, "");
  auto r = repo_->Submit({tx});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].outcome.ok);
  EXPECT_NE((*r)[0].outcome.error.find("genesis"), std::string::npos);
}

TEST_F(RepoTest, SameTxTwiceRefused) {
  Tx deploy = DeployToken();
  SubmitOk({deploy});
  // In the pool already.
  auto r = repo_->Submit({deploy});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].outcome.ok);
  EXPECT_NE((*r)[0].outcome.error.find("already in the merge pool"), std::string::npos)
      << (*r)[0].outcome.error;
  CommitOk("deploy");
  // In history after the commit.
  r = repo_->Submit({deploy});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].outcome.ok);
  EXPECT_NE((*r)[0].outcome.error.find("already in this branch's history"), std::string::npos)
      << (*r)[0].outcome.error;
  EXPECT_EQ(*repo_->PoolCount(), 0u);
  // An equal call with a fresh salt is a different tx and is fine.
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)}),
            Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)})});
  EXPECT_EQ(Balance(alice_), 2);
}

TEST_F(RepoTest, DetachedHeadIsReadOnly) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateTag("v1", block1_.Id()).ok());
  Status st = repo_->Checkout("v1");
  ASSERT_TRUE(st.ok()) << st.message();
  auto head = repo_->CurrentHead();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->branch.has_value());
  EXPECT_EQ(head->block.id, block1_.Id());
  EXPECT_EQ(Balance(alice_), 100);

  auto r = repo_->Submit({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDenied);
  EXPECT_NE(r.status().message().find("detached"), std::string::npos) << r.status().message();
  auto c = repo_->Commit(admin_, "x");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kDenied);
  EXPECT_EQ(*repo_->PoolCount(), 0u);

  // Detached state survives reopening, and a branch checkout re-attaches.
  Reopen();
  EXPECT_FALSE(repo_->CurrentHead()->branch.has_value());
  EXPECT_EQ(Balance(alice_), 100);
  ASSERT_TRUE(repo_->Checkout("master").ok());
  EXPECT_EQ(repo_->CurrentHead()->branch, "master");
  EXPECT_EQ(Balance(alice_), 70);
}

// ---- revisions ----

TEST_F(RepoTest, ResolveRevisions) {
  BuildHistory();
  Hash32 g = repo_->chain_id(), b1 = block1_.Id(), b2 = block2_.Id();
  EXPECT_EQ(ResolveOk("HEAD"), b2);
  EXPECT_EQ(ResolveOk("master"), b2);
  EXPECT_EQ(ResolveOk("HEAD~1"), b1);
  EXPECT_EQ(ResolveOk("HEAD~"), b1);
  EXPECT_EQ(ResolveOk("HEAD^"), b1);
  EXPECT_EQ(ResolveOk("HEAD^1"), b1);
  EXPECT_EQ(ResolveOk("HEAD^^"), g);
  EXPECT_EQ(ResolveOk("HEAD~2"), g);
  EXPECT_EQ(ResolveOk("HEAD~1^"), g);
  EXPECT_EQ(ResolveOk("HEAD~0"), b2);
  EXPECT_EQ(ResolveOk("HEAD^0"), b2);
  EXPECT_EQ(ResolveOk("master@0"), g);
  EXPECT_EQ(ResolveOk("master@1"), b1);
  EXPECT_EQ(ResolveOk("master@2"), b2);
  EXPECT_EQ(ResolveOk("HEAD@1"), b1);
  EXPECT_EQ(ResolveOk("master@2~2"), g);
  std::string hex = ToHex(b1);
  EXPECT_EQ(ResolveOk(hex), b1);
  EXPECT_EQ(ResolveOk(hex.substr(0, 7)), b1);
  EXPECT_EQ(ResolveOk(hex.substr(0, 12)), b1);
  std::string upper = hex.substr(0, 10);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ResolveOk(upper), b1);
  EXPECT_EQ(ResolveOk(hex.substr(0, 8) + "~1"), g);
}

TEST_F(RepoTest, ResolveErrors) {
  BuildHistory();
  auto code = [&](const std::string& rev) {
    auto r = repo_->Resolve(rev);
    return r.ok() ? Code::kOk : r.status().code();
  };
  auto message = [&](const std::string& rev) {
    auto r = repo_->Resolve(rev);
    return r.ok() ? std::string("(resolved)") : r.status().message();
  };
  EXPECT_EQ(code(""), Code::kInvalid);
  EXPECT_EQ(code("nosuch"), Code::kNotFound);
  EXPECT_EQ(message("nosuch"), "unknown revision 'nosuch'");
  EXPECT_EQ(code(ToHex(block1_.Id()).substr(0, 6)), Code::kNotFound);  // too short a prefix
  EXPECT_EQ(code("0000000"), Code::kNotFound);
  EXPECT_EQ(code("HEAD~3"), Code::kNotFound);
  EXPECT_NE(message("HEAD~3").find("past genesis"), std::string::npos);
  EXPECT_EQ(code("HEAD^2"), Code::kNotFound);  // not a merge block
  EXPECT_EQ(code("master@3"), Code::kNotFound);
  EXPECT_NE(message("master@3").find("no block at height 3"), std::string::npos);
  EXPECT_EQ(code("master@"), Code::kInvalid);
  EXPECT_EQ(code("master@x"), Code::kInvalid);
  EXPECT_EQ(code(ToHex(block1_.Id()).substr(0, 8) + "@0"), Code::kInvalid);  // @ needs a ref
  EXPECT_EQ(code("HEAD~9999999999"), Code::kInvalid);
  EXPECT_EQ(code("nosuch~1"), Code::kNotFound);
}

TEST_F(RepoTest, ResolveAmbiguousBranchAndTag) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("v1", block1_.Id()).ok());
  ASSERT_TRUE(repo_->CreateTag("v1", block2_.Id()).ok());
  auto r = repo_->Resolve("v1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_NE(r.status().message().find("ambiguous revision 'v1'"), std::string::npos)
      << r.status().message();
}

TEST_F(RepoTest, ResolveAmbiguousPrefix) {
  BuildHistory();
  // Two blocks sharing a 7-digit prefix cannot be produced cheaply, so add
  // a second index row whose id shares block 1's first 8 digits.
  std::string hex = ToHex(block1_.Id());
  std::string twin = hex.substr(0, 8) + std::string(56, hex[8] == '0' ? '1' : '0');
  ASSERT_TRUE(repo_->db()
                  .Exec("INSERT INTO blocks VALUES('" + twin + "', '" + std::string(40, 'e') +
                        "', 1, '" + ToHex(repo_->chain_id()) + "', NULL, 0, '00', 0, '', '" +
                        std::string(64, '0') + "')")
                  .ok());
  auto r = repo_->Resolve(hex.substr(0, 8));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_NE(r.status().message().find("ambiguous"), std::string::npos) << r.status().message();
  // A longer prefix that tells them apart still resolves.
  EXPECT_EQ(ResolveOk(hex.substr(0, 10)), block1_.Id());
}

// ---- branches and tags ----

TEST_F(RepoTest, BranchesAndTags) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  ASSERT_TRUE(repo_->CreateBranch("feature/x", repo_->chain_id()).ok());
  Status st = repo_->CreateBranch("dev", block2_.Id());
  EXPECT_EQ(st.code(), Code::kExists);
  EXPECT_EQ(st.message(), "branch 'dev' already exists");
  for (const char* bad : {"", "-x", ".x", "x/", "x.", "a..b", "a//b", "x.lock", "HEAD", "sp ace", "a~1", "a^"}) {
    EXPECT_EQ(repo_->CreateBranch(bad, block1_.Id()).code(), Code::kInvalid) << bad;
    EXPECT_FALSE(Repository::IsValidRefName(bad)) << bad;
  }
  Hash32 unknown{};
  unknown[0] = 1;
  EXPECT_EQ(repo_->CreateBranch("ghost", unknown).code(), Code::kNotFound);

  auto branches = repo_->Branches();
  ASSERT_TRUE(branches.ok());
  std::vector<std::pair<std::string, Hash32>> want = {
      {"dev", block1_.Id()}, {"feature/x", repo_->chain_id()}, {"master", block2_.Id()}};
  EXPECT_EQ(*branches, want);
  EXPECT_EQ(*repo_->BranchHead("dev"), block1_.Id());
  EXPECT_FALSE(repo_->BranchHead("nope")->has_value());

  // Tags are immutable.
  ASSERT_TRUE(repo_->CreateTag("v1", block1_.Id()).ok());
  st = repo_->CreateTag("v1", block2_.Id());
  EXPECT_EQ(st.code(), Code::kExists);
  EXPECT_EQ(st.message(), "tag 'v1' already exists");
  EXPECT_EQ(*repo_->TagTarget("v1"), block1_.Id());
  EXPECT_EQ(ResolveOk("v1"), block1_.Id());
  EXPECT_EQ(ResolveOk("v1~1"), repo_->chain_id());
  EXPECT_EQ(repo_->CreateTag("bad..name", block1_.Id()).code(), Code::kInvalid);
  auto tags = repo_->Tags();
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].first, "v1");

  // Deleting.
  EXPECT_EQ(repo_->DeleteBranch("master").code(), Code::kDenied);  // checked out
  EXPECT_EQ(repo_->DeleteBranch("nope").code(), Code::kNotFound);
  ASSERT_TRUE(repo_->DeleteBranch("dev").ok());
  EXPECT_FALSE(repo_->BranchHead("dev")->has_value());
  EXPECT_EQ(repo_->Resolve("dev").status().code(), Code::kNotFound);
  EXPECT_TRUE(repo_->ReadBlock(block1_.Id()).ok());  // the block stays
  ASSERT_TRUE(repo_->DeleteTag("v1").ok());
  EXPECT_EQ(repo_->DeleteTag("v1").code(), Code::kNotFound);
}

TEST_F(RepoTest, RefNamesGitRefusesAreInvalid) {
  // Components that start with '.' or end with ".lock" are refused by the
  // ref store; the name check must refuse them up front as kInvalid rather
  // than let the ref write fail as an I/O error.
  for (const char* name : {"a/.x", "x.lock/y"}) {
    Status st = repo_->CreateBranch(name, repo_->chain_id());
    EXPECT_EQ(st.code(), Code::kInvalid) << name << ": " << st.message();
    EXPECT_FALSE(Repository::IsValidRefName(name)) << name;
  }
  // Names with a '/' or '.' inside a component are fine.
  for (const char* name : {"a.b", "1", "a/-b", "A_b-c.d/e"}) {
    EXPECT_TRUE(repo_->CreateBranch(name, repo_->chain_id()).ok()) << name;
  }
}

TEST_F(RepoTest, CheckoutSwitchesState) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  Status st = repo_->Checkout("dev");
  ASSERT_TRUE(st.ok()) << st.message();
  auto head = repo_->CurrentHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->branch, "dev");
  EXPECT_EQ(head->block.id, block1_.Id());
  EXPECT_EQ(Balance(alice_), 100);
  EXPECT_EQ(Balance(bob_), -1);  // bob has no account before block 2
  EXPECT_EQ(LiveDigest(), ReplayDigest(block1_.Id()));

  // Work on dev diverges from master.
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(5)})});
  EXPECT_EQ(Balance(alice_), 105);
  Block dev2 = CommitOk("dev work");
  EXPECT_EQ(dev2.header.parents[0], block1_.Id());
  EXPECT_EQ(*repo_->BranchHead("master"), block2_.Id());

  ASSERT_TRUE(repo_->Checkout("master").ok());
  EXPECT_EQ(repo_->CurrentHead()->branch, "master");
  EXPECT_EQ(Balance(alice_), 70);
  EXPECT_EQ(Balance(bob_), 30);
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));

  // A block id checks out detached.
  ASSERT_TRUE(repo_->Checkout(ToHex(repo_->chain_id()).substr(0, 9)).ok());
  EXPECT_FALSE(repo_->CurrentHead()->branch.has_value());
  auto q = repo_->engine().Query("SELECT count(*) FROM aergo.contracts");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->rows[0][0].integer, 0);

  EXPECT_EQ(repo_->Checkout("nosuch").code(), Code::kNotFound);
  EXPECT_FALSE(repo_->CurrentHead()->branch.has_value());  // unchanged
}

TEST_F(RepoTest, CheckoutKeepsPendingPoolPerBranch) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block2_.Id()).ok());
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  EXPECT_EQ(Balance(bob_), 31);
  ASSERT_TRUE(repo_->Checkout("dev").ok());
  EXPECT_EQ(Balance(bob_), 30);  // master's pending tx is not on dev
  EXPECT_EQ(*repo_->PoolCount(), 0u);
  ASSERT_TRUE(repo_->Checkout("master").ok());
  EXPECT_EQ(*repo_->PoolCount(), 1u);
  EXPECT_EQ(Balance(bob_), 31);  // and it is back on master
}

TEST_F(RepoTest, IsAncestor) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  ASSERT_TRUE(repo_->Checkout("dev").ok());
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(5)})});
  Block dev2 = CommitOk("dev");
  Hash32 g = repo_->chain_id();
  auto is = [&](const Hash32& a, const Hash32& d) {
    auto r = repo_->IsAncestor(a, d);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && r.value();
  };
  EXPECT_TRUE(is(g, block2_.Id()));
  EXPECT_TRUE(is(block1_.Id(), block2_.Id()));
  EXPECT_TRUE(is(block2_.Id(), block2_.Id()));
  EXPECT_TRUE(is(block1_.Id(), dev2.Id()));
  EXPECT_FALSE(is(block2_.Id(), block1_.Id()));
  EXPECT_FALSE(is(block2_.Id(), g));
  EXPECT_FALSE(is(block2_.Id(), dev2.Id()));  // siblings
  EXPECT_FALSE(is(dev2.Id(), block2_.Id()));
  Hash32 unknown{};
  EXPECT_EQ(repo_->IsAncestor(unknown, block2_.Id()).status().code(), Code::kNotFound);
}

// ---- recovery on open ----

TEST_F(RepoTest, ReopenRollsForwardInterruptedCommit) {
  BuildHistory();
  auto row1 = repo_->BlockInfo(block1_.Id());
  ASSERT_TRUE(row1.ok());
  // Simulate a crash between the index/state transaction and the ref update:
  // the state and index already hold block 2, the ref still names block 1.
  ASSERT_TRUE(repo_->git().ForceRef("refs/heads/master", row1->oid, "test: simulate crash").ok());
  ASSERT_EQ(*repo_->index().GetMeta("state_block"), ToHex(block2_.Id()));

  Reopen();
  auto head = repo_->CurrentHead();
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->branch, "master");
  EXPECT_EQ(head->block.id, block2_.Id());  // rolled forward, block 2 not lost
  EXPECT_EQ(*repo_->BranchHead("master"), block2_.Id());
  EXPECT_EQ(Balance(alice_), 70);
  EXPECT_EQ(Balance(bob_), 30);
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
  // And work continues on top of it.
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  Block b3 = CommitOk("after recovery");
  EXPECT_EQ(b3.header.parents[0], block2_.Id());
}

TEST_F(RepoTest, ReadOnlyOpenAlsoRollsForward) {
  BuildHistory();
  auto row1 = repo_->BlockInfo(block1_.Id());
  ASSERT_TRUE(row1.ok());
  ASSERT_TRUE(repo_->git().ForceRef("refs/heads/master", row1->oid, "test: simulate crash").ok());
  repo_.reset();
  auto r = Repository::Open(aergo_dir_, OpenMode::kRead, clock_);  // upgrades its lock to repair
  ASSERT_TRUE(r.ok()) << r.status().message();
  repo_ = std::move(r.value());
  EXPECT_EQ(ResolveOk("master"), block2_.Id());
  EXPECT_EQ(Balance(bob_), 30);
}

TEST_F(RepoTest, ReopenRebuildsStaleState) {
  BuildHistory();
  repo_.reset();
  {
    // Damage the state behind the repository's back and mark its position
    // unknown (a block the index does not hold): open rebuilds it from
    // genesis's changes.
    auto db = Db::Open(aergo_dir_ + "/ledger.db", false);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE(db->Exec("UPDATE \"token.accounts\" SET balance = 999").ok());
    Index index(&db.value());
    ASSERT_TRUE(index.SetMeta("state_block", std::string(64, 'f')).ok());
  }
  Reopen();
  EXPECT_EQ(Balance(alice_), 70);
  EXPECT_EQ(Balance(bob_), 30);
  EXPECT_EQ(*repo_->index().GetMeta("state_block"), ToHex(block2_.Id()));
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
}

TEST_F(RepoTest, ReopenMovesStateLeftAtGenesis) {
  // A checkout interrupted between its SQLite transaction and the HEAD
  // update: the state (and meta) are at genesis, detached, while HEAD still
  // names master. Open moves the state to master's head along the changes.
  BuildHistory();
  ASSERT_TRUE(repo_->Checkout(ToHex(repo_->chain_id())).ok());
  auto contracts = repo_->engine().Contracts();
  ASSERT_TRUE(contracts.ok() && contracts->empty());
  ASSERT_TRUE(repo_->git().SetHeadBranch("master", "test: simulate crash").ok());
  ASSERT_EQ(*repo_->index().GetMeta("state_block"), ToHex(repo_->chain_id()));
  Reopen();
  EXPECT_EQ(ResolveOk("HEAD"), block2_.Id());
  EXPECT_EQ(repo_->CurrentHead()->branch, "master");
  EXPECT_EQ(Balance(alice_), 70);
  EXPECT_EQ(Balance(bob_), 30);
  EXPECT_EQ(*repo_->index().GetMeta("state_block"), ToHex(block2_.Id()));
  EXPECT_EQ(*repo_->index().GetMeta("state_branch"), "master");
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
}

TEST_F(RepoTest, OpenMissingRepositoryFails) {
  repo_.reset();
  auto r = Repository::Open(dir_ + "/nowhere/.aergo", OpenMode::kRead, clock_);
  EXPECT_FALSE(r.ok());
}

TEST_F(RepoTest, SecondWriterIsBusy) {
  // The repository holds an exclusive lock; a reader in this process uses a
  // separate descriptor, so it waits like another process would.
  OpenOptions options;
  options.lock_timeout_ms = 50;
  auto r = Repository::Open(aergo_dir_, OpenMode::kRead, clock_, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBusy);
  EXPECT_NE(r.status().message().find("locked"), std::string::npos);
}

}  // namespace
}  // namespace aergo

namespace aergo {
namespace {

// ---- a temporary checkout survives a crash (issue 13, finding 4) ----

TEST_F(RepoTest, WithBranchCheckedOutReturnsToTheCheckedOutBranch) {
  ASSERT_TRUE(repo_->CreateBranch("side", repo_->chain_id()).ok());
  std::optional<std::string> during;
  Status st = repo_->WithBranchCheckedOut("side", [&] {
    auto h = repo_->CurrentHead();
    if (h.ok()) during = h->branch;
    return Failed("the work failed");
  });
  EXPECT_EQ(st.message(), "the work failed");
  EXPECT_EQ(during, std::optional<std::string>("side"));
  auto head = repo_->CurrentHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->branch, std::optional<std::string>("master"));
}

TEST_F(RepoTest, AnOpenPutsHeadBackAfterACrashDuringATemporaryCheckout) {
  ASSERT_TRUE(repo_->CreateBranch("side", repo_->chain_id()).ok());
  // What a process that died inside WithBranchCheckedOut leaves: the way
  // back recorded, the other branch checked out.
  ASSERT_TRUE(repo_->index().SetMeta("restore_head", "master").ok());
  ASSERT_TRUE(repo_->Checkout("side").ok());
  repo_.reset();
  // Even a read-only open repairs it (taking the lock exclusively for that).
  {
    auto r = Repository::Open(aergo_dir_, OpenMode::kRead, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto head = (*r)->CurrentHead();
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->branch, std::optional<std::string>("master"));
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto meta = repo_->index().GetMeta("restore_head");
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(!meta->has_value() || (*meta)->empty());
}

}  // namespace
}  // namespace aergo

namespace aergo {
namespace {

// Repository::Submit's time budget: once spent, the txs not yet executed
// fail "not executed" and are not kept; those executed before are kept.
TEST_F(RepoTest, SubmitStopsExecutingWhenItsTimeBudgetIsSpent) {
  BuildHistory();
  std::vector<Tx> txs;
  for (int i = 0; i < 3000; ++i)
    txs.push_back(Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)}));
  auto r = repo_->Submit(txs, 1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  size_t kept = 0, skipped = 0;
  for (const auto& s : *r) {
    if (s.outcome.ok) {
      ++kept;
    } else {
      EXPECT_NE(s.outcome.error.find("not executed: the submission used up its time budget (1 ms)"), std::string::npos)
          << s.outcome.error;
      ++skipped;
    }
  }
  EXPECT_GT(skipped, 0u);
  auto pending = repo_->PoolCount();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(*pending, kept);
  // Without a budget the rest go in.
  std::vector<Tx> rest;
  for (size_t i = 0; i < txs.size(); ++i)
    if (!(*r)[i].outcome.ok) rest.push_back(txs[i]);
  auto again = repo_->Submit(rest);
  ASSERT_TRUE(again.ok());
  for (const auto& s : *again) EXPECT_TRUE(s.outcome.ok) << s.outcome.error;
}

// A pool built by many submissions holds the changes one submission of the
// same txs makes, to the byte: rows changed again, rows changed back to
// what they were (no change left), a row created and deleted. Its counters
// match its entries.
TEST_F(RepoTest, PoolBuiltInManySubmissionsEqualsOne) {
  BuildHistory();
  auto to = [&](const SecretKey& k) { return Value::Text(Addr(k)); };
  std::vector<Tx> txs = {
      Call(admin_, "mint", {to(alice_), Value::Integer(5)}),
      Call(alice_, "transfer", {to(bob_), Value::Integer(7)}),
      Call(bob_, "transfer", {to(alice_), Value::Integer(7)}),  // both balances back
      Call(admin_, "mint", {to(alice_), Value::Integer(1)}),
      Call(admin_, "mint", {to(alice_), Value::Integer(2)}),
  };
  std::string one_by_one;
  for (const Tx& tx : txs) ASSERT_NO_FATAL_FAILURE(SubmitOk({tx}));
  {
    auto pc = repo_->PoolChanges("master");
    ASSERT_TRUE(pc.ok()) << pc.status().message();
    one_by_one = ToHex(pc->Encode());
    auto size = repo_->index().PoolSizeOf("master");
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(size->txs, txs.size());
    uint64_t bytes = 0;
    for (const Tx& tx : txs) bytes += tx.Encode().size();
    EXPECT_EQ(size->bytes, bytes);
  }
  ASSERT_TRUE(repo_->ResetPool().ok());
  EXPECT_EQ(*repo_->PoolCount(), 0u);
  ASSERT_NO_FATAL_FAILURE(SubmitOk(txs));
  auto pc = repo_->PoolChanges("master");
  ASSERT_TRUE(pc.ok()) << pc.status().message();
  EXPECT_EQ(ToHex(pc->Encode()), one_by_one);
  // And the block sealed from it carries those bytes and replays.
  Block b = CommitOk("five");
  EXPECT_EQ(ToHex(b.changes), one_by_one);
  EXPECT_EQ(ReplayDigest(b.Id()), LiveDigest());
}

// A repository of format 4 (pools without counters, a pool's changes in one
// row) with a pending pool: read as it is; opened for writing, it is
// migrated to format 5 and its pool counted, extended and sealed as if it
// had always been format 5.
TEST_F(RepoTest, FormatFourPoolIsReadAndMigrated) {
  BuildHistory();
  auto to = [&](const SecretKey& k) { return Value::Text(Addr(k)); };
  ASSERT_NO_FATAL_FAILURE(SubmitOk({Call(admin_, "mint", {to(alice_), Value::Integer(5)})}));
  ASSERT_NO_FATAL_FAILURE(SubmitOk({Call(alice_, "transfer", {to(bob_), Value::Integer(2)})}));
  auto pc = repo_->PoolChanges("master");
  ASSERT_TRUE(pc.ok());
  const std::string net = ToHex(pc->Encode());
  repo_.reset();
  {
    auto db = Db::Open(aergo_dir_ + "/ledger.db", true);
    ASSERT_TRUE(db.ok()) << db.status().message();
    Status st = db->Exec(
        "ALTER TABLE pools DROP COLUMN txs; ALTER TABLE pools DROP COLUMN bytes; DROP TABLE pool_batches;"
        "INSERT OR REPLACE INTO pool_changes VALUES('master', x'" + net + "');"
        "UPDATE meta SET value = '4' WHERE key = 'format';");
    ASSERT_TRUE(st.ok()) << st.message();
  }
  auto format = [&] {
    auto f = repo_->index().GetMeta("format");
    return f.ok() && *f ? **f : "?";
  };
  {
    auto r = Repository::Open(aergo_dir_, OpenMode::kRead, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    repo_ = std::move(*r);
    EXPECT_EQ(format(), "4");
    EXPECT_EQ(*repo_->PoolCount(), 2u);
    auto read = repo_->PoolChanges("master");
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_EQ(ToHex(read->Encode()), net);
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(format(), "5");
  EXPECT_EQ(*repo_->PoolCount(), 2u);
  ASSERT_NO_FATAL_FAILURE(SubmitOk({Call(admin_, "mint", {to(bob_), Value::Integer(1)})}));
  EXPECT_EQ(*repo_->PoolCount(), 3u);
  Block b = CommitOk("after the migration");
  EXPECT_EQ(b.txs.size(), 3u);
  EXPECT_EQ(ReplayDigest(b.Id()), LiveDigest());
  EXPECT_EQ(Balance(alice_), 100 - 30 + 5 - 2);
  EXPECT_EQ(Balance(bob_), 30 + 2 + 1);
}

// Submit takes only txs this chain's Precheck passed: an unchecked one is
// refused alone, with the others executed.
TEST_F(RepoTest, SubmitRefusesATxThatWasNotChecked) {
  BuildHistory();
  Tx mint = Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)});
  auto checked = repo_->Precheck({mint});
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  ASSERT_EQ(checked->size(), 1u);
  EXPECT_EQ((*checked)[0].refusal(), "");
  std::vector<CheckedTx> txs = {CheckedTx(Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(2)})),
                                (*checked)[0]};
  auto r = repo_->Submit(txs);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_FALSE((*r)[0].outcome.ok);
  EXPECT_EQ((*r)[0].outcome.error, "tx was not checked");
  EXPECT_TRUE((*r)[1].outcome.ok) << (*r)[1].outcome.error;
  EXPECT_EQ(*repo_->PoolCount(), 1u);
}

}  // namespace
}  // namespace aergo
