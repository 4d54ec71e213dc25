// Hostile packs (issue 13, finding 7 and "objects that no block uses"):
// packs crafted by hand that declare objects larger than a chain can hold,
// deltas with huge results, zlib bombs, too many objects, and junk blobs
// beside a valid block. Each must be refused by PackReceiver (core/
// transfer.h) before it is inflated — in Append, with bounded memory — or,
// for junk, by VerifyPack before anything is stored; no quarantine is left
// and nothing is indexed. The pack entry format checked is in
// docs/formats/pack.md.
#include <git2.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/import.h"
#include "core/pack_scan.h"
#include "core/transfer.h"
#include "tests/pack_craft.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

namespace fs = std::filesystem;

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Pack crafting: tests/pack_craft.h.
using namespace packcraft;

// The entries of a pack (its header and trailer cut off), found by
// inflating each in turn.
std::vector<std::string> EntriesOf(const std::string& pack) {
  std::vector<std::string> out;
  size_t at = 12, end = pack.size() - 20;
  while (at < end) {
    size_t start = at;
    uint8_t c = static_cast<uint8_t>(pack[at++]);
    while (c & 0x80) c = static_cast<uint8_t>(pack[at++]);
    z_stream z{};
    inflateInit(&z);
    std::string sink(1 << 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(pack.data() + at));
    z.avail_in = static_cast<uInt>(end - at);
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(sink.data());
      z.avail_out = static_cast<uInt>(sink.size());
      rc = inflate(&z, Z_NO_FLUSH);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END);
    at += z.total_in;
    inflateEnd(&z);
    out.push_back(pack.substr(start, at - start));
  }
  return out;
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

class PackBoundsTest : public testutil::RepoFixture {
 protected:
  PackBoundsTest() : RepoFixture("aergo-pack-bounds", 0x61) {}

  void SetUp() override {
    RepoFixture::SetUp();
    if (HasFatalFailure()) return;
    auto genesis = repo_->ReadBlock(repo_->chain_id());
    ASSERT_TRUE(genesis.ok()) << genesis.status().message();
    auto dest = Repository::InitFromGenesis(dest_dir_.path(), *genesis, clock_);
    ASSERT_TRUE(dest.ok()) << dest.status().message();
    dest_ = std::move(dest.value());
  }
  void TearDown() override {
    dest_.reset();
    RepoFixture::TearDown();
  }

  std::vector<std::string> Quarantines() {
    std::vector<std::string> out;
    std::error_code ec;
    std::string dir = std::string(git_repository_path(dest_->git().get())) + "objects/pack";
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind("incoming-", 0) == 0) out.push_back(e.path().filename().string());
    return out;
  }

  // Appends `pack` to a fresh receiver of dest_ (bounded by max_bytes) in
  // 64 KiB chunks; returns the first failing Append's status, and in *rss
  // the growth of the process's peak RSS (KiB) while appending. chain: the
  // receiver a fetch makes (ReceiverFor: the chain's bounds from the start),
  // else the daemon's (PackReceiver::Create: the chain's bounds at Finish).
  Status AppendAll(const std::string& pack, uint64_t max_bytes = 0, long* rss = nullptr,
                   std::unique_ptr<PackReceiver>* keep = nullptr, bool chain = false) {
    auto rx = chain ? ReceiverFor(*dest_, max_bytes) : PackReceiver::Create(&dest_->git(), max_bytes);
    EXPECT_TRUE(rx.ok()) << rx.status().message();
    if (!rx.ok()) return rx.status();
    long before = MaxRssKb();
    Status st;
    for (size_t off = 0; off < pack.size() && st.ok(); off += 65536)
      st = (*rx)->Append(pack.data() + off, std::min<size_t>(65536, pack.size() - off));
    if (rss) *rss = MaxRssKb() - before;
    if (keep) *keep = std::move(rx.value());
    return st;
  }

  // A pack of block1_ (from the source) as WritePack makes it.
  std::string Block1Pack() {
    auto row = repo_->BlockInfo(block1_.Id());
    EXPECT_TRUE(row.ok()) << row.status().message();
    std::string bytes;
    auto r = WritePack(repo_->git(), {row->oid}, {}, [&](const void* d, size_t n) {
      bytes.append(static_cast<const char*>(d), n);
      return true;
    });
    EXPECT_TRUE(r.ok()) << r.status().message();
    return bytes;
  }

  testutil::TempDir dest_dir_{"aergo-pack-bounds-dest"};
  std::unique_ptr<Repository> dest_;
};

// A 30-byte entry declaring a 4 GiB blob, over the bound of this (default)
// chain: refused at its header, before any of it is inflated, naming its
// size and the bound. A receiver that does not know its chain yet refuses
// it too, when the stream ends short of the declared size.
TEST_F(PackBoundsTest, FourGiBDeclaredObjectRefusedAtItsHeader) {
  std::string pack = Pack({EntryHeader(3, uint64_t{4} << 30) + Deflate("tiny")});
  long rss = 0;
  Status st = AppendAll(pack, 0, &rss, nullptr, true);
  ASSERT_FALSE(st.ok()) << "a 4 GiB blob was accepted into the indexer";
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_TRUE(Has(st.message(), "object 1 of 1 (at byte 12): declares a blob of 4294967296 bytes, over the bound"))
      << st.message();
  EXPECT_LT(rss, 32 << 10) << "peak RSS grew by " << rss << " KiB";
  EXPECT_TRUE(Quarantines().empty());

  Status any = AppendAll(pack);
  ASSERT_FALSE(any.ok()) << "a 4-byte stream declaring 4 GiB was accepted into the indexer";
  EXPECT_TRUE(Has(any.message(), "not the 4294967296 it declares")) << any.message();
}

// The same through ReceiverFor: the bound is this chain's, and says so.
TEST_F(PackBoundsTest, ChainBoundNamesTheChainsParameters) {
  auto rx = ReceiverFor(*dest_, 0);
  ASSERT_TRUE(rx.ok()) << rx.status().message();
  std::string pack = Pack({EntryHeader(3, uint64_t{5} << 30) + Deflate("tiny")});
  Status st = (*rx)->Append(pack.data(), pack.size());
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Has(st.message(), "max_block_bytes")) << st.message();

  // A chain with small blocks has small objects.
  ChainParams small;
  small.max_block_bytes = 1 << 20;
  small.max_block_txs = 10;
  PackScanner scan(PackLimits::ForChain(small));
  std::string big = Pack({EntryHeader(3, 17u << 20) + Deflate("x")});
  Status s2 = scan.Scan(reinterpret_cast<const uint8_t*>(big.data()), big.size());
  ASSERT_FALSE(s2.ok());
  EXPECT_TRUE(Has(s2.message(), "max_block_bytes (1048576)")) << s2.message();

  // Bytes scanned before the chain was known are checked again (Finish).
  PackScanner any(PackLimits::AnyChain());
  std::string blob = Pack({WholeEntry(3, std::string(20u << 20, 'a'))});
  ASSERT_TRUE(any.Scan(reinterpret_cast<const uint8_t*>(blob.data()), blob.size()).ok());
  EXPECT_TRUE(any.complete());
  Status re = any.Recheck(PackLimits::ForChain(small));
  ASSERT_FALSE(re.ok());
  EXPECT_TRUE(Has(re.message(), "20971520")) << re.message();
}

// A commit or a tree has a fixed bound whatever the chain.
TEST_F(PackBoundsTest, OversizedCommitAndTreeRefused) {
  for (unsigned type : {1u, 2u}) {
    Status st = AppendAll(Pack({WholeEntry(type, std::string(1 << 20, 'c'))}));
    ASSERT_FALSE(st.ok()) << "type " << type;
    EXPECT_TRUE(Has(st.message(), type == 1 ? "commit of 1048576" : "tree of 1048576")) << st.message();
  }
}

// A 10-byte delta whose result is 1 TiB: refused as soon as its header is
// inflated, before Finish would resolve it.
TEST_F(PackBoundsTest, DeltaWithHugeResultRefused) {
  std::string base = WholeEntry(3, "hello");
  uint64_t base_at = 12;
  std::string delta_data = DeltaVarint(5) + DeltaVarint(uint64_t{1} << 40) + std::string("\x05hello", 6);
  std::string delta = EntryHeader(6, delta_data.size()) + OfsVarint(12 + base.size() - base_at) + Deflate(delta_data);
  long rss = 0;
  Status st = AppendAll(Pack({base, delta}), 0, &rss);
  ASSERT_FALSE(st.ok()) << "a delta making a 1 TiB object was accepted into the indexer";
  EXPECT_TRUE(Has(st.message(), "delta makes a blob of 1099511627776 bytes")) << st.message();
  EXPECT_LT(rss, 32 << 10);

  // A ref delta (base unknown) is bounded by the largest object bound.
  std::string ref = EntryHeader(7, delta_data.size()) + std::string(20, '\x11') + Deflate(delta_data);
  Status st2 = AppendAll(Pack({ref}));
  ASSERT_FALSE(st2.ok());
  EXPECT_TRUE(Has(st2.message(), "1099511627776")) << st2.message();

  // A delta for a base of another size than its base's.
  std::string lying = DeltaVarint(6) + DeltaVarint(5) + std::string("\x05hello", 6);
  std::string bad = EntryHeader(6, lying.size()) + OfsVarint(base.size()) + Deflate(lying);
  Status st3 = AppendAll(Pack({base, bad}));
  ASSERT_FALSE(st3.ok());
  EXPECT_TRUE(Has(st3.message(), "base of 6 bytes")) << st3.message();
}

// 256 MiB of zeros deflated to about 256 KiB, declared honestly as a blob
// the chain could hold: refused while inflating, by the pack's ratio bound
// (64 MiB + 64 x 256 KiB), with bounded memory. (The daemon's 2 GB: 1 GiB
// like this, held whole by libgit2 and again as a block's blob.)
TEST_F(PackBoundsTest, ZlibBombRefusedWhileInflating) {
  constexpr uint64_t kBomb = uint64_t{256} << 20;
  std::string pack = Pack({EntryHeader(3, kBomb) + DeflateZeros(kBomb)});
  ASSERT_LT(pack.size(), 1u << 20);
  long rss = 0;
  Status st = AppendAll(pack, 0, &rss);
  ASSERT_FALSE(st.ok()) << "a 1 GiB zlib bomb was accepted into the indexer";
  EXPECT_TRUE(Has(st.message(), "zlib bomb")) << st.message();
  EXPECT_LT(rss, 32 << 10) << "peak RSS grew by " << rss << " KiB";
  EXPECT_TRUE(Quarantines().empty());

  // A stream that inflates past what its header declares.
  Status st2 = AppendAll(Pack({EntryHeader(3, 10) + Deflate(std::string(100, 'z'))}));
  ASSERT_FALSE(st2.ok());
  EXPECT_TRUE(Has(st2.message(), "inflates past the 10 bytes it declares")) << st2.message();
}

// The object count in the 12-byte header is bounded by what max_bytes can
// hold (libgit2 allocates by it before reading an object).
TEST_F(PackBoundsTest, ObjectCountBoundedByThePackLimit) {
  std::string pack = Pack({}, 4000000);
  Status st = AppendAll(pack, 1 << 20);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Has(st.message(), "too many objects: the pack declares 4000000")) << st.message();
}

// Junk beside a valid block: every object indexes and the block verifies,
// but the pack is refused, naming the first object no block uses; nothing
// is stored.
TEST_F(PackBoundsTest, JunkBlobsBesideAValidBlockRefused) {
  BuildHistory();
  std::string good = Block1Pack();
  std::vector<std::string> entries = EntriesOf(good);
  ASSERT_GE(entries.size(), 3u);
  for (int i = 0; i < 200; ++i) entries.push_back(WholeEntry(3, "junk " + std::to_string(i)));
  std::string pack = Pack(entries);
  auto packs_before = dest_->index().BlockCount();
  ASSERT_TRUE(packs_before.ok());
  {
    std::unique_ptr<PackReceiver> rx;
    Status st = AppendAll(pack, 0, nullptr, &rx);
    ASSERT_TRUE(st.ok()) << st.message();
    auto in = VerifyPack(*dest_, rx.get());
    ASSERT_FALSE(in.ok()) << "a pack with 200 junk blobs was accepted";
    EXPECT_EQ(in.status().code(), Code::kInvalid) << in.status().message();
    EXPECT_TRUE(Has(in.status().message(), "is not part of any block")) << in.status().message();
    EXPECT_TRUE(Has(in.status().message(), "blob ")) << in.status().message();
  }
  auto after = dest_->index().BlockCount();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *packs_before);
  EXPECT_TRUE(Quarantines().empty());
  for (int i = 0; i < 200; ++i) {
    git_oid junk;
    std::string data = "junk " + std::to_string(i);
    ASSERT_EQ(git_odb_hash(&junk, data.data(), data.size(), GIT_OBJECT_BLOB), 0);
    git_odb* odb = nullptr;
    ASSERT_EQ(git_repository_odb(&odb, dest_->git().get()), 0);
    bool there = git_odb_exists(odb, &junk) != 0;
    git_odb_free(odb);
    ASSERT_FALSE(there) << "junk blob " << i << " was stored";
  }

  // The same block without junk is accepted.
  std::unique_ptr<PackReceiver> rx;
  ASSERT_TRUE(AppendAll(good, 0, nullptr, &rx).ok());
  auto in = VerifyPack(*dest_, rx.get());
  ASSERT_TRUE(in.ok()) << in.status().message();
  ASSERT_TRUE(StorePack(*dest_, rx.get(), *in).ok());
}

}  // namespace
}  // namespace aergo
