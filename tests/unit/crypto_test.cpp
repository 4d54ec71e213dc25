// Unit tests for core/crypto.h: SHA-256, Ed25519 with domain separation,
// Merkle roots, base58 and addresses (docs/formats/encoding.md).
#include "core/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <random>

namespace aergo {
namespace {

// RFC 8032 section 7.1, test 1.
constexpr const char* kRfcSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kRfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

class Crypto : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(CryptoInit().ok()); }

  static SecretKey RfcKey() {
    std::array<uint8_t, 32> seed{};
    EXPECT_TRUE(FromHex(kRfcSeed, &seed));
    return SecretKey::FromSeed(seed.data());
  }
};

Hash32 Leaf(const Hash32& x) {
  Bytes b{0x00};
  b.insert(b.end(), x.begin(), x.end());
  return Sha256(b);
}

Hash32 Node(const Hash32& l, const Hash32& r) {
  Bytes b{0x01};
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), r.begin(), r.end());
  return Sha256(b);
}

Hash32 Small(uint8_t last) {
  Hash32 h{};
  h[31] = last;
  return h;
}

TEST_F(Crypto, InitIsIdempotent) {
  EXPECT_TRUE(CryptoInit().ok());
  EXPECT_TRUE(CryptoInit().ok());
}

TEST_F(Crypto, Sha256KnownVectors) {
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Bytes abc{'a', 'b', 'c'};
  EXPECT_EQ(Sha256(abc), Sha256("abc"));
  EXPECT_EQ(Sha256(abc.data(), abc.size()), Sha256("abc"));
}

TEST_F(Crypto, SeedGivesRfcPublicKey) {
  SecretKey k = RfcKey();
  EXPECT_EQ(ToHex(k.public_key()), kRfcPublic);
  EXPECT_EQ(ToHex(k.seed(), 32), kRfcSeed);
}

TEST_F(Crypto, SignVerifyWithDomainSeparation) {
  SecretKey k = RfcKey();
  Bytes msg{'h', 'e', 'l', 'l', 'o'};
  Signature tx_sig = k.Sign(kDomainTx, msg.data(), msg.size());
  EXPECT_TRUE(VerifySignature(kDomainTx, k.public_key(), msg.data(), msg.size(), tx_sig));
  // A tx-domain signature is not a block-domain signature, and vice versa.
  EXPECT_FALSE(VerifySignature(kDomainBlock, k.public_key(), msg.data(), msg.size(), tx_sig));
  Signature block_sig = k.Sign(kDomainBlock, msg.data(), msg.size());
  EXPECT_TRUE(VerifySignature(kDomainBlock, k.public_key(), msg.data(), msg.size(), block_sig));
  EXPECT_FALSE(VerifySignature(kDomainTx, k.public_key(), msg.data(), msg.size(), block_sig));
  EXPECT_NE(tx_sig, block_sig);
  // Ed25519 is deterministic.
  EXPECT_EQ(k.Sign(kDomainTx, msg.data(), msg.size()), tx_sig);
}

TEST_F(Crypto, SignatureCoversDomainSeparatorByte) {
  // The signed message is domain || 0x00 || msg, so moving a byte between
  // the domain and the message must not give the same signed bytes.
  SecretKey k = RfcKey();
  Bytes msg{'X', 'Y'};
  Signature sig = k.Sign("AB", msg.data(), msg.size());
  Bytes shifted{'Y'};
  EXPECT_FALSE(VerifySignature("ABX", k.public_key(), shifted.data(), shifted.size(), sig));
  // And the signature is plain Ed25519 over domain || 0x00 || msg, exactly.
  uint8_t raw[] = {'A', 'B', 0x00, 'X', 'Y'};
  EXPECT_EQ(crypto_sign_verify_detached(sig.data(), raw, sizeof raw, k.public_key().data()), 0);
  uint8_t no_sep[] = {'A', 'B', 'X', 'Y'};
  EXPECT_NE(crypto_sign_verify_detached(sig.data(), no_sep, sizeof no_sep, k.public_key().data()), 0);
}

TEST_F(Crypto, VerifyFailsOnAnyChange) {
  SecretKey k = RfcKey();
  SecretKey other = SecretKey::Generate();
  Bytes msg(40);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i * 7);
  Signature sig = k.Sign(kDomainTx, msg.data(), msg.size());
  ASSERT_TRUE(VerifySignature(kDomainTx, k.public_key(), msg.data(), msg.size(), sig));
  for (size_t i = 0; i < msg.size(); ++i) {
    Bytes m = msg;
    m[i] ^= 0x01;
    EXPECT_FALSE(VerifySignature(kDomainTx, k.public_key(), m.data(), m.size(), sig)) << i;
  }
  for (size_t i = 0; i < sig.size(); ++i) {
    Signature s = sig;
    s[i] ^= 0x80;
    EXPECT_FALSE(VerifySignature(kDomainTx, k.public_key(), msg.data(), msg.size(), s)) << i;
  }
  EXPECT_FALSE(VerifySignature(kDomainTx, other.public_key(), msg.data(), msg.size(), sig));
  EXPECT_FALSE(VerifySignature(kDomainTx, k.public_key(), msg.data(), msg.size() - 1, sig));
}

TEST_F(Crypto, SecretKeyMoveKeepsKey) {
  SecretKey a = RfcKey();
  PublicKey pk = a.public_key();
  SecretKey b = std::move(a);
  EXPECT_EQ(b.public_key(), pk);
  Bytes m{1};
  EXPECT_TRUE(VerifySignature(kDomainTx, pk, m.data(), 1, b.Sign(kDomainTx, m.data(), 1)));
  EXPECT_NE(SecretKey::Generate().public_key(), SecretKey::Generate().public_key());
}

TEST_F(Crypto, MerkleRootEmptyIsSha256OfEmptyString) {
  EXPECT_EQ(MerkleRoot({}), Sha256(""));
  EXPECT_EQ(ToHex(MerkleRoot({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(Crypto, MerkleRootSingleLeafIsLeafHash) {
  Hash32 x = Sha256("x");
  EXPECT_EQ(MerkleRoot({x}), Leaf(x));
  EXPECT_NE(MerkleRoot({x}), x);  // a lone leaf is still hashed
}

TEST_F(Crypto, MerkleRootTwoAndThreeLeaves) {
  Hash32 a = Small(1), b = Small(2), c = Small(3);
  EXPECT_EQ(MerkleRoot({a, b}), Node(Leaf(a), Leaf(b)));
  // Odd last node carried up unchanged: root = N(N(L(a), L(b)), L(c)).
  Hash32 expected = Node(Node(Leaf(a), Leaf(b)), Leaf(c));
  EXPECT_EQ(MerkleRoot({a, b, c}), expected);
  // Neither duplicated nor re-hashed.
  EXPECT_NE(MerkleRoot({a, b, c}), Node(Node(Leaf(a), Leaf(b)), Node(Leaf(c), Leaf(c))));
  EXPECT_NE(MerkleRoot({a, b, c}), Node(Node(Leaf(a), Leaf(b)), Leaf(Leaf(c))));
  // The documented value (encoding.md).
  EXPECT_EQ(ToHex(expected), "93e34ecb30d456c2bb3903c45dd51d053db3e66522a0a2eaf5fafa58312ed037");
  // Order matters.
  EXPECT_NE(MerkleRoot({b, a, c}), expected);
}

TEST_F(Crypto, MerkleRootFiveLeaves) {
  Hash32 l[5];
  for (int i = 0; i < 5; ++i) l[i] = Small(static_cast<uint8_t>(i + 1));
  // Level 1: N(a,b) N(c,d) L(e); level 2: N(N(a,b),N(c,d)) L(e); root.
  Hash32 expected = Node(Node(Node(Leaf(l[0]), Leaf(l[1])), Node(Leaf(l[2]), Leaf(l[3]))), Leaf(l[4]));
  EXPECT_EQ(MerkleRoot({l[0], l[1], l[2], l[3], l[4]}), expected);
}

TEST_F(Crypto, Base58LeadingZeroBytes) {
  uint8_t z3[3] = {0, 0, 0};
  EXPECT_EQ(Base58Encode(z3, 3), "111");
  uint8_t z2one[3] = {0, 0, 1};
  EXPECT_EQ(Base58Encode(z2one, 3), "112");
  uint8_t v58[2] = {0, 58};
  EXPECT_EQ(Base58Encode(v58, 2), "121");
  EXPECT_EQ(Base58Encode(nullptr, 0), "");
  Bytes out;
  ASSERT_TRUE(Base58Decode("111", &out));
  EXPECT_EQ(out, (Bytes{0, 0, 0}));
  ASSERT_TRUE(Base58Decode("112", &out));
  EXPECT_EQ(out, (Bytes{0, 0, 1}));
  ASSERT_TRUE(Base58Decode("", &out));
  EXPECT_TRUE(out.empty());
  // Known vector (Bitcoin base58): "hello world".
  std::string hw = "hello world";
  EXPECT_EQ(Base58Encode(reinterpret_cast<const uint8_t*>(hw.data()), hw.size()), "StV1DL6CwTryKyV");
}

TEST_F(Crypto, Base58RoundTripRandom) {
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 300; ++iter) {
    size_t zeros = rng() % 4;
    size_t len = zeros + rng() % 40;
    Bytes in(len, 0);
    for (size_t i = zeros; i < len; ++i) in[i] = static_cast<uint8_t>(rng());
    std::string s = Base58Encode(in.data(), in.size());
    Bytes out;
    ASSERT_TRUE(Base58Decode(s, &out)) << s;
    ASSERT_EQ(out, in) << s;
  }
}

TEST_F(Crypto, Base58RejectsBadCharacters) {
  Bytes out;
  for (const char* s : {"0", "O", "I", "l", "abc+", "ab c", "1x\xc3\xa9"}) {
    EXPECT_FALSE(Base58Decode(s, &out)) << s;
  }
  EXPECT_FALSE(Base58Decode(std::string("ab\0c", 4), &out));
}

TEST_F(Crypto, AddressKnownVectorAndRoundTrip) {
  SecretKey k = RfcKey();
  std::string addr = AddressFromKey(k.public_key());
  EXPECT_EQ(addr, "A3Evya1H5YcdBSyLVW26d4dSpRsEyRz5jDW5VraU29mUpA25J9ue");
  auto pk = KeyFromAddress(addr);
  ASSERT_TRUE(pk.ok()) << pk.status().message();
  EXPECT_EQ(*pk, k.public_key());
  for (int i = 0; i < 20; ++i) {
    SecretKey g = SecretKey::Generate();
    auto back = KeyFromAddress(AddressFromKey(g.public_key()));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, g.public_key());
  }
}

TEST_F(Crypto, AddressChecksumFailsOnChangedCharacter) {
  std::string addr = AddressFromKey(RfcKey().public_key());
  // Change the last character (the low digits: the checksum).
  std::string bad = addr;
  bad.back() = bad.back() == 'f' ? 'g' : 'f';
  auto r = KeyFromAddress(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalid);
  EXPECT_EQ(r.status().message(), "invalid address '" + bad + "': checksum mismatch");
  // Every single-character change in the body is rejected.
  const std::string alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  for (size_t i = 1; i < addr.size(); ++i) {
    std::string m = addr;
    m[i] = alphabet[(alphabet.find(m[i]) + 1) % alphabet.size()];
    EXPECT_FALSE(KeyFromAddress(m).ok()) << "position " << i << ": " << m;
  }
}

TEST_F(Crypto, AddressRejectsWrongPrefixAndShape) {
  std::string addr = AddressFromKey(RfcKey().public_key());
  auto r = KeyFromAddress("B" + addr.substr(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("must start with 'A'"), std::string::npos) << r.status().message();
  r = KeyFromAddress(addr.substr(1));  // no prefix at all
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("must start with 'A'"), std::string::npos);
  r = KeyFromAddress("A");
  EXPECT_FALSE(r.ok());
  r = KeyFromAddress("");
  EXPECT_FALSE(r.ok());
  r = KeyFromAddress("A0OIl");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not base58"), std::string::npos);
  r = KeyFromAddress(addr + "1");  // one more digit: wrong length
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("wrong length or version"), std::string::npos)
      << r.status().message();
  // A valid base58 payload of 37 bytes with another version byte.
  uint8_t raw[37] = {0x43};
  std::string other = "A" + Base58Encode(raw, sizeof raw);
  r = KeyFromAddress(other);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("wrong length or version"), std::string::npos);
}

}  // namespace
}  // namespace aergo
