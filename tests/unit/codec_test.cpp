// Unit tests for core/codec.h: Writer/Reader primitives, UTF-8 validation and
// hex (docs/formats/encoding.md).
#include "core/codec.h"
#include "core/value.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace aergo {
namespace {

// A record that uses every primitive once.
Bytes EncodeSample() {
  Writer w;
  w.U8(0xab);
  w.U32(0x01020304u);
  w.U64(0x0102030405060708ull);
  w.I64(-2);
  w.Bool(true);
  w.Bool(false);
  std::array<uint8_t, 4> fixed{9, 8, 7, 6};
  w.Fixed(fixed);
  w.Blob(Bytes{0, 1, 2, 255});
  w.Text("h\xc3\xa9llo");  // "héllo"
  w.Blob(Bytes{});
  return w.Take();
}

// Decodes EncodeSample()'s layout; returns the reader's final status.
Status DecodeSample(const uint8_t* p, size_t n) {
  Reader r(p, n, "sample");
  r.U8("a");
  r.U32("b");
  r.U64("c");
  r.I64("d");
  r.Bool("e");
  r.Bool("f");
  r.Fixed<4>("g");
  r.Blob("h", 16);
  r.Text("i", 16);
  r.Blob("j", 16);
  r.ExpectEnd();
  return r.status();
}

bool ValidUtf8(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return IsValidUtf8(s);
}

TEST(Codec, IntegersAreBigEndian) {
  Writer w;
  w.U32(0x01020304u);
  w.U64(0x1122334455667788ull);
  w.I64(-1);
  w.Bool(true);
  w.Text("hi");
  EXPECT_EQ(ToHex(w.bytes()),
            "01020304"
            "1122334455667788"
            "ffffffffffffffff"
            "01"
            "000000026869");
}

TEST(Codec, RoundTripEveryPrimitive) {
  Bytes b = EncodeSample();
  Reader r(b, "sample");
  EXPECT_EQ(r.U8("a"), 0xab);
  EXPECT_EQ(r.U32("b"), 0x01020304u);
  EXPECT_EQ(r.U64("c"), 0x0102030405060708ull);
  EXPECT_EQ(r.I64("d"), -2);
  EXPECT_TRUE(r.Bool("e"));
  EXPECT_FALSE(r.Bool("f"));
  EXPECT_EQ((r.Fixed<4>("g")), (std::array<uint8_t, 4>{9, 8, 7, 6}));
  EXPECT_EQ(r.Blob("h", 16), (Bytes{0, 1, 2, 255}));
  EXPECT_EQ(r.Text("i", 16), "h\xc3\xa9llo");
  EXPECT_EQ(r.Blob("j", 16), Bytes{});
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.offset(), b.size());
  r.ExpectEnd();
  EXPECT_TRUE(r.ok()) << r.status().message();
}

TEST(Codec, ExtremeIntegersRoundTrip) {
  Writer w;
  w.U32(0);
  w.U32(std::numeric_limits<uint32_t>::max());
  w.U64(std::numeric_limits<uint64_t>::max());
  w.I64(std::numeric_limits<int64_t>::min());
  w.I64(std::numeric_limits<int64_t>::max());
  Bytes b = w.Take();
  ASSERT_EQ(b.size(), 4u + 4 + 8 + 8 + 8);
  Reader r(b, "ints");
  EXPECT_EQ(r.U32("a"), 0u);
  EXPECT_EQ(r.U32("b"), std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(r.U64("c"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(r.I64("d"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.I64("e"), std::numeric_limits<int64_t>::max());
  r.ExpectEnd();
  EXPECT_TRUE(r.ok());
}

TEST(Codec, TruncationAtEveryOffsetFailsWithClearMessage) {
  Bytes b = EncodeSample();
  ASSERT_TRUE(DecodeSample(b.data(), b.size()).ok());
  for (size_t n = 0; n < b.size(); ++n) {
    // Copy into an exact-size buffer so an over-read would touch memory
    // outside the allocation (caught by sanitizers when enabled).
    Bytes prefix(b.begin(), b.begin() + static_cast<long>(n));
    Status st = DecodeSample(prefix.data(), prefix.size());
    ASSERT_FALSE(st.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(st.code(), Code::kInvalid);
    EXPECT_EQ(st.message().rfind("sample: truncated at offset ", 0), 0u)
        << "n=" << n << ": " << st.message();
    EXPECT_NE(st.message().find(" reading "), std::string::npos) << st.message();
  }
}

TEST(Codec, TruncationNamesOffsetAndField) {
  Bytes b{0, 0, 0, 5, 'a', 'b'};  // says 5 bytes, holds 2
  Reader r(b, "thing");
  r.Blob("payload", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "thing: truncated at offset 4 reading payload");
}

TEST(Codec, FirstErrorSticksAndLaterReadsReturnZero) {
  Bytes b{1, 2};
  Reader r(b, "x");
  EXPECT_EQ(r.U32("first"), 0u);
  ASSERT_FALSE(r.ok());
  std::string first = r.status().message();
  EXPECT_EQ(r.U8("second"), 0);
  EXPECT_EQ(r.U64("third"), 0u);
  EXPECT_TRUE(r.Blob("fourth", 10).empty());
  r.Fail("semantic");
  r.ExpectEnd();
  EXPECT_EQ(r.status().message(), first);
  EXPECT_NE(first.find("first"), std::string::npos);
}

TEST(Codec, OversizeBlobRejectedBeforeReading) {
  Writer w;
  w.Blob(Bytes(10, 7));
  Bytes b = w.Take();
  {
    Reader r(b, "obj");
    EXPECT_EQ(r.Blob("data", 10).size(), 10u);
    EXPECT_TRUE(r.ok());
  }
  {
    Reader r(b, "obj");
    EXPECT_TRUE(r.Blob("data", 9).empty());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalid);
    EXPECT_EQ(r.status().message(), "obj: data is 10 bytes, limit 9");
  }
  // A huge length with no bytes behind it is reported as oversize, not as a
  // truncation (and never allocates).
  Bytes huge{0xff, 0xff, 0xff, 0xff};
  Reader r(huge, "obj");
  r.Blob("data", 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "obj: data is 4294967295 bytes, limit 1048576");
}

TEST(Codec, OversizeTextRejected) {
  Writer w;
  w.Text("abcdef");
  Bytes b = w.Take();
  Reader r(b, "obj");
  EXPECT_EQ(r.Text("name", 5), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "obj: name is 6 bytes, limit 5");
  Reader ok(b, "obj");
  EXPECT_EQ(ok.Text("name", 6), "abcdef");
  EXPECT_TRUE(ok.ok());
}

TEST(Codec, Utf8AcceptsValidMultiByte) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8(std::string("nul\0inside", 10)));  // U+0000 allowed
  EXPECT_TRUE(ValidUtf8({0xc2, 0x80}));                       // U+0080, smallest 2-byte
  EXPECT_TRUE(ValidUtf8({0xdf, 0xbf}));                       // U+07FF
  EXPECT_TRUE(ValidUtf8({0xe0, 0xa0, 0x80}));                 // U+0800, smallest 3-byte
  EXPECT_TRUE(ValidUtf8({0xed, 0x9f, 0xbf}));                 // U+D7FF, below surrogates
  EXPECT_TRUE(ValidUtf8({0xee, 0x80, 0x80}));                 // U+E000, above surrogates
  EXPECT_TRUE(ValidUtf8({0xef, 0xbf, 0xbf}));                 // U+FFFF
  EXPECT_TRUE(ValidUtf8({0xf0, 0x90, 0x80, 0x80}));           // U+10000, smallest 4-byte
  EXPECT_TRUE(ValidUtf8({0xf4, 0x8f, 0xbf, 0xbf}));           // U+10FFFF, the largest
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));  // é € 😀
}

TEST(Codec, Utf8RejectsInvalid) {
  // Overlong forms.
  EXPECT_FALSE(ValidUtf8({0xc0, 0x80}));              // U+0000 in 2 bytes
  EXPECT_FALSE(ValidUtf8({0xc1, 0xbf}));              // U+007F in 2 bytes
  EXPECT_FALSE(ValidUtf8({0xe0, 0x9f, 0xbf}));        // U+07FF in 3 bytes
  EXPECT_FALSE(ValidUtf8({0xf0, 0x8f, 0xbf, 0xbf}));  // U+FFFF in 4 bytes
  // Surrogates.
  EXPECT_FALSE(ValidUtf8({0xed, 0xa0, 0x80}));  // U+D800
  EXPECT_FALSE(ValidUtf8({0xed, 0xbf, 0xbf}));  // U+DFFF
  // Past U+10FFFF.
  EXPECT_FALSE(ValidUtf8({0xf4, 0x90, 0x80, 0x80}));  // U+110000
  EXPECT_FALSE(ValidUtf8({0xf7, 0xbf, 0xbf, 0xbf}));
  EXPECT_FALSE(ValidUtf8({0xf8, 0x88, 0x80, 0x80, 0x80}));  // 5-byte form
  EXPECT_FALSE(ValidUtf8({0xff}));
  // Truncated sequences, at the end and followed by ASCII.
  EXPECT_FALSE(ValidUtf8({0xc3}));
  EXPECT_FALSE(ValidUtf8({0xe2, 0x82}));
  EXPECT_FALSE(ValidUtf8({0xf0, 0x9f, 0x98}));
  EXPECT_FALSE(ValidUtf8({'a', 0xe2, 0x82}));
  EXPECT_FALSE(ValidUtf8({0xe2, 0x82, 'a'}));
  // Stray continuation bytes.
  EXPECT_FALSE(ValidUtf8({0x80}));
  EXPECT_FALSE(ValidUtf8({'a', 0xbf, 'b'}));
}

TEST(Codec, TextFieldRejectsInvalidUtf8) {
  Writer w;
  w.Blob(Bytes{'o', 'k', 0xed, 0xa0, 0x80});  // surrogate
  Bytes b = w.Take();
  Reader r(b, "tx");
  EXPECT_EQ(r.Text("contract", 64), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "tx: contract is not valid UTF-8");
  // The same bytes are fine as a blob.
  Reader rb(b, "tx");
  EXPECT_EQ(rb.Blob("contract", 64).size(), 5u);
  EXPECT_TRUE(rb.ok());
}

TEST(Codec, NonCanonicalBooleanRejected) {
  for (int v : {2, 0x7f, 0x80, 0xff}) {
    Bytes b{static_cast<uint8_t>(v)};
    Reader r(b, "obj");
    r.Bool("flag");
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.status().message(), "obj: non-canonical boolean in flag");
  }
  for (int v : {0, 1}) {
    Bytes b{static_cast<uint8_t>(v)};
    Reader r(b, "obj");
    EXPECT_EQ(r.Bool("flag"), v == 1);
    EXPECT_TRUE(r.ok());
  }
}

TEST(Codec, ExpectEndRejectsTrailingBytes) {
  Bytes b{0, 0, 0, 1, 0xaa, 0xbb};
  Reader r(b, "obj");
  r.U32("n");
  r.ExpectEnd();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_EQ(r.status().message(), "obj: 2 trailing bytes after offset 4");

  Reader exact(b, "obj");
  exact.U32("n");
  exact.U8("a");
  exact.U8("b");
  exact.ExpectEnd();
  EXPECT_TRUE(exact.ok());
}

TEST(Codec, SkipIsBoundsChecked) {
  Bytes b{1, 2, 3};
  Reader r(b, "obj");
  r.Skip(2, "pad");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 1u);
  r.Skip(2, "pad");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "obj: truncated at offset 2 reading pad");
}

TEST(Codec, HexRoundTrip) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  std::string hex = ToHex(all);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(504), "fcfdfeff");
  Bytes back(256);
  ASSERT_TRUE(FromHex(hex, back.data(), back.size()));
  EXPECT_EQ(back, all);

  std::array<uint8_t, 4> a{};
  ASSERT_TRUE(FromHex("DEADbeef", &a));  // either case
  EXPECT_EQ(a, (std::array<uint8_t, 4>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(ToHex(a), "deadbeef");  // always lowercase
  EXPECT_EQ(ToHex(Bytes{}), "");
}

TEST(Codec, BadHexRejected) {
  std::array<uint8_t, 4> a{};
  EXPECT_FALSE(FromHex("deadbee", &a));    // odd / short
  EXPECT_FALSE(FromHex("deadbeef00", &a)); // long
  EXPECT_FALSE(FromHex("deadbeeg", &a));   // non-hex digit
  EXPECT_FALSE(FromHex("dead bef", &a));
  EXPECT_FALSE(FromHex("0xdeadbe", &a));
  EXPECT_FALSE(FromHex("", &a));
  uint8_t one[1];
  EXPECT_FALSE(FromHex("1", one, 1));
  EXPECT_FALSE(FromHex("-1", one, 1));
  EXPECT_TRUE(FromHex("7f", one, 1));
  EXPECT_EQ(one[0], 0x7f);
}

// The canonical JSON handed to merge resolvers is part of consensus: its
// exact bytes are pinned (docs/formats/encoding.md).
TEST(Codec, ArgsJsonIsCanonical) {
  std::vector<Value> args = {Value::Null(),
                             Value::Integer(-7),
                             Value::Integer(std::numeric_limits<int64_t>::min()),
                             Value::Real(1.5),
                             Value::Real(2.0),
                             Value::Real(-0.0),
                             Value::Real(0.1),
                             Value::Real(1e300),
                             Value::Real(std::numeric_limits<double>::infinity()),
                             Value::Real(-std::numeric_limits<double>::infinity()),
                             Value::Text("a\"b\\c\n\x01\x7f h\xc3\xa9"),
                             Value::Blob(std::string("\x00\xff", 2))};
  EXPECT_EQ(ArgsJson(args),
            "[null,-7,-9223372036854775808,1.5,2.0,-0.0,0.1,1e+300,9e999,-9e999,"
            "\"a\\\"b\\\\c\\n\\u0001\x7f h\xc3\xa9\",{\"blob\":\"00ff\"}]");
  EXPECT_EQ(ArgsJson({}), "[]");
}

}  // namespace
}  // namespace aergo
