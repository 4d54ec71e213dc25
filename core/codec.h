// Canonical binary encoding primitives (docs/formats/encoding.md).
//
// Integers are fixed-width big-endian; byte strings and text carry a u32
// big-endian length and have a per-field maximum; booleans are one byte 0/1.
// There is exactly one encoding of every value, so decoders reject anything
// else: short input, oversize lengths, invalid UTF-8 in text, non-0/1
// booleans, and (at the object level) trailing bytes.
// Thread-safety: Writer and Reader are single-threaded value types.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace aergo {

using Bytes = std::vector<uint8_t>;
using Hash32 = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  template <size_t N>
  void Fixed(const std::array<uint8_t, N>& a) { out_.insert(out_.end(), a.begin(), a.end()); }
  void Raw(const uint8_t* p, size_t n) { out_.insert(out_.end(), p, p + n); }
  void Raw(const Bytes& b) { Raw(b.data(), b.size()); }
  void Blob(const uint8_t* p, size_t n) { U32(static_cast<uint32_t>(n)); Raw(p, n); }
  void Blob(const Bytes& b) { Blob(b.data(), b.size()); }
  void Text(std::string_view s) { Blob(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Reader over untrusted bytes. Every read checks bounds; the first failure
// sticks and later reads return zero values, so callers may decode a whole
// record and check status() once. `what` names the object for messages.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size, std::string what)
      : p_(data), end_(data + size), begin_(data), what_(std::move(what)) {}
  explicit Reader(const Bytes& b, std::string what) : Reader(b.data(), b.size(), std::move(what)) {}

  uint8_t U8(const char* field);
  uint32_t U32(const char* field);
  uint64_t U64(const char* field);
  int64_t I64(const char* field) { return static_cast<int64_t>(U64(field)); }
  bool Bool(const char* field);
  template <size_t N>
  std::array<uint8_t, N> Fixed(const char* field) {
    std::array<uint8_t, N> a{};
    if (Need(N, field)) { std::copy(p_, p_ + N, a.begin()); p_ += N; }
    return a;
  }
  Bytes Blob(const char* field, size_t max);
  std::string Text(const char* field, size_t max);

  // Skips n bytes (bounds-checked).
  void Skip(size_t n, const char* field) { if (Need(n, field)) p_ += n; }
  // Fails unless every byte was consumed.
  void ExpectEnd();
  // Records a semantic error (first error wins).
  void Fail(const std::string& message);

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* position() const { return p_; }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  bool Need(size_t n, const char* field);
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  std::string what_;
  Status status_;
};

bool IsValidUtf8(std::string_view s);

std::string ToHex(const uint8_t* p, size_t n);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& a) { return ToHex(a.data(), N); }
inline std::string ToHex(const Bytes& b) { return ToHex(b.data(), b.size()); }
// Parses lowercase or uppercase hex of exactly out.size()*2 digits.
bool FromHex(std::string_view hex, uint8_t* out, size_t n);
template <size_t N>
bool FromHex(std::string_view hex, std::array<uint8_t, N>* out) {
  return hex.size() == 2 * N && FromHex(hex, out->data(), N);
}
// Parses a whole decimal int64 ("-12"; no spaces, no '+'); false otherwise.
bool ParseInt64(std::string_view text, int64_t* out);

}  // namespace aergo
