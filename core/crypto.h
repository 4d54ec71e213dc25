// Hashing, signatures and addresses (libsodium). docs/formats/encoding.md.
//
// Every signature is Ed25519 over a domain-separation tag followed by the
// signed bytes, so a signature for one object kind never verifies as another.
// Thread-safety: all functions are reentrant; call CryptoInit() once first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"

namespace aergo {

// Initialises libsodium. Safe to call more than once; fails only if the
// library cannot initialise.
Status CryptoInit();

Hash32 Sha256(const uint8_t* p, size_t n);
inline Hash32 Sha256(const Bytes& b) { return Sha256(b.data(), b.size()); }
Hash32 Sha256(std::string_view s);

// Domain-separation tags (NUL-terminated ASCII, the NUL included in signing).
inline constexpr std::string_view kDomainTx = "AERGO-TX-V1";
inline constexpr std::string_view kDomainBlock = "AERGO-BLOCK-V1";

// Owns an Ed25519 secret key and wipes it on destruction.
class SecretKey {
 public:
  SecretKey();
  ~SecretKey();
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;

  static SecretKey Generate();
  // From the 32-byte seed (the stored form of a key).
  static SecretKey FromSeed(const uint8_t* seed32);

  const PublicKey& public_key() const { return pk_; }
  const uint8_t* seed() const { return sk_.data(); }  // first 32 bytes of the libsodium key
  Signature Sign(std::string_view domain, const uint8_t* msg, size_t n) const;

 private:
  std::array<uint8_t, 64> sk_{};
  PublicKey pk_{};
};

bool VerifySignature(std::string_view domain, const PublicKey& pk, const uint8_t* msg, size_t n,
                     const Signature& sig);

// Merkle root over 32-byte leaves: leaf = H(0x00 || x), node = H(0x01 || l || r),
// an odd last node is carried up unchanged; the root of no leaves is H("").
Hash32 MerkleRoot(const std::vector<Hash32>& leaves);

// Account address: "A" + base58(0x42 || pk || first 4 bytes of
// SHA-256(SHA-256(0x42 || pk))).
std::string AddressFromKey(const PublicKey& pk);
Result<PublicKey> KeyFromAddress(std::string_view address);

std::string Base58Encode(const uint8_t* p, size_t n);
bool Base58Decode(std::string_view s, Bytes* out);

}  // namespace aergo
