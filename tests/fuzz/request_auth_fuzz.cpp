// CheckRequestSignature (core/request_auth.h, docs/formats/request.md): the
// Authorization header of a signed HTTP request, on untrusted text.
// Input: header "\n" method "\n" path "\n" body (missing parts empty).
// Properties: the parser never crashes or throws; a header it accepts
// names a key whose address it reports, a time within the skew and a
// 32-hex-digit nonce, and the replay guard refuses it the second time; a
// request freshly signed over the same method, path and body verifies.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto.h"
#include "core/request_auth.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

std::string_view TakeLine(std::string_view* s) {
  size_t nl = s->find('\n');
  std::string_view line = s->substr(0, nl);
  s->remove_prefix(nl == std::string_view::npos ? s->size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)aergo::CryptoInit();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  std::string_view rest = fuzz::AsView(data, size);
  std::string_view header = TakeLine(&rest);
  std::string_view method = TakeLine(&rest);
  std::string_view path = TakeLine(&rest);
  std::string_view body = rest;
  const uint64_t now = fuzz::kNowMs;

  auto checked = CheckRequestSignature(header, method, path, body, now);
  if (checked.ok()) {
    FUZZ_CHECK(checked->address == AddressFromKey(checked->key), "address is not the key's");
    FUZZ_CHECK(checked->time_ms + kRequestSkewMs >= now && checked->time_ms <= now + kRequestSkewMs,
               "a time outside the skew was accepted");
    FUZZ_CHECK(checked->nonce.size() == 32, "nonce is not 32 hex digits: " + checked->nonce);
    RequestReplayGuard guard;
    FUZZ_CHECK(guard.Check(*checked, now).ok(), "a fresh nonce was refused");
    FUZZ_CHECK(!guard.Check(*checked, now).ok(), "a replayed nonce was accepted");
  }

  // A request signed now over the fuzzed method, path and body verifies.
  static const SecretKey key = [] {
    std::array<uint8_t, 32> seed{};
    seed.fill(7);
    return SecretKey::FromSeed(seed.data());
  }();
  std::string signed_header = SignRequest(key, method, path, body, now);
  auto ok = CheckRequestSignature(signed_header, method, path, body, now);
  FUZZ_CHECK(ok.ok(), "a freshly signed request was refused: " + ok.status().message());
  FUZZ_CHECK(ok->key == key.public_key() && ok->time_ms == now, "signed request decoded wrongly");
  return 0;
}
