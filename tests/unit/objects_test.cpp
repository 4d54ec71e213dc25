// Unit tests for core/objects.h: canonical encodings of Tx, Receipt,
// BlockHeader and Block, their decoders' rejections, canonicality under
// random mutation, structural checks and signatures (docs/formats/objects.md).
#include "core/objects.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "tests/unit/test_util.h"

namespace aergo {
namespace {

// RFC 8032 section 7.1, test 1.
constexpr const char* kRfcSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
// Signature of the objects.md worked example tx (computed once; Ed25519 is
// deterministic). If it changes, docs/formats/objects.md must change too.
constexpr const char* kExampleSignature =
    "b18de95f8df33488bd2eb2addb053145706fc19d176c5a78dce444f1ce68a7da"
    "8ce0f7928383cd82157add8ccbc7bff384fc4115398465cfff09b7166c8b110f";

SecretKey RfcKey() {
  std::array<uint8_t, 32> seed{};
  EXPECT_TRUE(FromHex(kRfcSeed, &seed));
  return SecretKey::FromSeed(seed.data());
}

using testutil::SeedKey;

Hash32 Filled(uint8_t v) {
  Hash32 h;
  h.fill(v);
  return h;
}

std::string Repeat(const std::string& hex_byte, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += hex_byte;
  return s;
}

class Objects : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(CryptoInit().ok()); }

  // The worked example of objects.md: bank.mint('x', 42).
  static Tx ExampleTx() {
    Tx tx;
    tx.kind = TxKind::kCall;
    tx.chain_id = Filled(0x11);
    tx.sender = RfcKey().public_key();
    tx.time_ms = 1700000000000ull;
    tx.salt.fill(0x22);
    tx.contract = "bank";
    tx.function = "mint";
    tx.args = {Value::Text("x"), Value::Integer(42)};
    tx.Sign(RfcKey());
    return tx;
  }

  static Tx CallTx(const SecretKey& key, const Hash32& chain, uint8_t salt,
                   std::vector<Value> args = {}) {
    Tx tx;
    tx.kind = TxKind::kCall;
    tx.chain_id = chain;
    tx.sender = key.public_key();
    tx.time_ms = 1700000000000ull + salt;
    tx.salt.fill(salt);
    tx.contract = "token";
    tx.function = "transfer";
    tx.args = std::move(args);
    tx.Sign(key);
    return tx;
  }

  // A merge block with a deploy, a call with every value type and a plain
  // call; receipts applied, excluded (with error) and resolved.
  static Block SampleBlock() {
    SecretKey key = SeedKey(0x05);
    Hash32 chain = Filled(0x33);
    Block b;
    Tx deploy;
    deploy.kind = TxKind::kDeploy;
    deploy.chain_id = chain;
    deploy.sender = key.public_key();
    deploy.time_ms = 1700000000001ull;
    deploy.salt.fill(0x44);
    deploy.contract = "token";
    deploy.payload = "CREATE TABLE t (a INTEGER PRIMARY KEY);";
    deploy.Sign(key);
    b.txs.push_back(deploy);
    b.txs.push_back(CallTx(key, chain, 0x55,
                           {Value::Null(), Value::Integer(-7), Value::Real(-0.0),
                            Value::Real(1.5), Value::Real(std::numeric_limits<double>::infinity()),
                            Value::Text("h\xc3\xa9"), Value::Blob(std::string("\x00\xff", 2))}));
    b.txs.push_back(CallTx(key, chain, 0x66, {Value::Text("Abc"), Value::Integer(5)}));
    b.receipts.push_back(Receipt{b.txs[0].Id(), ReceiptStatus::kApplied, "", ""});
    b.receipts.push_back(Receipt{b.txs[1].Id(), ReceiptStatus::kExcluded, "insufficient funds", ""});
    b.receipts.push_back(Receipt{b.txs[2].Id(), ReceiptStatus::kResolved, "resolved by r.f", "r.f"});
    auto& h = b.header;
    h.chain_id = chain;
    h.height = 7;
    h.parents = {Filled(0x01), Filled(0x02)};
    h.time_ms = 1700000005000ull;
    h.producer = key.public_key();
    h.tx_count = 3;
    h.tx_root = b.ComputeTxRoot();
    h.receipt_root = b.ComputeReceiptRoot();
    h.state_root = Filled(0x77);
    h.message = "merge dev into master";
    h.resolver = "r.f";
    h.Sign(key);
    return b;
  }

  static BlockHeader GenesisHeader() {
    BlockHeader h;
    h.height = 0;
    h.time_ms = 1700000000000ull;
    h.producer = RfcKey().public_key();
    h.tx_root = Filled(0xa1);
    h.receipt_root = Filled(0xa2);
    h.state_root = Filled(0xa3);
    h.tx_count = 1;
    h.message = "genesis";
    h.Sign(RfcKey());
    return h;
  }

  static std::string DecodeTxError(const Tx& tx) {
    auto r = Tx::Decode(tx.Encode());
    if (r.ok()) return "(decoded)";
    EXPECT_EQ(r.status().code(), Code::kInvalid);
    return r.status().message();
  }

  static std::string DecodeHeaderError(const BlockHeader& h) {
    auto r = BlockHeader::Decode(h.Encode());
    if (r.ok()) return "(decoded)";
    EXPECT_EQ(r.status().code(), Code::kInvalid);
    return r.status().message();
  }
};

// ---- known vectors ----

TEST_F(Objects, TxKnownVector) {
  // If this vector changes, the encoding changed: docs/formats/objects.md
  // (worked example) must be updated with it.
  Tx tx = ExampleTx();
  Bytes unsigned_bytes = tx.EncodeUnsigned();
  const std::string expected_unsigned =
      "01" "02" + Repeat("11", 32) +
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
      "0000018bcfe56800" + Repeat("22", 16) +
      "00000004" "62616e6b"
      "00000004" "6d696e74"
      "00000002"
      "03" "00000001" "78"
      "01" "000000000000002a"
      "00000000";
  EXPECT_EQ(unsigned_bytes.size(), 129u);
  EXPECT_EQ(ToHex(unsigned_bytes), expected_unsigned);
  EXPECT_EQ(ToHex(tx.Id()), "bbd51da06c183ec5d6ea8115ab4ff8815a4b44cc40336fab84f1923a692dc02c");
  Bytes full = tx.Encode();
  ASSERT_EQ(full.size(), 193u);
  EXPECT_EQ(ToHex(full).substr(0, expected_unsigned.size()), expected_unsigned);
  // Ed25519 is deterministic, so the signature is a vector too.
  EXPECT_EQ(ToHex(tx.signature), kExampleSignature);
  EXPECT_TRUE(tx.VerifySignature());
}

TEST_F(Objects, ReceiptKnownVector) {
  // docs/formats/objects.md example: txid 0x00..01, applied, no error.
  Receipt rc{Filled(0), ReceiptStatus::kApplied, "", ""};
  rc.txid[31] = 1;
  EXPECT_EQ(ToHex(rc.Encode()), Repeat("00", 31) + "01" "00" "00000000");
  EXPECT_EQ(rc.Encode().size(), 37u);
  Receipt ex{Filled(0xaa), ReceiptStatus::kExcluded, "no", ""};
  EXPECT_EQ(ToHex(ex.Encode()), Repeat("aa", 32) + "01" "00000002" "6e6f");
  // Only a resolved receipt carries the resolver, after the error.
  Receipt res{Filled(0xbb), ReceiptStatus::kResolved, "no", "r.f"};
  EXPECT_EQ(ToHex(res.Encode()), Repeat("bb", 32) + "02" "00000002" "6e6f" "00000003" "722e66");
  ex.resolver = "r.f";
  EXPECT_EQ(ToHex(ex.Encode()), Repeat("aa", 32) + "01" "00000002" "6e6f");
  EXPECT_EQ(rc.Hash(), Sha256(rc.Encode()));
}

TEST_F(Objects, HeaderLayoutOffsets) {
  BlockHeader g = GenesisHeader();
  Bytes u = g.EncodeUnsigned();
  // 182 fixed bytes with no parents, then the message text.
  ASSERT_EQ(u.size(), 182u + 4 + 7);
  EXPECT_EQ(u[0], 1);
  EXPECT_EQ(u[41], 0);  // parent count
  EXPECT_EQ(ToHex(u.data() + 82, 32), Repeat("a1", 32));
  EXPECT_EQ(ToHex(u.data() + 146, 32), Repeat("a3", 32));
  EXPECT_EQ(ToHex(u.data() + 178, 4), "00000001");
  EXPECT_EQ(g.Encode().size(), u.size() + 64);
  EXPECT_EQ(g.Id(), Sha256(u));
}

// ---- round trips ----

TEST_F(Objects, TxRoundTrip) {
  Block b = SampleBlock();
  for (const Tx& tx : b.txs) {
    Bytes enc = tx.Encode();
    auto back = Tx::Decode(enc);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->Encode(), enc);
    EXPECT_EQ(back->Id(), tx.Id());
    EXPECT_EQ(back->kind, tx.kind);
    EXPECT_EQ(back->args, tx.args);
    EXPECT_EQ(back->payload, tx.payload);
    EXPECT_EQ(back->signature, tx.signature);
    EXPECT_TRUE(back->VerifySignature());
  }
  // -0.0 stays -0.0 (bitwise equality).
  auto back = Tx::Decode(b.txs[1].Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::signbit(back->args[2].real));
}

TEST_F(Objects, IdExcludesSignature) {
  Tx tx = ExampleTx();
  Hash32 id = tx.Id();
  tx.signature[0] ^= 1;
  EXPECT_EQ(tx.Id(), id);
  EXPECT_FALSE(tx.VerifySignature());
  tx.salt[0] ^= 1;
  EXPECT_NE(tx.Id(), id);
}

// Only merge headers carry the resolver: text after the message, empty for
// an automatic merge; a header with fewer parents ignores the field.
TEST_F(Objects, MergeHeaderCarriesTheResolver) {
  BlockHeader h = SampleBlock().header;
  Bytes with = h.EncodeUnsigned();
  std::string tail = ToHex(with.data() + with.size() - 7, 7);
  EXPECT_EQ(tail, "00000003" "722e66");  // "r.f"
  h.resolver.clear();
  Bytes without = h.EncodeUnsigned();
  EXPECT_EQ(without.size(), with.size() - 3);
  EXPECT_EQ(ToHex(without.data() + without.size() - 4, 4), "00000000");
  BlockHeader single = h;
  single.parents.pop_back();
  single.resolver = "r.f";
  EXPECT_EQ(single.EncodeUnsigned().size(), without.size() - 32 - 4);
  for (const char* bad : {"Bad.f", "r", "r.", ".f", "aergo.f", "r.f.g", "r.F"}) {
    BlockHeader b = SampleBlock().header;
    b.resolver = bad;
    EXPECT_EQ(DecodeHeaderError(b), "block header: invalid resolver name") << bad;
  }
}

TEST_F(Objects, HeaderRoundTrip) {
  for (const BlockHeader& h : {SampleBlock().header, GenesisHeader()}) {
    Bytes enc = h.Encode();
    auto back = BlockHeader::Decode(enc);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->Encode(), enc);
    EXPECT_EQ(back->Id(), h.Id());
    EXPECT_EQ(back->parents, h.parents);
    EXPECT_EQ(back->message, h.message);
    EXPECT_EQ(back->resolver, h.resolver);
    EXPECT_TRUE(back->VerifySignature());
  }
}

TEST_F(Objects, ReceiptRoundTrip) {
  for (const Receipt& rc : SampleBlock().receipts) {
    Bytes enc = rc.Encode();
    Reader r(enc, "receipt");
    auto back = Receipt::Decode(&r);
    r.ExpectEnd();
    ASSERT_TRUE(back.ok()) << back.status().message();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(back->Encode(), enc);
    EXPECT_EQ(back->Hash(), rc.Hash());
    EXPECT_EQ(back->status, rc.status);
    EXPECT_EQ(back->error, rc.error);
    EXPECT_EQ(back->resolver, rc.resolver);
  }
}

TEST_F(Objects, BlockRoundTrip) {
  Block b = SampleBlock();
  ASSERT_TRUE(b.CheckStructure().ok()) << b.CheckStructure().message();
  Bytes h = b.header.Encode(), t = b.EncodeTxs(), r = b.EncodeReceipts();
  auto back = Block::Decode(h, t, r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Id(), b.Id());
  EXPECT_EQ(back->header.Encode(), h);
  EXPECT_EQ(back->EncodeTxs(), t);
  EXPECT_EQ(back->EncodeReceipts(), r);
  ASSERT_EQ(back->txs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(back->txs[i].Id(), b.txs[i].Id());
  EXPECT_TRUE(back->CheckStructure().ok());
  // Ids are stable across encode/decode cycles.
  auto again = Block::Decode(back->header.Encode(), back->EncodeTxs(), back->EncodeReceipts());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Id(), b.Id());
}

TEST_F(Objects, EmptyBlockRoundTrip) {
  Block b;
  b.header.chain_id = Filled(0x33);
  b.header.height = 1;
  b.header.parents = {Filled(0x01)};
  b.header.tx_root = b.ComputeTxRoot();
  b.header.receipt_root = b.ComputeReceiptRoot();
  EXPECT_EQ(b.header.tx_root, Sha256(""));
  auto back = Block::Decode(b.header.Encode(), b.EncodeTxs(), b.EncodeReceipts());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->txs.empty());
  EXPECT_TRUE(back->CheckStructure().ok());
}

// ---- tx decoder rejections ----

TEST_F(Objects, TxRejectsTrailingBytes) {
  Bytes enc = ExampleTx().Encode();
  enc.push_back(0);
  auto r = Tx::Decode(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "transaction: 1 trailing bytes after offset 193");
}

TEST_F(Objects, TxRejectsTruncationAtEveryOffset) {
  Bytes enc = SampleBlock().txs[1].Encode();
  for (size_t n = 0; n < enc.size(); ++n) {
    Bytes prefix(enc.begin(), enc.begin() + static_cast<long>(n));
    auto r = Tx::Decode(prefix);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().message().rfind("transaction: truncated at offset ", 0), 0u)
        << n << ": " << r.status().message();
  }
}

TEST_F(Objects, TxRejectsWrongVersion) {
  for (uint8_t v : {0, 2, 255}) {
    Bytes enc = ExampleTx().Encode();
    enc[0] = v;
    auto r = Tx::Decode(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "transaction: unsupported version " + std::to_string(v));
  }
}

TEST_F(Objects, TxRejectsUnknownKind) {
  Bytes enc = ExampleTx().Encode();
  enc[1] = 4;
  auto r = Tx::Decode(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "transaction: unknown kind 4");
}

TEST_F(Objects, TxArgumentLimit) {
  Tx tx = ExampleTx();
  tx.args.assign(kMaxArgs, Value::Integer(1));
  EXPECT_EQ(DecodeTxError(tx), "(decoded)");
  tx.args.assign(kMaxArgs + 1, Value::Integer(1));
  EXPECT_EQ(DecodeTxError(tx), "transaction: too many arguments: 65");
  // A huge count with nothing behind it is refused by the limit, not read.
  Bytes enc = ExampleTx().EncodeUnsigned();
  size_t count_at = 90 + 8 + 8;  // after contract "bank" and function "mint"
  ASSERT_EQ(ToHex(enc.data() + count_at, 4), "00000002");
  enc[count_at] = 0xff;
  auto r = Tx::Decode(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "transaction: too many arguments: 4278190082");
}

TEST_F(Objects, TxRejectsBadShapes) {
  Tx tx = ExampleTx();
  tx.kind = TxKind::kDeploy;
  tx.function = "";
  tx.args.clear();
  tx.payload = "CREATE TABLE t (a INTEGER);";
  EXPECT_EQ(DecodeTxError(tx), "(decoded)");

  Tx deploy_fn = tx;
  deploy_fn.function = "f";
  EXPECT_EQ(DecodeTxError(deploy_fn),
            "transaction: deploy tx must name a contract and carry no function or arguments");
  Tx deploy_args = tx;
  deploy_args.args = {Value::Integer(1)};
  EXPECT_NE(DecodeTxError(deploy_args).find("deploy tx must"), std::string::npos);
  Tx deploy_noname = tx;
  deploy_noname.contract = "";
  EXPECT_NE(DecodeTxError(deploy_noname).find("deploy tx must"), std::string::npos);

  Tx call_payload = ExampleTx();
  call_payload.payload = "x";
  EXPECT_EQ(DecodeTxError(call_payload),
            "transaction: call tx must name a contract and a function and carry no payload");
  Tx call_nofn = ExampleTx();
  call_nofn.function = "";
  EXPECT_NE(DecodeTxError(call_nofn).find("call tx must"), std::string::npos);

  Tx call_zero = ExampleTx();
  call_zero.chain_id = Hash32{};
  EXPECT_EQ(DecodeTxError(call_zero), "transaction: tx has a zero chain id");
  Tx deploy_zero = tx;
  deploy_zero.chain_id = Hash32{};
  EXPECT_EQ(DecodeTxError(deploy_zero), "transaction: tx has a zero chain id");

  Tx genesis = ExampleTx();
  genesis.kind = TxKind::kGenesis;
  EXPECT_EQ(DecodeTxError(genesis), "transaction: genesis tx must have a zero chain id");
  genesis.chain_id = Hash32{};
  EXPECT_EQ(DecodeTxError(genesis), "(decoded)");
}

TEST_F(Objects, TxRejectsNaNAndBadValues) {
  Tx tx = ExampleTx();
  tx.args = {Value::Real(std::nan(""))};
  EXPECT_EQ(DecodeTxError(tx), "transaction: NaN in argument");
  tx.args = {Value::Real(-std::numeric_limits<double>::quiet_NaN())};
  EXPECT_EQ(DecodeTxError(tx), "transaction: NaN in argument");
  // An unknown value tag.
  Bytes enc = ExampleTx().Encode();
  size_t tag_at = 90 + 8 + 8 + 4;
  ASSERT_EQ(enc[tag_at], 3);
  enc[tag_at] = 5;
  auto r = Tx::Decode(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "transaction: unknown value tag 5 in argument");
}

TEST_F(Objects, TxRejectsOversizeAndInvalidText) {
  Tx tx = ExampleTx();
  tx.contract = std::string(kMaxNameBytes, 'a');
  EXPECT_EQ(DecodeTxError(tx), "(decoded)");
  tx.contract = std::string(kMaxNameBytes + 1, 'a');
  EXPECT_EQ(DecodeTxError(tx), "transaction: contract is 65 bytes, limit 64");
  tx = ExampleTx();
  tx.function = "m\xc0\x80";  // overlong NUL
  EXPECT_EQ(DecodeTxError(tx), "transaction: function is not valid UTF-8");
  tx = ExampleTx();
  tx.args = {Value::Text("\xed\xa0\x80")};
  EXPECT_EQ(DecodeTxError(tx), "transaction: argument is not valid UTF-8");
}

// ---- header decoder rejections ----

TEST_F(Objects, HeaderRejections) {
  BlockHeader h = SampleBlock().header;
  {
    Bytes enc = h.Encode();
    enc.push_back(0);
    auto r = BlockHeader::Decode(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("1 trailing bytes"), std::string::npos);
  }
  {
    Bytes enc = h.Encode();
    enc[0] = 2;
    auto r = BlockHeader::Decode(enc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "block header: unsupported version 2");
  }
  BlockHeader three = h;
  three.parents.push_back(Filled(0x03));
  EXPECT_EQ(DecodeHeaderError(three), "block header: too many parents: 3");

  BlockHeader dup = h;
  dup.parents = {Filled(0x01), Filled(0x01)};
  EXPECT_EQ(DecodeHeaderError(dup), "block header: duplicate parents");

  BlockHeader height0 = h;
  height0.height = 0;
  EXPECT_EQ(DecodeHeaderError(height0),
            "block header: a block with parents must have a height above 0 and a chain id");

  BlockHeader zero_chain = h;
  zero_chain.chain_id = Hash32{};
  EXPECT_EQ(DecodeHeaderError(zero_chain),
            "block header: a block with parents must have a height above 0 and a chain id");

  // A genesis-shaped header (height 0, zero chain id) with a parent.
  BlockHeader genesis_with_parent = GenesisHeader();
  genesis_with_parent.parents = {Filled(0x01)};
  EXPECT_EQ(DecodeHeaderError(genesis_with_parent),
            "block header: a block with parents must have a height above 0 and a chain id");

  BlockHeader orphan = h;
  orphan.parents.clear();
  EXPECT_EQ(DecodeHeaderError(orphan),
            "block header: a block without parents must be genesis: height 0 and zero chain id");
  BlockHeader genesis_chain = GenesisHeader();
  genesis_chain.chain_id = Filled(0x33);
  EXPECT_NE(DecodeHeaderError(genesis_chain).find("must be genesis"), std::string::npos);
  BlockHeader genesis_height = GenesisHeader();
  genesis_height.height = 1;
  EXPECT_NE(DecodeHeaderError(genesis_height).find("must be genesis"), std::string::npos);

  BlockHeader many = h;
  many.tx_count = kMaxBlockTxs + 1;
  EXPECT_EQ(DecodeHeaderError(many), "block header: too many txs: 2000001");
  many.tx_count = kMaxBlockTxs;
  EXPECT_EQ(DecodeHeaderError(many), "(decoded)");

  BlockHeader long_msg = h;
  long_msg.message = std::string(kMaxMessageBytes + 1, 'm');
  EXPECT_EQ(DecodeHeaderError(long_msg), "block header: message is 4097 bytes, limit 4096");
}

// ---- block decoder rejections ----

TEST_F(Objects, BlockDecodeRejections) {
  Block b = SampleBlock();
  Bytes h = b.header.Encode(), t = b.EncodeTxs(), r = b.EncodeReceipts();

  {  // tx count disagrees with the header
    Block fewer = b;
    fewer.txs.pop_back();
    auto d = Block::Decode(h, fewer.EncodeTxs(), r);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "block txs: holds 2 txs, header says 3");
  }
  {  // receipt count disagrees with the txs
    Block fewer = b;
    fewer.receipts.pop_back();
    auto d = Block::Decode(h, t, fewer.EncodeReceipts());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "block receipts: holds 2 receipts for 3 txs");
  }
  {  // a tx length running past the end
    Bytes bad = t;
    bad[4] = 0x7f;
    auto d = Block::Decode(h, bad, r);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("runs past the end"), std::string::npos) << d.status().message();
  }
  {  // a tx that fails to decode is named
    Block bad = b;
    bad.txs[1].args = {Value::Real(std::nan(""))};
    auto d = Block::Decode(h, bad.EncodeTxs(), r);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "block txs: tx 1: transaction: NaN in argument");
  }
  {  // trailing bytes in each blob
    Bytes th = h, tt = t, tr = r;
    th.push_back(0);
    tt.push_back(0);
    tr.push_back(0);
    EXPECT_FALSE(Block::Decode(th, t, r).ok());
    auto d = Block::Decode(h, tt, r);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("block txs: 1 trailing bytes"), std::string::npos);
    d = Block::Decode(h, t, tr);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("block receipts: 1 trailing bytes"), std::string::npos);
  }
  {  // receipts: unknown status, applied with an error
    Block bad = b;
    bad.receipts[0].status = static_cast<ReceiptStatus>(3);
    auto d = Block::Decode(h, t, bad.EncodeReceipts());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "block receipts: unknown receipt status 3");
    bad = b;
    bad.receipts[0].error = "oops";
    d = Block::Decode(h, t, bad.EncodeReceipts());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "block receipts: applied receipt carries an error");
    bad = b;  // a resolved receipt names its resolver
    bad.receipts[2].resolver = "R.f";
    d = Block::Decode(h, t, bad.EncodeReceipts());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), "block receipts: invalid receipt resolver name");
  }
}

// ---- canonicality under mutation ----

// Applies one random mutation: flip, overwrite, truncate, insert or delete.
void Mutate(std::mt19937* rng, Bytes* b) {
  int op = static_cast<int>((*rng)() % 5);
  if (b->empty()) op = 3;
  size_t at = b->empty() ? 0 : (*rng)() % b->size();
  switch (op) {
    case 0: (*b)[at] ^= static_cast<uint8_t>(1u << ((*rng)() % 8)); break;
    case 1: (*b)[at] = static_cast<uint8_t>((*rng)()); break;
    case 2: b->resize(at); break;
    case 3: b->insert(b->begin() + static_cast<long>(at), static_cast<uint8_t>((*rng)())); break;
    case 4: b->erase(b->begin() + static_cast<long>(at)); break;
  }
}

TEST_F(Objects, RandomMutationsOfBlockNeverCrashAndStayCanonical) {
  Block b = SampleBlock();
  const Bytes blobs[3] = {b.header.Encode(), b.EncodeTxs(), b.EncodeReceipts()};
  std::mt19937 rng(20240501);
  int decoded = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    Bytes m[3] = {blobs[0], blobs[1], blobs[2]};
    size_t which = rng() % 3;
    int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) Mutate(&rng, &m[which]);
    auto d = Block::Decode(m[0], m[1], m[2]);
    if (!d.ok()) {
      ++rejected;
      EXPECT_EQ(d.status().code(), Code::kInvalid) << d.status().message();
      EXPECT_FALSE(d.status().message().empty());
      continue;
    }
    ++decoded;
    // Canonical: whatever decodes re-encodes to exactly the input bytes.
    ASSERT_EQ(d->header.Encode(), m[0]) << "iteration " << iter;
    ASSERT_EQ(d->EncodeTxs(), m[1]) << "iteration " << iter;
    ASSERT_EQ(d->EncodeReceipts(), m[2]) << "iteration " << iter;
    (void)d->CheckStructure();  // must not crash either
  }
  // The corpus exercises both outcomes.
  EXPECT_GT(decoded, 50);
  EXPECT_GT(rejected, 1000);
}

TEST_F(Objects, RandomMutationsOfTxNeverCrashAndStayCanonical) {
  Bytes enc = SampleBlock().txs[1].Encode();
  std::mt19937 rng(777);
  int decoded = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    Bytes m = enc;
    Mutate(&rng, &m);
    auto d = Tx::Decode(m);
    if (!d.ok()) continue;
    ++decoded;
    ASSERT_EQ(d->Encode(), m) << "iteration " << iter;
  }
  EXPECT_GT(decoded, 50);
}

TEST_F(Objects, HostileTxCountNeedsNoHugeAllocation) {
  // A header may claim up to 2,000,000 txs; a txs blob of 4 bytes that
  // agrees must be rejected as truncated without first reserving memory for
  // 2,000,000 transactions. Run in a child with a bounded address space so
  // an eager allocation shows up as a failure instead of a silent 500+ MB.
  Block b = SampleBlock();
  b.header.tx_count = kMaxBlockTxs;
  Bytes header = b.header.Encode();
  Writer tw;
  tw.U32(kMaxBlockTxs);
  Bytes txs = tw.Take();
  Writer rw;
  rw.U32(0);
  Bytes receipts = rw.Take();
  pid_t pid = fork();
  if (pid == 0) {
    long pages = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(f, "%ld", &pages) != 1) pages = 0;
      std::fclose(f);
    }
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max =
        static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (64u << 20);
    if (pages == 0 || setrlimit(RLIMIT_AS, &lim) != 0) _exit(3);
    try {
      auto d = Block::Decode(header, txs, receipts);
      _exit(d.ok() ? 2 : 0);
    } catch (const std::bad_alloc&) {
      _exit(4);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "(2: decoded, 3: setup failed, 4: std::bad_alloc while decoding a 4-byte txs blob)";
  // In-process, the verdict itself:
  auto d = Block::Decode(header, txs, receipts);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("truncated"), std::string::npos) << d.status().message();
}

// ---- structure ----

TEST_F(Objects, CheckStructureCatchesRootMismatches) {
  Block b = SampleBlock();
  ASSERT_TRUE(b.CheckStructure().ok());

  Block bad_tx_root = b;
  bad_tx_root.header.tx_root[0] ^= 1;
  Status st = bad_tx_root.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kCorrupt);
  EXPECT_NE(st.message().find("tx root mismatch"), std::string::npos) << st.message();

  Block changed_tx = b;  // a tx changed behind the header's back
  changed_tx.txs[2].args[1] = Value::Integer(6);
  st = changed_tx.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("tx root mismatch"), std::string::npos);

  Block bad_receipt_root = b;
  bad_receipt_root.receipts[1].error = "another reason";
  st = bad_receipt_root.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("receipt root mismatch"), std::string::npos) << st.message();

  Block not_merge = b;  // excluded and resolved txs come only from merges
  not_merge.header.parents.pop_back();
  st = not_merge.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("is excluded outside a merge block"), std::string::npos) << st.message();
}

TEST_F(Objects, CheckStructureCatchesReceiptForWrongTx) {
  Block b = SampleBlock();
  std::swap(b.receipts[0].txid, b.receipts[1].txid);
  b.header.receipt_root = b.ComputeReceiptRoot();  // roots consistent
  Status st = b.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kCorrupt);
  EXPECT_NE(st.message().find("receipt 0 is for another tx"), std::string::npos) << st.message();
}

TEST_F(Objects, CheckStructureCatchesCountsChainAndGenesisTxs) {
  Block b = SampleBlock();
  Block count = b;
  count.header.tx_count = 2;
  EXPECT_NE(count.CheckStructure().message().find("count does not match"), std::string::npos);

  Block other_chain = b;
  other_chain.header.chain_id = Filled(0x34);
  Status st = other_chain.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("belongs to another chain"), std::string::npos) << st.message();

  Block genesis_tx = b;
  genesis_tx.txs[0].kind = TxKind::kGenesis;
  genesis_tx.receipts[0].txid = genesis_tx.txs[0].Id();
  genesis_tx.header.tx_root = genesis_tx.ComputeTxRoot();
  genesis_tx.header.receipt_root = genesis_tx.ComputeReceiptRoot();
  st = genesis_tx.CheckStructure();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("genesis txs appear only in the genesis block"), std::string::npos)
      << st.message();
}

// ---- signatures ----

// Flips each byte of obj's unsigned encoding in turn: `sig` by `signer` must
// not verify over the flipped bytes, nor may a decoded copy of the full
// encoding with that byte flipped. Returns how many of those copies decoded.
template <typename T>
int ExpectEachUnsignedByteBreaksSignature(const T& obj, std::string_view domain, const PublicKey& signer,
                                          const Signature& sig) {
  Bytes u = obj.EncodeUnsigned();
  Bytes full = obj.Encode();
  int decoded = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    Bytes m = u;
    m[i] ^= 0x01;
    EXPECT_FALSE(VerifySignature(domain, signer, m.data(), m.size(), sig)) << i;
    Bytes mf = full;
    mf[i] ^= 0x01;
    auto d = T::Decode(mf);
    if (d.ok()) {
      ++decoded;
      EXPECT_FALSE(d->VerifySignature()) << "byte " << i;
    }
  }
  return decoded;
}

TEST_F(Objects, TxSignatureFailsAfterAnyByteChange) {
  Tx tx = SampleBlock().txs[1];
  ASSERT_TRUE(tx.VerifySignature());
  EXPECT_GT(ExpectEachUnsignedByteBreaksSignature(tx, kDomainTx, tx.sender, tx.signature), 100);
  Bytes u = tx.EncodeUnsigned();
  Bytes full = tx.Encode();
  for (size_t i = u.size(); i < full.size(); ++i) {  // the signature itself
    Bytes mf = full;
    mf[i] ^= 0x01;
    auto d = Tx::Decode(mf);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(d->VerifySignature()) << "signature byte " << i - u.size();
  }
}

TEST_F(Objects, HeaderSignatureFailsAfterAnyByteChange) {
  BlockHeader h = SampleBlock().header;
  ASSERT_TRUE(h.VerifySignature());
  EXPECT_GT(ExpectEachUnsignedByteBreaksSignature(h, kDomainBlock, h.producer, h.signature), 100);
}

TEST_F(Objects, TxSignatureIsNotABlockSignature) {
  // Signing a header's unsigned bytes in the tx domain must not verify.
  SecretKey key = SeedKey(0x05);
  BlockHeader h = SampleBlock().header;
  Bytes u = h.EncodeUnsigned();
  h.signature = key.Sign(kDomainTx, u.data(), u.size());
  EXPECT_FALSE(h.VerifySignature());
  h.Sign(key);
  EXPECT_TRUE(h.VerifySignature());
}

TEST_F(Objects, Names) {
  EXPECT_STREQ(TxKindName(TxKind::kGenesis), "genesis");
  EXPECT_STREQ(TxKindName(TxKind::kDeploy), "deploy");
  EXPECT_STREQ(TxKindName(TxKind::kCall), "call");
  EXPECT_STREQ(ReceiptStatusName(ReceiptStatus::kExcluded), "excluded");
  EXPECT_EQ(ShortId(Filled(0xab)), "abababababab");
}

}  // namespace
}  // namespace aergo
