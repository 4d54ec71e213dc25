// Key files (core/keystore.h, docs/formats/keyfile.md) on untrusted bytes:
// the input is written as <tmp>/keys/fuzz.key and read by KeyStore::Info,
// List and Load.
// Argon2 cost: Load is given no passphrase (an encrypted key is then
// refused before any key derivation), except for files asking the cheapest
// parameters ("kdf argon2id13 1 8192 "), for which a passphrase is given
// so the derivation and secretbox paths run too. The parser itself bounds
// opslimit (<= 32) and memlimit (<= 1 GiB) before deriving anything.
// Properties: no crash; Info, List and Load agree on the key; an
// unencrypted key that Info accepts loads, and to the public key Info saw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/keystore.h"
#include "tests/fuzz/fuzz_util.h"

namespace {
aergo::fuzz::ProcessTempDir* g_home = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)aergo::CryptoInit();
  static aergo::fuzz::ProcessTempDir home("keyfile");
  g_home = &home;
  std::filesystem::create_directories(home.path() + "/keys");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  KeyStore ks(g_home->path());
  const std::string path = ks.KeyPath("fuzz");
  fuzz::WriteFileOrDie(path, data, size);

  auto info = ks.Info("fuzz");
  auto list = ks.List();
  if (info.ok()) {
    FUZZ_CHECK(list.ok() && list->size() == 1 && list->front().public_key == info->public_key,
               "List disagrees with Info");
    FUZZ_CHECK(info->address == AddressFromKey(info->public_key), "address is not the key's");
  } else {
    FUZZ_CHECK(!list.ok(), "List accepted a file Info refused");
  }

  const bool cheap_kdf = fuzz::AsView(data, size).find("\nkdf argon2id13 1 8192 ") != std::string_view::npos;
  PassphraseSource none = [](const std::string&, bool) -> std::optional<std::string> { return std::nullopt; };
  PassphraseSource some = [](const std::string&, bool) -> std::optional<std::string> { return std::string("pw"); };
  auto loaded = ks.Load("fuzz", cheap_kdf ? some : none);
  if (info.ok() && !info->encrypted) {
    FUZZ_CHECK(loaded.ok(), "an unencrypted key Info accepts does not load: " + loaded.status().message());
  }
  if (loaded.ok()) {
    FUZZ_CHECK(info.ok() && loaded->public_key() == info->public_key, "Load and Info disagree on the key");
  }
  if (info.ok() && info->encrypted && !cheap_kdf) {
    FUZZ_CHECK(loaded.status().code() == Code::kDenied, "an encrypted key without a passphrase: " +
                                                            loaded.status().message());
  }
  ::unlink(path.c_str());
  return 0;
}
