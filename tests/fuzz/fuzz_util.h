// Helpers shared by the libFuzzer harnesses (tests/fuzz/*_fuzz.cpp).
//
// Every harness feeds untrusted bytes to one decoder. Status errors are the
// expected answer to garbage; what a harness must never see is a crash, a
// sanitizer report, an exception escaping the decoder, or a broken property
// (FUZZ_CHECK aborts with a message, which libFuzzer reports as a crash and
// saves the input).
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/codec.h"

namespace aergo::fuzz {

// The clock every harness (and the seed generator) uses, in ms.
inline constexpr uint64_t kNowMs = 1700000000000ull;

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s %s\n", file, line, cond, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond, msg)                                                \
  do {                                                                       \
    if (!(cond)) ::aergo::fuzz::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

// A directory under $TMPDIR (or /tmp) for the process lifetime, removed at
// exit (libFuzzer exits through exit() on every normal path; a crashing run
// leaves it behind, named aergo-fuzz-<harness>-*, for inspection).
class ProcessTempDir {
 public:
  explicit ProcessTempDir(const std::string& harness) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/aergo-fuzz-" + harness + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) CheckFailed(__FILE__, __LINE__, "mkdtemp", tmpl);
    path_ = tmpl;
  }
  ~ProcessTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFileOrDie(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) CheckFailed(__FILE__, __LINE__, "write", path);
}

// Splits fuzz input into length-prefixed parts: Next() takes a u32
// big-endian length and that many bytes (clamped to what is left); Rest()
// takes everything left.
class Splitter {
 public:
  Splitter(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  Bytes Next() {
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len = (len << 8) | (p_ < end_ ? *p_++ : 0);
    size_t n = std::min<size_t>(len, static_cast<size_t>(end_ - p_));
    Bytes out(p_, p_ + n);
    p_ += n;
    return out;
  }
  Bytes Rest() {
    Bytes out(p_, end_);
    p_ = end_;
    return out;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// The framing Splitter reads: u32 big-endian length + bytes (last part raw).
inline void AppendPart(Bytes* out, const Bytes& part) {
  uint32_t n = static_cast<uint32_t>(part.size());
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<uint8_t>(n >> s));
  out->insert(out->end(), part.begin(), part.end());
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace aergo::fuzz
