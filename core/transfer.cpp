#include "core/transfer.h"

#include <git2/odb_backend.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>

namespace aergo {

namespace fs = std::filesystem;

namespace {
template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { if (p) Free(p); }
};
using WalkPtr = std::unique_ptr<git_revwalk, Deleter<git_revwalk, git_revwalk_free>>;
using PackPtr = std::unique_ptr<git_packbuilder, Deleter<git_packbuilder, git_packbuilder_free>>;
using OdbPtr = std::unique_ptr<git_odb, Deleter<git_odb, git_odb_free>>;

constexpr const char* kQuarantinePrefix = "incoming-";

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
  for (const auto& h : haves)
    if (git_odb_exists(odb.get(), &h.raw) && git_revwalk_hide(walk.get(), &h.raw) != 0)
      return IoError("pack: " + GitError());
  git_packbuilder* raw_pb = nullptr;
  if (git_packbuilder_new(&raw_pb, git.get()) != 0) return IoError("pack: " + GitError());
  PackPtr pb(raw_pb);
  git_packbuilder_set_threads(pb.get(), 0);  // one per core
  if (git_packbuilder_insert_walk(pb.get(), walk.get()) != 0) return IoError("pack: " + GitError());
  PackStats stats;
  stats.objects = git_packbuilder_object_count(pb.get());
  struct Ctx {
    const PackSink* sink;
    PackStats* stats;
    bool aborted = false;
  } ctx{&sink, &stats};
  int rc = git_packbuilder_foreach(
      pb.get(),
      [](void* buf, size_t size, void* payload) -> int {
        auto* c = static_cast<Ctx*>(payload);
        c->stats->bytes += size;
        if (!(*c->sink)(buf, size)) {
          c->aborted = true;
          return -1;
        }
        return 0;
      },
      &ctx);
  if (ctx.aborted) return Failed("pack: the receiver stopped reading");
  if (rc != 0) return IoError("pack: " + GitError());
  return stats;
}

Result<std::unique_ptr<PackReceiver>> PackReceiver::Create(GitRepo* git, uint64_t max_bytes) {
  static std::atomic<uint64_t> counter{0};
  std::string pack_dir = PackDir(git);
  std::error_code ec;
  fs::create_directories(pack_dir, ec);
  RemoveStaleQuarantines(pack_dir);
  std::unique_ptr<PackReceiver> r(new PackReceiver());
  r->git_ = git;
  r->max_bytes_ = max_bytes;
  r->dir_ = pack_dir + "/" + kQuarantinePrefix + std::to_string(getpid()) + "-" +
            std::to_string(counter.fetch_add(1));
  fs::remove_all(r->dir_, ec);
  if (!fs::create_directory(r->dir_, ec))
    return IoError("cannot create quarantine '" + r->dir_ + "': " + ec.message());
  git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
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
    if (finished_) (void)git_->RefreshObjects();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Status PackReceiver::Append(const void* data, size_t size) {
  if (finished_) return Invalid("pack: data after the end");
  if (max_bytes_ && stats_.bytes + size > max_bytes_)
    return Invalid("pack exceeds the limit of " + std::to_string(max_bytes_) + " bytes");
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

Result<std::vector<Oid>> PackReceiver::Commits() const {
  if (!finished_) return Invalid("pack: read before it was finished");
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
  std::vector<Oid> commits;
  for (const auto& o : all) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb.get(), &o.raw) != 0)
      return Invalid("malformed pack: object " + o.Hex() + ": " + GitError());
    if (type == GIT_OBJECT_COMMIT) commits.push_back(o);
  }
  return commits;
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
