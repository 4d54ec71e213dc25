#include "remote/sync.h"

#include <unistd.h>

#include <filesystem>
#include <new>
#include <stdexcept>
#include <map>
#include <set>

#include "core/import.h"

namespace aergo {

namespace fs = std::filesystem;

namespace {

Status CheckSameChain(const Repository& repo, const RemoteRefs& refs, const Transport& remote) {
  if (refs.chain_id == repo.chain_id()) return Status::Ok();
  return Failed(remote.url() + " holds another ledger: its chain is " + ToHex(refs.chain_id) +
                ", this repository's is " + ToHex(repo.chain_id()));
}

// Receives a fetch's pack into rx, reporting Append's error rather than
// the transport's "refused while arriving".
Status ReceivePack(Transport& remote, const FetchRequest& request, PackReceiver* rx) {
  Status append_status;
  Status st = remote.Fetch(request, [&](const void* data, size_t size) {
    // Called from libcurl's C callback: no exception may leave it.
    try {
      append_status = rx->Append(data, size);
    } catch (const std::bad_alloc&) {
      append_status = Failed("out of memory while indexing it");
    }
    return append_status.ok();
  });
  if (!append_status.ok()) return Invalid("pack from " + remote.url() + ": " + append_status.message());
  return st;
}

// Runs f, turning a failed allocation into a Status: a hostile or damaged
// remote must never abort the process (std::bad_alloc uncaught: exit 134).
template <typename F>
auto NoAbort(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Failed("out of memory while " + what);
  } catch (const std::length_error&) {
    return Failed("out of memory while " + what + " (a size too large to allocate)");
  }
}

}  // namespace

std::string RemoteTrackingRef(const std::string& remote, const std::string& branch) {
  return "refs/remotes/" + remote + "/" + branch;
}

static Result<FetchReport> FetchFromImpl(Repository& repo, Transport& remote, const std::string& remote_name,
                                         const SyncOptions& options);

Result<FetchReport> FetchFrom(Repository& repo, Transport& remote, const std::string& remote_name,
                              const SyncOptions& options) {
  return NoAbort("fetching from " + remote.url(), [&] { return FetchFromImpl(repo, remote, remote_name, options); });
}

static Result<FetchReport> FetchFromImpl(Repository& repo, Transport& remote, const std::string& remote_name,
                                         const SyncOptions& options) {
  FetchReport rep;
  AERGO_ASSIGN_OR_RETURN(rep.refs, remote.ListRefs());
  AERGO_RETURN_IF_ERROR(CheckSameChain(repo, rep.refs, remote));
  std::set<Hash32> wanted;
  for (const auto* list : {&rep.refs.branches, &rep.refs.tags})
    for (const auto& [name, id] : *list) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(id));
      if (!row) wanted.insert(id);
    }
  if (!wanted.empty()) {
    FetchRequest request;
    request.wants.assign(wanted.begin(), wanted.end());
    AERGO_ASSIGN_OR_RETURN(request.haves, HavesFor(repo.git(), repo.index()));
    request.haves.push_back(repo.chain_id());
    AERGO_ASSIGN_OR_RETURN(auto rx, ReceiverFor(repo, 0));
    if (options.progress) rx->set_progress(options.progress);
    AERGO_RETURN_IF_ERROR(ReceivePack(remote, request, rx.get()));
    AERGO_ASSIGN_OR_RETURN(IncomingBlocks incoming, VerifyPack(repo, rx.get()));
    std::set<Hash32> arrived;
    for (const auto& e : incoming.blocks) arrived.insert(e.block.Id());
    for (const auto& id : wanted)
      if (!arrived.count(id)) return Corrupt(remote.url() + " did not send block " + ToHex(id));
    AERGO_RETURN_IF_ERROR(StorePack(repo, rx.get(), incoming));
    rep.blocks = incoming.blocks.size();
    rep.txs = incoming.txs;
    rep.pack = rx->progress();
  }
  for (const auto& [branch, id] : rep.refs.branches) {
    if (!Repository::IsValidRefName(branch)) continue;  // never write a ref the remote named badly
    std::string ref = RemoteTrackingRef(remote_name, branch);
    AERGO_ASSIGN_OR_RETURN(BlockRow row, repo.BlockInfo(id));
    AERGO_ASSIGN_OR_RETURN(auto old_oid, repo.git().ReadRef(ref));
    std::optional<Hash32> old;
    if (old_oid) {
      AERGO_ASSIGN_OR_RETURN(auto old_row, repo.index().GetBlockByOid(*old_oid));
      if (old_row) old = old_row->id;
    }
    if (old && *old == id) continue;
    AERGO_RETURN_IF_ERROR(repo.git().ForceRef(ref, row.oid, "fetch: " + remote.url()));
    rep.branches.push_back({remote_name + "/" + branch, old, id});
  }
  for (const auto& [tag, id] : rep.refs.tags) {
    if (!Repository::IsValidRefName(tag)) continue;
    AERGO_ASSIGN_OR_RETURN(auto existing, repo.TagTarget(tag));
    if (existing && *existing == id) continue;
    if (existing) {
      rep.tag_conflicts.push_back("tag '" + tag + "' is at " + ShortId(*existing) + " here and at " +
                                  ShortId(id) + " on " + remote.url() + "; kept this one");
      continue;
    }
    AERGO_RETURN_IF_ERROR(repo.CreateTag(tag, id));
    rep.tags.push_back({tag, std::nullopt, id});
  }
  return rep;
}

Result<CloneReport> Clone(const std::string& url, const std::string& dir, const std::string& branch,
                          const TransportOptions& transport, const Clock& clock, const SyncOptions& options) {
  AERGO_ASSIGN_OR_RETURN(auto remote, OpenTransport(url, transport));
  AERGO_ASSIGN_OR_RETURN(RemoteRefs refs, remote->ListRefs());
  CloneReport rep;
  rep.dir = dir;
  rep.branch = branch;
  if (rep.branch.empty()) rep.branch = refs.head;
  std::optional<Hash32> head;
  for (const auto& [name, id] : refs.branches)
    if (name == rep.branch) head = id;
  if (!head && branch.empty() && !refs.branches.empty()) {  // a detached remote HEAD
    rep.branch = refs.branches.front().first;
    head = refs.branches.front().second;
  }
  if (!head) return NotFound(url + " has no branch '" + rep.branch + "'");

  // Where to build: a new or empty directory, or an incomplete clone of url.
  std::error_code ec;
  bool resume = false, created_dir = !fs::exists(dir, ec), repo_created = false;
  fs::path aergo_dir = fs::absolute(fs::path(dir) / ".aergo");
  if (!created_dir) {
    if (fs::exists(aergo_dir / "config")) {
      AERGO_ASSIGN_OR_RETURN(Config cfg, Config::Load((aergo_dir / "config").string()));
      if (cfg.Get("clone.incomplete").value_or("") != url)
        return Exists("destination '" + dir + "' already holds a repository");
      resume = true;
    } else if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return Exists("destination '" + dir + "' already exists and is not an empty directory");
    }
  }
  auto undo = [&] {
    std::error_code e;
    if (created_dir) fs::remove_all(dir, e);
    else if (!resume) fs::remove_all(aergo_dir, e);
  };

  Status st = NoAbort("cloning " + url, [&]() -> Status {
    std::unique_ptr<Repository> repo;
    if (resume) {
      AERGO_ASSIGN_OR_RETURN(repo, Repository::Open(aergo_dir.string(), OpenMode::kWrite, clock, options.open));
      if (repo->chain_id() != refs.chain_id) return Failed("the incomplete clone in '" + dir + "' is of another ledger");
    } else {
      // The genesis block alone, through a scratch object store.
      fs::create_directories(dir, ec);
      fs::path scratch = fs::path(dir) / (".aergo.genesis-" + std::to_string(getpid()));
      fs::remove_all(scratch, ec);
      Block genesis;
      Status got = [&]() -> Status {
        AERGO_ASSIGN_OR_RETURN(GitRepo git, GitRepo::Init(scratch.string(), "master"));
        AERGO_ASSIGN_OR_RETURN(auto rx, PackReceiver::Create(&git, 1u << 20));
        rx->set_limits(PackLimits::Genesis());  // no chain parameters before its genesis block
        AERGO_RETURN_IF_ERROR(ReceivePack(*remote, FetchRequest{{refs.chain_id}, {}}, rx.get()));
        AERGO_RETURN_IF_ERROR(rx->Finish());
        AERGO_RETURN_IF_ERROR(rx->CheckReferenced());
        AERGO_ASSIGN_OR_RETURN(auto commits, rx->Commits());
        if (commits.size() != 1) return Corrupt(url + " sent " + std::to_string(commits.size()) + " blocks for its genesis block");
        AERGO_ASSIGN_OR_RETURN(BlockBlobs blobs, git.ReadBlockBlobs(commits[0]));
        AERGO_ASSIGN_OR_RETURN(genesis, Block::Decode(blobs.header, blobs.txs, blobs.receipts));
        genesis.changes = std::move(blobs.changes);
        if (genesis.Id() != refs.chain_id) return Corrupt(url + " sent a genesis block that is not its chain id");
        return Status::Ok();
      }();
      fs::remove_all(scratch, ec);
      AERGO_RETURN_IF_ERROR(got);
      AERGO_ASSIGN_OR_RETURN(repo, Repository::InitFromGenesis(dir, genesis, clock, options.open));
      repo_created = true;
      AERGO_RETURN_IF_ERROR(repo->config().Set("clone.incomplete", url));
      AERGO_RETURN_IF_ERROR(repo->config().Set("remote.origin.url", url));
      AERGO_RETURN_IF_ERROR(repo->config().Save());
    }
    AERGO_ASSIGN_OR_RETURN(rep.fetch, FetchFrom(*repo, *remote, "origin", options));
    rep.head = *head;
    AERGO_ASSIGN_OR_RETURN(Head cur, repo->CurrentHead());
    if (rep.branch == "master") {
      if (cur.block.id != *head) AERGO_RETURN_IF_ERROR(repo->FastForward("master", cur.block.id, *head, "clone: " + url));
    } else {
      AERGO_ASSIGN_OR_RETURN(auto have, repo->BranchHead(rep.branch));
      if (!have) AERGO_RETURN_IF_ERROR(repo->CreateBranch(rep.branch, *head));
      AERGO_RETURN_IF_ERROR(repo->Checkout(rep.branch));
      AERGO_ASSIGN_OR_RETURN(auto master, repo->BranchHead("master"));
      if (master) AERGO_RETURN_IF_ERROR(repo->DeleteBranch("master", true));
    }
    // A branch the remote advertised private stays private here.
    if (refs.private_branches.count(rep.branch)) AERGO_RETURN_IF_ERROR(repo->SetBranchPrivate(rep.branch, true));
    // The upstream, where config can name the branch (config keys are
    // lowercase; others pull and push with an explicit <remote>:<branch>).
    if (Config::IsValidKey("branch." + rep.branch + ".remote")) {
      AERGO_RETURN_IF_ERROR(repo->config().Set("branch." + rep.branch + ".remote", "origin"));
      AERGO_RETURN_IF_ERROR(repo->config().Set("branch." + rep.branch + ".merge", rep.branch));
    }
    AERGO_RETURN_IF_ERROR(repo->config().Unset("clone.incomplete"));
    return repo->config().Save();
  });
  if (!st.ok()) {
    // A transfer that broke off is resumable; anything else is undone.
    if (!resume && (!repo_created || st.code() != Code::kIo)) undo();
    return st;
  }
  return rep;
}

static Result<PushReport> PushToImpl(Repository& repo, Transport& remote, const std::string& remote_name,
                                     const std::string& branch, const SyncOptions& options);

Result<PushReport> PushTo(Repository& repo, Transport& remote, const std::string& remote_name,
                          const std::string& branch, const SyncOptions& options) {
  return NoAbort("pushing to " + remote.url(), [&] { return PushToImpl(repo, remote, remote_name, branch, options); });
}

static Result<PushReport> PushToImpl(Repository& repo, Transport& remote, const std::string& remote_name,
                                     const std::string& branch, const SyncOptions& options) {
  AERGO_ASSIGN_OR_RETURN(auto local, repo.BranchHead(branch));
  if (!local) return NotFound("branch '" + branch + "' not found");
  AERGO_ASSIGN_OR_RETURN(RemoteRefs refs, remote.ListRefs());
  AERGO_RETURN_IF_ERROR(CheckSameChain(repo, refs, remote));
  PushRequest request;
  request.branch = branch;
  request.block = *local;
  AERGO_ASSIGN_OR_RETURN(request.is_private, repo.BranchPrivate(branch));
  std::set<std::string> remote_tags;
  for (const auto& [name, id] : refs.tags) remote_tags.insert(name);
  AERGO_ASSIGN_OR_RETURN(auto tags, repo.Tags());
  for (const auto& t : tags)
    if (!remote_tags.count(t.first)) request.tags.push_back(t);

  std::vector<Oid> wants, haves;
  AERGO_ASSIGN_OR_RETURN(BlockRow head_row, repo.BlockInfo(*local));
  wants.push_back(head_row.oid);
  for (const auto& [name, id] : request.tags) {
    AERGO_ASSIGN_OR_RETURN(BlockRow row, repo.BlockInfo(id));
    wants.push_back(row.oid);
  }
  for (const auto* list : {&refs.branches, &refs.tags})
    for (const auto& [name, id] : *list) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(id));
      if (row) haves.push_back(row->oid);
    }
  std::string pack;
  AERGO_ASSIGN_OR_RETURN(PackStats stats, WritePack(repo.git(), wants, haves, [&](const void* d, size_t n) {
    pack.append(static_cast<const char*>(d), n);
    return true;
  }));
  if (stats.objects == 0) pack.clear();
  PushReport rep;
  rep.pack_bytes = pack.size();
  rep.pack_objects = stats.objects;
  AERGO_ASSIGN_OR_RETURN(rep.outcome, remote.Push(request, pack));
  // The remote-tracking ref follows the remote's branch.
  AERGO_ASSIGN_OR_RETURN(auto row, repo.index().GetBlock(rep.outcome.head));
  if (row) {
    AERGO_RETURN_IF_ERROR(repo.git().ForceRef(RemoteTrackingRef(remote_name, branch), row->oid,
                                              "push: " + remote.url()));
  } else {
    AERGO_RETURN_IF_ERROR(FetchFrom(repo, remote, remote_name, options).status());
    rep.fetched_merge = true;
  }
  return rep;
}

}  // namespace aergo
