// The daemon's ledger routes (daemon/server.h): tx submission through the
// submit queue, reads of a tx, a block and a query result, and the block
// producer that seals merge pools at the block interval.
#include <chrono>

#include "daemon/server.h"
#include "remote/ledger_wire.h"
#include "remote/wire.h"

namespace aergo {

namespace {

// The second path segment of a route (a tx id, a revision).
std::string Segment(const HttpRequest& req) { return req.params.size() > 1 ? req.params[1] : ""; }

// The block `rev` names, if the caller may read it; an unknown revision and
// one the caller may not see get the same NotFound.
Result<Hash32> ResolveReadable(Repository& repo, const std::string& served, const std::optional<std::string>& caller,
                               const std::string& rev) {
  auto id = repo.Resolve(rev);
  Status st = id.ok() ? CheckBlockReadable(repo, caller, *id) : id.status();
  if (st.code() == Code::kNotFound) return NotFound("revision '" + rev + "' not found in " + served);
  AERGO_RETURN_IF_ERROR(st);
  return *id;
}

// Ok if the caller may read the served repository's live state: the
// checked-out branch (with its merge pool), or the block a detached HEAD
// is at. Else NotFound, as for a revision the caller may not see.
Status CheckLiveReadable(Repository& repo, const std::string& served, const std::optional<std::string>& caller) {
  AERGO_ASSIGN_OR_RETURN(Head head, repo.CurrentHead());
  if (!head.branch) return ResolveReadable(repo, served, caller, "HEAD").status();
  AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(repo, caller));
  if (!scope.CanReadBranch(*head.branch)) return NotFound("the checked-out branch of " + served + " is not readable");
  return Status::Ok();
}

}  // namespace

Status Daemon::SubmitTxs(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  AERGO_ASSIGN_OR_RETURN(std::vector<Tx> txs, DecodeTxSubmission(req.body));
  SubmitResult result = submit_queues_.at(served->name)->Submit(SubmitEntry{call.caller, std::move(txs)});
  if (result.lacks_role) {
    call.http_status = call.caller ? 403 : 401;
    call.role = RoleName(Role::kWrite);
  }
  AERGO_RETURN_IF_ERROR(result.status);
  res.body = EncodeSubmitAnswer(SubmitAnswer{result.branch, std::move(result.submitted)});
  return Status::Ok();
}

std::vector<SubmitResult> Daemon::RunSubmitBatch(const ServedRepo& served,
                                                 const std::vector<const SubmitEntry*>& batch) {
  std::vector<SubmitResult> results(batch.size());
  auto fail_all = [&](const Status& st) {
    for (auto& r : results) r.status = st;
    return results;
  };
  auto repo_r = Repository::Open(served.aergo_dir, OpenMode::kWrite, clock_, options_.open);
  if (!repo_r.ok()) return fail_all(repo_r.status());
  Repository& repo = **repo_r;
  auto branch = repo.CheckedOutBranch("the served repository takes txs only on a checked-out branch");
  if (!branch.ok()) {
    // Reported as a conflict with the repository's state, not a role.
    return fail_all(Exists(served.name + ": " + branch.status().message()));
  }
  // Roles first, once per caller; then every allowed tx in one Submit.
  std::map<std::optional<std::string>, Status> access;
  std::vector<Tx> txs;
  std::vector<std::pair<size_t, size_t>> spans(batch.size());  // [first, count) into txs
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = access.find(batch[i]->caller);
    if (it == access.end())
      it = access.emplace(batch[i]->caller, CheckAccess(repo, served.name, batch[i]->caller, Role::kWrite)).first;
    if (!it->second.ok()) {
      results[i].status = it->second;
      results[i].lacks_role = it->second.code() == Code::kDenied;
      continue;
    }
    results[i].branch = *branch;
    spans[i] = {txs.size(), batch[i]->txs.size()};
    txs.insert(txs.end(), batch[i]->txs.begin(), batch[i]->txs.end());
  }
  if (txs.empty()) return results;
  auto submitted = repo.Submit(txs);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!results[i].status.ok()) continue;
    if (!submitted.ok()) {
      results[i].status = submitted.status();
      continue;
    }
    auto first = submitted->begin() + static_cast<std::ptrdiff_t>(spans[i].first);
    results[i].submitted.assign(first, first + static_cast<std::ptrdiff_t>(spans[i].second));
  }
  return results;
}

Status Daemon::GetTx(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  AERGO_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo,
                         Repository::Open(served->aergo_dir, OpenMode::kRead, clock_, options_.open));
  AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
  std::string id = Segment(req);
  if (!Repository::IsTxIdPrefix(id)) return Invalid("invalid tx id '" + id + "': expected 7 to 64 hex digits");
  auto found = repo->FindTx(id);
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound) return NotFound("tx " + id + " not found in " + served->name);
    return found.status();
  }
  // A tx in a block is visible with the block; a pending one with the
  // checked-out branch whose merge pool holds it.
  Status visible = found->block ? CheckBlockReadable(*repo, call.caller, *found->block)
                                : CheckLiveReadable(*repo, served->name, call.caller);
  if (visible.code() == Code::kNotFound) return NotFound("tx " + id + " not found in " + served->name);
  AERGO_RETURN_IF_ERROR(visible);
  res.body = EncodeTxAnswer(*found);
  return Status::Ok();
}

Status Daemon::GetBlock(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  AERGO_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo,
                         Repository::Open(served->aergo_dir, OpenMode::kRead, clock_, options_.open));
  AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
  AERGO_ASSIGN_OR_RETURN(Hash32 id, ResolveReadable(*repo, served->name, call.caller, Segment(req)));
  AERGO_ASSIGN_OR_RETURN(Block block, repo->ReadBlock(id));
  res.body = EncodeBlockAnswer(block);
  return Status::Ok();
}

Status Daemon::Query(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  AERGO_ASSIGN_OR_RETURN(QueryRequest q, DecodeQueryRequest(req.body));
  AERGO_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo,
                         Repository::Open(served->aergo_dir, OpenMode::kRead, clock_, options_.open));
  AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
  std::optional<Hash32> at;
  if (q.at) {
    AERGO_ASSIGN_OR_RETURN(at, ResolveReadable(*repo, served->name, call.caller, *q.at));
  } else {
    AERGO_RETURN_IF_ERROR(CheckLiveReadable(*repo, served->name, call.caller));
  }
  auto result = repo->Query(q.sql, at);
  AERGO_RETURN_IF_ERROR(result.status());
  res.body = EncodeQueryAnswer(*result);
  return Status::Ok();
}

void Daemon::SealPools() {
  for (const auto& served : options_.repos) {
    if (!served.key || stopping_) continue;
    auto repo = Repository::Open(served.aergo_dir, OpenMode::kWrite, clock_, options_.open);
    if (!repo.ok()) {
      Log("aergo daemon: cannot seal a block on " + served.name + ": " + repo.status().message());
      continue;
    }
    auto pending = (*repo)->PoolCount();
    if (!pending.ok() || *pending == 0) continue;
    if (!(*repo)->CheckCommittable().ok()) continue;  // a detached HEAD: nothing to seal on
    auto block = (*repo)->Commit(*served.key, "");
    if (block.ok()) NotifyChanged(served, **repo);
    if (block.ok())
      Log("aergo daemon: sealed block " + ToHex(block->Id()) + " on " + served.name + " with " +
          std::to_string(block->txs.size()) + " txs");
    else
      Log("aergo daemon: cannot seal a block on " + served.name + ": " + block.status().message());
  }
}

void Daemon::ProduceBlocks() {
  std::unique_lock<std::mutex> lock(producer_mu_);
  while (!stopping_) {
    producer_wake_.wait_for(lock, std::chrono::milliseconds(options_.block_interval_ms), [this] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    try {
      SealPools();
    } catch (const std::exception& e) {
      Log(std::string("aergo daemon: sealing blocks failed: ") + e.what());
    }
    lock.lock();
  }
}

}  // namespace aergo
