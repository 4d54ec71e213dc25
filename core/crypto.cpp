#include "core/crypto.h"

#include <sodium.h>

#include <cstring>

namespace aergo {

Status CryptoInit() {
  if (sodium_init() < 0) return IoError("libsodium failed to initialise");
  return Status::Ok();
}

Hash32 Sha256(const uint8_t* p, size_t n) {
  Hash32 h;
  crypto_hash_sha256(h.data(), p, n);
  return h;
}

Hash32 Sha256(std::string_view s) {
  return Sha256(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

SecretKey::SecretKey() = default;
SecretKey::~SecretKey() { sodium_memzero(sk_.data(), sk_.size()); }
SecretKey::SecretKey(SecretKey&& o) noexcept : sk_(o.sk_), pk_(o.pk_) {
  sodium_memzero(o.sk_.data(), o.sk_.size());
}
SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
  if (this != &o) {
    sk_ = o.sk_;
    pk_ = o.pk_;
    sodium_memzero(o.sk_.data(), o.sk_.size());
  }
  return *this;
}

SecretKey SecretKey::Generate() {
  SecretKey k;
  crypto_sign_keypair(k.pk_.data(), k.sk_.data());
  return k;
}

SecretKey SecretKey::FromSeed(const uint8_t* seed32) {
  SecretKey k;
  crypto_sign_seed_keypair(k.pk_.data(), k.sk_.data(), seed32);
  return k;
}

namespace {
// domain || 0x00 || msg
Bytes DomainMessage(std::string_view domain, const uint8_t* msg, size_t n) {
  Bytes m;
  m.reserve(domain.size() + 1 + n);
  m.insert(m.end(), domain.begin(), domain.end());
  m.push_back(0);
  m.insert(m.end(), msg, msg + n);
  return m;
}
}  // namespace

Signature SecretKey::Sign(std::string_view domain, const uint8_t* msg, size_t n) const {
  Bytes m = DomainMessage(domain, msg, n);
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, m.data(), m.size(), sk_.data());
  return sig;
}

bool VerifySignature(std::string_view domain, const PublicKey& pk, const uint8_t* msg, size_t n,
                     const Signature& sig) {
  Bytes m = DomainMessage(domain, msg, n);
  return crypto_sign_verify_detached(sig.data(), m.data(), m.size(), pk.data()) == 0;
}

Hash32 MerkleRoot(const std::vector<Hash32>& leaves) {
  if (leaves.empty()) return Sha256(nullptr, 0);
  std::vector<Hash32> level;
  level.reserve(leaves.size());
  uint8_t buf[65];
  for (const auto& l : leaves) {
    buf[0] = 0x00;
    std::memcpy(buf + 1, l.data(), 32);
    level.push_back(Sha256(buf, 33));
  }
  while (level.size() > 1) {
    std::vector<Hash32> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      buf[0] = 0x01;
      std::memcpy(buf + 1, level[i].data(), 32);
      std::memcpy(buf + 33, level[i + 1].data(), 32);
      next.push_back(Sha256(buf, 65));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());
    level.swap(next);
  }
  return level[0];
}

static const char* kB58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

std::string Base58Encode(const uint8_t* p, size_t n) {
  size_t zeros = 0;
  while (zeros < n && p[zeros] == 0) ++zeros;
  std::vector<uint8_t> digits((n - zeros) * 138 / 100 + 1, 0);
  size_t len = 0;
  for (size_t i = zeros; i < n; ++i) {
    int carry = p[i];
    size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < len) && it != digits.rend(); ++it, ++j) {
      carry += 256 * (*it);
      *it = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    len = j;
  }
  auto it = digits.begin() + static_cast<long>(digits.size() - len);
  while (it != digits.end() && *it == 0) ++it;
  std::string s(zeros, '1');
  for (; it != digits.end(); ++it) s += kB58[*it];
  return s;
}

bool Base58Decode(std::string_view s, Bytes* out) {
  size_t zeros = 0;
  while (zeros < s.size() && s[zeros] == '1') ++zeros;
  std::vector<uint8_t> b256((s.size() - zeros) * 733 / 1000 + 1, 0);
  size_t len = 0;
  for (size_t i = zeros; i < s.size(); ++i) {
    const char* c = std::strchr(kB58, s[i]);
    if (c == nullptr || s[i] == 0) return false;
    int carry = static_cast<int>(c - kB58);
    size_t j = 0;
    for (auto it = b256.rbegin(); (carry != 0 || j < len) && it != b256.rend(); ++it, ++j) {
      carry += 58 * (*it);
      *it = static_cast<uint8_t>(carry % 256);
      carry /= 256;
    }
    if (carry != 0) return false;
    len = j;
  }
  auto it = b256.begin() + static_cast<long>(b256.size() - len);
  while (it != b256.end() && *it == 0) ++it;
  out->assign(zeros, 0);
  out->insert(out->end(), it, b256.end());
  return true;
}

namespace {
constexpr uint8_t kAddressVersion = 0x42;
std::array<uint8_t, 4> AddressChecksum(const uint8_t* p33) {
  Hash32 h1 = Sha256(p33, 33);
  Hash32 h2 = Sha256(h1.data(), 32);
  return {h2[0], h2[1], h2[2], h2[3]};
}
}  // namespace

std::string AddressFromKey(const PublicKey& pk) {
  uint8_t buf[37];
  buf[0] = kAddressVersion;
  std::memcpy(buf + 1, pk.data(), 32);
  auto cs = AddressChecksum(buf);
  std::memcpy(buf + 33, cs.data(), 4);
  return "A" + Base58Encode(buf, sizeof buf);
}

Result<PublicKey> KeyFromAddress(std::string_view address) {
  auto bad = [&](const char* why) {
    return Invalid("invalid address '" + std::string(address) + "': " + why);
  };
  if (address.size() < 2 || address[0] != 'A') return bad("must start with 'A'");
  Bytes raw;
  if (!Base58Decode(address.substr(1), &raw)) return bad("not base58");
  if (raw.size() != 37 || raw[0] != kAddressVersion) return bad("wrong length or version");
  auto cs = AddressChecksum(raw.data());
  if (std::memcmp(cs.data(), raw.data() + 33, 4) != 0) return bad("checksum mismatch");
  PublicKey pk;
  std::memcpy(pk.data(), raw.data() + 1, 32);
  return pk;
}

}  // namespace aergo
