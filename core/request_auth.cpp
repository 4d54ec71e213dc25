#include "core/request_auth.h"

#include <sodium.h>

#include <sstream>
#include <vector>

#include "core/codec.h"

namespace aergo {

std::string RequestSigningBytes(std::string_view method, std::string_view path,
                                std::string_view body, uint64_t time_ms, std::string_view nonce) {
  std::string out;
  out.append(method).append("\n").append(path).append("\n");
  out.append(ToHex(Sha256(body))).append("\n");
  out.append(std::to_string(time_ms)).append("\n").append(nonce);
  return out;
}

std::string SignRequest(const SecretKey& key, std::string_view method, std::string_view path,
                        std::string_view body, uint64_t time_ms) {
  std::array<uint8_t, 16> nonce_bytes;
  randombytes_buf(nonce_bytes.data(), nonce_bytes.size());
  std::string nonce = ToHex(nonce_bytes);
  std::string msg = RequestSigningBytes(method, path, body, time_ms, nonce);
  Signature sig = key.Sign(kRequestDomain, reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
  return "Aergo " + AddressFromKey(key.public_key()) + " " + std::to_string(time_ms) + " " + nonce +
         " " + ToHex(sig);
}

Result<SignedRequest> CheckRequestSignature(std::string_view header, std::string_view method,
                                            std::string_view path, std::string_view body,
                                            uint64_t now_ms) {
  std::vector<std::string> parts;
  std::istringstream in{std::string(header)};
  for (std::string p; in >> p && parts.size() < 6;) parts.push_back(p);
  if (parts.size() != 5 || parts[0] != "Aergo")
    return Denied("malformed Authorization header (expected 'Aergo <address> <time> <nonce> <signature>')");
  SignedRequest r;
  r.address = parts[1];
  auto pk = KeyFromAddress(r.address);
  if (!pk.ok()) return Denied("Authorization: invalid address '" + r.address + "'");
  r.key = *pk;
  const std::string& t = parts[2];
  if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
    return Denied("Authorization: invalid time '" + t + "'");
  r.time_ms = std::stoull(t);
  r.nonce = parts[3];
  std::array<uint8_t, 16> nonce_bytes;
  if (!FromHex(r.nonce, &nonce_bytes)) return Denied("Authorization: the nonce must be 32 hex digits");
  Signature sig;
  if (!FromHex(parts[4], &sig)) return Denied("Authorization: the signature must be 128 hex digits");
  uint64_t skew = r.time_ms > now_ms ? r.time_ms - now_ms : now_ms - r.time_ms;
  if (skew > kRequestSkewMs)
    return Denied("request time is " + std::to_string(skew / 1000) +
                  " s away from the server's clock (at most " + std::to_string(kRequestSkewMs / 1000) +
                  " s allowed)");
  std::string msg = RequestSigningBytes(method, path, body, r.time_ms, r.nonce);
  if (!VerifySignature(kRequestDomain, r.key, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), sig))
    return Denied("request signature does not verify for " + r.address);
  return r;
}

Status RequestReplayGuard::Check(const SignedRequest& request, uint64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (now_ms - last_sweep_ms_ > kRequestSkewMs) {
    for (auto it = seen_.begin(); it != seen_.end();)
      it = it->second + 2 * kRequestSkewMs < now_ms ? seen_.erase(it) : std::next(it);
    last_sweep_ms_ = now_ms;
  }
  if (!seen_.emplace(request.address + " " + request.nonce, request.time_ms).second)
    return Denied("request replayed: this signed request was already received");
  return Status::Ok();
}

}  // namespace aergo
