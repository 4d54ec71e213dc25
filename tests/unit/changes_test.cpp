// Unit tests for core/changes.h: the canonical ChangeSet encoding, its
// decoder's rejections, Inverted/Then/Normalize, FirstDifferentTable and the
// chained state root (docs/formats/changes.md).
#include "core/changes.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/resource.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>
#include "tests/unit/values.h"

namespace aergo {
namespace {

// ---- helpers ---------------------------------------------------------------

using testutil::B;
using testutil::F;
using testutil::I;
using testutil::N;
using testutil::T;

TableChanges MakeTable(std::vector<std::string> columns, std::vector<uint32_t> key) {
  TableChanges t;
  t.columns = columns;
  t.old_columns = std::move(columns);
  t.key = std::move(key);
  return t;
}

// Adds a row change keyed, as everywhere, by the KeyBytes of its row.
void Put(TableChanges* t, std::optional<Row> before, std::optional<Row> after) {
  std::string key = KeyBytes(before ? *before : *after, t->key);
  t->rows[key] = RowChange{std::move(before), std::move(after)};
}

// Two tables, every op, every Value type, a composite key declared out of
// column order.
ChangeSet Sample() {
  ChangeSet cs;
  TableChanges items = MakeTable({"id", "name", "price", "data", "note"}, {0});
  Put(&items, std::nullopt, Row{I(1), T("apple"), F(1.5), B(std::string("\x00\xff", 2)), N()});
  Put(&items, std::nullopt, Row{I(-7), T("h\xc3\xa9llo \xe2\x82\xac"), F(-0.0), B(""), T("")});
  Put(&items, Row{I(std::numeric_limits<int64_t>::min()), T("old"), F(2.0), N(), I(3)}, std::nullopt);
  Put(&items, Row{I(42), T("x"), F(0.0), B("a"), N()}, Row{I(42), T("y"), F(-0.0), B("b"), F(1e300)});
  Put(&items, Row{I(std::numeric_limits<int64_t>::max()), N(), N(), N(), N()},
      Row{I(std::numeric_limits<int64_t>::max()), N(), F(std::numeric_limits<double>::infinity()), N(), N()});
  cs.tables["shop.items"] = items;

  TableChanges pairs = MakeTable({"a", "b", "v"}, {1, 0});  // PRIMARY KEY (b, a)
  Put(&pairs, std::nullopt, Row{T("p"), I(2), T("\xf0\x9f\x98\x80")});
  Put(&pairs, std::nullopt, Row{T("q"), I(2), B(std::string(3, '\0'))});
  Put(&pairs, Row{T("p"), I(1), I(5)}, Row{T("p"), I(1), F(5.0)});
  Put(&pairs, Row{T("z"), I(-1), N()}, std::nullopt);
  cs.tables["shop.pairs"] = pairs;
  return cs;
}

// Hand-built encodings for the decoder's rejections.
struct Enc {
  Writer w;
  Enc& U8(uint8_t v) { w.U8(v); return *this; }
  Enc& U32(uint32_t v) { w.U32(v); return *this; }
  Enc& Text(const std::string& s) { w.Text(s); return *this; }
  // Table header: name, columns, key columns, row count.
  Enc& Table(const std::string& name, const std::vector<std::string>& cols,
             const std::vector<uint32_t>& key, uint32_t nrows) {
    w.Text(name);
    w.U32(static_cast<uint32_t>(cols.size()));
    for (const auto& c : cols) w.Text(c);
    w.U32(static_cast<uint32_t>(key.size()));
    for (uint32_t k : key) w.U32(k);
    w.U32(nrows);
    return *this;
  }
  Enc& Vals(const Row& row) {
    for (const Value& v : row) EncodeValue(&w, v);
    return *this;
  }
  Enc& Ins(const Row& after) { w.U8(1); return Vals(after); }
  Enc& Del(const Row& before) { w.U8(2); return Vals(before); }
  Enc& Upd(const Row& before, const Row& after) { w.U8(3); Vals(before); return Vals(after); }
  Bytes Take() { return w.Take(); }
};

// Version and table count.
Enc Start(uint32_t ntables) {
  Enc e;
  e.U8(1).U32(ntables);
  return e;
}

// Expects Decode to refuse `bytes` as Corrupt with `fragment` in the message.
void ExpectRejected(const Bytes& bytes, const std::string& fragment) {
  auto r = ChangeSet::Decode(bytes, "test changes");
  ASSERT_FALSE(r.ok()) << "decoded, expected an error containing '" << fragment << "'";
  EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().message();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << "message '" << r.status().message() << "' lacks '" << fragment << "'";
  EXPECT_EQ(r.status().message().rfind("test changes: ", 0), 0u) << r.status().message();
}

Hash32 PlainSha256(const Bytes& b) {
  Hash32 h;
  crypto_hash_sha256(h.data(), b.data(), b.size());
  return h;
}

// The worked example of docs/formats/changes.md.
ChangeSet DocExample() {
  ChangeSet cs;
  TableChanges t = MakeTable({"owner", "balance"}, {0});
  Put(&t, std::nullopt, Row{T("alice"), I(10)});
  Put(&t, Row{T("bob"), I(5)}, Row{T("bob"), I(7)});
  cs.tables["bank.accounts"] = t;
  return cs;
}

const char* const kDocExampleHex =
    "01"                                              // version
    "00000001"                                        // 1 table
    "0000000d" "62616e6b2e6163636f756e7473"           // "bank.accounts"
    "00000002"                                        // 2 columns
    "00000005" "6f776e6572"                           // "owner"
    "00000007" "62616c616e6365"                       // "balance"
    "00000001" "00000000"                             // key: column 0
    "00000002"                                        // 2 rows
    "03"                                              // update (key "bob" sorts first)
    "0300000003626f62" "010000000000000005"           //   before ('bob', 5)
    "0300000003626f62" "010000000000000007"           //   after  ('bob', 7)
    "01"                                              // insert
    "0300000005616c696365" "01000000000000000a";      //   after  ('alice', 10)
const char* const kDocExampleDigest = "32fe6260a1a6a42d1bac8ca0c84b07e3213c1b11ac584d5510dd6a8f4509bd48";
const char* const kDocExampleRoot = "d06540751617e9f6928ba04e16afe04d2bf7af5fd6fa2459743189eb0ff2f845";
const char* const kEmptyDigest = "957b88b12730e646e0f33d3618b77dfa579e8231e3c59c7104be7165611c8027";
const char* const kEmptyRoot = "fb5552d1f6d0a7cfad7d48fb295fe3dd48da1da345f8f73271c6ee975964af55";

class ChangesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

// ---- encoding --------------------------------------------------------------

TEST_F(ChangesTest, RoundTripEveryValueTypeAndOp) {
  ChangeSet cs = Sample();
  ASSERT_EQ(cs.RowCount(), 9u);
  Bytes b = cs.Encode();
  auto d = ChangeSet::Decode(b, "sample");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->tables, cs.tables);
  EXPECT_EQ(d->Encode(), b);
  // -0.0 and 0.0 are distinct values, kept bit for bit.
  const RowChange& upd = d->tables.at("shop.items").rows.at(KeyBytes(Row{I(42)}, {0}));
  ASSERT_TRUE(upd.after.has_value());
  EXPECT_TRUE(std::signbit((*upd.after)[2].real));
  EXPECT_FALSE(std::signbit((*upd.before)[2].real));
  // Composite keys keep their declared order.
  EXPECT_EQ(d->tables.at("shop.pairs").key, (std::vector<uint32_t>{1, 0}));
  // Old columns equal columns after decoding.
  for (const auto& [name, t] : d->tables) EXPECT_EQ(t.old_columns, t.columns) << name;
}

TEST_F(ChangesTest, EmptySetEncodesToVersionAndZeroTables) {
  ChangeSet cs;
  EXPECT_EQ(ToHex(cs.Encode()), "0100000000");
  auto d = ChangeSet::Decode(cs.Encode(), "empty");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_TRUE(d->empty());
}

TEST_F(ChangesTest, OpNames) {
  EXPECT_EQ(OpOf(RowChange{std::nullopt, Row{I(1)}}), ChangeOp::kInsert);
  EXPECT_EQ(OpOf(RowChange{Row{I(1)}, std::nullopt}), ChangeOp::kDelete);
  EXPECT_EQ(OpOf(RowChange{Row{I(1)}, Row{I(2)}}), ChangeOp::kUpdate);
  EXPECT_STREQ(OpName(ChangeOp::kInsert), "insert");
  EXPECT_STREQ(OpName(ChangeOp::kDelete), "delete");
  EXPECT_STREQ(OpName(ChangeOp::kUpdate), "update");
}

TEST_F(ChangesTest, KeyBytesConcatenatesValueEncodingsInKeyOrder) {
  Row row{T("ab"), I(1), N()};
  std::string k = KeyBytes(row, {1, 0});
  EXPECT_EQ(ToHex(reinterpret_cast<const uint8_t*>(k.data()), k.size()),
            "010000000000000001" "03000000026162");
  std::string k2 = KeyBytes(row, {2});
  EXPECT_EQ(k2, std::string(1, '\0'));
}

TEST_F(ChangesTest, EncodingIsCanonicalWhateverTheInsertionOrder) {
  ChangeSet a = Sample();
  // The same rows and tables, inserted in reverse order.
  ChangeSet b;
  std::vector<std::string> names;
  for (const auto& [name, t] : a.tables) names.insert(names.begin(), name);
  for (const auto& name : names) {
    const TableChanges& src = a.tables.at(name);
    TableChanges t = MakeTable(src.columns, src.key);
    std::vector<RowChange> rows;
    for (const auto& [k, c] : src.rows) rows.insert(rows.begin(), c);
    for (auto& c : rows) Put(&t, c.before, c.after);
    b.tables.emplace(name, std::move(t));
  }
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST_F(ChangesTest, NoOpRowsAndEmptyTablesAreLeftOut) {
  ChangeSet base = Sample();
  ChangeSet noisy = Sample();
  // An unchanged row in a table with real changes.
  Put(&noisy.tables["shop.items"], Row{I(5), T("same"), F(1.25), N(), N()},
      Row{I(5), T("same"), F(1.25), N(), N()});
  // A table of nothing but no-op rows, and an empty table.
  TableChanges noop = MakeTable({"k"}, {0});
  Put(&noop, Row{T("x")}, Row{T("x")});
  noisy.tables["a.noop"] = noop;
  noisy.tables["z.empty"] = MakeTable({"k"}, {0});
  // A row that came and went (insert then delete).
  noisy.tables["shop.pairs"].rows[KeyBytes(Row{T("gone"), I(9), N()}, {1, 0})] = RowChange{};
  EXPECT_EQ(noisy.Encode(), base.Encode());

  ChangeSet only_noise;
  only_noise.tables["a.noop"] = noop;
  only_noise.tables["z.empty"] = MakeTable({"k"}, {0});
  EXPECT_EQ(ToHex(only_noise.Encode()), "0100000000");

  noisy.Normalize();
  EXPECT_EQ(noisy.tables, base.tables);
}

TEST_F(ChangesTest, RowsSortByKeyBytesNotByValue) {
  // Key bytes start with the value tag and, for text, the length: "bob"
  // (3 bytes) sorts before "alice" (5), and INTEGER (tag 1) before TEXT.
  ChangeSet cs;
  TableChanges t = MakeTable({"k"}, {0});
  Put(&t, std::nullopt, Row{T("alice")});
  Put(&t, std::nullopt, Row{T("bob")});
  Put(&t, std::nullopt, Row{I(100)});
  Put(&t, std::nullopt, Row{N()});
  cs.tables["c.t"] = t;
  Bytes b = cs.Encode();
  Bytes expected = Start(1)
                       .Table("c.t", {"k"}, {0}, 4)
                       .Ins(Row{N()})
                       .Ins(Row{I(100)})
                       .Ins(Row{T("bob")})
                       .Ins(Row{T("alice")})
                       .Take();
  EXPECT_EQ(ToHex(b), ToHex(expected));

  // Integers by their two's-complement bytes, reals by their bit patterns.
  ChangeSet nums;
  TableChanges n = MakeTable({"k"}, {0});
  for (int64_t v : {int64_t{-1}, int64_t{0}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()})
    Put(&n, std::nullopt, Row{I(v)});
  for (double v : {-2.5, -0.0, 0.0, 2.5, -std::numeric_limits<double>::infinity()}) Put(&n, std::nullopt, Row{F(v)});
  nums.tables["c.n"] = n;
  Bytes expected_nums = Start(1)
                            .Table("c.n", {"k"}, {0}, 10)
                            .Ins(Row{I(0)})
                            .Ins(Row{I(1)})
                            .Ins(Row{I(std::numeric_limits<int64_t>::max())})
                            .Ins(Row{I(std::numeric_limits<int64_t>::min())})
                            .Ins(Row{I(-1)})
                            .Ins(Row{F(0.0)})
                            .Ins(Row{F(2.5)})
                            .Ins(Row{F(-0.0)})
                            .Ins(Row{F(-2.5)})
                            .Ins(Row{F(-std::numeric_limits<double>::infinity())})
                            .Take();
  EXPECT_EQ(ToHex(nums.Encode()), ToHex(expected_nums));
  EXPECT_TRUE(ChangeSet::Decode(expected_nums, "nums").ok());
}

// ---- the documented example ------------------------------------------------

TEST_F(ChangesTest, DocWorkedExampleBytesDigestAndRoot) {
  ChangeSet cs = DocExample();
  Bytes b = cs.Encode();
  EXPECT_EQ(ToHex(b), kDocExampleHex);
  EXPECT_EQ(b.size(), 113u);
  EXPECT_EQ(ToHex(PlainSha256(b)), kDocExampleDigest);
  EXPECT_EQ(ToHex(ChainStateRoot(Hash32{}, b)), kDocExampleRoot);
  auto d = ChangeSet::Decode(b, "example");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->tables, cs.tables);
}

TEST_F(ChangesTest, DocEmptyChangesDigestAndRoot) {
  Bytes b = ChangeSet().Encode();
  EXPECT_EQ(ToHex(PlainSha256(b)), kEmptyDigest);
  EXPECT_EQ(ToHex(ChainStateRoot(Hash32{}, b)), kEmptyRoot);
}

// ---- decoder rejections ----------------------------------------------------

TEST_F(ChangesTest, DecodeRejectsEveryTruncation) {
  for (const Bytes& full : {Sample().Encode(), DocExample().Encode(), ChangeSet().Encode()}) {
    ASSERT_TRUE(ChangeSet::Decode(full, "full").ok());
    for (size_t n = 0; n < full.size(); ++n) {
      // Exact-size copy: an over-read leaves the allocation.
      Bytes prefix(full.begin(), full.begin() + static_cast<long>(n));
      auto r = ChangeSet::Decode(prefix, "prefix");
      ASSERT_FALSE(r.ok()) << "prefix of " << n << " of " << full.size() << " bytes decoded";
      EXPECT_EQ(r.status().code(), Code::kCorrupt);
    }
  }
}

TEST_F(ChangesTest, DecodeRejectsTrailingByte) {
  for (Bytes b : {Sample().Encode(), ChangeSet().Encode()}) {
    b.push_back(0);
    ExpectRejected(b, "1 trailing bytes");
  }
}

TEST_F(ChangesTest, DecodeRejectsUnknownVersion) {
  for (uint8_t v : {0, 2, 255}) {
    Bytes b = ChangeSet().Encode();
    b[0] = v;
    ExpectRejected(b, "unknown changes format version " + std::to_string(v));
  }
}

TEST_F(ChangesTest, DecodeRejectsTablesOutOfOrder) {
  ExpectRejected(Start(2)
                     .Table("c.u", {"k"}, {0}, 1).Ins(Row{I(1)})
                     .Table("c.t", {"k"}, {0}, 1).Ins(Row{I(1)})
                     .Take(),
                 "tables out of order at 'c.t'");
  // Byte order, not locale order: "C.t" (0x43) sorts before "c.t" (0x63).
  ExpectRejected(Start(2)
                     .Table("c.t", {"k"}, {0}, 1).Ins(Row{I(1)})
                     .Table("C.t", {"k"}, {0}, 1).Ins(Row{I(1)})
                     .Take(),
                 "tables out of order at 'C.t'");
  auto ok = ChangeSet::Decode(Start(2)
                                  .Table("C.t", {"k"}, {0}, 1).Ins(Row{I(1)})
                                  .Table("c.t", {"k"}, {0}, 1).Ins(Row{I(1)})
                                  .Take(),
                              "ordered");
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

TEST_F(ChangesTest, DecodeRejectsDuplicateTable) {
  ExpectRejected(Start(2)
                     .Table("c.t", {"k"}, {0}, 1).Ins(Row{I(1)})
                     .Table("c.t", {"k"}, {0}, 1).Ins(Row{I(2)})
                     .Take(),
                 "tables out of order at 'c.t'");
}

TEST_F(ChangesTest, DecodeRejectsTableNameWithoutDot) {
  ExpectRejected(Start(1).Table("pool", {"k"}, {0}, 1).Ins(Row{I(1)}).Take(),
                 "table name 'pool' has no contract prefix");
}

TEST_F(ChangesTest, DecodeRejectsOversizeTableName) {
  std::string name = std::string(64, 'c') + "." + std::string(65, 't');  // 130 bytes
  ExpectRejected(Start(1).Table(name, {"k"}, {0}, 1).Ins(Row{I(1)}).Take(), "limit 129");
}

TEST_F(ChangesTest, DecodeRejectsZeroColumns) {
  ExpectRejected(Start(1).Text("c.t").U32(0).U32(0).U32(1).U8(1).Take(),
                 "table 'c.t': column count 0");
}

TEST_F(ChangesTest, DecodeRejectsTooManyColumns) {
  ExpectRejected(Start(1).Text("c.t").U32(2001).Take(), "table 'c.t': column count 2001");
}

TEST_F(ChangesTest, DecodeRejectsKeyColumnCounts) {
  ExpectRejected(Start(1).Table("c.t", {"a", "b"}, {}, 1).Ins(Row{I(1), I(2)}).Take(),
                 "table 'c.t': key column count 0");
  ExpectRejected(Start(1).Table("c.t", {"a"}, {0, 0}, 1).Ins(Row{I(1)}).Take(),
                 "table 'c.t': key column count 2");
}

TEST_F(ChangesTest, DecodeRejectsKeyColumnOutOfRange) {
  ExpectRejected(Start(1).Table("c.t", {"a", "b"}, {2}, 1).Ins(Row{I(1), I(2)}).Take(),
                 "table 'c.t': bad key column 2");
  ExpectRejected(Start(1).Table("c.t", {"a", "b"}, {0xffffffffu}, 1).Ins(Row{I(1), I(2)}).Take(),
                 "bad key column 4294967295");
}

TEST_F(ChangesTest, DecodeRejectsRepeatedKeyColumn) {
  ExpectRejected(Start(1).Table("c.t", {"a", "b"}, {1, 1}, 1).Ins(Row{I(1), I(2)}).Take(),
                 "table 'c.t': bad key column 1");
}

TEST_F(ChangesTest, DecodeRejectsZeroRows) {
  ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 0).Take(), "table 'c.t' has no rows");
}

TEST_F(ChangesTest, DecodeRejectsRowCountLargerThanBytesLeft) {
  // 2 columns: every row takes at least 3 bytes; 2 rows of NULLs fit in 6.
  Bytes fits = Start(1).Table("c.t", {"a", "b"}, {0}, 2).Ins(Row{N(), I(1)}).Ins(Row{I(1), N()}).Take();
  ASSERT_TRUE(ChangeSet::Decode(fits, "fits").ok());
  // 3 rows need at least 9 bytes; 6 are left.
  ExpectRejected(Start(1).Table("c.t", {"a", "b"}, {0}, 3).Ins(Row{N(), N()}).Ins(Row{N(), N()}).Take(),
                 "table 'c.t': row count too large");
  ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 0xffffffffu).Ins(Row{I(1)}).Take(),
                 "table 'c.t': row count too large");
}

TEST_F(ChangesTest, DecodeRejectsRowsOutOfKeyOrder) {
  ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 2).Ins(Row{I(2)}).Ins(Row{I(1)}).Take(),
                 "table 'c.t': rows out of key order at row 1");
  // By key bytes: "alice" has the longer length prefix, so it sorts after "bob".
  ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 2).Ins(Row{T("alice")}).Ins(Row{T("bob")}).Take(),
                 "rows out of key order at row 1");
  // Composite key (b, a): ordered by b first.
  ExpectRejected(Start(1)
                     .Table("c.t", {"a", "b"}, {1, 0}, 2)
                     .Ins(Row{I(1), I(2)})
                     .Ins(Row{I(2), I(1)})
                     .Take(),
                 "rows out of key order at row 1");
}

TEST_F(ChangesTest, DecodeRejectsDuplicateKeys) {
  ExpectRejected(Start(1).Table("c.t", {"k", "v"}, {0}, 2).Ins(Row{I(1), I(1)}).Del(Row{I(1), I(2)}).Take(),
                 "rows out of key order at row 1");
}

TEST_F(ChangesTest, DecodeRejectsUnknownOp) {
  for (uint8_t op : {0, 4, 255}) {
    ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 1).U8(op).Vals(Row{I(1)}).Take(),
                   "table 'c.t': unknown row op " + std::to_string(op));
  }
}

TEST_F(ChangesTest, DecodeRejectsUpdateThatChangesItsKey) {
  ExpectRejected(Start(1).Table("c.t", {"k", "v"}, {0}, 1).Upd(Row{I(1), I(5)}, Row{I(2), I(5)}).Take(),
                 "table 'c.t': update row 0 changes its key or nothing");
  // INTEGER 1 and REAL 1.0 are different keys.
  ExpectRejected(Start(1).Table("c.t", {"k", "v"}, {0}, 1).Upd(Row{I(1), I(5)}, Row{F(1.0), I(6)}).Take(),
                 "changes its key or nothing");
}

TEST_F(ChangesTest, DecodeRejectsUpdateWithoutChange) {
  ExpectRejected(Start(1).Table("c.t", {"k", "v"}, {0}, 1).Upd(Row{I(1), T("x")}, Row{I(1), T("x")}).Take(),
                 "table 'c.t': update row 0 changes its key or nothing");
  // Bitwise: 0.0 -> -0.0 is a change and decodes.
  auto r = ChangeSet::Decode(Start(1).Table("c.t", {"k", "v"}, {0}, 1).Upd(Row{I(1), F(0.0)}, Row{I(1), F(-0.0)}).Take(),
                             "signed zero");
  EXPECT_TRUE(r.ok()) << r.status().message();
}

TEST_F(ChangesTest, DecodeRejectsNaN) {
  for (uint64_t bits : {0x7ff8000000000000ull, 0xfff0000000000001ull, 0x7fffffffffffffffull}) {
    Enc e = Start(1).Table("c.t", {"k", "v"}, {0}, 1);
    e.U8(1);
    EncodeValue(&e.w, I(1));
    e.U8(2);
    e.w.U64(bits);
    ExpectRejected(e.Take(), "NaN in row value");
  }
}

TEST_F(ChangesTest, DecodeRejectsBadValues) {
  ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 1).U8(1).U8(5).Take(), "unknown value tag 5");
  ExpectRejected(Start(1).Table("c.t", {"k"}, {0}, 1).U8(1).U8(3).U32(1).U8(0xff).Take(),
                 "not valid UTF-8");
  ExpectRejected(Start(1).Text("c.\xff").Take(), "not valid UTF-8");
}

// Regression: after refusing a column count above 2000, Decode once still
// built its key-column bitmap with that count, so 16 bytes of input cost up
// to 512 MiB (2^32 bits).
TEST_F(ChangesTest, DecodeOfHugeColumnCountAllocatesNothing) {
  Bytes b = Start(1).Text("c.t").U32(0xffffffffu).Take();
  ASSERT_EQ(b.size(), 16u);
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  ExpectRejected(b, "column count 4294967295");
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "peak resident set grew by " << after.ru_maxrss - before.ru_maxrss << " KiB";
}

TEST_F(ChangesTest, DecodeSurvivesRandomMutations) {
  std::mt19937_64 rng(0xC4A96E5);
  std::vector<Bytes> seeds = {Sample().Encode(), DocExample().Encode()};
  size_t decoded = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = seeds[iter % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = b.empty() ? 0 : rng() % b.size();
      switch (rng() % 6) {
        case 0:  // flip one bit
          if (!b.empty()) b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 1:  // set a random byte
          if (!b.empty()) b[pos] = static_cast<uint8_t>(rng());
          break;
        case 2:  // insert a byte
          b.insert(b.begin() + static_cast<long>(pos), static_cast<uint8_t>(rng()));
          break;
        case 3:  // erase a byte
          if (!b.empty()) b.erase(b.begin() + static_cast<long>(pos));
          break;
        case 4:  // truncate
          b.resize(pos);
          break;
        case 5:  // overwrite four bytes (a count or length field, often)
          for (size_t i = pos; i < b.size() && i < pos + 4; ++i) b[i] = static_cast<uint8_t>(rng());
          break;
      }
    }
    auto r = ChangeSet::Decode(b, "fuzz");
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), Code::kCorrupt) << r.status().message();
      continue;
    }
    ++decoded;
    ASSERT_EQ(ToHex(r->Encode()), ToHex(b)) << "iteration " << iter;
  }
  // Some mutations (e.g. inside a text value) still decode.
  EXPECT_GT(decoded, 0u);
}

// ---- Inverted, Then, Normalize -----------------------------------------------

TEST_F(ChangesTest, InvertedSwapsBeforeAndAfter) {
  ChangeSet cs = Sample();
  ChangeSet inv = cs.Inverted();
  ASSERT_EQ(inv.tables.size(), cs.tables.size());
  for (const auto& [name, t] : cs.tables) {
    const TableChanges& it = inv.tables.at(name);
    EXPECT_EQ(it.key, t.key);
    ASSERT_EQ(it.rows.size(), t.rows.size());
    for (const auto& [k, c] : t.rows) {
      const RowChange& ic = it.rows.at(k);
      EXPECT_EQ(ic.before, c.after);
      EXPECT_EQ(ic.after, c.before);
      ChangeOp op = OpOf(c), iop = OpOf(ic);
      ChangeOp expected = op == ChangeOp::kInsert   ? ChangeOp::kDelete
                          : op == ChangeOp::kDelete ? ChangeOp::kInsert
                                                    : ChangeOp::kUpdate;
      EXPECT_EQ(iop, expected);
    }
  }
  EXPECT_EQ(inv.Inverted().tables, cs.tables);
  // The inverse is canonical too.
  auto d = ChangeSet::Decode(inv.Encode(), "inverse");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->tables, inv.tables);
}

TEST_F(ChangesTest, InvertedSwapsColumnsAndOldColumns) {
  ChangeSet cs;
  TableChanges t = MakeTable({"k", "new"}, {0});
  t.old_columns = {"k", "old"};
  Put(&t, Row{I(1), I(1)}, Row{I(1), I(2)});
  cs.tables["c.t"] = t;
  ChangeSet inv = cs.Inverted();
  EXPECT_EQ(inv.tables.at("c.t").columns, (std::vector<std::string>{"k", "old"}));
  EXPECT_EQ(inv.tables.at("c.t").old_columns, (std::vector<std::string>{"k", "new"}));
}

TEST_F(ChangesTest, ThenKeepsEarliestBeforeAndLatestAfter) {
  ChangeSet a, b;
  TableChanges ta = MakeTable({"k", "v"}, {0});
  Put(&ta, Row{T("x"), I(1)}, Row{T("x"), I(2)});        // update, then updated again
  Put(&ta, std::nullopt, Row{T("y"), I(1)});             // insert, then updated
  Put(&ta, Row{T("z"), I(1)}, std::nullopt);             // delete, then re-inserted
  Put(&ta, Row{T("w"), I(1)}, Row{T("w"), I(2)});        // untouched by b
  a.tables["c.t"] = ta;
  TableChanges tb = MakeTable({"k", "v"}, {0});
  Put(&tb, Row{T("x"), I(2)}, Row{T("x"), I(3)});
  Put(&tb, Row{T("y"), I(1)}, Row{T("y"), I(9)});
  Put(&tb, std::nullopt, Row{T("z"), I(5)});
  Put(&tb, std::nullopt, Row{T("v"), I(0)});             // new in b
  b.tables["c.t"] = tb;
  TableChanges other = MakeTable({"id"}, {0});
  Put(&other, std::nullopt, Row{I(1)});
  b.tables["d.u"] = other;

  ASSERT_TRUE(a.Then(b).ok());
  const auto& rows = a.tables.at("c.t").rows;
  auto row = [&](const char* k) { return rows.at(KeyBytes(Row{T(k)}, {0})); };
  EXPECT_EQ(row("x"), (RowChange{Row{T("x"), I(1)}, Row{T("x"), I(3)}}));
  EXPECT_EQ(row("y"), (RowChange{std::nullopt, Row{T("y"), I(9)}}));
  EXPECT_EQ(row("z"), (RowChange{Row{T("z"), I(1)}, Row{T("z"), I(5)}}));
  EXPECT_EQ(row("w"), (RowChange{Row{T("w"), I(1)}, Row{T("w"), I(2)}}));
  EXPECT_EQ(row("v"), (RowChange{std::nullopt, Row{T("v"), I(0)}}));
  EXPECT_EQ(a.tables.at("d.u"), other);
}

TEST_F(ChangesTest, ThenWithInverseNormalizesToEmpty) {
  ChangeSet a = Sample();
  ASSERT_TRUE(a.Then(a.Inverted()).ok());
  EXPECT_FALSE(a.empty());  // no-op rows remain until Normalize
  EXPECT_EQ(ToHex(a.Encode()), "0100000000");
  a.Normalize();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.RowCount(), 0u);

  // And the other way round.
  ChangeSet inv = Sample().Inverted();
  ASSERT_TRUE(inv.Then(Sample()).ok());
  inv.Normalize();
  EXPECT_TRUE(inv.empty());
}

TEST_F(ChangesTest, ThenRejectsChangesThatDoNotChain) {
  ChangeSet a;
  TableChanges ta = MakeTable({"k", "v"}, {0});
  Put(&ta, Row{T("x"), I(1)}, Row{T("x"), I(2)});
  a.tables["c.t"] = ta;

  ChangeSet wrong_before;
  TableChanges tb = MakeTable({"k", "v"}, {0});
  Put(&tb, Row{T("x"), I(1)}, Row{T("x"), I(3)});  // starts from 1, a ends at 2
  wrong_before.tables["c.t"] = tb;
  ChangeSet copy = a;
  Status st = copy.Then(wrong_before);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kCorrupt);
  EXPECT_NE(st.message().find("changes do not chain: table 'c.t'"), std::string::npos) << st.message();

  // Inserting a row that a says exists.
  ChangeSet reinsert;
  TableChanges tc = MakeTable({"k", "v"}, {0});
  Put(&tc, std::nullopt, Row{T("x"), I(7)});
  reinsert.tables["c.t"] = tc;
  copy = a;
  EXPECT_EQ(copy.Then(reinsert).code(), Code::kCorrupt);

  // Deleting a row that a deleted.
  ChangeSet del_a, del_b;
  TableChanges td = MakeTable({"k", "v"}, {0});
  Put(&td, Row{T("x"), I(1)}, std::nullopt);
  del_a.tables["c.t"] = td;
  del_b.tables["c.t"] = td;
  EXPECT_EQ(del_a.Then(del_b).code(), Code::kCorrupt);

  // Type matters: INTEGER 2 is not REAL 2.0.
  ChangeSet real;
  TableChanges tr = MakeTable({"k", "v"}, {0});
  Put(&tr, Row{T("x"), F(2.0)}, Row{T("x"), I(3)});
  real.tables["c.t"] = tr;
  copy = a;
  EXPECT_EQ(copy.Then(real).code(), Code::kCorrupt);
}

TEST_F(ChangesTest, NormalizeKeepsUnchangedRowsOfReplacedContracts) {
  ChangeSet cs;
  TableChanges reg = MakeTable({"name", "owner", "source", "txid"}, {0});
  Put(&reg, Row{T("bank"), T("o"), T("src1"), T("t1")}, Row{T("bank"), T("o"), T("src2"), T("t2")});
  cs.tables[kContractsTable] = reg;
  TableChanges acc = MakeTable({"owner", "balance"}, {0});
  Put(&acc, Row{T("alice"), I(1)}, Row{T("alice"), I(1)});
  cs.tables["bank.accounts"] = acc;
  TableChanges other = MakeTable({"k"}, {0});
  Put(&other, Row{T("x")}, Row{T("x")});
  cs.tables["shop.items"] = other;
  EXPECT_EQ(cs.ReplacedContracts(), (std::set<std::string>{"bank"}));
  cs.Normalize();
  EXPECT_EQ(cs.tables.count("bank.accounts"), 1u);
  EXPECT_EQ(cs.tables.count("shop.items"), 0u);
  EXPECT_EQ(cs.tables.count(kContractsTable), 1u);
}

// ---- FirstDifferentTable ---------------------------------------------------

TEST_F(ChangesTest, FirstDifferentTableEmptyForEqualSets) {
  EXPECT_EQ(FirstDifferentTable(Sample(), Sample()), "");
  EXPECT_EQ(FirstDifferentTable(ChangeSet(), ChangeSet()), "");
  auto d = ChangeSet::Decode(Sample().Encode(), "x");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FirstDifferentTable(Sample(), *d), "");
}

TEST_F(ChangesTest, FirstDifferentTableNamesFirstTableWithOtherRows) {
  ChangeSet a = Sample(), b = Sample();
  // Change a row of the second table only.
  Put(&b.tables["shop.pairs"], std::nullopt, Row{T("new"), I(3), N()});
  EXPECT_EQ(FirstDifferentTable(a, b), "shop.pairs");
  EXPECT_EQ(FirstDifferentTable(b, a), "shop.pairs");
  // Now also the first one: it wins (name order).
  Put(&b.tables["shop.items"], std::nullopt, Row{I(99), N(), N(), N(), N()});
  EXPECT_EQ(FirstDifferentTable(a, b), "shop.items");
  // Same keys, different after-image.
  ChangeSet c = Sample();
  RowChange& rc = c.tables["shop.pairs"].rows.begin()->second;
  rc.after = Row{T("changed"), I(0), N()};
  EXPECT_EQ(FirstDifferentTable(Sample(), c), "shop.pairs");
  // Other columns.
  ChangeSet e = Sample();
  e.tables["shop.pairs"].columns[2] = "w";
  EXPECT_EQ(FirstDifferentTable(Sample(), e), "shop.pairs");
}

TEST_F(ChangesTest, FirstDifferentTableNamesTableOnlyInOneSide) {
  ChangeSet a = Sample(), b = Sample();
  TableChanges t = MakeTable({"k"}, {0});
  Put(&t, std::nullopt, Row{I(1)});
  b.tables["shop.m"] = t;  // between "shop.items" and "shop.pairs"
  EXPECT_EQ(FirstDifferentTable(a, b), "shop.m");
  EXPECT_EQ(FirstDifferentTable(b, a), "shop.m");
  b.tables["aaa.first"] = t;
  EXPECT_EQ(FirstDifferentTable(a, b), "aaa.first");
  EXPECT_EQ(FirstDifferentTable(b, a), "aaa.first");
  ChangeSet c = Sample();
  c.tables["zzz.last"] = t;
  EXPECT_EQ(FirstDifferentTable(a, c), "zzz.last");
  EXPECT_EQ(FirstDifferentTable(ChangeSet(), a), "shop.items");
  EXPECT_EQ(FirstDifferentTable(a, ChangeSet()), "shop.items");
}

// ---- state root --------------------------------------------------------------

TEST_F(ChangesTest, ChainStateRootMatchesDocumentedLayout) {
  Bytes changes = Sample().Encode();
  Hash32 parent;
  for (size_t i = 0; i < parent.size(); ++i) parent[i] = static_cast<uint8_t>(i * 7 + 1);
  // "AERGO-STATE-V2" || parent root || SHA-256(changes), hashed in one piece.
  Bytes msg = {'A', 'E', 'R', 'G', 'O', '-', 'S', 'T', 'A', 'T', 'E', '-', 'V', '2'};
  ASSERT_EQ(msg.size(), 14u);
  msg.insert(msg.end(), parent.begin(), parent.end());
  Hash32 digest = PlainSha256(changes);
  msg.insert(msg.end(), digest.begin(), digest.end());
  ASSERT_EQ(msg.size(), 14u + 32 + 32);
  EXPECT_EQ(ChainStateRoot(parent, changes), PlainSha256(msg));

  // Chained: every bit of the parent and of the changes matters.
  Hash32 genesis = ChainStateRoot(Hash32{}, changes);
  EXPECT_NE(genesis, ChainStateRoot(parent, changes));
  Hash32 flipped = parent;
  flipped[31] ^= 1;
  EXPECT_NE(ChainStateRoot(flipped, changes), ChainStateRoot(parent, changes));
  Bytes other = changes;
  other.back() ^= 1;
  EXPECT_NE(ChainStateRoot(parent, other), ChainStateRoot(parent, changes));
  // Two blocks: the second chains the first's root.
  Hash32 second = ChainStateRoot(genesis, DocExample().Encode());
  Bytes msg2 = {'A', 'E', 'R', 'G', 'O', '-', 'S', 'T', 'A', 'T', 'E', '-', 'V', '2'};
  msg2.insert(msg2.end(), genesis.begin(), genesis.end());
  Hash32 d2 = PlainSha256(DocExample().Encode());
  msg2.insert(msg2.end(), d2.begin(), d2.end());
  EXPECT_EQ(second, PlainSha256(msg2));
}

}  // namespace
}  // namespace aergo
