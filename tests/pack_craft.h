// Crafting git packs by hand for the hostile-pack tests (tests/unit/
// pack_bounds_test.cpp, tests/cli/hostile_pack_test.cpp): entry headers,
// delta varints, deflated data and zlib bombs, object ids and whole packs
// (docs/formats/pack.md, gitformat-pack(5)). Header-only; needs zlib and
// OpenSSL's libcrypto, which both test binaries link.
#pragma once

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace aergo::packcraft {

// A pack entry header: type and inflated size.
inline std::string EntryHeader(unsigned type, uint64_t size) {
  std::string out;
  uint8_t c = static_cast<uint8_t>((type << 4) | (size & 0x0f));
  for (uint64_t rest = size >> 4; rest; rest >>= 7) {
    out.push_back(static_cast<char>(c | 0x80));
    c = static_cast<uint8_t>(rest & 0x7f);
  }
  out.push_back(static_cast<char>(c));
  return out;
}

// A delta's size varint (little-endian base 128).
inline std::string DeltaVarint(uint64_t v) {
  std::string out;
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    out.push_back(static_cast<char>(c | (v ? 0x80 : 0)));
  } while (v);
  return out;
}

// An ofs delta's base offset (git's "offset encoding").
inline std::string OfsVarint(uint64_t ofs) {
  std::string out(1, static_cast<char>(ofs & 0x7f));
  while (ofs >>= 7) {
    --ofs;
    out.insert(out.begin(), static_cast<char>(0x80 | (ofs & 0x7f)));
  }
  return out;
}

// `data` deflated; "" if zlib fails.
inline std::string Deflate(const std::string& data) {
  uLongf n = compressBound(static_cast<uLong>(data.size()));
  std::string out(n, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(data.data()),
                static_cast<uLong>(data.size()), Z_BEST_COMPRESSION) != Z_OK)
    return "";
  out.resize(n);
  return out;
}

// The raw SHA-1 of `data`.
inline std::string Sha1(const std::string& data) {
  unsigned char sum[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), sum, &len, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<char*>(sum), len);
}

// `zeros` zero bytes deflated, without holding them; with blob_id, also the
// raw git blob id of those bytes.
inline std::string DeflateZeros(uint64_t zeros, std::string* blob_id = nullptr) {
  z_stream z{};
  deflateInit(&z, Z_BEST_COMPRESSION);
  EVP_MD_CTX* sha = EVP_MD_CTX_new();
  EVP_DigestInit_ex(sha, EVP_sha1(), nullptr);
  std::string prefix = "blob " + std::to_string(zeros) + std::string(1, '\0');
  EVP_DigestUpdate(sha, prefix.data(), prefix.size());
  std::string in(1 << 20, '\0'), out, buf(1 << 16, '\0');
  while (true) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(zeros, in.size()));
    zeros -= take;
    EVP_DigestUpdate(sha, in.data(), take);
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(take);
    int flush = zeros == 0 ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&z, flush);
      out.append(buf.data(), buf.size() - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    if (flush == Z_FINISH) break;
  }
  deflateEnd(&z);
  unsigned char id[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(sha, id, &len);
  EVP_MD_CTX_free(sha);
  if (blob_id) *blob_id = std::string(reinterpret_cast<char*>(id), len);
  return out;
}

// The raw git id of an object of `type` ("blob", "tree", "commit").
inline std::string ObjectId(const char* type, const std::string& content) {
  return Sha1(std::string(type) + " " + std::to_string(content.size()) + std::string(1, '\0') + content);
}

// Lowercase hex of raw bytes.
inline std::string Hex(const std::string& raw) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

// "PACK", version 2, the count, the entries, then their SHA-1.
inline std::string Pack(const std::vector<std::string>& entries, uint32_t count) {
  std::string p = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>(count >> (24 - 8 * i)));
  for (const auto& e : entries) p += e;
  return p + Sha1(p);
}
inline std::string Pack(const std::vector<std::string>& entries) {
  return Pack(entries, static_cast<uint32_t>(entries.size()));
}

// One whole (undeltified) entry of `type` holding `data`.
inline std::string WholeEntry(unsigned type, const std::string& data) {
  return EntryHeader(type, data.size()) + Deflate(data);
}

}  // namespace aergo::packcraft
