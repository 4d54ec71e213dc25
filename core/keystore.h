// Key store: named Ed25519 keys under <home>/keys/<name>.key
// (docs/formats/keyfile.md).
//
// A key file holds the public key and the 32-byte secret seed, the seed
// sealed with a passphrase (Argon2id13 key derivation, XSalsa20-Poly1305
// secretbox) or, for an empty passphrase, stored in clear. Files are written
// with mode 0600 (directory 0700) via a temporary file and rename.
// Thread-safety: stateless apart from the filesystem; safe to share.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"

namespace aergo {

struct KeyInfo {
  std::string name;
  PublicKey public_key{};
  std::string address;
  bool encrypted = false;
};

// Supplies a passphrase. `confirm` asks twice (new keys). Returns nullopt if
// none can be had. core/ only calls it; the porcelain decides where
// passphrases come from (cmd/util_passphrase.h: AERGO_PASSPHRASE, else a
// terminal prompt).
using PassphraseSource = std::function<std::optional<std::string>(const std::string& prompt,
                                                                  bool confirm)>;

class KeyStore {
 public:
  // home: the AERGO_HOME directory (keys live in home/keys).
  explicit KeyStore(std::string home) : home_(std::move(home)) {}

  // Valid key names: [A-Za-z0-9_.-]{1,64}, not starting with '.'.
  static bool IsValidName(const std::string& name);

  // Creates key `name` (Exists if it does); passphrase may be empty.
  Result<KeyInfo> Create(const std::string& name, const std::string& passphrase);
  // Lists keys sorted by name; unreadable files are reported as errors.
  Result<std::vector<KeyInfo>> List() const;
  Result<KeyInfo> Info(const std::string& name) const;
  // Loads the secret key; `passphrase` is consulted only for encrypted keys.
  // A wrong passphrase is kDenied "wrong passphrase for key '<name>'".
  Result<SecretKey> Load(const std::string& name, const PassphraseSource& passphrase) const;

  std::string KeyPath(const std::string& name) const;

 private:
  std::string home_;
};

}  // namespace aergo
