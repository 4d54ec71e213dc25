#include "core/keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace aergo {

namespace {

constexpr std::string_view kHeader = "aergo-key 1";
constexpr std::string_view kKdfArgon = "argon2id13";
constexpr size_t kMaxFileSize = 4096;
constexpr size_t kSeedBytes = 32;
constexpr size_t kSealedBytes = kSeedBytes + crypto_secretbox_MACBYTES;
constexpr uint64_t kMaxOpsLimit = 32;
constexpr uint64_t kMaxMemLimit = uint64_t{1} << 30;  // 1 GiB
constexpr size_t kCheckBytes = 32;
// crypto_kdf context and subkey ids for keys derived from the Argon2 output.
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "aergokey";
constexpr uint64_t kSubkeyBox = 1;
constexpr uint64_t kSubkeyCheck = 2;

static_assert(crypto_secretbox_KEYBYTES == 32);
static_assert(crypto_pwhash_argon2id_SALTBYTES == 16);
static_assert(crypto_secretbox_NONCEBYTES == 24);
static_assert(crypto_kdf_KEYBYTES == 32 && crypto_kdf_CONTEXTBYTES == 8);

std::string ErrnoText(int e) {
  std::string s = std::strerror(e);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z')) {
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  }
  return s;
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now; returns the close() result (0 if nothing to close).
  int Close() {
    int r = 0;
    if (fd_ >= 0) r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

// A fixed-size secret buffer: mlocked where possible, wiped on destruction.
template <size_t N>
class SecretBuf {
 public:
  SecretBuf() { locked_ = sodium_mlock(buf_, N) == 0; }
  ~SecretBuf() {
    if (locked_) {
      sodium_munlock(buf_, N);  // also zeroes
    } else {
      sodium_memzero(buf_, N);
    }
  }
  SecretBuf(const SecretBuf&) = delete;
  SecretBuf& operator=(const SecretBuf&) = delete;
  uint8_t* data() { return buf_; }
  const uint8_t* data() const { return buf_; }
  static constexpr size_t size() { return N; }

 private:
  uint8_t buf_[N] = {};
  bool locked_ = false;
};

// Wipes a string's contents when it goes out of scope.
class StringWiper {
 public:
  explicit StringWiper(std::string* s) : s_(s) {}
  ~StringWiper() {
    if (!s_->empty()) sodium_memzero(s_->data(), s_->size());
  }
  StringWiper(const StringWiper&) = delete;
  StringWiper& operator=(const StringWiper&) = delete;

 private:
  std::string* s_;
};

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError(ErrnoText(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Creates `dir` with mode 0700 if it does not exist.
Status EnsureDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (::chmod(dir.c_str(), 0700) != 0) {
      return IoError("cannot set mode of directory '" + dir + "': " + ErrnoText(errno));
    }
    return Status::Ok();
  }
  int e = errno;
  struct stat st;
  if (e == EEXIST && ::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError("cannot create directory '" + dir + "': not a directory");
  }
  return IoError("cannot create directory '" + dir + "': " + ErrnoText(e));
}

Status FsyncDir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return IoError("cannot sync directory '" + dir + "': " + ErrnoText(errno));
  }
  return Status::Ok();
}

// Moves `from` to `to` unless `to` exists. Returns 0 or an errno (EEXIST if
// `to` exists).
int InstallNoReplace(const std::string& from, const std::string& to) {
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno == EEXIST) return EEXIST;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
#endif
  // Filesystem without RENAME_NOREPLACE: hard link (atomic, fails on an
  // existing name), then drop the temporary name.
  if (::link(from.c_str(), to.c_str()) == 0) {
    ::unlink(from.c_str());
    return 0;
  }
  if (errno == EEXIST) return EEXIST;
  // No hard links either: the caller checked that `to` was absent.
  if (::rename(from.c_str(), to.c_str()) == 0) return 0;
  return errno;
}

std::string TempName(const std::string& dir, const std::string& name) {
  uint8_t r[8];
  randombytes_buf(r, sizeof r);
  return dir + "/." + name + ".key.tmp." + std::to_string(::getpid()) + "." + ToHex(r, sizeof r);
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// A short, printable excerpt of untrusted text for error messages.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 32)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 32) out += "...";
  return out;
}

std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return out;
}

// The parsed contents of a key file.
struct KeyFile {
  PublicKey public_key{};
  bool encrypted = false;
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
  std::array<uint8_t, crypto_pwhash_argon2id_SALTBYTES> salt{};
  std::array<uint8_t, crypto_secretbox_NONCEBYTES> nonce{};
  std::array<uint8_t, kCheckBytes> check{};
  std::array<uint8_t, kSealedBytes> sealed{};  // encrypted: the secretbox
  ~KeyFile() { sodium_memzero(sealed.data(), sealed.size()); }
};

// Parses the text of a key file; the error is the reason only (the caller
// adds the path). `clear_seed` receives the seed of an unencrypted key.
Status ParseKeyFile(std::string_view text, KeyFile* kf, SecretBuf<kSeedBytes>* clear_seed) {
  if (text.empty()) return Invalid("empty file");
  if (text.back() != '\n') return Invalid("truncated (no final newline)");
  text.remove_suffix(1);
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (lines[0] != kHeader) {
    if (lines[0].substr(0, 10) == "aergo-key ") {
      return Invalid("unsupported version '" + Printable(lines[0].substr(10)) + "'");
    }
    return Invalid("not an aergo key file");
  }
  bool have_public = false, have_kdf = false, have_nonce = false, have_check = false,
       have_secret = false;
  std::string secret_hex;
  StringWiper wipe_secret(&secret_hex);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string where = "line " + std::to_string(i + 1);
    std::vector<std::string_view> f = SplitSpaces(lines[i]);
    for (auto t : f) {
      if (t.empty()) return Invalid(where + ": malformed (empty field or stray space)");
    }
    std::string_view key = f[0];
    auto dup = [&](bool* seen) -> Status {
      if (*seen) return Invalid(where + ": duplicate '" + Printable(key) + "'");
      *seen = true;
      return Status::Ok();
    };
    auto arity = [&](size_t n) -> Status {
      if (f.size() != n) return Invalid(where + ": wrong number of fields for '" + Printable(key) + "'");
      return Status::Ok();
    };
    if (key == "public") {
      AERGO_RETURN_IF_ERROR(dup(&have_public));
      AERGO_RETURN_IF_ERROR(arity(2));
      if (!FromHex(f[1], &kf->public_key)) return Invalid(where + ": public key is not 64 hex digits");
    } else if (key == "kdf") {
      AERGO_RETURN_IF_ERROR(dup(&have_kdf));
      if (f.size() >= 2 && f[1] == "none") {
        AERGO_RETURN_IF_ERROR(arity(2));
        kf->encrypted = false;
      } else if (f.size() >= 2 && f[1] == kKdfArgon) {
        AERGO_RETURN_IF_ERROR(arity(5));
        kf->encrypted = true;
        if (!ParseU64(f[2], &kf->opslimit) || kf->opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
            kf->opslimit > kMaxOpsLimit) {
          return Invalid(where + ": bad opslimit '" + Printable(f[2]) + "' (must be " +
                         std::to_string(crypto_pwhash_argon2id_OPSLIMIT_MIN) + ".." +
                         std::to_string(kMaxOpsLimit) + ")");
        }
        if (!ParseU64(f[3], &kf->memlimit) || kf->memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
            kf->memlimit > kMaxMemLimit) {
          return Invalid(where + ": bad memlimit '" + Printable(f[3]) + "' (must be " +
                         std::to_string(crypto_pwhash_argon2id_MEMLIMIT_MIN) + ".." +
                         std::to_string(kMaxMemLimit) + ")");
        }
        if (!FromHex(f[4], &kf->salt)) return Invalid(where + ": salt is not 32 hex digits");
      } else {
        return Invalid(where + ": unknown kdf '" + Printable(f.size() >= 2 ? f[1] : "") + "'");
      }
    } else if (key == "nonce") {
      AERGO_RETURN_IF_ERROR(dup(&have_nonce));
      AERGO_RETURN_IF_ERROR(arity(2));
      if (!FromHex(f[1], &kf->nonce)) return Invalid(where + ": nonce is not 48 hex digits");
    } else if (key == "check") {
      AERGO_RETURN_IF_ERROR(dup(&have_check));
      AERGO_RETURN_IF_ERROR(arity(2));
      if (!FromHex(f[1], &kf->check)) return Invalid(where + ": check is not 64 hex digits");
    } else if (key == "secret") {
      AERGO_RETURN_IF_ERROR(dup(&have_secret));
      AERGO_RETURN_IF_ERROR(arity(2));
      secret_hex.assign(f[1]);
    } else {
      return Invalid(where + ": unknown field '" + Printable(key) + "'");
    }
  }
  if (!have_public) return Invalid("missing 'public'");
  if (!have_kdf) return Invalid("missing 'kdf'");
  if (!have_secret) return Invalid("missing 'secret'");
  if (kf->encrypted && !have_nonce) return Invalid("missing 'nonce'");
  if (kf->encrypted && !have_check) return Invalid("missing 'check'");
  if (!kf->encrypted && have_nonce) return Invalid("'nonce' given for an unencrypted key");
  if (!kf->encrypted && have_check) return Invalid("'check' given for an unencrypted key");
  if (kf->encrypted) {
    if (secret_hex.size() != 2 * kSealedBytes ||
        !FromHex(secret_hex, kf->sealed.data(), kf->sealed.size())) {
      return Invalid("secret is not " + std::to_string(2 * kSealedBytes) + " hex digits");
    }
  } else {
    if (secret_hex.size() != 2 * kSeedBytes ||
        !FromHex(secret_hex, clear_seed->data(), clear_seed->size())) {
      return Invalid("secret is not " + std::to_string(2 * kSeedBytes) + " hex digits");
    }
  }
  return Status::Ok();
}

// Keys derived from a passphrase: Argon2id13 gives a 32-byte master key, from
// which crypto_kdf derives the secretbox key (id 1) and the check value
// (id 2) that tells a wrong passphrase from a damaged ciphertext.
struct DerivedKeys {
  SecretBuf<crypto_secretbox_KEYBYTES> box;
  std::array<uint8_t, kCheckBytes> check{};
};

bool DeriveKeys(const std::string& passphrase, const uint8_t* salt, uint64_t opslimit,
                uint64_t memlimit, DerivedKeys* out) {
  SecretBuf<crypto_kdf_KEYBYTES> master;
  if (crypto_pwhash(master.data(), master.size(), passphrase.data(), passphrase.size(), salt,
                    opslimit, static_cast<size_t>(memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return false;
  }
  crypto_kdf_derive_from_key(out->box.data(), out->box.size(), kSubkeyBox, kKdfContext,
                             master.data());
  crypto_kdf_derive_from_key(out->check.data(), out->check.size(), kSubkeyCheck, kKdfContext,
                             master.data());
  return true;
}

std::string Quote(const std::string& name) { return "'" + name + "'"; }

Status InvalidName(const std::string& name) {
  return Invalid("invalid key name '" + name + "': use letters, digits, '.', '_' or '-'");
}

Status CorruptFile(const std::string& path, const std::string& why) {
  return Corrupt("key file '" + path + "' is corrupt: " + why);
}

// Reads and parses key `name`; for an unencrypted key also checks that the
// seed yields the stored public key and fills `clear_seed`.
Status ReadKey(const std::string& name, const std::string& path, KeyFile* kf,
               SecretBuf<kSeedBytes>* clear_seed) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound("key " + Quote(name) + " not found");
    return IoError("cannot open key file '" + path + "': " + ErrnoText(errno));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return IoError("cannot stat key file '" + path + "': " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) return CorruptFile(path, "not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxFileSize) return CorruptFile(path, "file too large");
  std::string text(kMaxFileSize + 1, '\0');
  StringWiper wipe_text(&text);
  size_t got = 0;
  while (got < text.size()) {
    ssize_t r = ::read(fd.get(), text.data() + got, text.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read key file '" + path + "': " + ErrnoText(errno));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  if (got > kMaxFileSize) return CorruptFile(path, "file too large");
  Status st_parse = ParseKeyFile(std::string_view(text.data(), got), kf, clear_seed);
  if (!st_parse.ok()) return CorruptFile(path, st_parse.message());
  if (!kf->encrypted) {
    SecretKey sk = SecretKey::FromSeed(clear_seed->data());
    if (sodium_memcmp(sk.public_key().data(), kf->public_key.data(), kf->public_key.size()) != 0) {
      return CorruptFile(path, "secret does not match the public key");
    }
  }
  return Status::Ok();
}

KeyInfo MakeInfo(const std::string& name, const KeyFile& kf) {
  KeyInfo info;
  info.name = name;
  info.public_key = kf.public_key;
  info.address = AddressFromKey(kf.public_key);
  info.encrypted = kf.encrypted;
  return info;
}

}  // namespace

bool KeyStore::IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

std::string KeyStore::KeyPath(const std::string& name) const {
  return home_ + "/keys/" + name + ".key";
}

Result<KeyInfo> KeyStore::Create(const std::string& name, const std::string& passphrase) {
  if (!IsValidName(name)) return InvalidName(name);
  const std::string dir = home_ + "/keys";
  const std::string path = KeyPath(name);
  AERGO_RETURN_IF_ERROR(EnsureDir(home_));
  AERGO_RETURN_IF_ERROR(EnsureDir(dir));
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return Exists("key " + Quote(name) + " already exists");

  // The new key.
  SecretBuf<kSeedBytes> seed;
  randombytes_buf(seed.data(), seed.size());
  PublicKey pk = SecretKey::FromSeed(seed.data()).public_key();
  const bool encrypted = !passphrase.empty();

  std::string text;
  StringWiper wipe_text(&text);
  text.reserve(512);
  text += kHeader;
  text += "\npublic " + ToHex(pk) + "\n";
  if (encrypted) {
    const uint64_t ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
    const uint64_t mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
    std::array<uint8_t, crypto_pwhash_argon2id_SALTBYTES> salt;
    std::array<uint8_t, crypto_secretbox_NONCEBYTES> nonce;
    randombytes_buf(salt.data(), salt.size());
    randombytes_buf(nonce.data(), nonce.size());
    DerivedKeys keys;
    if (!DeriveKeys(passphrase, salt.data(), ops, mem, &keys)) {
      return IoError("cannot derive key for " + Quote(name) + ": out of memory");
    }
    std::array<uint8_t, kSealedBytes> sealed;
    crypto_secretbox_easy(sealed.data(), seed.data(), seed.size(), nonce.data(), keys.box.data());
    text += "kdf " + std::string(kKdfArgon) + " " + std::to_string(ops) + " " +
            std::to_string(mem) + " " + ToHex(salt) + "\n";
    text += "nonce " + ToHex(nonce) + "\n";
    text += "check " + ToHex(keys.check) + "\n";
    text += "secret " + ToHex(sealed) + "\n";
  } else {
    text += "kdf none\n";
    std::string hex = ToHex(seed.data(), seed.size());
    text += "secret ";
    text += hex;
    text += "\n";
    sodium_memzero(hex.data(), hex.size());
  }

  // Write to a temporary name, sync, then move into place without replacing.
  const std::string tmp = TempName(dir, name);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return IoError("cannot create '" + tmp + "': " + ErrnoText(errno));
  auto fail = [&](const std::string& what, int e) {
    fd.Close();
    ::unlink(tmp.c_str());
    return IoError("cannot " + what + " '" + tmp + "': " + ErrnoText(e));
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail("set mode of", errno);
  Status ws = WriteAll(fd.get(), text.data(), text.size());
  if (!ws.ok()) {
    fd.Close();
    ::unlink(tmp.c_str());
    return IoError("cannot write '" + tmp + "': " + ws.message());
  }
  if (::fsync(fd.get()) != 0) return fail("sync", errno);
  if (fd.Close() != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot close '" + tmp + "': " + ErrnoText(e));
  }
  int e = InstallNoReplace(tmp, path);
  if (e != 0) {
    ::unlink(tmp.c_str());
    if (e == EEXIST) return Exists("key " + Quote(name) + " already exists");
    return IoError("cannot install key file '" + path + "': " + ErrnoText(e));
  }
  AERGO_RETURN_IF_ERROR(FsyncDir(dir));

  KeyInfo info;
  info.name = name;
  info.public_key = pk;
  info.address = AddressFromKey(pk);
  info.encrypted = encrypted;
  return info;
}

Result<KeyInfo> KeyStore::Info(const std::string& name) const {
  if (!IsValidName(name)) return InvalidName(name);
  KeyFile kf;
  SecretBuf<kSeedBytes> seed;
  AERGO_RETURN_IF_ERROR(ReadKey(name, KeyPath(name), &kf, &seed));
  return MakeInfo(name, kf);
}

Result<std::vector<KeyInfo>> KeyStore::List() const {
  const std::string dir = home_ + "/keys";
  std::vector<KeyInfo> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return IoError("cannot list directory '" + dir + "': " + ErrnoText(errno));
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* ent = ::readdir(d)) {
    std::string_view fn = ent->d_name;
    constexpr std::string_view kExt = ".key";
    if (fn.size() <= kExt.size() || fn.substr(fn.size() - kExt.size()) != kExt) continue;
    std::string name(fn.substr(0, fn.size() - kExt.size()));
    if (IsValidName(name)) names.push_back(std::move(name));
  }
  int e = errno;
  ::closedir(d);
  if (e != 0) return IoError("cannot list directory '" + dir + "': " + ErrnoText(e));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    KeyFile kf;
    SecretBuf<kSeedBytes> seed;
    Status s = ReadKey(name, KeyPath(name), &kf, &seed);
    if (s.code() == Code::kNotFound) continue;  // removed while listing
    AERGO_RETURN_IF_ERROR(s);
    out.push_back(MakeInfo(name, kf));
  }
  return out;
}

Result<SecretKey> KeyStore::Load(const std::string& name, const PassphraseSource& passphrase) const {
  if (!IsValidName(name)) return InvalidName(name);
  const std::string path = KeyPath(name);
  KeyFile kf;
  SecretBuf<kSeedBytes> seed;
  AERGO_RETURN_IF_ERROR(ReadKey(name, path, &kf, &seed));
  if (kf.encrypted) {
    std::optional<std::string> pass;
    if (passphrase) pass = passphrase("Passphrase for key " + Quote(name) + ": ", false);
    if (!pass) {
      return Denied("key " + Quote(name) +
                    " is encrypted and no passphrase is available: set AERGO_PASSPHRASE or run on "
                    "a terminal");
    }
    StringWiper wipe_pass(&*pass);
    DerivedKeys keys;
    if (!DeriveKeys(*pass, kf.salt.data(), kf.opslimit, kf.memlimit, &keys)) {
      return IoError("cannot derive key for " + Quote(name) + ": out of memory");
    }
    const bool check_ok = sodium_memcmp(keys.check.data(), kf.check.data(), kCheckBytes) == 0;
    const bool open_ok = crypto_secretbox_open_easy(seed.data(), kf.sealed.data(),
                                                    kf.sealed.size(), kf.nonce.data(),
                                                    keys.box.data()) == 0;
    if (!open_ok) {
      if (!check_ok) return Denied("wrong passphrase for key " + Quote(name));
      return CorruptFile(path, "secret does not decrypt (damaged ciphertext or nonce)");
    }
    // The box opened, so the passphrase is right and the check value is damaged.
    if (!check_ok) return CorruptFile(path, "check value does not match");
  }
  SecretKey sk = SecretKey::FromSeed(seed.data());
  if (sodium_memcmp(sk.public_key().data(), kf.public_key.data(), kf.public_key.size()) != 0) {
    return CorruptFile(path, "secret does not match the public key");
  }
  return sk;
}

}  // namespace aergo
