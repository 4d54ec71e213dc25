#include "core/keystore.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "cmd/util_passphrase.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

namespace fs = std::filesystem;

using testutil::ReadWholeFile;

void WriteText(const std::string& path, const std::string& text) {
  ASSERT_TRUE(testutil::WriteWholeFile(path, text)) << path;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// A passphrase source that answers `answer` and records what it was asked.
struct RecordingSource {
  std::optional<std::string> answer;
  int calls = 0;
  std::string last_prompt;
  bool last_confirm = true;
  PassphraseSource Source() {
    return [this](const std::string& prompt, bool confirm) {
      ++calls;
      last_prompt = prompt;
      last_confirm = confirm;
      return answer;
    };
  }
};

PassphraseSource NeverCalled() {
  return [](const std::string& prompt, bool) -> std::optional<std::string> {
    ADD_FAILURE() << "passphrase source called for an unencrypted key: " << prompt;
    return std::nullopt;
  };
}

// Writes an encrypted key file in the documented format with cheap Argon2
// limits (the minimum the reader accepts), so tests need not pay for an
// interactive derivation. Returns the public key.
PublicKey WriteCheapEncrypted(const std::string& path, const std::string& passphrase,
                              const uint8_t* seed = nullptr) {
  uint8_t s[32];
  if (seed) {
    std::copy(seed, seed + 32, s);
  } else {
    randombytes_buf(s, sizeof s);
  }
  PublicKey pk = SecretKey::FromSeed(s).public_key();
  const uint64_t ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
  const uint64_t mem = crypto_pwhash_argon2id_MEMLIMIT_MIN;
  std::array<uint8_t, 16> salt;
  std::array<uint8_t, 24> nonce;
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  uint8_t master[32], box[32];
  std::array<uint8_t, 32> check;
  EXPECT_EQ(crypto_pwhash(master, 32, passphrase.data(), passphrase.size(), salt.data(), ops, mem,
                          crypto_pwhash_ALG_ARGON2ID13),
            0);
  crypto_kdf_derive_from_key(box, 32, 1, "aergokey", master);
  crypto_kdf_derive_from_key(check.data(), 32, 2, "aergokey", master);
  std::array<uint8_t, 48> sealed;
  crypto_secretbox_easy(sealed.data(), s, 32, nonce.data(), box);
  std::string text = "aergo-key 1\npublic " + ToHex(pk) + "\nkdf argon2id13 " +
                     std::to_string(ops) + " " + std::to_string(mem) + " " + ToHex(salt) +
                     "\nnonce " + ToHex(nonce) + "\ncheck " + ToHex(check) + "\nsecret " +
                     ToHex(sealed) + "\n";
  WriteText(path, text);
  return pk;
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CryptoInit().ok());
    store_ = std::make_unique<KeyStore>(home_);
  }

  std::string KeysDir() const { return home_ + "/keys"; }

  // Creates the keys dir (via a throwaway clear key) for hand-written files.
  void MakeKeysDir() {
    ASSERT_TRUE(store_->Create("zz-setup", "").ok());
    fs::remove(store_->KeyPath("zz-setup"));
  }

  void ExpectCorrupt(const std::string& name, const std::string& why_part = "") {
    const std::string path = store_->KeyPath(name);
    const std::string prefix = "key file '" + path + "' is corrupt: ";
    auto info = store_->Info(name);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), Code::kCorrupt) << info.status().message();
    EXPECT_EQ(info.status().message().rfind(prefix, 0), 0u) << info.status().message();
    if (!why_part.empty()) {
      EXPECT_NE(info.status().message().find(why_part), std::string::npos)
          << info.status().message();
    }
    RecordingSource src;
    src.answer = "pw";
    auto key = store_->Load(name, src.Source());
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), Code::kCorrupt) << key.status().message();
    EXPECT_EQ(src.calls, 0);  // structural checks come before the prompt
  }

  testutil::TempDir tmp_{"aergo-keystore"};
  const std::string& root_ = tmp_.path();
  const std::string home_ = root_ + "/home";
  std::unique_ptr<KeyStore> store_;
};

TEST(KeyStoreNames, Validity) {
  for (const std::string& ok : std::vector<std::string>{"a", "alice", "Bob_2", "x.y-z", "a.", std::string(64, 'k'), "0"}) {
    EXPECT_TRUE(KeyStore::IsValidName(ok)) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{"", ".hidden", "..", ".", "a/b", "../x", "a b", "é", "a\nb",
                          std::string(65, 'k'), std::string("a\0b", 3), "a:b", "a*"}) {
    EXPECT_FALSE(KeyStore::IsValidName(bad)) << bad;
  }
}

TEST_F(KeyStoreTest, ClearKeyRoundTrip) {
  auto created = store_->Create("alice", "");
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->name, "alice");
  EXPECT_FALSE(created->encrypted);
  EXPECT_EQ(created->address, AddressFromKey(created->public_key));

  const std::string path = store_->KeyPath("alice");
  EXPECT_EQ(path, home_ + "/keys/alice.key");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(KeysDir()), 0700u);
  EXPECT_EQ(ModeOf(home_), 0700u);

  const std::string text = ReadWholeFile(path);
  const std::string head = "aergo-key 1\npublic " + ToHex(created->public_key) + "\nkdf none\nsecret ";
  EXPECT_EQ(text.rfind(head, 0), 0u) << text;
  EXPECT_EQ(text.size(), head.size() + 64 + 1);

  // No temporary files are left behind.
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(KeysDir())) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"alice.key"});

  auto info = store_->Info("alice");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->public_key, created->public_key);
  EXPECT_EQ(info->address, created->address);
  EXPECT_FALSE(info->encrypted);

  auto key = store_->Load("alice", NeverCalled());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(key->public_key(), created->public_key);
  const std::string msg = "pay bob 10";
  auto m = reinterpret_cast<const uint8_t*>(msg.data());
  Signature sig = key->Sign(kDomainTx, m, msg.size());
  EXPECT_TRUE(VerifySignature(kDomainTx, info->public_key, m, msg.size(), sig));
  // An empty source is fine for unencrypted keys.
  EXPECT_TRUE(store_->Load("alice", PassphraseSource()).ok());
}

TEST_F(KeyStoreTest, EncryptedKeyRoundTrip) {
  auto created = store_->Create("bob", "correct horse");
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_TRUE(created->encrypted);

  const std::string path = store_->KeyPath("bob");
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(KeysDir()), 0700u);
  const std::string text = ReadWholeFile(path);
  EXPECT_EQ(text.rfind("aergo-key 1\npublic " + ToHex(created->public_key) + "\nkdf argon2id13 " +
                           std::to_string(crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE) + " " +
                           std::to_string(crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) + " ",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("\nnonce "), std::string::npos);
  EXPECT_NE(text.find("\ncheck "), std::string::npos);

  auto info = store_->Info("bob");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->public_key, created->public_key);

  RecordingSource right;
  right.answer = "correct horse";
  auto key = store_->Load("bob", right.Source());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(right.calls, 1);
  EXPECT_EQ(right.last_prompt, "Passphrase for key 'bob': ");
  EXPECT_FALSE(right.last_confirm);
  EXPECT_EQ(key->public_key(), created->public_key);
  const std::string msg = "block 7";
  auto m = reinterpret_cast<const uint8_t*>(msg.data());
  Signature sig = key->Sign(kDomainBlock, m, msg.size());
  EXPECT_TRUE(VerifySignature(kDomainBlock, info->public_key, m, msg.size(), sig));

  RecordingSource wrong;
  wrong.answer = "battery staple";
  auto bad = store_->Load("bob", wrong.Source());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kDenied);
  EXPECT_EQ(bad.status().message(), "wrong passphrase for key 'bob'");
}

TEST_F(KeyStoreTest, NoPassphraseAvailable) {
  MakeKeysDir();
  WriteCheapEncrypted(store_->KeyPath("carol"), "pw");
  const std::string want =
      "key 'carol' is encrypted and no passphrase is available: set AERGO_PASSPHRASE or run on a "
      "terminal";
  RecordingSource none;  // answers nullopt
  auto r = store_->Load("carol", none.Source());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDenied);
  EXPECT_EQ(r.status().message(), want);
  EXPECT_EQ(none.calls, 1);

  auto r2 = store_->Load("carol", PassphraseSource());
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kDenied);
  EXPECT_EQ(r2.status().message(), want);
}

TEST_F(KeyStoreTest, HandWrittenEncryptedFileLoads) {
  MakeKeysDir();
  uint8_t seed[32];
  randombytes_buf(seed, sizeof seed);
  PublicKey pk = WriteCheapEncrypted(store_->KeyPath("dave"), "pw", seed);
  RecordingSource src;
  src.answer = "pw";
  auto key = store_->Load("dave", src.Source());
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(key->public_key(), pk);
  EXPECT_TRUE(std::equal(seed, seed + 32, key->seed()));

  src.answer = "";
  auto bad = store_->Load("dave", src.Source());
  EXPECT_EQ(bad.status().code(), Code::kDenied);
  EXPECT_EQ(bad.status().message(), "wrong passphrase for key 'dave'");
}

TEST_F(KeyStoreTest, DuplicateName) {
  ASSERT_TRUE(store_->Create("alice", "").ok());
  const std::string before = ReadWholeFile(store_->KeyPath("alice"));
  auto again = store_->Create("alice", "");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kExists);
  EXPECT_EQ(again.status().message(), "key 'alice' already exists");
  EXPECT_EQ(ReadWholeFile(store_->KeyPath("alice")), before);
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(KeysDir())) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"alice.key"});
}

TEST_F(KeyStoreTest, InvalidNames) {
  for (const std::string& bad : std::vector<std::string>{"", ".x", "a/b", "../evil", "has space", std::string(65, 'a')}) {
    const std::string want =
        "invalid key name '" + bad + "': use letters, digits, '.', '_' or '-'";
    auto c = store_->Create(bad, "");
    EXPECT_EQ(c.status().code(), Code::kInvalid) << bad;
    EXPECT_EQ(c.status().message(), want);
    auto i = store_->Info(bad);
    EXPECT_EQ(i.status().code(), Code::kInvalid) << bad;
    EXPECT_EQ(i.status().message(), want);
    auto l = store_->Load(bad, NeverCalled());
    EXPECT_EQ(l.status().code(), Code::kInvalid) << bad;
    EXPECT_EQ(l.status().message(), want);
  }
  EXPECT_FALSE(fs::exists(root_ + "/evil.key"));
}

TEST_F(KeyStoreTest, MissingKey) {
  auto i = store_->Info("alice");
  EXPECT_EQ(i.status().code(), Code::kNotFound);
  EXPECT_EQ(i.status().message(), "key 'alice' not found");
  auto l = store_->Load("alice", NeverCalled());
  EXPECT_EQ(l.status().code(), Code::kNotFound);
  EXPECT_EQ(l.status().message(), "key 'alice' not found");
}

TEST_F(KeyStoreTest, ListSortedAndFiltered) {
  auto empty = store_->List();  // no home at all
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_TRUE(empty->empty());

  for (const char* n : {"zed", "alice", "Bob", "m.1", "a-b_c"}) ASSERT_TRUE(store_->Create(n, "").ok());
  MakeKeysDir();
  WriteCheapEncrypted(store_->KeyPath("enc"), "pw");
  WriteText(KeysDir() + "/notes.txt", "not a key");
  WriteText(KeysDir() + "/.hidden.key", "junk");
  WriteText(KeysDir() + "/bad name.key", "junk");
  WriteText(KeysDir() + "/.alice.key.tmp.1.00", "junk");
  WriteText(KeysDir() + "/alice.key.bak", "junk");

  auto list = store_->List();
  ASSERT_TRUE(list.ok()) << list.status().message();
  std::vector<std::string> names;
  for (const auto& k : *list) names.push_back(k.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Bob", "a-b_c", "alice", "enc", "m.1", "zed"}));
  for (const auto& k : *list) {
    EXPECT_EQ(k.encrypted, k.name == "enc") << k.name;
    EXPECT_EQ(k.address, AddressFromKey(k.public_key));
    EXPECT_EQ(k.public_key, store_->Info(k.name)->public_key);
  }
}

TEST_F(KeyStoreTest, ListReportsCorruptFile) {
  ASSERT_TRUE(store_->Create("alice", "").ok());
  ASSERT_TRUE(store_->Create("bob", "").ok());
  WriteText(store_->KeyPath("bob"), "aergo-key 1\n");
  auto list = store_->List();
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), Code::kCorrupt);
  EXPECT_NE(list.status().message().find(store_->KeyPath("bob")), std::string::npos)
      << list.status().message();
}

TEST_F(KeyStoreTest, CorruptClearFiles) {
  ASSERT_TRUE(store_->Create("k", "").ok());
  ASSERT_TRUE(store_->Create("other", "").ok());
  const std::string path = store_->KeyPath("k");
  const std::string good = ReadWholeFile(path);
  const std::string other_pub = ToHex(store_->Info("other")->public_key);
  const std::string pub = ToHex(store_->Info("k")->public_key);

  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n) {
    WriteText(path, good.substr(0, n));
    SCOPED_TRACE("truncated to " + std::to_string(n));
    ExpectCorrupt("k");
  }

  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
    return t;
  };
  const size_t secret_at = good.find("secret ") + 7;
  std::string bad_hex = good;
  bad_hex[secret_at + 5] = 'g';
  std::string short_secret = good;
  short_secret.erase(secret_at, 2);
  std::string flipped_secret = good;
  flipped_secret[secret_at] = flipped_secret[secret_at] == '0' ? '1' : '0';

  const std::vector<std::pair<std::string, std::string>> cases = {
      {bad_hex, "secret is not 64 hex digits"},
      {short_secret, "secret is not 64 hex digits"},
      {with(pub, other_pub), "does not match the public key"},
      {flipped_secret, "does not match the public key"},
      {with(pub, pub.substr(0, 62) + "zz"), "public key is not 64 hex digits"},
      {with("aergo-key 1", "aergo-key 2"), "unsupported version '2'"},
      {with("aergo-key 1", "aergo-key"), "not an aergo key file"},
      {with("aergo-key 1\n", "aergo-key 1\r\n"), ""},
      {with("kdf none\n", "kdf none\nkdf none\n"), "duplicate 'kdf'"},
      {with("kdf none\n", "kdf none\npublic " + pub + "\n"), "duplicate 'public'"},
      {with("kdf none\n", ""), "missing 'kdf'"},
      {with("kdf none\n", "kdf none\ncolour blue\n"), "unknown field 'colour'"},
      {with("kdf none\n", "kdf none\n\n"), "malformed"},
      {with("kdf none\n", "kdf  none\n"), "malformed"},
      {with("kdf none\n", "kdf none \n"), "malformed"},
      {with("kdf none\n", "kdf scrypt\n"), "unknown kdf 'scrypt'"},
      {with("kdf none\n", "kdf none\nnonce " + std::string(48, '0') + "\n"),
       "'nonce' given for an unencrypted key"},
      {with("kdf none\n", "kdf none\ncheck " + std::string(64, '0') + "\n"),
       "'check' given for an unencrypted key"},
      {good + "\n", "malformed"},
      {"", "empty file"},
      {std::string("\0\1\2\xff\n", 5), "not an aergo key file"},
      {std::string(5000, 'a'), "file too large"},
  };
  for (const auto& [text, why] : cases) {
    WriteText(path, text);
    SCOPED_TRACE(text);
    ExpectCorrupt("k", why);
  }

  // A directory in place of the file.
  fs::remove(path);
  fs::create_directory(path);
  ExpectCorrupt("k", "not a regular file");
}

TEST_F(KeyStoreTest, CorruptEncryptedFiles) {
  MakeKeysDir();
  const std::string path = store_->KeyPath("k");
  uint8_t seed[32];
  randombytes_buf(seed, sizeof seed);
  WriteCheapEncrypted(path, "pw", seed);
  const std::string good = ReadWholeFile(path);

  for (size_t n = 0; n < good.size(); ++n) {
    WriteText(path, good.substr(0, n));
    SCOPED_TRACE("truncated to " + std::to_string(n));
    ExpectCorrupt("k");
  }

  // Structural damage to the kdf line.
  const size_t kdf_at = good.find("kdf argon2id13 ");
  const size_t kdf_end = good.find('\n', kdf_at);
  const std::string kdf_line = good.substr(kdf_at, kdf_end - kdf_at);
  const std::string salt = kdf_line.substr(kdf_line.rfind(' ') + 1);
  auto with_kdf = [&](const std::string& line) {
    std::string t = good;
    t.replace(kdf_at, kdf_end - kdf_at, line);
    return t;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with_kdf("kdf argon2id13 1 2147483648 " + salt), "bad memlimit"},          // > 1 GiB
      {with_kdf("kdf argon2id13 1 99999999999999999999999 " + salt), "bad memlimit"},
      {with_kdf("kdf argon2id13 1 08192 " + salt), "bad memlimit"},
      {with_kdf("kdf argon2id13 1 100 " + salt), "bad memlimit"},
      {with_kdf("kdf argon2id13 0 8192 " + salt), "bad opslimit"},
      {with_kdf("kdf argon2id13 4294967295 8192 " + salt), "bad opslimit"},
      {with_kdf("kdf argon2id13 -1 8192 " + salt), "bad opslimit"},
      {with_kdf("kdf argon2id13 1 8192 " + salt.substr(2)), "salt is not 32 hex digits"},
      {with_kdf("kdf argon2id13 1 8192"), "wrong number of fields"},
      {with_kdf("kdf none"), "'nonce' given for an unencrypted key"},
  };
  for (const auto& [text, why] : cases) {
    WriteText(path, text);
    SCOPED_TRACE(text);
    ExpectCorrupt("k", why);
  }

  // Damage found only after decryption (the right passphrase is given).
  auto load = [&](const std::string& text) {
    WriteText(path, text);
    RecordingSource src;
    src.answer = "pw";
    return store_->Load("k", src.Source());
  };
  auto flip_hex_digit = [&](const std::string& field) {
    std::string t = good;
    size_t at = t.find("\n" + field + " ") + field.size() + 2;
    t[at] = t[at] == '0' ? '1' : '0';
    return t;
  };
  const std::string prefix = "key file '" + path + "' is corrupt: ";
  for (const char* field : {"secret", "nonce", "check", "public"}) {
    SCOPED_TRACE(field);
    auto r = load(flip_hex_digit(field));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorrupt) << r.status().message();
    EXPECT_EQ(r.status().message().rfind(prefix, 0), 0u) << r.status().message();
  }
  // A flipped salt derives different keys: indistinguishable from a wrong
  // passphrase.
  {
    std::string t = good;
    size_t at = kdf_end - 1;
    t[at] = t[at] == '0' ? '1' : '0';
    auto r = load(t);
    EXPECT_EQ(r.status().code(), Code::kDenied) << r.status().message();
  }
  // The undamaged file still loads.
  auto r = load(good);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(std::equal(seed, seed + 32, r->seed()));
}

TEST(KeyStoreDefaultSource, UsesEnvironmentEvenWhenEmpty) {
  // cmd/ reads AERGO_PASSPHRASE once and hands the value in.
  PassphraseSource src = cli::DefaultPassphraseSource(std::string("s3cret"));
  EXPECT_EQ(src("Passphrase for key 'a': ", false), std::optional<std::string>("s3cret"));
  EXPECT_EQ(src("New passphrase: ", true), std::optional<std::string>("s3cret"));
  PassphraseSource empty = cli::DefaultPassphraseSource(std::string());
  EXPECT_EQ(empty("Passphrase for key 'a': ", false), std::optional<std::string>(""));
}

TEST(KeyStoreDefaultSource, ReadsTheEnvironmentInCmd) {
  const char* old = std::getenv("AERGO_PASSPHRASE");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("AERGO_PASSPHRASE", "", 1);
  EXPECT_EQ(cli::PassphraseFromEnvironment(), std::optional<std::string>(""));
  ::unsetenv("AERGO_PASSPHRASE");
  EXPECT_EQ(cli::PassphraseFromEnvironment(), std::nullopt);
  if (saved) ::setenv("AERGO_PASSPHRASE", saved->c_str(), 1);
}

}  // namespace
}  // namespace aergo
