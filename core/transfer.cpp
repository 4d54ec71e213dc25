#include "core/transfer.h"

#include <git2/odb_backend.h>
#include <signal.h>  // kill(pid, 0) only: is a quarantine's process alive
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

namespace aergo {

namespace fs = std::filesystem;

namespace {
using WalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;

constexpr const char* kQuarantinePrefix = "incoming-";
// The most objects a received pack may declare. libgit2's indexer sizes an
// array by the count in the pack's 12-byte header before reading any object
// (by default up to 2^32 entries: a 34 GB allocation asked for by 12
// untrusted bytes; found by tests/fuzz/pack_fuzz.cpp). A block is six
// objects, so this admits packs of over 11 million blocks.
constexpr size_t kMaxPackObjects = size_t{1} << 26;
// The fewest bytes a pack entry takes: a one-byte header and the shortest
// zlib stream (2 bytes of header, an empty final block of 2, the Adler-32).
constexpr uint64_t kMinEntryBytes = 9;

struct OidHash {
  size_t operator()(const Oid& o) const {
    size_t h;
    std::memcpy(&h, o.raw.id, sizeof h);
    return h;
  }
};
using OidSet = std::unordered_set<Oid, OidHash>;

// Walks the trees and blobs under `tree` (itself excluded), skipping those
// in *skip, inserting each into *seen (and skipping it if it was there),
// and appending the new ones to *trees or *blobs when these are given.
Status AddTree(GitRepo& git, const Oid& tree, OidSet* seen, const OidSet* skip,
               std::vector<Oid>* trees, std::vector<Oid>* blobs) {
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, git.get(), &tree.raw) != 0) return IoError("pack: " + GitError());
  TreePtr t(raw_tree);
  for (size_t i = 0, n = git_tree_entrycount(t.get()); i < n; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(t.get(), i);
    git_object_t type = git_tree_entry_type(e);
    if (type != GIT_OBJECT_TREE && type != GIT_OBJECT_BLOB) continue;  // a submodule: not ours
    Oid o;
    git_oid_cpy(&o.raw, git_tree_entry_id(e));
    if (skip && skip->count(o)) continue;
    if (!seen->insert(o).second) continue;
    if (type == GIT_OBJECT_TREE) {
      if (trees) trees->push_back(o);
      AERGO_RETURN_IF_ERROR(AddTree(git, o, seen, skip, trees, blobs));
    } else if (blobs) {
      blobs->push_back(o);
    }
  }
  return Status::Ok();
}

// SHA-1 for a pack's trailing checksum, from OpenSSL's libcrypto (which
// libgit2 loads anyway).
class Sha1 {
 public:
  Sha1() : ctx_(EVP_MD_CTX_new()) { ok_ = ctx_ && EVP_DigestInit_ex(ctx_, EVP_sha1(), nullptr) == 1; }
  ~Sha1() { EVP_MD_CTX_free(ctx_); }
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;
  void Update(const uint8_t* p, size_t n) { ok_ = ok_ && EVP_DigestUpdate(ctx_, p, n) == 1; }
  // False if libcrypto failed at any step.
  bool Final(uint8_t out[20]) {
    unsigned int len = 0;
    return ok_ && EVP_DigestFinal_ex(ctx_, out, &len) == 1 && len == 20;
  }

 private:
  EVP_MD_CTX* ctx_;
  bool ok_ = false;
};

// The pack's bytes on their way to the sink, in chunks, checksummed.
class PackOut {
 public:
  explicit PackOut(const PackSink& sink) : sink_(sink) {}
  bool Put(const void* data, size_t n, bool hashed = true) {
    auto* p = static_cast<const uint8_t*>(data);
    if (hashed) sha_.Update(p, n);
    buf_.append(reinterpret_cast<const char*>(p), n);
    return buf_.size() < kChunk || Flush();
  }
  bool Flush() {
    if (buf_.empty()) return true;
    bytes_ += buf_.size();
    bool ok = sink_(buf_.data(), buf_.size());
    buf_.clear();
    return ok;
  }
  bool Sum(uint8_t out[20]) { return sha_.Final(out); }
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kChunk = 64u << 10;
  const PackSink& sink_;
  Sha1 sha_;
  std::string buf_;
  uint64_t bytes_ = 0;
};

// One pack entry: the type-and-size header, then the object deflated.
bool DeflateEntry(git_odb_object* obj, std::string* entry) {
  size_t size = git_odb_object_size(obj);
  unsigned type = static_cast<unsigned>(git_odb_object_type(obj));
  uint8_t c = static_cast<uint8_t>((type << 4) | (size & 0x0f));
  for (size_t rest = size >> 4; rest; rest >>= 7) {
    entry->push_back(static_cast<char>(c | 0x80));
    c = static_cast<uint8_t>(rest & 0x7f);
  }
  entry->push_back(static_cast<char>(c));
  size_t head = entry->size();
  uLong bound = compressBound(static_cast<uLong>(size));
  entry->resize(head + bound);
  uLongf got = bound;
  if (compress2(reinterpret_cast<Bytef*>(&(*entry)[head]), &got,
                static_cast<const Bytef*>(git_odb_object_data(obj)), static_cast<uLong>(size),
                Z_DEFAULT_COMPRESSION) != Z_OK)
    return false;
  entry->resize(head + got);
  return true;
}

std::string PackDir(GitRepo* git) { return std::string(git_repository_path(git->get())) + "objects/pack"; }

// Removes quarantine directories whose process is gone.
void RemoveStaleQuarantines(const std::string& pack_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(pack_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(kQuarantinePrefix, 0) != 0) continue;
    std::string rest = name.substr(std::string(kQuarantinePrefix).size());
    long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid > 0 && pid != getpid() && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove_all(e.path(), rm);
    }
  }
}
}  // namespace

Result<PackStats> WritePack(GitRepo& git, const std::vector<Oid>& wants,
                            const std::vector<Oid>& haves, const PackSink& sink) {
  git_revwalk* raw_walk = nullptr;
  if (git_revwalk_new(&raw_walk, git.get()) != 0) return IoError("pack: " + GitError());
  WalkPtr walk(raw_walk);
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, git.get()) != 0) return IoError("pack: " + GitError());
  OdbPtr odb(raw_odb);
  for (const auto& w : wants) {
    if (!git_odb_exists(odb.get(), &w.raw)) return NotFound("pack: object " + w.Hex() + " not found");
    if (git_revwalk_push(walk.get(), &w.raw) != 0) return IoError("pack: " + GitError());
  }
  // The trees and blobs of the hidden commits are left out too (the
  // receiver has them); objects shared with older commits are not looked for.
  OidSet hidden, seen;
  std::vector<Oid> commits, trees, blobs;
  for (const auto& h : haves) {
    if (!git_odb_exists(odb.get(), &h.raw)) continue;
    if (git_revwalk_hide(walk.get(), &h.raw) != 0) return IoError("pack: " + GitError());
    git_commit* raw_commit = nullptr;
    if (git_commit_lookup(&raw_commit, git.get(), &h.raw) != 0) return IoError("pack: " + GitError());
    CommitPtr commit(raw_commit);
    Oid tree;
    git_oid_cpy(&tree.raw, git_commit_tree_id(commit.get()));
    hidden.insert(tree);
    AERGO_RETURN_IF_ERROR(AddTree(git, tree, &hidden, nullptr, nullptr, nullptr));
  }
  git_oid walked;
  int rc;
  while ((rc = git_revwalk_next(&walked, walk.get())) == 0) {
    Oid c;
    git_oid_cpy(&c.raw, &walked);
    if (!seen.insert(c).second) continue;
    commits.push_back(c);
    git_commit* raw_commit = nullptr;
    if (git_commit_lookup(&raw_commit, git.get(), &walked) != 0) return IoError("pack: " + GitError());
    CommitPtr commit(raw_commit);
    Oid tree;
    git_oid_cpy(&tree.raw, git_commit_tree_id(commit.get()));
    if (hidden.count(tree) || !seen.insert(tree).second) continue;
    trees.push_back(tree);
    AERGO_RETURN_IF_ERROR(AddTree(git, tree, &seen, &hidden, &trees, &blobs));
  }
  if (rc != GIT_ITEROVER) return IoError("pack: " + GitError());

  PackOut out(sink);
  PackStats stats;
  stats.objects = commits.size() + trees.size() + blobs.size();
  if (stats.objects > UINT32_MAX) return Invalid("pack: too many objects");
  uint8_t head[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
  for (int i = 0; i < 4; ++i) head[8 + i] = static_cast<uint8_t>(stats.objects >> (24 - 8 * i));
  if (!out.Put(head, sizeof head)) return Failed("pack: the receiver stopped reading");
  // Objects go in batches: read here, deflated on every core, sent in order.
  std::vector<const Oid*> order;
  order.reserve(stats.objects);
  for (const auto* list : {&commits, &trees, &blobs})
    for (const auto& o : *list) order.push_back(&o);
  constexpr size_t kBatchBytes = 4u << 20;
  struct Item {
    OdbObjectPtr obj;
    std::string entry;  // header, then deflated data
  };
  for (size_t at = 0; at < order.size();) {
    std::vector<Item> batch;
    size_t raw_bytes = 0;
    while (at < order.size() && (batch.empty() || raw_bytes < kBatchBytes)) {
      git_odb_object* raw_obj = nullptr;
      if (git_odb_read(&raw_obj, odb.get(), &order[at]->raw) != 0)
        return IoError("pack: object " + order[at]->Hex() + ": " + GitError());
      batch.push_back({OdbObjectPtr(raw_obj), {}});
      raw_bytes += git_odb_object_size(raw_obj);
      ++at;
    }
    std::atomic<size_t> next{0};
    std::atomic<bool> deflated{true};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < batch.size();)
        if (!DeflateEntry(batch[i].obj.get(), &batch[i].entry)) deflated = false;
    };
    std::vector<std::thread> helpers;
    size_t cores = std::max(1u, std::thread::hardware_concurrency());
    for (size_t t = 1; t < std::min(cores, batch.size()); ++t) helpers.emplace_back(work);
    work();
    for (auto& t : helpers) t.join();
    if (!deflated) return IoError("pack: zlib failed");
    for (auto& item : batch) {
      item.obj.reset();
      if (!out.Put(item.entry.data(), item.entry.size())) return Failed("pack: the receiver stopped reading");
      std::string().swap(item.entry);
    }
  }
  uint8_t sum[20];
  if (!out.Sum(sum)) return IoError("pack: libcrypto failed to compute the SHA-1 checksum");
  if (!out.Put(sum, sizeof sum, false) || !out.Flush()) return Failed("pack: the receiver stopped reading");
  stats.bytes = out.bytes();
  return stats;
}

Result<std::unique_ptr<PackReceiver>> PackReceiver::Create(GitRepo* git, uint64_t max_bytes) {
  static std::atomic<uint64_t> counter{0};
  static std::once_flag bound_objects;
  std::call_once(bound_objects, [] { git_libgit2_opts(GIT_OPT_SET_PACK_MAX_OBJECTS, kMaxPackObjects); });
  std::string pack_dir = PackDir(git);
  std::error_code ec;
  fs::create_directories(pack_dir, ec);
  RemoveStaleQuarantines(pack_dir);
  std::unique_ptr<PackReceiver> r(new PackReceiver());
  r->git_ = git;
  r->max_bytes_ = max_bytes;
  r->scanner_ = std::make_unique<PackScanner>(PackLimits{});
  r->set_limits(PackLimits::AnyChain());
  r->dir_ = pack_dir + "/" + kQuarantinePrefix + std::to_string(getpid()) + "-" +
            std::to_string(counter.fetch_add(1));
  fs::remove_all(r->dir_, ec);
  if (!fs::create_directory(r->dir_, ec))
    return IoError("cannot create quarantine '" + r->dir_ + "': " + ec.message());
  git_indexer_options opts;
  git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION);
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, git->get()) != 0) return IoError("quarantine: " + GitError());
  OdbPtr odb(raw_odb);
  if (git_indexer_new(&r->indexer_, r->dir_.c_str(), 0, odb.get(), &opts) != 0)
    return IoError("quarantine: " + GitError());
  return r;
}

PackReceiver::~PackReceiver() {
  if (indexer_) git_indexer_free(indexer_);
  if (!dir_.empty()) {
    // Refused or abandoned: the quarantined objects must not stay readable.
    if (finished_) (void)git_->RefreshObjects();  // best effort in a destructor: nothing to report to
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void PackReceiver::set_limits(PackLimits limits) {
  limits.max_objects = std::min<uint64_t>(limits.max_objects, kMaxPackObjects);
  if (max_bytes_) limits.max_objects = std::min<uint64_t>(limits.max_objects, max_bytes_ / kMinEntryBytes);
  limits_ = limits;
  if (scanner_) scanner_->set_limits(std::move(limits));
}

Status PackReceiver::Append(const void* data, size_t size) {
  if (finished_) return Invalid("pack: data after the end");
  if (max_bytes_ && stats_.bytes + size > max_bytes_)
    return Invalid("pack exceeds the limit of " + std::to_string(max_bytes_) + " bytes");
  // Checked before the indexer sees a byte of it.
  AERGO_RETURN_IF_ERROR(scanner_->Scan(static_cast<const uint8_t*>(data), size));
  git_indexer_progress& p = raw_;
  if (git_indexer_append(indexer_, data, size, &p) != 0)
    return Invalid("malformed pack: " + GitError());
  stats_.bytes += size;
  stats_.objects = p.indexed_objects;
  stats_.total = p.total_objects;
  if (progress_) progress_(stats_);
  return Status::Ok();
}

Status PackReceiver::Finish() {
  if (finished_) return Status::Ok();
  git_indexer_progress& p = raw_;
  if (stats_.bytes == 0) return Invalid("malformed pack: no data received");
  // The limits may have tightened since the bytes arrived (the chain's,
  // set once known): deltas are resolved, and objects allocated, only after.
  AERGO_RETURN_IF_ERROR(scanner_->Recheck(limits_));
  if (git_indexer_commit(indexer_, &p) != 0)
    return Invalid("malformed pack: " + GitError() + " (" + std::to_string(p.indexed_objects) + " of " +
                   std::to_string(p.total_objects) + " objects, " + std::to_string(p.indexed_deltas) + " of " +
                   std::to_string(p.total_deltas) + " deltas resolved)");
  stats_.objects = p.indexed_objects;
  stats_.total = p.total_objects;
  if (progress_) progress_(stats_);
  pack_name_ = std::string("pack-") + git_indexer_name(indexer_);
  finished_ = true;
  git_indexer_free(indexer_);
  indexer_ = nullptr;
  scanner_.reset();
  // Make the quarantined objects readable, after the store's own.
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, git_->get()) != 0) return IoError("quarantine: " + GitError());
  OdbPtr odb(raw_odb);
  git_odb_backend* one = nullptr;
  std::string idx = dir_ + "/" + pack_name_ + ".idx";
  if (git_odb_backend_one_pack(&one, idx.c_str()) != 0 || git_odb_add_backend(odb.get(), one, 0) != 0)
    return IoError("quarantine: " + GitError());
  return Status::Ok();
}

Result<std::vector<std::pair<Oid, git_object_t>>> PackReceiver::Objects() const {
  if (!finished_) return Invalid("pack: read before it was finished");
  if (objects_) return *objects_;
  git_odb* raw_odb = nullptr;
  if (git_odb_new(&raw_odb) != 0) return IoError("quarantine: " + GitError());
  OdbPtr odb(raw_odb);
  git_odb_backend* one = nullptr;
  std::string idx = dir_ + "/" + pack_name_ + ".idx";
  if (git_odb_backend_one_pack(&one, idx.c_str()) != 0 || git_odb_add_backend(odb.get(), one, 1) != 0)
    return IoError("quarantine: " + GitError());
  std::vector<Oid> all;
  if (git_odb_foreach(odb.get(), [](const git_oid* id, void* payload) -> int {
        Oid o;
        git_oid_cpy(&o.raw, id);
        static_cast<std::vector<Oid>*>(payload)->push_back(o);
        return 0;
      }, &all) != 0)
    return Invalid("malformed pack: " + GitError());
  std::vector<std::pair<Oid, git_object_t>> out;
  out.reserve(all.size());
  for (const auto& o : all) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb.get(), &o.raw) != 0)
      return Invalid("malformed pack: object " + o.Hex() + ": " + GitError());
    out.emplace_back(o, type);
  }
  objects_ = out;
  return out;
}

Result<std::vector<Oid>> PackReceiver::Commits() const {
  AERGO_ASSIGN_OR_RETURN(auto objects, Objects());
  std::vector<Oid> commits;
  for (const auto& [o, type] : objects)
    if (type == GIT_OBJECT_COMMIT) commits.push_back(o);
  return commits;
}

Status PackReceiver::CheckReferenced() const {
  AERGO_ASSIGN_OR_RETURN(auto objects, Objects());
  OidSet used;
  for (const auto& [o, type] : objects) {
    if (type != GIT_OBJECT_COMMIT) continue;
    used.insert(o);
    git_commit* raw_commit = nullptr;
    if (git_commit_lookup(&raw_commit, git_->get(), &o.raw) != 0) return Status::Ok();
    CommitPtr commit(raw_commit);
    Oid tree_id;
    git_oid_cpy(&tree_id.raw, git_commit_tree_id(commit.get()));
    used.insert(tree_id);
    git_tree* raw_tree = nullptr;
    if (git_tree_lookup(&raw_tree, git_->get(), &tree_id.raw) != 0) return Status::Ok();
    TreePtr tree(raw_tree);
    for (size_t i = 0, n = git_tree_entrycount(tree.get()); i < n; ++i) {
      Oid e;
      git_oid_cpy(&e.raw, git_tree_entry_id(git_tree_entry_byindex(tree.get(), i)));
      used.insert(e);
    }
  }
  for (const auto& [o, type] : objects)
    if (!used.count(o))
      return Invalid(std::string("pack refused: its ") + git_object_type2string(type) + " " + o.Hex() +
                     " is not part of any block it carries (a pack holds only its blocks' commits, trees and "
                     "blobs; " + std::to_string(objects.size()) + " objects)");
  return Status::Ok();
}

Status PackReceiver::Accept() {
  if (!finished_) return Invalid("pack: accepted before it was finished");
  std::string pack_dir = PackDir(git_);
  std::error_code ec;
  // The .pack first, the .idx last: a pack without an index is not read.
  for (const char* ext : {".pack", ".idx"}) {
    fs::path from = fs::path(dir_) / (pack_name_ + ext);
    fs::path to = fs::path(pack_dir) / (pack_name_ + ext);
    if (fs::exists(to)) continue;  // the same pack arrived before
    fs::rename(from, to, ec);
    if (ec) return IoError("cannot move pack into the object store: " + ec.message());
  }
  fs::remove_all(dir_, ec);
  dir_.clear();
  return git_->RefreshObjects();
}

Result<std::vector<Hash32>> HavesFor(GitRepo& git, Index& index, size_t limit) {
  constexpr uint64_t kMaxWalk = 4096;  // first-parent steps below each tip
  std::vector<Hash32> out;
  std::set<Hash32> walked;
  std::vector<std::pair<std::string, Oid>> tips;
  for (const char* prefix : {"refs/heads/", "refs/tags/", "refs/remotes/"}) {
    AERGO_ASSIGN_OR_RETURN(auto refs, git.ListRefs(prefix));
    tips.insert(tips.end(), refs.begin(), refs.end());
  }
  for (const auto& [name, oid] : tips) {
    AERGO_ASSIGN_OR_RETURN(auto row, index.GetBlockByOid(oid));
    if (!row) continue;
    uint64_t step = 1, next = 0;
    BlockRow r = *row;
    for (uint64_t depth = 0; depth <= kMaxWalk; ++depth) {
      if (!walked.insert(r.id).second) break;  // another tip's walk came this way
      if (depth == next || r.parents.empty()) {
        out.push_back(r.id);
        if (out.size() >= limit) return out;
        next += step;
        if (depth > 0) step *= 2;
      }
      if (r.parents.empty()) break;
      AERGO_ASSIGN_OR_RETURN(auto parent, index.GetBlock(r.parents[0]));
      if (!parent) break;
      r = std::move(*parent);
    }
  }
  return out;
}

}  // namespace aergo
