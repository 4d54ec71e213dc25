#include "daemon/server.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/import.h"
#include "core/text.h"
#include "core/transfer.h"
#include "merge/receive.h"
#include "remote/wire.h"

namespace aergo {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPack = "application/x-git-packfile";

// The HTTP status a failure answers with (see server.h).
int HttpStatus(const Status& st) {
  switch (st.code()) {
    case Code::kInvalid:
    case Code::kUsage: return 400;
    case Code::kDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kExists: return 409;
    case Code::kCorrupt: return 422;
    case Code::kBusy: return 503;
    default: return 500;
  }
}

// A request target fit for one log line.
std::string Printable(const std::string& s) { return aergo::Printable(s, 512); }

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

bool IsValidServedName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name[0] == '.') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

Result<ServedRepo> LocateServedRepo(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return NotFound("cannot serve '" + path + "': " + ec.message());
  ServedRepo out;
  if (IsFile(p / ".aergo" / "ledger.db")) {
    out.aergo_dir = (p / ".aergo").string();
    out.name = p.filename().string();
  } else if (IsFile(p / "ledger.db") && fs::is_directory(p / "git", ec)) {
    out.aergo_dir = p.string();
    out.name = p.parent_path().filename().string();
  } else {
    return NotFound("'" + path + "' is not an aergo repository (no .aergo directory there)");
  }
  return out;
}

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Invalid("invalid listen address '" + text + "': " + why + " (expected <host>:<port>)");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  if (colon == 0) return bad("no host");
  std::string host = text.substr(0, colon), digits = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos) return bad("an IPv6 address goes in brackets");
  if (host.empty()) return bad("no host");
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
    return bad("the port is not a number");
  int port = std::stoi(digits);
  if (port > 65535) return bad("the port is above 65535");
  return std::make_pair(host, port);
}

Daemon::Daemon(DaemonOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::Create(DaemonOptions options, const Clock& clock) {
  if (options.repos.empty()) return Invalid("no repository to serve");
  std::set<std::string> names;
  for (const auto& r : options.repos) {
    if (!IsValidServedName(r.name))
      return Invalid("invalid repository name '" + r.name + "': use letters, digits, '.', '_' and '-'");
    if (!names.insert(r.name).second) return Invalid("two repositories are named '" + r.name + "'");
  }
  if (options.port < 0 || options.port > 65535) return Invalid("invalid port " + std::to_string(options.port));
  if (options.tls_cert.empty() != options.tls_key.empty())
    return Invalid("TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
  for (const auto& f : {options.tls_cert, options.tls_key})
    if (!f.empty() && !IsFile(f)) return NotFound("cannot read TLS file '" + f + "'");
  // Each repository kept open from now on (daemon/repo_handles.h), and its
  // served branch fixed.
  std::map<std::string, std::unique_ptr<RepoHandles>> handles;
  for (auto& r : options.repos) {
    AERGO_ASSIGN_OR_RETURN(handles[r.name],
                           RepoHandles::Open(r.aergo_dir, clock, options.open, options.limits.workers + 1));
    AERGO_RETURN_IF_ERROR(handles[r.name]->Write([&](Repository& repo) -> Status {
      if (r.branch.empty()) {
        AERGO_ASSIGN_OR_RETURN(Head head, repo.CurrentHead());
        if (!head.branch)
          return Invalid("cannot serve " + r.name + ": its HEAD is detached; name the branch to serve (--branch)");
        r.branch = *head.branch;
      } else {
        AERGO_ASSIGN_OR_RETURN(auto head, repo.BranchHead(r.branch));
        if (!head) return NotFound("cannot serve " + r.name + ": it has no branch '" + r.branch + "'");
      }
      return Status::Ok();
    }));
  }
  std::unique_ptr<Daemon> d(new Daemon(std::move(options), clock));
  d->handles_ = std::move(handles);
  const DaemonOptions& o = d->options_;
  Daemon* self = d.get();
  AERGO_ASSIGN_OR_RETURN(
      d->server_,
      HttpServer::Create(
          o.host, o.port, o.tls_cert, o.tls_key, o.limits,
          [](int status, const std::string& message) {
            Status st = status == 404   ? NotFound(message)
                        : status == 503 ? Busy(message)
                        : status >= 500 ? IoError(message)
                                        : Invalid(message);
            return EncodeError(st);
          },
          [self](const HttpRequest& req, int status, uint64_t ms, const std::string& note) {
            if (status == 0) return self->Log("aergo daemon: " + note);
            self->Log("aergo daemon: " + Printable(req.method) + " " + Printable(req.target) + " " +
                      std::to_string(status) + " " + std::to_string(ms) + "ms " + (note.empty() ? "anonymous" : note));
          }));
  d->port_ = d->server_->port();
  d->url_ = std::string(d->server_->tls() ? "https" : "http") + "://" + HostForUrl(o.host) + ":" +
            std::to_string(d->port_);
  d->Install();
  return d;
}

void Daemon::Install() {
  HttpServer& s = *server_;
  auto route = [this](Route r) {
    return [this, r](const HttpRequest& req, HttpResponse& res) { Dispatch(req, res, r); };
  };
  s.Route("GET", "/healthz", route(&Daemon::Health));
  s.Route("GET", R"(/([^/]+)/refs)", route(&Daemon::Refs));
  s.Route("POST", R"(/([^/]+)/fetch)", route(&Daemon::Fetch));
  s.Route("POST", R"(/([^/]+)/push)", route(&Daemon::Push));
  s.Route("POST", R"(/([^/]+)/txs)", route(&Daemon::SubmitTxs));
  s.Route("GET", R"(/([^/]+)/txs/([^/]+))", route(&Daemon::GetTx));
  s.Route("GET", R"(/([^/]+)/blocks/(.+))", route(&Daemon::GetBlock));
  s.Route("POST", R"(/([^/]+)/query)", route(&Daemon::Query));
  s.Route("GET", R"(/([^/]+)/events)", route(&Daemon::Events));
  for (const auto& r : options_.repos) {
    const ServedRepo* served = &r;
    hubs_[r.name] = std::make_unique<EventHub>(r.name, r.branch, &roles_);
    RepoHandles* handles = handles_.at(r.name).get();
    submit_queues_[r.name] = std::make_unique<SubmitQueue>(
        [this, served](const std::vector<const SubmitEntry*>& batch) { return RunSubmitBatch(*served, batch); },
        [handles] { return handles->Sync(); });
  }
}

Status Daemon::Serve() {
  if (stopping_) return Status::Ok();
  std::thread producer;
  if (options_.block_interval_ms > 0) producer = std::thread([this] { ProduceBlocks(); });
  std::thread watcher([this] { WatchRefs(); });
  Status served = server_->Serve();
  {
    std::lock_guard<std::mutex> lock(producer_mu_);
    stopping_ = true;
  }
  producer_wake_.notify_all();
  if (producer.joinable()) producer.join();
  watcher.join();
  return served;
}

void Daemon::Stop() {
  {
    std::lock_guard<std::mutex> lock(producer_mu_);
    stopping_ = true;
  }
  producer_wake_.notify_all();
  server_->Stop();
}

size_t Daemon::active() const { return server_->active(); }

void Daemon::Dispatch(const HttpRequest& req, HttpResponse& res, Route route) {
  Call call;
  Status st;
  try {
    st = Authenticate(req, call);
    if (st.ok()) st = (this->*route)(req, res, call);
  } catch (const std::exception& e) {
    // The details go to the log only: they may name server paths.
    Log("aergo daemon: internal error answering " + Printable(req.method) + " " + Printable(req.target) + ": " +
        e.what());
    st = IoError("internal error answering " + Printable(req.method) + " " + Printable(req.path));
  }
  if (call.caller) res.log_note = *call.caller;
  if (st.ok()) return;
  res = HttpResponse{};
  if (call.caller) res.log_note = *call.caller;
  res.status = call.http_status ? call.http_status : HttpStatus(st);
  if (res.status == 503) res.headers.emplace_back("Retry-After", "1");
  res.body = EncodeError(st, call.role);
}

Status Daemon::Authenticate(const HttpRequest& req, Call& call) {
  auto authorization = req.Header("Authorization");
  if (!authorization) return Status::Ok();
  uint64_t now = clock_.NowMs();
  auto signed_req = CheckRequestSignature(*authorization, req.method, req.target, req.body, now);
  Status st = signed_req.ok() ? replay_.Check(*signed_req, now) : signed_req.status();
  if (!st.ok()) {
    call.http_status = 401;
    return st;
  }
  call.caller = signed_req->address;
  return Status::Ok();
}

Result<const ServedRepo*> Daemon::Find(const HttpRequest& req) const {
  std::string name = req.params.empty() ? "" : req.params[0];
  for (const auto& r : options_.repos)
    if (r.name == name) return &r;
  return NotFound("no repository named '" + Printable(name) + "' is served here");
}

Status Daemon::Authorize(Repository& repo, const ServedRepo& served, Call& call, Role needed) {
  Status st = CheckAccess(repo, served.name, served.branch, call.caller, needed, &roles_);
  if (st.code() == Code::kDenied) {
    call.http_status = call.caller ? 403 : 401;
    call.role = RoleName(needed);
  }
  return st;
}

Status Daemon::RefuseAnonymousWrite(const ServedRepo& served, Call& call) {
  if (call.caller) return Status::Ok();
  // What CheckAccess answers, without waiting for the repository's lock.
  call.http_status = 401;
  call.role = RoleName(Role::kWrite);
  return Denied(served.name + " needs the write role: sign the request with a key that has it");
}

Status Daemon::Read(const ServedRepo& served, HttpResponse& res,
                    const std::function<Status(const RepoHandles::Reader&)>& fn) {
  int attempt = 0;
  return handles_.at(served.name)->Read([&](const RepoHandles::Reader& repo) {
    if (attempt++ > 0) res = HttpResponse{};  // a retry starts from a clean answer
    return fn(repo);
  });
}

Status Daemon::Health(const HttpRequest&, HttpResponse& res, Call&) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& r : options_.repos) names.push_back(r.name);
  res.body = nlohmann::json{{"status", "ok"}, {"repositories", names}}.dump();
  return Status::Ok();
}

Status Daemon::Refs(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  return Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
    // Only what this caller may read (daemon/access.h): readable branches,
    // private ones flagged, and the tags reachable from them.
    AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(*repo, call.caller, &roles_));
    RemoteRefs refs;
    refs.chain_id = repo->chain_id();
    refs.head = scope.CanReadBranch(served->branch) ? served->branch : "";
    refs.is_public = IsPublic(*repo);
    refs.branches = scope.branches();
    refs.private_branches = scope.private_branches();
    AERGO_ASSIGN_OR_RETURN(refs.tags, scope.VisibleTags());
    res.body = EncodeRefs(refs);
    return Status::Ok();
  });
}

Status Daemon::Fetch(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  return Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
    AERGO_ASSIGN_OR_RETURN(FetchRequest request, DecodeFetchRequest(req.body));
    // A want the caller may not read (daemon/access.h) is answered as an
    // unknown block, so its existence does not leak.
    AERGO_ASSIGN_OR_RETURN(ReadScope scope, ReadScope::Compute(*repo, call.caller, &roles_));
    std::vector<Oid> wants, haves;
    for (const auto& id : request.wants) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo->index().GetBlock(id));
      bool readable = false;
      if (row) {
        AERGO_ASSIGN_OR_RETURN(readable, scope.Readable(id));
      }
      if (!readable) return NotFound("block " + ToHex(id) + " not found in " + served->name);
      wants.push_back(row->oid);
    }
    for (const auto& id : request.haves) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo->index().GetBlock(id));
      if (row) haves.push_back(row->oid);  // blocks this side lacks say nothing
    }
    // The producer runs after this returns, on the same worker, while the
    // event loop sends what it writes: it keeps the reader until the pack is
    // sent, but reads only objects, which never change: the snapshot ends
    // now, so a slow client does not hold back the index's log.
    repo->EndSnapshot();
    std::shared_ptr<Repository> held = repo;
    std::string name = served->name;
    res.content_type = kPack;
    res.stream = [this, held, wants, haves, name](HttpStream& out) {
      Status st;
      try {
        auto stats = WritePack(held->git(), wants, haves, [&out](const void* data, size_t size) {
          return size == 0 || out.Write(data, size);
        });
        st = stats.status();
      } catch (const std::exception& e) {
        st = IoError(std::string("internal error: ") + e.what());
      }
      if (!st.ok()) {
        // Too late for an error status: the connection is cut, and the
        // client sees a truncated pack.
        Log("aergo daemon: sending a pack of " + name + " stopped: " + st.message());
        return false;
      }
      return true;
    };
    return Status::Ok();
  });
}

Status Daemon::Push(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  // Anonymous pushes and malformed bodies are refused before the
  // exclusive lock is taken.
  AERGO_RETURN_IF_ERROR(RefuseAnonymousWrite(*served, call));
  AERGO_ASSIGN_OR_RETURN(PushBody body, DecodePushBody(req.body));
  // The role first on a snapshot, without the lock; then again under it,
  // where it may have changed meanwhile.
  AERGO_RETURN_IF_ERROR(Read(*served, res, [&](const RepoHandles::Reader& repo) {
    return Authorize(*repo, *served, call, Role::kWrite);
  }));
  return handles_.at(served->name)->Write([&](Repository& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(repo, *served, call, Role::kWrite));
    // An existing private branch also needs write in its own directory
    // (daemon/access.h); checked before any pushed byte is looked at.
    if (Repository::IsValidRefName(body.request.branch)) {
      const std::string& branch = body.request.branch;
      AERGO_ASSIGN_OR_RETURN(auto existing, repo.BranchHead(branch));
      AERGO_ASSIGN_OR_RETURN(BranchPolicy policy, repo.index().GetBranchPolicy(branch));
      if (existing && policy.is_private) {
        std::string caller = call.caller.value_or("");  // set: Authorize refused anonymous pushes
        AERGO_ASSIGN_OR_RETURN(Role has, BranchRole(repo, branch, *existing, caller, &roles_));
        if (has < Role::kWrite) {
          call.http_status = 403;
          call.role = RoleName(Role::kWrite);
          return Denied(caller + " lacks the write role on private branch '" + branch + "' of " + served->name +
                        " (it has " + (has == Role::kNone ? "no role" : RoleName(has)) +
                        " in that branch's directory)");
        }
      }
    }
    std::unique_ptr<PackReceiver> pack;  // borrows repo's object store; gone before the write ends
    if (!body.pack.empty()) {
      // The chain's bounds from the first byte.
      AERGO_ASSIGN_OR_RETURN(pack, ReceiverFor(repo, options_.limits.max_body_bytes));
      AERGO_RETURN_IF_ERROR(pack->Append(body.pack.data(), body.pack.size()));
    }
    // The push may name only blocks the caller can read (daemon/access.h).
    AERGO_ASSIGN_OR_RETURN(BlockFilter may_name, NameableBlocks(repo, call.caller));
    AERGO_ASSIGN_OR_RETURN(PushOutcome outcome,
                           ReceivePush(repo, pack.get(), body.request, served->key.get(), may_name));
    NotifyChanged(*served, repo, outcome.dropped);
    res.body = EncodePushOutcome(outcome);
    return Status::Ok();
  });
}

Status Daemon::Events(const HttpRequest& req, HttpResponse& res, Call& call) {
  AERGO_ASSIGN_OR_RETURN(const ServedRepo* served, Find(req));
  return Read(*served, res, [&](const RepoHandles::Reader& repo) -> Status {
    AERGO_RETURN_IF_ERROR(Authorize(*repo, *served, call, Role::kRead));
    // The heads as this request sees them: the hub's reference if no one
    // else subscribes, so that what changes after this request is sent.
    AERGO_ASSIGN_OR_RETURN(BranchHeads heads, ReadBranchHeads(*repo));
    EventHub* hub = hubs_.at(served->name).get();
    res.content_type = "text/event-stream";
    res.headers.emplace_back("Cache-Control", "no-store");
    res.headers.emplace_back("X-Accel-Buffering", "no");
    res.subscribe = [hub, caller = call.caller, heads = std::move(heads)](std::shared_ptr<HttpPushStream> s) mutable {
      hub->Subscribe(std::move(caller), std::move(s), std::move(heads));
    };
    return Status::Ok();
  });
}

void Daemon::NotifyChanged(const ServedRepo& served, Repository& repo, const std::vector<DroppedTx>& dropped) {
  Status st;
  try {
    st = hubs_.at(served.name)->Check(repo, dropped);
  } catch (const std::exception& e) {
    st = IoError(std::string("internal error: ") + e.what());
  }
  if (!st.ok()) Log("aergo daemon: cannot send the events of " + served.name + ": " + st.message());
}

void Daemon::WatchRefs() {
  constexpr auto kPoll = std::chrono::milliseconds(500);
  std::unique_lock<std::mutex> lock(producer_mu_);
  while (!stopping_) {
    producer_wake_.wait_for(lock, kPoll, [this] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    for (const auto& served : options_.repos) {
      if (stopping_ || !hubs_.at(served.name)->HasSubscribers()) continue;
      Status st = handles_.at(served.name)->Read([&](const RepoHandles::Reader& repo) {
        NotifyChanged(served, *repo);
        return Status::Ok();
      });
      if (!st.ok()) Log("aergo daemon: cannot look for changes in " + served.name + ": " + st.message());
    }
    lock.lock();
  }
  for (auto& [name, hub] : hubs_) hub->EndAll();
}

void Daemon::Log(const std::string& line) {
  if (!options_.log) return;
  std::lock_guard<std::mutex> lock(log_mu_);
  *options_.log << line << '\n' << std::flush;
}

}  // namespace aergo
