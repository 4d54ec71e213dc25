// The HTTP daemon (docs/design.md §8, man/aergo-daemon.1): serves ledger
// repositories over HTTP or HTTPS (daemon/http_server.h: an event loop for
// the connections, a pool of workers for the requests), each at
// http://HOST:PORT/<name>:
//
//   GET  /healthz        {"status": "ok", "repositories": [names]}
//   GET  /<name>/refs    the refs advertisement (remote/wire.h EncodeRefs)
//   POST /<name>/fetch   a FetchRequest; answers the pack, streamed (chunked)
//   POST /<name>/push    a push body (DecodePushBody); answers the PushOutcome
//   POST /<name>/txs     submits txs to the served branch's merge pool
//                        (remote/ledger_wire.h); answers their receipts
//   GET  /<name>/txs/<txid or prefix>   a tx, its receipt and its block
//   GET  /<name>/blocks/<rev>           a block (any revision)
//   POST /<name>/query   a read-only SQL query, now or as of a block
//   GET  /<name>/events  server-sent events: new blocks, their receipts and
//                        branch moves (daemon/events.h), pushed until the
//                        client goes away; costs no thread
//
// Submissions from concurrent requests are grouped (daemon/submit_queue.h):
// one exclusive open of the repository per batch. With a block interval
// and a key, the daemon also seals each served branch's merge pool into a
// block at that interval (the solo producer; docs/design.md §8).
//
// Every request may be signed (core/request_auth.h); a bad, replayed or
// skewed signature is refused with 401. Access follows daemon/access.h.
// Failures answer EncodeError JSON with the status code of the Status:
// Invalid 400, Denied 403 (401 for an unsigned request that needs a role,
// or a bad signature), NotFound 404, Exists 409, oversize body 413,
// Corrupt 422 (a pushed block failed verification), Busy 503, others 500.
//
// No request opens a repository: each is kept open (daemon/repo_handles.h).
// Reads run on snapshots and never wait for a write or the lock; writes run
// one at a time, each holding the repository's lock only while it runs, so
// local commands can work on the repository between them, and the daemon
// sees what they write. Every request is logged as
// one line: "aergo daemon: METHOD TARGET STATUS <ms>ms <caller>|anonymous".
//
// Ownership: a Daemon owns its server and sockets; it borrows the clock and
// the log stream given to Create. Thread-safety: requests are served
// concurrently by the server's workers; Stop() and active() may be called
// from any thread; Serve() from one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/repo.h"
#include "core/request_auth.h"
#include "core/status.h"
#include "daemon/access.h"
#include "daemon/events.h"
#include "daemon/http_server.h"
#include "daemon/repo_handles.h"
#include "daemon/submit_queue.h"

namespace aergo {

struct ServedRepo {
  std::string name;       // the URL's path segment: [A-Za-z0-9._-], not starting with '.'
  std::string aergo_dir;  // the repository's .aergo directory
  // Signs the merge block a push needs; null: such pushes are refused.
  std::shared_ptr<const SecretKey> key;
  // The served branch, fixed for the daemon's life: submitted txs go to
  // its merge pool (only while it is checked out), the producer seals it,
  // and roles come from its sealed head (daemon/access.h). Empty: Create
  // takes the branch checked out when the daemon starts.
  std::string branch;
};

inline constexpr uint64_t kDefaultMaxBodyBytes = uint64_t{256} << 20;

struct DaemonOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see Daemon::port)
  std::vector<ServedRepo> repos;
  std::string tls_cert, tls_key;  // both set: HTTPS
  // Connections, deadlines, header and body sizes, workers
  // (daemon/http_server.h); larger request bodies than
  // limits.max_body_bytes: 413.
  HttpLimits limits;
  uint64_t block_interval_ms = 0;  // 0: the daemon seals no blocks
  // How long one submission batch may execute txs (Repository::Submit's
  // time budget), holding the write lock: the txs left when it is spent
  // are answered "not executed" and may be submitted again.
  uint64_t submit_budget_ms = 1000;
  // Bounds of POST /<name>/query for a signed caller and for an anonymous
  // one: steps, the answer's bytes, wall-clock time (docs/api.md).
  QueryLimits query_limits{200'000'000, uint64_t{16} << 20, 5'000};
  QueryLimits anonymous_query_limits{20'000'000, uint64_t{4} << 20, 2'000};
  std::ostream* log = nullptr;                     // request log (null: none)
  OpenOptions open;                                // the writer's lock timeout (daemon/repo_handles.h)
};

// The served repository at `path`: a worktree holding .aergo, or a .aergo
// directory. name: the worktree directory's name; key unset. NotFound if
// the path holds no repository.
Result<ServedRepo> LocateServedRepo(const std::string& path);
bool IsValidServedName(const std::string& name);
// "host:port", "[v6 address]:port"; port 0 to 65535. Invalid otherwise.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& text);

class Daemon {
 public:
  // Checks the options (names unique and valid, TLS files loadable) and
  // binds the listening socket, so that port() is known and connections
  // queue until Serve().
  static Result<std::unique_ptr<Daemon>> Create(DaemonOptions options, const Clock& clock);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int port() const { return port_; }
  // "http://HOST:PORT" or "https://HOST:PORT" (IPv6 hosts in brackets).
  const std::string& url() const { return url_; }

  // Serves until Stop(); returns when the connections still open have
  // finished (an idle kept-alive connection may hold it up to the
  // keep-alive timeout: see active()).
  Status Serve();
  // Stops accepting connections. Any thread; idempotent.
  void Stop();
  // Requests being answered right now (read, handled or streamed).
  size_t active() const;
  // Writes one line to the log, never interleaved with the request lines.
  void Log(const std::string& line);

 private:
  // Per request: the verified signer, and how a refusal maps to HTTP.
  struct Call {
    std::optional<std::string> caller;
    int http_status = 0;  // overrides the Status's code when set
    std::string role;     // the role a refusal says is missing
  };
  using Route = Status (Daemon::*)(const HttpRequest&, HttpResponse&, Call&);

  Daemon(DaemonOptions options, const Clock& clock);
  void Install();
  void Dispatch(const HttpRequest& req, HttpResponse& res, Route route);
  Status Authenticate(const HttpRequest& req, Call& call);
  Result<const ServedRepo*> Find(const HttpRequest& req) const;
  Status Authorize(Repository& repo, const ServedRepo& served, Call& call, Role needed);
  // Write routes: an unsigned request is refused (401) before any lock.
  Status RefuseAnonymousWrite(const ServedRepo& served, Call& call);
  // Runs a read route's work on a snapshot reader of `served`
  // (RepoHandles::Read; a retry starts again from an empty answer).
  Status Read(const ServedRepo& served, HttpResponse& res, const std::function<Status(const RepoHandles::Reader&)>& fn);

  Status Health(const HttpRequest& req, HttpResponse& res, Call& call);
  Status Refs(const HttpRequest& req, HttpResponse& res, Call& call);
  Status Fetch(const HttpRequest& req, HttpResponse& res, Call& call);
  Status Push(const HttpRequest& req, HttpResponse& res, Call& call);
  // daemon/ledger_routes.cpp
  Status SubmitTxs(const HttpRequest& req, HttpResponse& res, Call& call);
  Status GetTx(const HttpRequest& req, HttpResponse& res, Call& call);
  Status GetBlock(const HttpRequest& req, HttpResponse& res, Call& call);
  Status Query(const HttpRequest& req, HttpResponse& res, Call& call);
  Status Events(const HttpRequest& req, HttpResponse& res, Call& call);
  // After a write of the daemon's own (push, a sealed block), with the
  // repository still open: the event hub compares branch heads now.
  // dropped: pending txs a push dropped (`dropped` events).
  void NotifyChanged(const ServedRepo& served, Repository& repo, const std::vector<DroppedTx>& dropped = {});
  // Every 500 ms until Stop(): compares the heads of every repository that
  // has subscribers (one shared-lock open each), for local commands' writes.
  void WatchRefs();
  // One submission batch on `served` (see SubmitQueue).
  std::vector<SubmitResult> RunSubmitBatch(const ServedRepo& served, const std::vector<const SubmitEntry*>& batch);
  Status RunSubmitBatchOn(Repository& repo, const ServedRepo& served, const std::vector<const SubmitEntry*>& batch,
                          std::vector<SubmitResult>& results);
  // Seals every served repository's pending txs (with a key) into a block.
  void SealPools();
  void ProduceBlocks();

  DaemonOptions options_;
  const Clock& clock_;
  // By served name; fixed after Create. Declared before server_, so
  // destroyed after it: a streamed answer may hold a reader.
  std::map<std::string, std::unique_ptr<RepoHandles>> handles_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  std::string url_;
  RequestReplayGuard replay_;
  RoleCache roles_;
  std::atomic<bool> stopping_{false};
  std::map<std::string, std::unique_ptr<SubmitQueue>> submit_queues_;  // by served name; fixed after Create
  std::mutex producer_mu_;
  std::condition_variable producer_wake_;
  std::mutex log_mu_;
  // By served name; fixed after Create. Declared after server_, so
  // destroyed before it: their streams post to its event loop.
  std::map<std::string, std::unique_ptr<EventHub>> hubs_;
};

}  // namespace aergo
