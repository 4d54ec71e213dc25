#include "core/git.h"

#include <git2/odb_backend.h>
#include <git2/sys/repository.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cstring>
#include <mutex>

namespace aergo {

namespace {
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using RefPtr = GitPtr<git_reference, git_reference_free>;
using BuilderPtr = GitPtr<git_treebuilder, git_treebuilder_free>;
using SigPtr = GitPtr<git_signature, git_signature_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;
using IterPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;

constexpr const char* kBlobNames[4] = {"header", "txs", "receipts", "changes"};
}  // namespace

// Start-up cost. git_libgit2_init() prepares the network transports: Debian's
// libgit2 1.5 (mbedTLS build) parses the whole system CA bundle (6-10 ms)
// and calls libssh2_init(), which initialises OpenSSL 3 with its config and
// providers (~1.5 ms) — most of an aergo command's run time. aergo never
// uses libgit2's network transports (remotes go through libcurl), so the
// executable interposes those three functions with no-ops (exported by the
// link options in core/CMakeLists.txt). Should libgit2 ever open a TLS
// connection, it would trust no certificate and fail closed; libssh2
// initialises itself on first use. With a differently built libgit2 these
// functions are simply never called.
extern "C" int mbedtls_x509_crt_parse_file(void* chain, const char* path) {
  (void)chain;
  (void)path;
  return 0;
}
extern "C" int mbedtls_x509_crt_parse_path(void* chain, const char* path) {
  (void)chain;
  (void)path;
  return 0;
}

extern "C" int libssh2_init(int flags) {
  (void)flags;
  return 0;
}

std::string GitError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

void GitGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string Oid::Hex() const {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &raw);
  return buf;
}

std::optional<Oid> Oid::FromHex(const std::string& hex) {
  Oid o;
  if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstr(&o.raw, hex.c_str()) != 0) return std::nullopt;
  return o;
}

GitRepo::~GitRepo() { git_repository_free(repo_); }

GitRepo& GitRepo::operator=(GitRepo&& o) noexcept {
  if (this != &o) {
    git_repository_free(repo_);
    repo_ = o.repo_;
    o.repo_ = nullptr;
  }
  return *this;
}

Result<GitRepo> GitRepo::Init(const std::string& path, const std::string& branch) {
  GitGlobalInit();
  git_repository_init_options opts;
  git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
  opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  std::string head = "refs/heads/" + branch;
  opts.initial_head = head.c_str();
  git_repository* r = nullptr;
  if (git_repository_init_ext(&r, path.c_str(), &opts) != 0)
    return IoError("cannot create object store at '" + path + "': " + GitError());
  GitRepo repo(r);
  git_config* raw_cfg = nullptr;
  if (git_repository_config(&raw_cfg, r) != 0) return IoError("git config: " + GitError());
  ConfigPtr cfg(raw_cfg);
  // Bare repositories keep no reflog by default; aergo wants one. The
  // identity only labels reflog entries.
  if (git_config_set_string(cfg.get(), "core.logAllRefUpdates", "always") != 0 ||
      git_config_set_string(cfg.get(), "user.name", "aergo") != 0 ||
      git_config_set_string(cfg.get(), "user.email", "aergo@localhost") != 0)
    return IoError("git config: " + GitError());
  AERGO_RETURN_IF_ERROR(repo.UseFastObjectStore());
  return repo;
}

Result<GitRepo> GitRepo::Open(const std::string& path) {
  GitGlobalInit();
  git_repository* r = nullptr;
  if (git_repository_open_bare(&r, path.c_str()) != 0)
    return IoError("cannot open object store '" + path + "': " + GitError());
  GitRepo repo(r);
  AERGO_RETURN_IF_ERROR(repo.UseFastObjectStore());
  return repo;
}

Status GitRepo::UseFastObjectStore() {
  std::string objects = std::string(git_repository_path(repo_)) + "objects";
  git_odb* raw_odb = nullptr;
  if (git_odb_new(&raw_odb) != 0) return IoError("object store: " + GitError());
  GitPtr<git_odb, git_odb_free> odb(raw_odb);
  git_odb_backend* loose = nullptr;
  git_odb_backend* packs = nullptr;
  // Priorities as libgit2's defaults: loose 1, packed 2 (higher is read first).
  if (git_odb_backend_loose(&loose, objects.c_str(), Z_BEST_SPEED, 0, 0, 0) != 0 ||
      git_odb_add_backend(odb.get(), loose, 1) != 0 ||
      git_odb_backend_pack(&packs, objects.c_str()) != 0 ||
      git_odb_add_backend(odb.get(), packs, 2) != 0)
    return IoError("object store '" + objects + "': " + GitError());
  git_repository_set_odb(repo_, odb.get());
  return Status::Ok();
}

Result<Oid> GitRepo::WriteBlock(const Block& block, const std::vector<Oid>& parent_commits) {
  const Bytes blobs[4] = {block.header.Encode(), block.EncodeTxs(), block.EncodeReceipts(),
                         block.changes};
  git_treebuilder* raw_tb = nullptr;
  if (git_treebuilder_new(&raw_tb, repo_, nullptr) != 0) return IoError("tree: " + GitError());
  BuilderPtr tb(raw_tb);
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo_) != 0) return IoError("object store: " + GitError());
  GitPtr<git_odb, git_odb_free> odb(raw_odb);
  for (int i = 0; i < 4; ++i) {
    git_oid oid;
    if (git_odb_hash(&oid, blobs[i].data(), blobs[i].size(), GIT_OBJECT_BLOB) != 0)
      return IoError("cannot hash block blob: " + GitError());
    // An existing object with this id is not rewritten: make sure it is sound.
    if (git_odb_exists(odb.get(), &oid)) AERGO_RETURN_IF_ERROR(CheckLoose(oid));
    if (git_blob_create_from_buffer(&oid, repo_, blobs[i].data(), blobs[i].size()) != 0)
      return IoError("cannot write block blob: " + GitError());
    if (git_treebuilder_insert(nullptr, tb.get(), kBlobNames[i], &oid, GIT_FILEMODE_BLOB) != 0)
      return IoError("tree: " + GitError());
  }
  git_oid tree_oid;
  if (git_treebuilder_write(&tree_oid, tb.get()) != 0) return IoError("tree: " + GitError());
  AERGO_RETURN_IF_ERROR(CheckLoose(tree_oid));
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, repo_, &tree_oid) != 0) return IoError("tree: " + GitError());
  TreePtr tree(raw_tree);

  std::vector<CommitPtr> parents;
  std::vector<const git_commit*> parent_ptrs;
  for (const auto& p : parent_commits) {
    AERGO_RETURN_IF_ERROR(CheckLoose(p.raw));
    git_commit* c = nullptr;
    if (git_commit_lookup(&c, repo_, &p.raw) != 0)
      return Corrupt("parent commit " + p.Hex() + " missing: " + GitError());
    parents.emplace_back(c);
    parent_ptrs.push_back(c);
  }
  std::string who = AddressFromKey(block.header.producer);
  git_signature* raw_sig = nullptr;
  if (git_signature_new(&raw_sig, who.c_str(), "producer@aergo",
                        static_cast<git_time_t>(block.header.time_ms / 1000), 0) != 0)
    return IoError("signature: " + GitError());
  SigPtr sig(raw_sig);
  std::string msg = block.header.message.empty() ? "(no message)" : block.header.message;
  msg += "\n\naergo-block: " + ToHex(block.Id()) + "\naergo-height: " +
         std::to_string(block.header.height) + "\n";
  Oid out;
  if (git_commit_create(&out.raw, repo_, nullptr, sig.get(), sig.get(), "UTF-8", msg.c_str(),
                        tree.get(), parent_ptrs.size(), parent_ptrs.data()) != 0)
    return IoError("cannot write block commit: " + GitError());
  return out;
}

Status GitRepo::CheckLoose(const git_oid& oid) const {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  std::string path = std::string(git_repository_path(repo_)) + "objects/" + std::string(hex, 2) +
                     "/" + std::string(hex + 2);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Ok();  // packed, or missing (libgit2 reports that)
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto corrupt = [&](const std::string& why) {
    return Corrupt("object " + std::string(hex) + " is corrupt: " + why);
  };
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return IoError("zlib failed to initialise");
  zs.next_in = reinterpret_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  // Header "<type> <size>\0" first, then exactly <size> bytes.
  std::string out;
  size_t want = 0;
  bool have_header = false;
  int rc = Z_OK;
  char buf[65536];
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    size_t got = sizeof buf - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, got);
    if (!have_header) {
      size_t nul = out.find('\0');
      if (nul == std::string::npos) {
        if (out.size() > 64) { rc = Z_DATA_ERROR; break; }
      } else {
        size_t sp = out.find(' ');
        if (sp == std::string::npos || sp > nul) { rc = Z_DATA_ERROR; break; }
        want = nul + 1 + std::strtoull(out.c_str() + sp + 1, nullptr, 10);
        have_header = true;
      }
    }
    if (have_header && out.size() > want) { rc = Z_DATA_ERROR; break; }
    if (got == 0 && zs.avail_in == 0 && rc != Z_STREAM_END) break;  // truncated
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return corrupt("damaged or truncated compressed data");
  if (!have_header || out.size() != want) return corrupt("size does not match its header");
  return Status::Ok();
}

bool GitRepo::HasObject(const Oid& oid) const {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo_) != 0) return true;  // unknown: let the read that follows report it
  GitPtr<git_odb, git_odb_free> odb(raw_odb);
  return git_odb_exists(odb.get(), &oid.raw) != 0;
}

Result<BlockBlobs> GitRepo::ReadBlockBlobs(const Oid& commit) const {
  AERGO_RETURN_IF_ERROR(CheckLoose(commit.raw));
  git_commit* raw_c = nullptr;
  if (git_commit_lookup(&raw_c, repo_, &commit.raw) != 0)
    return Corrupt("block object " + commit.Hex() + " is missing or unreadable: " + GitError());
  CommitPtr c(raw_c);
  AERGO_RETURN_IF_ERROR(CheckLoose(*git_commit_tree_id(c.get())));
  git_tree* raw_t = nullptr;
  if (git_commit_tree(&raw_t, c.get()) != 0)
    return Corrupt("block object " + commit.Hex() + " has no readable tree: " + GitError());
  TreePtr tree(raw_t);
  if (git_tree_entrycount(tree.get()) != 4)
    return Corrupt("block object " + commit.Hex() + " tree does not hold exactly 4 entries");
  BlockBlobs out;
  Bytes* dst[4] = {&out.header, &out.txs, &out.receipts, &out.changes};
  for (int i = 0; i < 4; ++i) {
    const git_tree_entry* e = git_tree_entry_byname(tree.get(), kBlobNames[i]);
    if (e == nullptr || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
      return Corrupt("block object " + commit.Hex() + " lacks blob '" + kBlobNames[i] + "'");
    AERGO_RETURN_IF_ERROR(CheckLoose(*git_tree_entry_id(e)));
    git_blob* raw_b = nullptr;
    if (git_blob_lookup(&raw_b, repo_, git_tree_entry_id(e)) != 0)
      return Corrupt("block object " + commit.Hex() + " blob '" + kBlobNames[i] +
                     "' is missing or unreadable: " + GitError());
    BlobPtr b(raw_b);
    const auto* p = static_cast<const uint8_t*>(git_blob_rawcontent(b.get()));
    dst[i]->assign(p, p + git_blob_rawsize(b.get()));
  }
  return out;
}

Result<std::vector<Oid>> GitRepo::CommitParents(const Oid& commit) const {
  AERGO_RETURN_IF_ERROR(CheckLoose(commit.raw));
  git_commit* raw_c = nullptr;
  if (git_commit_lookup(&raw_c, repo_, &commit.raw) != 0)
    return Corrupt("block object " + commit.Hex() + " is missing: " + GitError());
  CommitPtr c(raw_c);
  std::vector<Oid> out;
  for (unsigned i = 0; i < git_commit_parentcount(c.get()); ++i) {
    Oid o;
    git_oid_cpy(&o.raw, git_commit_parent_id(c.get(), i));
    out.push_back(o);
  }
  return out;
}

Result<std::optional<Oid>> GitRepo::ReadRef(const std::string& name) const {
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, repo_, name.c_str());
  if (rc == GIT_ENOTFOUND) return std::optional<Oid>();
  if (rc != 0) return Corrupt("ref '" + name + "' is unreadable: " + GitError());
  Oid o;
  o.raw = oid;
  return std::optional<Oid>(o);
}

template <typename Op>
int GitRepo::RetryStaleLock(const std::string& ref, Op op) {
  int rc = op();
  if (rc != GIT_ELOCKED || !exclusive_) return rc;
  std::string dir = git_repository_path(repo_);
  for (const std::string& lock : {ref + ".lock", std::string("packed-refs.lock")})
    std::remove((dir + lock).c_str());
  return op();
}

Status GitRepo::UpdateRef(const std::string& name, const Oid& target,
                          const std::optional<Oid>& expected, const std::string& log_message) {
  git_reference* raw = nullptr;
  int rc = RetryStaleLock(name, [&] {
    return expected ? git_reference_create_matching(&raw, repo_, name.c_str(), &target.raw, 1,
                                                    &expected->raw, log_message.c_str())
                    : git_reference_create(&raw, repo_, name.c_str(), &target.raw, 0,
                                           log_message.c_str());
  });
  RefPtr ref(raw);
  if (rc == GIT_EEXISTS) return Exists("ref '" + name + "' already exists");
  if (rc == GIT_EMODIFIED) return Busy("ref '" + name + "' was changed by another process");
  if (rc != 0) return IoError("cannot update ref '" + name + "': " + GitError());
  return Status::Ok();
}

Status GitRepo::ForceRef(const std::string& name, const Oid& target,
                         const std::string& log_message) {
  git_reference* raw = nullptr;
  int rc = RetryStaleLock(name, [&] {
    return git_reference_create(&raw, repo_, name.c_str(), &target.raw, 1, log_message.c_str());
  });
  RefPtr ref(raw);
  if (rc != 0) return IoError("cannot update ref '" + name + "': " + GitError());
  return Status::Ok();
}

Status GitRepo::DeleteRef(const std::string& name) {
  git_reference* raw = nullptr;
  int rc = git_reference_lookup(&raw, repo_, name.c_str());
  RefPtr ref(raw);
  if (rc == GIT_ENOTFOUND) return NotFound("ref '" + name + "' not found");
  if (rc != 0 || RetryStaleLock(name, [&] { return git_reference_delete(ref.get()); }) != 0)
    return IoError("cannot delete ref '" + name + "': " + GitError());
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, Oid>>> GitRepo::ListRefs(
    const std::string& prefix) const {
  git_reference_iterator* raw = nullptr;
  std::string glob = prefix + "*";
  if (git_reference_iterator_glob_new(&raw, repo_, glob.c_str()) != 0)
    return IoError("cannot list refs: " + GitError());
  IterPtr it(raw);
  std::vector<std::pair<std::string, Oid>> out;
  git_reference* ref = nullptr;
  int rc;
  while ((rc = git_reference_next(&ref, it.get())) == 0) {
    RefPtr r(ref);
    if (git_reference_type(r.get()) != GIT_REFERENCE_DIRECT) continue;
    Oid o;
    git_oid_cpy(&o.raw, git_reference_target(r.get()));
    out.emplace_back(std::string(git_reference_name(r.get())).substr(prefix.size()), o);
  }
  if (rc != GIT_ITEROVER) return Corrupt("cannot list refs: " + GitError());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::string> GitRepo::UnreadableRefs() const {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  fs::path root = fs::path(git_repository_path(repo_));
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root / "refs", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string name = fs::relative(it->path(), root).generic_string();
    git_reference* raw = nullptr;
    if (git_reference_lookup(&raw, repo_, name.c_str()) != 0) {
      out.push_back(name + ": " + GitError());
      continue;
    }
    RefPtr ref(raw);
    if (git_reference_type(ref.get()) != GIT_REFERENCE_DIRECT)
      out.push_back(name + ": a symbolic ref where a block ref belongs");
  }
  return out;
}

Result<HeadRef> GitRepo::Head() const {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo_, "HEAD") != 0) return Corrupt("HEAD is unreadable: " + GitError());
  RefPtr head(raw);
  HeadRef out;
  if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC) {
    std::string target = git_reference_symbolic_target(head.get());
    const std::string prefix = "refs/heads/";
    if (target.rfind(prefix, 0) != 0) return Corrupt("HEAD points outside refs/heads: " + target);
    out.branch = target.substr(prefix.size());
    AERGO_ASSIGN_OR_RETURN(out.target, ReadRef(target));
  } else {
    Oid o;
    git_oid_cpy(&o.raw, git_reference_target(head.get()));
    out.target = o;
  }
  return out;
}

Status GitRepo::SetHeadBranch(const std::string& branch, const std::string& log_message) {
  (void)log_message;  // libgit2 records "checkout: moving from A to B" itself
  std::string target = "refs/heads/" + branch;
  if (RetryStaleLock("HEAD", [&] { return git_repository_set_head(repo_, target.c_str()); }) != 0)
    return IoError("cannot update HEAD: " + GitError());
  return Status::Ok();
}

Status GitRepo::SetHeadDetached(const Oid& target, const std::string& log_message) {
  (void)log_message;
  AERGO_RETURN_IF_ERROR(CheckLoose(target.raw));
  if (RetryStaleLock("HEAD", [&] { return git_repository_set_head_detached(repo_, &target.raw); }) != 0)
    return IoError("cannot update HEAD: " + GitError());
  return Status::Ok();
}

}  // namespace aergo
