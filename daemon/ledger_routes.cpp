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
  auto id = ResolveVisible(repo, caller, rev);  // a hidden name is an unknown one (daemon/access.h)
  if (id.status().code() == Code::kNotFound) return RevisionNotFound(rev, served);
  return id;
}

// Whether the served branch is checked out on the server: only then are
// its merge pool and live state (head plus pool) the served branch's.
Result<bool> ServedIsCheckedOut(Repository& repo, const ServedRepo& served) {
  AERGO_ASSIGN_OR_RETURN(Head head, repo.CurrentHead());
  return head.branch && *head.branch == served.branch;
}

// On a snapshot reader: whether the live state in the snapshot is the
// served branch's. Asked of the index, not of HEAD: HEAD is read as it is
// now, and a push that merges into another branch checks that branch out
// for a while (Repository::WithBranchCheckedOut), so a snapshot taken then
// holds that branch's state while HEAD already names the served one again.
Result<bool> ServedIsLive(Repository& repo, const ServedRepo& served) {
  AERGO_ASSIGN_OR_RETURN(auto pos, repo.LiveState());
  return pos && pos->branch && *pos->branch == served.branch;
}

// Ok if the caller may read the served branch. Else NotFound, as for the
// revision HEAD when the caller may not see it (daemon/access.h).
Status CheckServedReadable(Repository& repo, const ServedRepo& served, const std::optional<std::string>& caller,
                           RoleCache* cache) {
  AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(repo, caller, cache));
  if (!scope.CanReadBranch(served.branch)) return RevisionNotFound("HEAD", served.name);
  return Status::Ok();
}

}  // namespace

Status Daemon::SubmitTxs(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  AERGO_RETURN_IF_ERROR(RefuseAnonymousWrite(*served, call));  // before any lock
  AERGO_ASSIGN_OR_RETURN(std::vector<Tx> txs, DecodeTxSubmission(req.body));
  // The role on a snapshot, before the batch takes the lock (which checks
  // it again: it may change meanwhile); the signatures here too, so that
  // the batch, which runs one at a time, does not verify them.
  std::vector<CheckedTx> checked;
  AERGO_RETURN_IF_ERROR(Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kWrite));
    AERGO_ASSIGN_OR_RETURN(checked, repo->Precheck(txs));
    return Status::Ok();
  }));
  SubmitResult result = submit_queues_.at(served->name)->Submit(SubmitEntry{call.caller, std::move(checked)});
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
  // Synced by the queue, after the next batch has started.
  Status written = handles_.at(served.name)->WriteUnsynced(
      [&](Repository& repo) { return RunSubmitBatchOn(repo, served, batch, results); });
  if (!written.ok())
    for (auto& r : results) r.status = written;
  return results;
}

Status Daemon::RunSubmitBatchOn(Repository& repo, const ServedRepo& served,
                                const std::vector<const SubmitEntry*>& batch, std::vector<SubmitResult>& results) {
  // A refusal of the whole batch is its answer; a failure of the
  // repository is also the write's (RepoHandles reopens the writer).
  auto fail_all = [&](const Status& st) {
    for (auto& r : results) r.status = st;
    return st.code() == Code::kExists ? Status::Ok() : st;
  };
  // Txs go only to the served branch's merge pool, which is the live one
  // only while that branch is checked out; a conflict with the
  // repository's state, not a role.
  auto checked_out = ServedIsCheckedOut(repo, served);
  if (!checked_out.ok()) return fail_all(checked_out.status());
  if (!*checked_out)
    return fail_all(Exists(served.name + ": the served branch '" + served.branch +
                           "' is not checked out on the server; txs are taken only on it"));
  const std::string* branch = &served.branch;
  // Roles first, once per caller; then every allowed tx in one Submit.
  std::map<std::optional<std::string>, Status> access;
  std::vector<CheckedTx> txs;
  std::vector<std::pair<size_t, size_t>> spans(batch.size());  // [first, count) into txs
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = access.find(batch[i]->caller);
    if (it == access.end())
      it = access.emplace(batch[i]->caller, CheckAccess(repo, served.name, served.branch, batch[i]->caller, Role::kWrite, &roles_)).first;
    if (!it->second.ok()) {
      results[i].status = it->second;
      results[i].lacks_role = it->second.code() == Code::kDenied;
      continue;
    }
    results[i].branch = *branch;
    spans[i] = {txs.size(), batch[i]->txs.size()};
    txs.insert(txs.end(), batch[i]->txs.begin(), batch[i]->txs.end());
  }
  if (txs.empty()) return Status::Ok();
  auto submitted = repo.Submit(txs, options_.submit_budget_ms);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!results[i].status.ok()) continue;
    if (!submitted.ok()) {
      results[i].status = submitted.status();
      continue;
    }
    auto first = submitted->begin() + static_cast<std::ptrdiff_t>(spans[i].first);
    results[i].submitted.assign(first, first + static_cast<std::ptrdiff_t>(spans[i].second));
  }
  return submitted.status();
}

Status Daemon::GetTx(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  return Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
    std::string id = Segment(req);
    if (!Repository::IsTxIdPrefix(id)) return Invalid("invalid tx id '" + id + "': expected 7 to 64 hex digits");
    // Matched only among the txs the caller can see (daemon/access.h).
    AERGO_ASSIGN_OR_RETURN(FoundTx found, FindVisibleTx(*repo, call.caller, served->name, served->branch, id, &roles_));
    res.body = EncodeTxAnswer(found);
    return Status::Ok();
  });
}

Status Daemon::GetBlock(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  return Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
    AERGO_ASSIGN_OR_RETURN(Hash32 id, ResolveReadable(*repo, served->name, call.caller, Segment(req)));
    AERGO_ASSIGN_OR_RETURN(Block block, repo->ReadBlock(id));
    res.body = EncodeBlockAnswer(block);
    return Status::Ok();
  });
}

Status Daemon::Query(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  AERGO_ASSIGN_OR_RETURN(QueryRequest q, DecodeQueryRequest(req.body));
  return Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
    std::optional<Hash32> at;
    if (q.at) {
      AERGO_ASSIGN_OR_RETURN(at, ResolveReadable(*repo, served->name, call.caller, *q.at));
    } else {
      // The served branch's state: live (with its pool) while it is checked
      // out, else its head's. Never another branch the server checked out.
      AERGO_RETURN_IF_ERROR(CheckServedReadable(*repo, *served, call.caller, &roles_));
      AERGO_ASSIGN_OR_RETURN(bool live, ServedIsLive(*repo, *served));
      if (!live) {
        AERGO_ASSIGN_OR_RETURN(auto head, repo->BranchHead(served->branch));
        if (!head) return NotFound(served->name + " serves branch '" + served->branch + "', which no longer exists");
        at = *head;
      }
    }
    const QueryLimits& limits = call.caller ? options_.query_limits : options_.anonymous_query_limits;
    auto result = repo->Query(q.sql, at, &limits);
    // A query over a bound is the caller's to fix: 400, not 500.
    if (result.status().code() == Code::kFailed) return Invalid(result.status().message());
    AERGO_RETURN_IF_ERROR(result.status());
    res.body = EncodeQueryAnswer(*result);
    return Status::Ok();
  });
}

void Daemon::SealPools() {
  for (const auto& served : options_.repos) {
    if (!served.key || stopping_) continue;
    Status sealed = handles_.at(served.name)->Write([&](Repository& repo) -> Status {
      auto pending = repo.PoolCount();
      if (!pending.ok() || *pending == 0) return pending.status();
      // Only the served branch is sealed, and only while it is checked out
      // (its pool is the live one).
      auto live = ServedIsCheckedOut(repo, served);
      if (!live.ok() || !*live) return live.status();
      if (!repo.CheckCommittable().ok()) return Status::Ok();
      AERGO_ASSIGN_OR_RETURN(Block block, repo.Commit(*served.key, ""));
      NotifyChanged(served, repo);
      Log("aergo daemon: sealed block " + ToHex(block.Id()) + " on " + served.name + " with " +
          std::to_string(block.txs.size()) + " txs");
      return Status::Ok();
    });
    if (!sealed.ok()) Log("aergo daemon: cannot seal a block on " + served.name + ": " + sealed.message());
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
