// Signed HTTP requests (docs/design.md §8, docs/formats/request.md).
//
// A client proves who it is by signing each request with its key:
//
//   Authorization: Aergo <address> <time_ms> <nonce> <signature>
//
// nonce: 32 hex digits, random per request; signature: 128 hex digits,
// Ed25519 with domain "aergo-request" over
//
//   METHOD "\n" PATH "\n" hex(SHA-256(body)) "\n" time_ms "\n" nonce
//
// where PATH is the request target as sent (with its query string). The
// server accepts a time within kRequestSkewMs of its own clock and each
// (address, nonce) once (RequestReplayGuard), so a captured request cannot
// be sent again.
// Thread-safety: the functions are pure; RequestReplayGuard is internally
// locked.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/status.h"

namespace aergo {

inline constexpr uint64_t kRequestSkewMs = 5 * 60 * 1000;
inline constexpr std::string_view kRequestDomain = "aergo-request";

struct SignedRequest {
  PublicKey key{};
  std::string address;
  uint64_t time_ms = 0;
  std::string nonce;
};

// The bytes a request signature covers.
std::string RequestSigningBytes(std::string_view method, std::string_view path,
                                std::string_view body, uint64_t time_ms, std::string_view nonce);

// The Authorization header value for a request (fresh random nonce).
std::string SignRequest(const SecretKey& key, std::string_view method, std::string_view path,
                        std::string_view body, uint64_t time_ms);

// Parses and checks an Authorization header value against the request and
// the server's clock. Denied saying what is wrong (malformed, unknown
// scheme, bad signature, clock skew).
Result<SignedRequest> CheckRequestSignature(std::string_view header, std::string_view method,
                                            std::string_view path, std::string_view body,
                                            uint64_t now_ms);

// Remembers the nonces seen within the skew window.
class RequestReplayGuard {
 public:
  // Denied if (address, nonce) was seen before; else records it. Forgets
  // entries older than twice the skew.
  Status Check(const SignedRequest& request, uint64_t now_ms);

 private:
  std::mutex mu_;
  std::map<std::string, uint64_t> seen_;  // address + " " + nonce -> time_ms
  uint64_t last_sweep_ms_ = 0;
};

}  // namespace aergo
