// Bench helper: single-core Ed25519 verify rate of libsodium (verifies/s),
// over distinct messages and keys shaped like aergo txs (~200 bytes).
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  if (sodium_init() < 0) return 1;
  constexpr int kKeys = 64, kMsgLen = 200;
  std::vector<unsigned char> pk(kKeys * 32), sk(kKeys * 64), msg(kKeys * kMsgLen), sig(kKeys * 64);
  randombytes_buf(msg.data(), msg.size());
  for (int i = 0; i < kKeys; ++i) {
    crypto_sign_keypair(&pk[i * 32], &sk[i * 64]);
    crypto_sign_detached(&sig[i * 64], nullptr, &msg[i * kMsgLen], kMsgLen, &sk[i * 64]);
  }
  long n = 0;
  auto start = std::chrono::steady_clock::now();
  double secs = 0;
  while (secs < 2.0) {
    for (int i = 0; i < kKeys; ++i, ++n)
      if (crypto_sign_verify_detached(&sig[i * 64], &msg[i * kMsgLen], kMsgLen, &pk[i * 32]) != 0) return 1;
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::printf("%.0f\n", n / secs);
  return 0;
}
