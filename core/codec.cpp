#include "core/codec.h"

#include <charconv>
#include <cstring>

namespace aergo {

void Writer::U32(uint32_t v) {
  for (int i = 3; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void Writer::U64(uint64_t v) {
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

bool Reader::Need(size_t n, const char* field) {
  if (!status_.ok()) return false;
  if (static_cast<size_t>(end_ - p_) < n) {
    status_ = Invalid(what_ + ": truncated at offset " + std::to_string(offset()) + " reading " +
                      field);
    return false;
  }
  return true;
}

void Reader::Fail(const std::string& message) {
  if (status_.ok()) status_ = Invalid(what_ + ": " + message);
}

uint8_t Reader::U8(const char* field) {
  if (!Need(1, field)) return 0;
  return *p_++;
}

uint32_t Reader::U32(const char* field) {
  if (!Need(4, field)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | *p_++;
  return v;
}

uint64_t Reader::U64(const char* field) {
  if (!Need(8, field)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | *p_++;
  return v;
}

bool Reader::Bool(const char* field) {
  uint8_t v = U8(field);
  if (v > 1) Fail(std::string("non-canonical boolean in ") + field);
  return v == 1;
}

Bytes Reader::Blob(const char* field, size_t max) {
  uint32_t n = U32(field);
  if (!status_.ok()) return {};
  if (n > max) {
    Fail(std::string(field) + " is " + std::to_string(n) + " bytes, limit " + std::to_string(max));
    return {};
  }
  if (!Need(n, field)) return {};
  Bytes b(p_, p_ + n);
  p_ += n;
  return b;
}

std::string Reader::Text(const char* field, size_t max) {
  Bytes b = Blob(field, max);
  if (!status_.ok()) return {};
  std::string s(b.begin(), b.end());
  if (!IsValidUtf8(s)) {
    Fail(std::string(field) + " is not valid UTF-8");
    return {};
  }
  return s;
}

void Reader::ExpectEnd() {
  if (status_.ok() && p_ != end_)
    Fail(std::to_string(end_ - p_) + " trailing bytes after offset " + std::to_string(offset()));
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = u[i];
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((u[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (u[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

std::string ToHex(const uint8_t* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

static int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool FromHex(std::string_view hex, uint8_t* out, size_t n) {
  if (hex.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool ParseInt64(std::string_view text, int64_t* out) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return false;
  *out = v;
  return true;
}

}  // namespace aergo
