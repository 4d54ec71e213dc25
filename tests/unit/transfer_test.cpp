// Unit tests for core/transfer.h, core/import.h and merge/receive.h: packs
// written from one repository and received by another of the same chain
// (streamed in small chunks), haves that shrink the pack, HavesFor, damaged
// packs, forged or foreign blocks refused before anything is stored, and
// pushes (fast-forward, branch creation, refusals that change nothing, a
// merge sealed with the receiver's key).
#include "core/transfer.h"

#include <git2.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/import.h"
#include "merge/receive.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

namespace fs = std::filesystem;

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Repositories are slow to create (fsync), so the suite builds them once —
// the source with BuildHistory's two blocks, a second repository of its
// chain holding only genesis, and a repository of another chain with one
// block — and each test works on fresh copies.
struct Templates {
  testutil::TempDir dir{"aergo-transfer-template"};
  bool ok = false;
  Block block1, block2, foreign;
  uint64_t elapsed_ms = 0;  // clock time the history took
  std::string Path(const char* name) const { return dir.path() + "/" + name; }
};

class TransferTest : public testutil::RepoFixture {
 protected:
  TransferTest() : RepoFixture("aergo-transfer-test", kAdminSeed) {}

  static constexpr uint8_t kAdminSeed = 0x51;
  static constexpr uint64_t kStartMs = 1700000000000ull;  // RepoFixture's clock

  static void SetUpTestSuite() {
    RepoFixture::SetUpTestSuite();
    templates_ = new Templates;
    Templates& t = *templates_;
    FixedClock clock(kStartMs);
    SecretKey admin = testutil::SeedKey(kAdminSeed), alice = testutil::SeedKey(kAdminSeed + 1),
              bob = testutil::SeedKey(kAdminSeed + 2), other = testutil::SeedKey(kOtherSeed);
    auto addr = [](const SecretKey& k) { return Value::Text(AddressFromKey(k.public_key())); };
    auto commit = [&](Repository& r, const SecretKey& producer, const std::vector<Tx>& txs,
                      const std::string& message) -> Block {
      auto sub = r.Submit(txs);
      EXPECT_TRUE(sub.ok()) << sub.status().message();
      if (!sub.ok()) return Block{};
      for (const auto& x : *sub) EXPECT_TRUE(x.outcome.ok) << x.outcome.error;
      clock.Advance(1000);
      auto b = r.Commit(producer, message);
      EXPECT_TRUE(b.ok()) << b.status().message();
      return b.ok() ? b.value() : Block{};
    };
    auto src = Repository::Init(t.Path("src"), admin, InitParams{}, clock);
    ASSERT_TRUE(src.ok()) << src.status().message();
    Repository& s = **src;
    t.block1 = commit(s, admin,
                      {s.MakeTx(TxKind::kDeploy, admin, "token", "", {}, testutil::kTokenContract),
                       s.MakeTx(TxKind::kCall, admin, "token", "mint", {addr(alice), Value::Integer(100)}, "")},
                      "deploy and mint");
    t.block2 = commit(s, admin,
                      {s.MakeTx(TxKind::kCall, bob, "token", "open", {}, ""),
                       s.MakeTx(TxKind::kCall, alice, "token", "transfer", {addr(bob), Value::Integer(30)}, "")},
                      "transfer");
    auto genesis = s.ReadBlock(s.chain_id());
    ASSERT_TRUE(genesis.ok()) << genesis.status().message();
    auto dest = Repository::InitFromGenesis(t.Path("dest"), *genesis, clock);
    ASSERT_TRUE(dest.ok()) << dest.status().message();
    auto o = Repository::Init(t.Path("other"), other, InitParams{}, clock);
    ASSERT_TRUE(o.ok()) << o.status().message();
    t.foreign = commit(**o, other, {(*o)->MakeTx(TxKind::kDeploy, other, "token", "", {}, testutil::kTokenContract)},
                       "other chain");
    t.elapsed_ms = clock.NowMs() - kStartMs;
    t.ok = !::testing::Test::HasFailure();
  }

  static void TearDownTestSuite() {
    delete templates_;
    templates_ = nullptr;
  }

  // A copy of template `name` at <dir>/.aergo, opened for writing.
  std::unique_ptr<Repository> CopyOf(const char* name, const std::string& dir) {
    std::error_code ec;
    fs::copy(templates_->Path(name) + "/.aergo", dir + "/.aergo", fs::copy_options::recursive, ec);
    EXPECT_FALSE(ec) << ec.message();
    auto r = Repository::Open(dir + "/.aergo", OpenMode::kWrite, clock_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r.value()) : nullptr;
  }

  // repo_: the source, with block1_ and block2_ (BuildHistory's) on master.
  void SetUp() override {
    ASSERT_TRUE(templates_ && templates_->ok) << "the template repositories could not be built";
    clock_.Advance(templates_->elapsed_ms);
    repo_ = CopyOf("src", dir_);
    ASSERT_TRUE(repo_);
    block1_ = templates_->block1;
    block2_ = templates_->block2;
  }

  void TearDown() override {
    other_.reset();
    dest_.reset();
    RepoFixture::TearDown();
  }

  // dest_: a second repository of the source's chain, holding only its
  // genesis block.
  void MakeDest() {
    dest_ = CopyOf("dest", dest_dir_.path());
    ASSERT_TRUE(dest_);
  }

  // other_: a repository of another chain (another admin key) with one
  // block deploying the token; returns that block.
  Block MakeOtherChain() {
    other_ = CopyOf("other", other_dir_.path());
    return templates_->foreign;
  }

  static Oid OidOf(Repository& r, const Hash32& id) {
    auto row = r.BlockInfo(id);
    EXPECT_TRUE(row.ok()) << row.status().message();
    return row.ok() ? row->oid : Oid{};
  }
  Oid SrcOid(const Hash32& id) { return OidOf(*repo_, id); }

  static std::string PackOf(GitRepo& git, const std::vector<Oid>& wants, const std::vector<Oid>& haves,
                            PackStats* stats = nullptr) {
    std::string bytes;
    auto r = WritePack(git, wants, haves, [&](const void* data, size_t size) {
      bytes.append(static_cast<const char*>(data), size);
      return true;
    });
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) {
      EXPECT_EQ(r->bytes, bytes.size());
      if (stats) *stats = *r;
    }
    return bytes;
  }
  // A pack from the source repository.
  std::string Pack(const std::vector<Oid>& wants, const std::vector<Oid>& haves, PackStats* stats = nullptr) {
    return PackOf(repo_->git(), wants, haves, stats);
  }

  // A receiver on dest_ fed `pack` in chunks of `chunk` bytes; *appended is
  // the first failing Append's status (Ok if none failed).
  std::unique_ptr<PackReceiver> Receive(const std::string& pack, Status* appended, size_t chunk = 100) {
    auto r = PackReceiver::Create(&dest_->git(), 0);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return nullptr;
    *appended = Status::Ok();
    for (size_t off = 0; off < pack.size(); off += chunk) {
      Status st = (*r)->Append(pack.data() + off, std::min(chunk, pack.size() - off));
      if (!st.ok()) {
        *appended = st;
        break;
      }
    }
    return std::move(r.value());
  }

  // Receives, verifies and stores a pack on dest_.
  Status Deliver(const std::string& pack) {
    Status appended;
    auto r = Receive(pack, &appended);
    if (!r) return Failed("no receiver");
    if (!appended.ok()) return appended;
    auto in = VerifyPack(*dest_, r.get());
    if (!in.ok()) return in.status();
    return StorePack(*dest_, r.get(), *in);
  }

  std::string DestPackDir() { return std::string(git_repository_path(dest_->git().get())) + "objects/pack"; }
  // Names in dest_'s objects/pack starting with prefix, sorted.
  std::vector<std::string> DestPackEntries(const std::string& prefix) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(DestPackDir(), ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) == 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> Quarantines() { return DestPackEntries("incoming-"); }

  uint64_t DestBlockCount() {
    auto n = dest_->index().BlockCount();
    EXPECT_TRUE(n.ok()) << n.status().message();
    return n.ok() ? *n : 0;
  }
  bool DestIndexed(const Hash32& id) {
    auto row = dest_->index().GetBlock(id);
    EXPECT_TRUE(row.ok()) << row.status().message();
    return row.ok() && row->has_value();
  }
  Hash32 DestBranch(const std::string& name) {
    auto h = dest_->BranchHead(name);
    EXPECT_TRUE(h.ok() && h->has_value()) << name;
    return h.ok() && h->has_value() ? **h : Hash32{};
  }

  // Dest_ holds genesis and block1_, its master at block1_.
  void DeliverBlock1() {
    ASSERT_NO_FATAL_FAILURE(MakeDest());
    Status st = Deliver(Pack({SrcOid(block1_.Id())}, {}));
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(DestIndexed(block1_.Id()));
    auto moved = ReceivePush(*dest_, nullptr, PushRequest{"master", block1_.Id(), {}}, nullptr);
    ASSERT_TRUE(moved.ok()) << moved.status().message();
    ASSERT_EQ(DestBranch("master"), block1_.Id());
  }

  // The pack is refused by VerifyPack with `code` and a message naming
  // `part`; nothing is indexed, no pack enters the object store, and no
  // quarantine is left once the receiver is gone.
  void ExpectRefused(const std::string& pack, Code code, const std::string& part) {
    uint64_t before = DestBlockCount();
    auto packs = DestPackEntries("pack-");
    {
      Status appended;
      auto r = Receive(pack, &appended);
      ASSERT_TRUE(r);
      ASSERT_TRUE(appended.ok()) << appended.message();
      auto in = VerifyPack(*dest_, r.get());
      ASSERT_FALSE(in.ok()) << "the pack was accepted";
      EXPECT_EQ(in.status().code(), code) << in.status().message();
      EXPECT_TRUE(Has(in.status().message(), part)) << in.status().message();
    }
    EXPECT_EQ(DestBlockCount(), before);
    EXPECT_EQ(DestPackEntries("pack-"), packs);
    EXPECT_TRUE(Quarantines().empty());
  }

  // Writes `b` into the source's object store (objects only, not indexed).
  Oid WriteRaw(const Block& b, const std::vector<Oid>& parents) {
    auto oid = repo_->git().WriteBlock(b, parents);
    EXPECT_TRUE(oid.ok()) << oid.status().message();
    return oid.ok() ? *oid : Oid{};
  }

  static void FixRootsAndSign(Block* b, const SecretKey& key) {
    b->header.tx_count = static_cast<uint32_t>(b->txs.size());
    b->header.tx_root = b->ComputeTxRoot();
    b->header.receipt_root = b->ComputeReceiptRoot();
    b->header.Sign(key);
  }

  Tx Mint(const SecretKey& to, int64_t n) { return Call(admin_, "mint", {Value::Text(Addr(to)), Value::Integer(n)}); }

  int64_t DestBalance(const SecretKey& k) {
    auto q = dest_->engine().Query("SELECT balance FROM token.accounts WHERE owner = '" + Addr(k) + "'");
    EXPECT_TRUE(q.ok()) << q.status().message();
    if (!q.ok() || q->rows.empty()) return -1;
    return q->rows[0][0].integer;
  }

  static constexpr uint8_t kOtherSeed = 0x77;
  static inline Templates* templates_ = nullptr;
  testutil::TempDir dest_dir_{"aergo-transfer-dest"};
  testutil::TempDir other_dir_{"aergo-transfer-other"};
  std::unique_ptr<Repository> dest_, other_;
};

// ---- packs ----

TEST_F(TransferTest, FullPackStreamsInChunksAndIsStored) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  PackStats stats;
  std::string pack = Pack({SrcOid(block2_.Id())}, {}, &stats);
  EXPECT_GE(stats.objects, 3u * 3);  // at least commit, tree and a blob per block
  EXPECT_LE(stats.objects, 3u * 6);
  EXPECT_GT(pack.size(), 400u);  // many 100-byte chunks

  Status appended;
  uint64_t progress_calls = 0;
  auto r = PackReceiver::Create(&dest_->git(), 0);
  ASSERT_TRUE(r.ok()) << r.status().message();
  (*r)->set_progress([&](const PackProgress&) { ++progress_calls; });
  ASSERT_EQ(Quarantines().size(), 1u);
  for (size_t off = 0; off < pack.size(); off += 100) {
    Status st = (*r)->Append(pack.data() + off, std::min<size_t>(100, pack.size() - off));
    ASSERT_TRUE(st.ok()) << "at byte " << off << ": " << st.message();
  }
  EXPECT_GE(progress_calls, pack.size() / 100);
  EXPECT_EQ((*r)->progress().bytes, pack.size());

  auto in = VerifyPack(*dest_, r->get());
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ((*r)->progress().objects, stats.objects);
  EXPECT_EQ((*r)->progress().total, stats.objects);
  // Genesis is known already: the two new blocks, parents first.
  ASSERT_EQ(in->blocks.size(), 2u);
  EXPECT_EQ(in->blocks[0].block.Id(), block1_.Id());
  EXPECT_EQ(in->blocks[1].block.Id(), block2_.Id());
  EXPECT_EQ(in->txs, 4u);
  EXPECT_FALSE(DestIndexed(block1_.Id()));  // verified, not yet indexed

  Status st = StorePack(*dest_, r->get(), *in);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(Quarantines().empty());
  EXPECT_EQ(DestPackEntries("pack-").size(), 2u);  // .pack and .idx
  EXPECT_EQ(DestBlockCount(), 3u);
  for (const Block* b : {&block1_, &block2_}) {
    EXPECT_TRUE(DestIndexed(b->Id()));
    auto read = dest_->ReadBlock(b->Id());
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_EQ(read->Id(), b->Id());
    EXPECT_EQ(read->changes, b->changes);
    EXPECT_EQ(OidOf(*dest_, b->Id()), SrcOid(b->Id()));
  }
  // Storing moves no ref.
  EXPECT_EQ(DestBranch("master"), repo_->chain_id());
  r->reset();
  EXPECT_TRUE(Quarantines().empty());

  // The same pack again: nothing new, nothing left behind.
  Status again = Deliver(pack);
  EXPECT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(DestBlockCount(), 3u);
  EXPECT_EQ(DestPackEntries("pack-").size(), 2u);
  EXPECT_TRUE(Quarantines().empty());

  // The objects are in the store for good: a fresh open reads them.
  dest_.reset();
  auto reopened = Repository::Open(dest_dir_.path() + "/.aergo", OpenMode::kRead, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  auto read = (*reopened)->ReadBlock(block2_.Id());
  EXPECT_TRUE(read.ok()) << read.status().message();
}

TEST_F(TransferTest, HavesLeaveOutWhatTheReceiverHas) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  SubmitOk({Mint(bob_, 5)});
  Block block3 = CommitOk("mint to bob");

  PackStats full;
  Pack({SrcOid(block3.Id())}, {}, &full);
  auto haves = HavesFor(dest_->git(), dest_->index());
  ASSERT_TRUE(haves.ok()) << haves.status().message();
  ASSERT_FALSE(haves->empty());
  EXPECT_EQ(haves->front(), block1_.Id());  // dest's master tip
  std::vector<Oid> have_oids;
  for (const auto& id : *haves) have_oids.push_back(OidOf(*dest_, id));
  // An object the sender lacks is ignored.
  have_oids.push_back(*Oid::FromHex(std::string(40, 'e')));
  PackStats part;
  std::string pack = Pack({SrcOid(block3.Id())}, have_oids, &part);
  EXPECT_LE(part.objects, 2u * 6);  // block2 and block3 only
  EXPECT_LT(part.objects, full.objects);

  Status appended;
  auto r = Receive(pack, &appended);
  ASSERT_TRUE(appended.ok()) << appended.message();
  auto in = VerifyPack(*dest_, r.get());
  ASSERT_TRUE(in.ok()) << in.status().message();
  ASSERT_EQ(in->blocks.size(), 2u);
  EXPECT_EQ(in->blocks[0].block.Id(), block2_.Id());
  EXPECT_EQ(in->blocks[1].block.Id(), block3.Id());
  auto commits = r->Commits();
  ASSERT_TRUE(commits.ok()) << commits.status().message();
  EXPECT_EQ(commits->size(), 2u);
  Status st = StorePack(*dest_, r.get(), *in);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(DestBlockCount(), 4u);
  EXPECT_TRUE(dest_->ReadBlock(block3.Id()).ok());
}

TEST_F(TransferTest, PackOfAMissingWantIsNotFound) {
  auto r = WritePack(repo_->git(), {*Oid::FromHex(std::string(40, 'a'))}, {},
                     [](const void*, size_t) { return true; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().message();
}

TEST_F(TransferTest, SinkThatStopsFailsThePack) {
  auto r = WritePack(repo_->git(), {SrcOid(block2_.Id())}, {}, [](const void*, size_t) { return false; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailed) << r.status().message();
}

TEST_F(TransferTest, PackOverTheLimitIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  std::string pack = Pack({SrcOid(block2_.Id())}, {});
  {
    auto r = PackReceiver::Create(&dest_->git(), pack.size() - 1);
    ASSERT_TRUE(r.ok()) << r.status().message();
    Status st = (*r)->Append(pack.data(), pack.size());
    EXPECT_EQ(st.code(), Code::kInvalid) << st.message();
    EXPECT_TRUE(Has(st.message(), "limit")) << st.message();
  }
  EXPECT_TRUE(Quarantines().empty());
  {
    auto r = PackReceiver::Create(&dest_->git(), pack.size());  // exactly at the limit
    ASSERT_TRUE(r.ok()) << r.status().message();
    Status st = (*r)->Append(pack.data(), pack.size());
    EXPECT_TRUE(st.ok()) << st.message();
    EXPECT_TRUE((*r)->Finish().ok());
  }
  EXPECT_TRUE(Quarantines().empty());
}

TEST_F(TransferTest, EmptyPackIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  auto r = PackReceiver::Create(&dest_->git(), 0);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto in = VerifyPack(*dest_, r->get());
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), Code::kInvalid) << in.status().message();
}

// ---- HavesFor ----

TEST_F(TransferTest, HavesForStartsAtTheTipAndReachesGenesis) {
  auto haves = HavesFor(repo_->git(), repo_->index());
  ASSERT_TRUE(haves.ok()) << haves.status().message();
  EXPECT_EQ(*haves, (std::vector<Hash32>{block2_.Id(), block1_.Id(), repo_->chain_id()}));

  ASSERT_NO_FATAL_FAILURE(MakeDest());
  auto only_genesis = HavesFor(dest_->git(), dest_->index());
  ASSERT_TRUE(only_genesis.ok()) << only_genesis.status().message();
  EXPECT_EQ(*only_genesis, std::vector<Hash32>{repo_->chain_id()});
}

TEST_F(TransferTest, HavesForThinsOutLongChainsAndIsBounded) {
  std::vector<Hash32> chain = {repo_->chain_id(), block1_.Id(), block2_.Id()};
  for (int i = 0; i < 18; ++i) {
    SubmitOk({Mint(bob_, i + 1)});
    chain.push_back(CommitOk("mint " + std::to_string(i)).Id());
  }
  ASSERT_EQ(chain.size(), 21u);
  const Hash32 tip = chain.back();
  // More tips on the same history: a tag at the tip, a branch below it.
  ASSERT_TRUE(repo_->CreateTag("v1", tip).ok());
  ASSERT_TRUE(repo_->CreateBranch("old", chain[5]).ok());

  auto haves = HavesFor(repo_->git(), repo_->index());
  ASSERT_TRUE(haves.ok()) << haves.status().message();
  ASSERT_FALSE(haves->empty());
  EXPECT_EQ(haves->front(), tip);
  EXPECT_EQ(haves->back(), repo_->chain_id());
  // Tip, then 1, 2, 4, 8, 16 blocks below it, then genesis.
  std::vector<Hash32> want = {chain[20], chain[19], chain[18], chain[16], chain[12], chain[4], chain[0]};
  EXPECT_EQ(*haves, want);
  std::set<Hash32> unique(haves->begin(), haves->end());
  EXPECT_EQ(unique.size(), haves->size());

  for (size_t limit : {1u, 3u}) {
    auto bounded = HavesFor(repo_->git(), repo_->index(), limit);
    ASSERT_TRUE(bounded.ok()) << bounded.status().message();
    ASSERT_EQ(bounded->size(), limit);
    EXPECT_EQ(bounded->front(), tip);
  }
}

// ---- damaged packs ----

TEST_F(TransferTest, TruncatedPackIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  std::string pack = Pack({SrcOid(block2_.Id())}, {});
  pack.resize(pack.size() - 10);
  {
    Status appended;
    auto r = Receive(pack, &appended);
    ASSERT_TRUE(r);
    Status st = appended;
    if (st.ok()) {
      auto in = VerifyPack(*dest_, r.get());
      ASSERT_FALSE(in.ok()) << "a truncated pack was accepted";
      st = in.status();
    }
    EXPECT_EQ(st.code(), Code::kInvalid) << st.message();
    EXPECT_TRUE(Has(st.message(), "malformed pack")) << st.message();
  }
  EXPECT_EQ(DestBlockCount(), 1u);
  EXPECT_TRUE(DestPackEntries("pack-").empty());
  EXPECT_TRUE(Quarantines().empty());
}

TEST_F(TransferTest, PackWithAFlippedByteIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  const std::string good = Pack({SrcOid(block2_.Id())}, {});
  for (size_t at : {good.size() / 3, good.size() / 2, good.size() - 21, good.size() - 5}) {
    SCOPED_TRACE("byte " + std::to_string(at) + " of " + std::to_string(good.size()));
    std::string pack = good;
    pack[at] ^= 0x40;
    {
      Status appended;
      auto r = Receive(pack, &appended);
      ASSERT_TRUE(r);
      Status st = appended;
      if (st.ok()) {
        auto in = VerifyPack(*dest_, r.get());
        ASSERT_FALSE(in.ok()) << "a damaged pack was accepted";
        st = in.status();
      }
      EXPECT_EQ(st.code(), Code::kInvalid) << st.message();
    }
    EXPECT_EQ(DestBlockCount(), 1u);
    EXPECT_TRUE(DestPackEntries("pack-").empty());
    EXPECT_TRUE(Quarantines().empty());
  }
  // The undamaged pack still goes in afterwards.
  Status st = Deliver(good);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(DestBlockCount(), 3u);
}

// ---- forged and foreign blocks ----

TEST_F(TransferTest, TxWithBrokenSignatureIsRefused) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  Block bad = block2_;
  bad.txs[0].signature[7] ^= 0x01;
  FixRootsAndSign(&bad, admin_);  // tx ids do not cover signatures: roots unchanged
  EXPECT_EQ(bad.header.tx_root, block2_.header.tx_root);
  ASSERT_TRUE(bad.CheckStructure().ok());
  Oid oid = WriteRaw(bad, {SrcOid(block1_.Id())});
  ASSERT_EQ(bad.Id(), block2_.Id());  // the same block id, another commit
  ASSERT_NE(oid, SrcOid(block2_.Id()));
  ExpectRefused(Pack({oid}, {SrcOid(block1_.Id())}), Code::kCorrupt, "signature");
}

TEST_F(TransferTest, BlockWithBrokenProducerSignatureIsRefused) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  Block bad = block2_;
  bad.header.signature[3] ^= 0x10;
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "bad producer signature");
}

// Cheap checks first (issue 13, finding 8): a forged producer signature is
// refused before the links and the replay are looked at, so this block,
// whose height is also wrong, is refused for its signature.
TEST_F(TransferTest, ProducerSignatureIsCheckedBeforeLinksAndReplay) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  Block bad = block2_;
  bad.header.height += 5;
  bad.header.Sign(admin_);
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt, "height");
  bad.header.signature[3] ^= 0x10;
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "bad producer signature");
}

TEST_F(TransferTest, WrongStateRootIsRefused) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  Block bad = block2_;
  bad.header.state_root[0] ^= 0xff;
  bad.header.Sign(admin_);
  ASSERT_TRUE(bad.CheckStructure().ok());
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "state root");
}

TEST_F(TransferTest, ChangesThatReplayDoesNotMakeAreRefused) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  // Block2's changes and state root, claimed by a block whose txs differ.
  Block bad = block2_;
  bad.txs.pop_back();
  bad.receipts.pop_back();
  FixRootsAndSign(&bad, admin_);
  ASSERT_TRUE(bad.CheckStructure().ok());
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "differ from replay");
}

// The arriving blocks replay on a copy of the checked-out state moved to
// their parent: here the state is block1_ plus a pending tx in master's
// merge pool (bob's account, which block2_ opens), so the copy must undo it.
TEST_F(TransferTest, BlocksReplayOnTheCheckedOutStateWithItsMergePoolUndone) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  auto pending = dest_->Submit({Mint(bob_, 5)});
  ASSERT_TRUE(pending.ok()) << pending.status().message();
  ASSERT_TRUE(pending->front().outcome.ok) << pending->front().outcome.error;
  ASSERT_EQ(DestBalance(bob_), 5);

  // A transfer to bob made where bob had an account (a side branch that
  // minted to him first), claimed as a child of block1_: it replays only on
  // a state that still has the pool's mint.
  ASSERT_TRUE(repo_->CreateBranch("side", block1_.Id()).ok());
  ASSERT_TRUE(repo_->Checkout("side").ok());
  SubmitOk({Mint(bob_, 5)});
  CommitOk("mint to bob");
  SubmitOk({Call(alice_, "transfer", {Value::Text(Addr(bob_)), Value::Integer(30)})});
  Block bad = CommitOk("pay bob");
  bad.header.height = block1_.header.height + 1;
  bad.header.parents = {block1_.Id()};
  bad.header.state_root = ChainStateRoot(block1_.header.state_root, bad.changes);
  FixRootsAndSign(&bad, admin_);
  ASSERT_TRUE(bad.CheckStructure().ok());
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "fails on replay");
  Status st = Deliver(Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())}));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(DestIndexed(block2_.Id()));
  EXPECT_EQ(DestBalance(bob_), 5);  // the checked-out state is untouched
}

// A checked-out state damaged behind aergo's back does not get good blocks
// refused (they are checked again from genesis's changes), nor bad ones
// accepted.
TEST_F(TransferTest, ADamagedCheckedOutStateDoesNotDecideVerification) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  {
    auto raw = Db::Open(dest_dir_.path() + "/.aergo/ledger.db", false);
    ASSERT_TRUE(raw.ok()) << raw.status().message();
    ASSERT_TRUE(raw->Exec("UPDATE \"token.accounts\" SET balance = 0").ok());
  }
  ASSERT_EQ(DestBalance(alice_), 0);

  Block bad = block2_;
  bad.txs.pop_back();
  bad.receipts.pop_back();
  FixRootsAndSign(&bad, admin_);
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "differ from replay");
  Status st = Deliver(Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())}));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(DestIndexed(block2_.Id()));
}

TEST_F(TransferTest, UnknownParentIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());  // genesis only
  // Only block2: the sender assumes the receiver has block1.
  ExpectRefused(Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())}), Code::kNotFound, "unknown");
}

TEST_F(TransferTest, BlockOfAnotherChainIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  Block foreign = MakeOtherChain();
  ASSERT_NE(other_->chain_id(), repo_->chain_id());
  // With its own genesis, and without (as if the receiver had it).
  ExpectRefused(PackOf(other_->git(), {OidOf(*other_, foreign.Id())}, {}), Code::kCorrupt, "chain");
  Oid other_genesis = OidOf(*other_, other_->chain_id());
  std::string pack = PackOf(other_->git(), {OidOf(*other_, foreign.Id())}, {other_genesis});
  uint64_t before = DestBlockCount();
  {
    Status appended;
    auto r = Receive(pack, &appended);
    ASSERT_TRUE(appended.ok()) << appended.message();
    auto in = VerifyPack(*dest_, r.get());
    ASSERT_FALSE(in.ok());
    EXPECT_TRUE(in.status().code() == Code::kCorrupt || in.status().code() == Code::kNotFound)
        << in.status().message();
  }
  EXPECT_EQ(DestBlockCount(), before);
  EXPECT_TRUE(Quarantines().empty());
}

TEST_F(TransferTest, TxOfAnotherChainInABlockOfThisChainIsRefused) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  Block foreign = MakeOtherChain();
  const Tx& stolen = foreign.txs[0];
  ASSERT_TRUE(stolen.VerifySignature());

  // As signed: its chain id is the other chain's.
  Block bad = block2_;
  bad.txs[0] = stolen;
  bad.receipts[0].txid = stolen.Id();
  FixRootsAndSign(&bad, admin_);
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "another chain");

  // Relabelled for this chain: its signature no longer verifies.
  Tx relabelled = stolen;
  relabelled.chain_id = repo_->chain_id();
  Block bad2 = block2_;
  bad2.txs[0] = relabelled;
  bad2.receipts[0].txid = relabelled.Id();
  FixRootsAndSign(&bad2, admin_);
  ASSERT_TRUE(bad2.CheckStructure().ok());
  ExpectRefused(Pack({WriteRaw(bad2, {SrcOid(block1_.Id())})}, {SrcOid(block1_.Id())}), Code::kCorrupt,
                "signature");
}

TEST_F(TransferTest, TxAlreadyInTheBranchHistoryIsRefused) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  ASSERT_TRUE(Deliver(Pack({SrcOid(block2_.Id())}, {})).ok());
  // Block3 replays block1's mint.
  Block bad;
  bad.header = block2_.header;
  bad.header.height = 3;
  bad.header.parents = {block2_.Id()};
  bad.header.time_ms = block2_.header.time_ms + 1000;
  bad.header.message = "mint again";
  bad.txs = {block1_.txs[1]};
  bad.receipts = {block1_.receipts[1]};
  FixRootsAndSign(&bad, admin_);
  ASSERT_TRUE(bad.CheckStructure().ok());
  ExpectRefused(Pack({WriteRaw(bad, {SrcOid(block2_.Id())})}, {SrcOid(block2_.Id())}), Code::kCorrupt,
                "already in its branch's history");
}

// KNOWN BUG (core/transfer.cpp): PackReceiver::Finish adds the quarantined
// pack as a backend of the GitRepo's object database, and nothing removes it
// when the pack is refused (~PackReceiver deletes the directory but leaves
// the backend, whose open files stay readable). A later pack that names one
// of the refused blocks as a parent the receiver "already has" then passes
// VerifyIncoming (the parent is read through the stale backend, verified and
// indexed) while its objects never reach the store: the index names a block
// whose objects are gone once the repository is reopened.
TEST_F(TransferTest, BugRefusedPackObjectsStayReadableAndGetIndexedWithoutObjects) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  SubmitOk({Mint(bob_, 5)});
  Block block3 = CommitOk("mint to bob");
  Block bad3 = block3;
  bad3.header.state_root[0] ^= 0xff;
  bad3.header.Sign(admin_);
  // Block2 (good) with a bad child: refused as a whole.
  Oid bad3_oid = WriteRaw(bad3, {SrcOid(block2_.Id())});
  ExpectRefused(Pack({bad3_oid}, {SrcOid(block1_.Id())}), Code::kCorrupt, "state root");
  EXPECT_FALSE(dest_->git().ReadBlockBlobs(SrcOid(block2_.Id())).ok())
      << "block2's commit is still readable on the receiver after its pack was refused";

  // The good block3 alone, as if the receiver had block2.
  uint64_t before = DestBlockCount();
  Status st = Deliver(Pack({SrcOid(block3.Id())}, {SrcOid(block2_.Id())}));
  EXPECT_EQ(st.code(), Code::kNotFound) << st.message();
  if (st.ok()) {
    // Indexed: then its objects must be in the store, as a fresh open sees it.
    dest_.reset();
    auto reopened = Repository::Open(dest_dir_.path() + "/.aergo", OpenMode::kRead, clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.status().message();
    auto read = (*reopened)->ReadBlock(block2_.Id());
    EXPECT_TRUE(read.ok()) << "block2 is indexed but its objects are not in the store: "
                           << read.status().message();
  } else {
    EXPECT_EQ(DestBlockCount(), before);
  }
}

// ---- ReceivePush ----

TEST_F(TransferTest, PushFastForwardsTheBranch) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  ASSERT_TRUE(Deliver(Pack({SrcOid(block1_.Id())}, {})).ok());
  ASSERT_EQ(DestBranch("master"), repo_->chain_id());  // stored, no ref moved
  std::string pack = Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())});
  Status appended;
  auto r = Receive(pack, &appended);
  ASSERT_TRUE(appended.ok()) << appended.message();
  // Master first moves to block1 (already here), then to block2 with the pack.
  auto up = ReceivePush(*dest_, nullptr, PushRequest{"master", block1_.Id(), {}}, nullptr);
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_TRUE(up->fast_forward);
  EXPECT_EQ(up->blocks, 0u);

  auto out = ReceivePush(*dest_, r.get(), PushRequest{"master", block2_.Id(), {{"v2", block2_.Id()}}}, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->fast_forward);
  EXPECT_FALSE(out->up_to_date);
  EXPECT_FALSE(out->merge.has_value());
  ASSERT_TRUE(out->old_head.has_value());
  EXPECT_EQ(*out->old_head, block1_.Id());
  EXPECT_EQ(out->head, block2_.Id());
  EXPECT_EQ(out->blocks, 1u);
  EXPECT_EQ(out->txs, 2u);
  EXPECT_EQ(out->tags_created, std::vector<std::string>{"v2"});
  EXPECT_EQ(DestBranch("master"), block2_.Id());
  EXPECT_EQ(dest_->CurrentHead()->block.id, block2_.Id());
  EXPECT_EQ(**dest_->TagTarget("v2"), block2_.Id());
  EXPECT_EQ(DestBalance(alice_), 70);  // the checked-out state followed
  EXPECT_EQ(DestBalance(bob_), 30);
  r.reset();
  EXPECT_TRUE(Quarantines().empty());

  // The same push again: up to date.
  auto again = ReceivePush(*dest_, nullptr, PushRequest{"master", block2_.Id(), {{"v2", block2_.Id()}}}, nullptr);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again->up_to_date);
  EXPECT_TRUE(again->tags_created.empty());
  EXPECT_EQ(again->head, block2_.Id());
}

TEST_F(TransferTest, PushCreatesAMissingBranchThenFastForwardsIt) {
  ASSERT_NO_FATAL_FAILURE(MakeDest());
  Status appended;
  auto r = Receive(Pack({SrcOid(block2_.Id())}, {}), &appended);
  ASSERT_TRUE(appended.ok()) << appended.message();
  // Both blocks arrive; the new branch starts at block1.
  auto out = ReceivePush(*dest_, r.get(), PushRequest{"feature", block1_.Id(), {}}, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE(out->old_head.has_value());
  EXPECT_EQ(out->head, block1_.Id());
  EXPECT_EQ(out->blocks, 2u);
  EXPECT_EQ(DestBranch("feature"), block1_.Id());
  EXPECT_TRUE(DestIndexed(block2_.Id()));
  // A branch that is not checked out fast-forwards by its ref alone.
  auto ff = ReceivePush(*dest_, nullptr, PushRequest{"feature", block2_.Id(), {}}, nullptr);
  ASSERT_TRUE(ff.ok()) << ff.status().message();
  EXPECT_TRUE(ff->fast_forward);
  EXPECT_EQ(DestBranch("feature"), block2_.Id());
  EXPECT_EQ(DestBranch("master"), repo_->chain_id());  // untouched, still checked out
  auto head = dest_->CurrentHead();
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(*head->branch, "master");
  EXPECT_EQ(head->block.id, repo_->chain_id());
}

// Pending txs (submissions to the receiving repository) do not stop a
// push: they are re-executed on the new head; those that now fail, or
// that the pushed blocks already hold, are dropped and reported.
class PushPoolTest : public TransferTest {
 protected:
  // Submits to dest_'s checked-out branch; every tx must be accepted.
  void DestSubmitOk(const std::vector<Tx>& txs) {
    auto sub = dest_->Submit(txs);
    ASSERT_TRUE(sub.ok()) << sub.status().message();
    for (const auto& x : *sub) ASSERT_TRUE(x.outcome.ok) << x.outcome.error;
  }
  Tx Transfer(const SecretKey& from, const SecretKey& to, int64_t n) {
    return Call(from, "transfer", {Value::Text(Addr(to)), Value::Integer(n)});
  }
  // Pushes block2 (whose parent block1 dest_ has) to `branch` of dest_;
  // key signs a merge if one is needed.
  Result<PushOutcome> PushBlock2(const std::string& branch, const SecretKey* key) {
    Status appended;
    auto r = Receive(Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())}), &appended);
    if (!appended.ok()) return appended;
    return ReceivePush(*dest_, r.get(), PushRequest{branch, block2_.Id(), {}}, key);
  }
  static const DroppedTx* FindDropped(const std::vector<DroppedTx>& d, const Hash32& txid) {
    for (const auto& x : d)
      if (x.txid == txid) return &x;
    return nullptr;
  }
  // The pushed blocks hold `in_history` (bob's open of block2), and
  // `overdraws` fails on the new head: both dropped, with why.
  void ExpectDropped(const PushOutcome& out, const std::string& branch, const Tx& in_history, const Tx& overdraws) {
    ASSERT_EQ(out.dropped.size(), 2u);
    const DroppedTx* h = FindDropped(out.dropped, in_history.Id());
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->branch, branch);
    EXPECT_TRUE(Has(h->error, "already in this branch's history")) << h->error;
    const DroppedTx* o = FindDropped(out.dropped, overdraws.Id());
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->branch, branch);
    EXPECT_TRUE(Has(o->error, "CHECK constraint failed")) << o->error;
  }
  // Seals the pool of the checked-out branch: exactly `txs`, on `parent`.
  void CommitSeals(const Hash32& parent, const std::vector<Hash32>& txs) {
    clock_.Advance(1000);
    auto b = dest_->Commit(admin_, "after the push");
    ASSERT_TRUE(b.ok()) << b.status().message();
    EXPECT_EQ(b->header.parents, std::vector<Hash32>{parent});
    EXPECT_EQ(b->TxIds(), txs);
  }
};

TEST_F(PushPoolTest, FastForwardReappliesThePoolOnTheNewHead) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());  // alice 100
  Tx keep = Mint(admin_, 7);
  Tx in_history = block2_.txs[0];             // bob opens his account: block2 holds it
  Tx overdraws = Transfer(alice_, admin_, 80);  // fine on 100, not after block2's 30 to bob
  ASSERT_NO_FATAL_FAILURE(DestSubmitOk({keep, in_history, overdraws}));
  auto out = PushBlock2("master", nullptr);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->fast_forward);
  EXPECT_EQ(DestBranch("master"), block2_.Id());
  ASSERT_NO_FATAL_FAILURE(ExpectDropped(*out, "master", in_history, overdraws));
  EXPECT_EQ(*dest_->PoolCount(), 1u);
  EXPECT_EQ(DestBalance(alice_), 70);  // block2, then the surviving mint
  EXPECT_EQ(DestBalance(bob_), 30);
  EXPECT_EQ(DestBalance(admin_), 7);
  // The pool survives a reopen as it is, then seals on the new head.
  dest_.reset();
  auto reopened = Repository::Open(dest_dir_.path() + "/.aergo", OpenMode::kWrite, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  dest_ = std::move(*reopened);
  EXPECT_EQ(*dest_->PoolCount(), 1u);
  ASSERT_NO_FATAL_FAILURE(CommitSeals(block2_.Id(), {keep.Id()}));
  EXPECT_EQ(DestBalance(admin_), 7);
}

TEST_F(PushPoolTest, MergeReappliesThePoolOnTheMergeBlock) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  ASSERT_NO_FATAL_FAILURE(DestSubmitOk({Mint(alice_, 5)}));  // alice 105, a block only here
  clock_.Advance(1000);
  auto own = dest_->Commit(admin_, "mint here");
  ASSERT_TRUE(own.ok()) << own.status().message();
  Tx keep = Mint(admin_, 7);
  Tx in_history = block2_.txs[0];
  Tx overdraws = Transfer(alice_, admin_, 100);  // 105 - 100 here; 75 - 100 after the merge
  ASSERT_NO_FATAL_FAILURE(DestSubmitOk({keep, in_history, overdraws}));
  clock_.Advance(1000);
  auto out = PushBlock2("master", &admin_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE(out->merge.has_value() && out->merge->block.has_value());
  const Hash32 merge = *out->merge->block;
  EXPECT_EQ(DestBranch("master"), merge);
  // The merge is computed without the pending txs: both of block2's apply.
  EXPECT_EQ(out->merge->applied.size(), 2u);
  EXPECT_TRUE(out->merge->excluded.empty());
  ASSERT_NO_FATAL_FAILURE(ExpectDropped(*out, "master", in_history, overdraws));
  EXPECT_EQ(*dest_->PoolCount(), 1u);
  EXPECT_EQ(DestBalance(alice_), 75);
  EXPECT_EQ(DestBalance(bob_), 30);
  EXPECT_EQ(DestBalance(admin_), 7);
  // Anyone recomputing the merge block from its parents agrees.
  auto verified = VerifyMerge(*dest_, merge);
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  EXPECT_TRUE(verified->differences.empty());
  ASSERT_NO_FATAL_FAILURE(CommitSeals(merge, {keep.Id()}));
}

// The merge's SQLite transaction holds the merge block, the state and the
// re-applied pool; a crash before the branch ref follows leaves exactly
// that, and the next open finishes the ref: the pool is neither lost nor
// applied twice.
TEST_F(PushPoolTest, AMergeCutBeforeItsRefMovesIsFinishedOnOpen) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  ASSERT_NO_FATAL_FAILURE(DestSubmitOk({Mint(alice_, 5)}));
  clock_.Advance(1000);
  auto own = dest_->Commit(admin_, "mint here");
  ASSERT_TRUE(own.ok()) << own.status().message();
  Tx keep = Mint(admin_, 7);
  Tx overdraws = Transfer(alice_, admin_, 100);
  ASSERT_NO_FATAL_FAILURE(DestSubmitOk({keep, overdraws}));
  clock_.Advance(1000);
  auto out = PushBlock2("master", &admin_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE(out->merge.has_value() && out->merge->block.has_value());
  const Hash32 merge = *out->merge->block;
  // The ref back where it was before the merge: as if killed before step 3.
  ASSERT_TRUE(dest_->git().UpdateRef("refs/heads/master", OidOf(*dest_, own->Id()), OidOf(*dest_, merge),
                                     "simulated crash").ok());
  dest_.reset();
  auto reopened = Repository::Open(dest_dir_.path() + "/.aergo", OpenMode::kWrite, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  dest_ = std::move(*reopened);
  EXPECT_EQ(DestBranch("master"), merge);
  EXPECT_EQ(*dest_->PoolCount(), 1u);
  EXPECT_EQ(DestBalance(alice_), 75);
  EXPECT_EQ(DestBalance(admin_), 7);
  ASSERT_NO_FATAL_FAILURE(CommitSeals(merge, {keep.Id()}));
}

TEST_F(PushPoolTest, ABranchNotCheckedOutKeepsItsPoolToo) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  ASSERT_TRUE(dest_->CreateBranch("side", block1_.Id()).ok());
  ASSERT_TRUE(dest_->Checkout("side").ok());
  Tx keep = Mint(admin_, 7);
  Tx in_history = block2_.txs[0];
  Tx overdraws = Transfer(alice_, admin_, 80);
  ASSERT_NO_FATAL_FAILURE(DestSubmitOk({keep, in_history, overdraws}));
  ASSERT_TRUE(dest_->Checkout("master").ok());
  auto out = PushBlock2("side", nullptr);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->fast_forward);
  EXPECT_EQ(DestBranch("side"), block2_.Id());
  ASSERT_NO_FATAL_FAILURE(ExpectDropped(*out, "side", in_history, overdraws));
  // HEAD is back on master, its state untouched.
  auto head = dest_->CurrentHead();
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(*head->branch, "master");
  EXPECT_EQ(head->block.id, block1_.Id());
  EXPECT_EQ(DestBalance(alice_), 100);
  EXPECT_EQ(DestBalance(admin_), -1);
  // Side's pool now sits on block2, with the mint alone.
  auto pool = dest_->index().GetPool("side");
  ASSERT_TRUE(pool.ok() && pool->has_value());
  EXPECT_EQ((*pool)->base, block2_.Id());
  ASSERT_TRUE(dest_->Checkout("side").ok());
  EXPECT_EQ(*dest_->PoolCount(), 1u);
  EXPECT_EQ(DestBalance(admin_), 7);
  EXPECT_EQ(DestBalance(alice_), 70);
  ASSERT_NO_FATAL_FAILURE(CommitSeals(block2_.Id(), {keep.Id()}));
}

TEST_F(TransferTest, PushMergesABranchThatIsNotCheckedOut) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  ASSERT_TRUE(dest_->CreateBranch("side", block1_.Id()).ok());
  ASSERT_TRUE(dest_->Checkout("side").ok());
  auto sub = dest_->Submit({dest_->MakeTx(TxKind::kCall, admin_, "token", "mint",
                                          {Value::Text(Addr(admin_)), Value::Integer(7)}, "")});
  ASSERT_TRUE(sub.ok() && (*sub)[0].outcome.ok);
  clock_.Advance(1000);
  auto own = dest_->Commit(admin_, "side mints");
  ASSERT_TRUE(own.ok()) << own.status().message();
  // A pending tx on side: re-applied on the merge block.
  auto pending = dest_->Submit({Mint(admin_, 3)});
  ASSERT_TRUE(pending.ok() && (*pending)[0].outcome.ok);
  ASSERT_TRUE(dest_->Checkout("master").ok());

  Status appended;
  auto r = Receive(Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())}), &appended);
  ASSERT_TRUE(appended.ok()) << appended.message();
  clock_.Advance(1000);
  auto out = ReceivePush(*dest_, r.get(), PushRequest{"side", block2_.Id(), {}}, &admin_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE(out->merge.has_value());
  ASSERT_TRUE(out->merge->block.has_value());
  EXPECT_EQ(DestBranch("side"), *out->merge->block);
  auto merged = dest_->ReadBlock(*out->merge->block);
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  EXPECT_EQ(merged->header.parents, (std::vector<Hash32>{own->Id(), block2_.Id()}));
  // HEAD is back where it was, with its state.
  auto head = dest_->CurrentHead();
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(*head->branch, "master");
  EXPECT_EQ(head->block.id, block1_.Id());
  EXPECT_EQ(DestBalance(alice_), 100);
  EXPECT_EQ(DestBalance(admin_), -1);
  EXPECT_TRUE(out->dropped.empty());
  ASSERT_TRUE(dest_->Checkout("side").ok());
  EXPECT_EQ(*dest_->PoolCount(), 1u);
  EXPECT_EQ(DestBalance(admin_), 10);  // 7 sealed on side, 3 pending
  EXPECT_EQ(DestBalance(alice_), 70);
}

TEST_F(TransferTest, PushWithATagNamingAnotherBlockChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  ASSERT_TRUE(dest_->CreateTag("v1", block1_.Id()).ok());
  uint64_t before = DestBlockCount();
  auto packs = DestPackEntries("pack-");
  {
    Status appended;
    auto r = Receive(Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())}), &appended);
    ASSERT_TRUE(appended.ok()) << appended.message();
    auto out = ReceivePush(*dest_, r.get(),
                           PushRequest{"master", block2_.Id(), {{"v2", block2_.Id()}, {"v1", block2_.Id()}}},
                           &admin_);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), Code::kExists) << out.status().message();
    EXPECT_TRUE(Has(out.status().message(), "v1")) << out.status().message();
  }
  EXPECT_EQ(DestBranch("master"), block1_.Id());
  EXPECT_EQ(DestBlockCount(), before);
  EXPECT_FALSE(DestIndexed(block2_.Id()));
  EXPECT_EQ(DestPackEntries("pack-"), packs);
  EXPECT_EQ(**dest_->TagTarget("v1"), block1_.Id());
  EXPECT_FALSE(dest_->TagTarget("v2")->has_value());
  EXPECT_TRUE(Quarantines().empty());
}

TEST_F(TransferTest, PushNeedingAMergeWithoutAKeyChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  // Dest's master moves on by itself.
  auto sub = dest_->Submit({dest_->MakeTx(TxKind::kCall, admin_, "token", "mint",
                                          {Value::Text(Addr(admin_)), Value::Integer(7)}, "")});
  ASSERT_TRUE(sub.ok() && (*sub)[0].outcome.ok);
  clock_.Advance(1000);
  auto own = dest_->Commit(admin_, "dest mints");
  ASSERT_TRUE(own.ok()) << own.status().message();
  uint64_t before = DestBlockCount();
  auto packs = DestPackEntries("pack-");
  std::string pack = Pack({SrcOid(block2_.Id())}, {SrcOid(block1_.Id())});
  {
    Status appended;
    auto r = Receive(pack, &appended);
    ASSERT_TRUE(appended.ok()) << appended.message();
    auto out = ReceivePush(*dest_, r.get(), PushRequest{"master", block2_.Id(), {{"v2", block2_.Id()}}}, nullptr);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), Code::kDenied) << out.status().message();
    EXPECT_TRUE(Has(out.status().message(), "merge")) << out.status().message();
  }
  EXPECT_EQ(DestBranch("master"), own->Id());
  EXPECT_EQ(DestBlockCount(), before);
  EXPECT_FALSE(DestIndexed(block2_.Id()));
  EXPECT_EQ(DestPackEntries("pack-"), packs);
  EXPECT_FALSE(dest_->TagTarget("v2")->has_value());
  EXPECT_TRUE(Quarantines().empty());

  // With a key the same push merges.
  Status appended;
  auto r = Receive(pack, &appended);
  ASSERT_TRUE(appended.ok()) << appended.message();
  clock_.Advance(1000);
  auto out = ReceivePush(*dest_, r.get(), PushRequest{"master", block2_.Id(), {}}, &admin_);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE(out->merge.has_value());
  ASSERT_TRUE(out->merge->block.has_value());
  EXPECT_EQ(out->head, *out->merge->block);
  EXPECT_EQ(out->merge->applied.size(), 2u);
  EXPECT_TRUE(out->merge->excluded.empty());
  EXPECT_EQ(DestBranch("master"), out->head);
  auto merged = dest_->ReadBlock(out->head);
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  EXPECT_EQ(merged->header.parents, (std::vector<Hash32>{own->Id(), block2_.Id()}));
  EXPECT_EQ(DestBalance(alice_), 70);
  EXPECT_EQ(DestBalance(bob_), 30);
  EXPECT_EQ(DestBalance(admin_), 7);
}

TEST_F(TransferTest, PushOfAForgedBlockChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(DeliverBlock1());
  Block bad = block2_;
  bad.header.state_root[5] ^= 0x01;
  bad.header.Sign(admin_);
  Oid oid = WriteRaw(bad, {SrcOid(block1_.Id())});
  uint64_t before = DestBlockCount();
  {
    Status appended;
    auto r = Receive(Pack({oid}, {SrcOid(block1_.Id())}), &appended);
    ASSERT_TRUE(appended.ok()) << appended.message();
    auto out = ReceivePush(*dest_, r.get(), PushRequest{"master", bad.Id(), {}}, &admin_);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), Code::kCorrupt) << out.status().message();
  }
  EXPECT_EQ(DestBranch("master"), block1_.Id());
  EXPECT_EQ(DestBlockCount(), before);
  EXPECT_TRUE(Quarantines().empty());
  // A block that did not arrive and is not here.
  auto missing = ReceivePush(*dest_, nullptr, PushRequest{"master", block2_.Id(), {}}, &admin_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound) << missing.status().message();
}

}  // namespace
}  // namespace aergo
