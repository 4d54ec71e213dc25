// Transports: how the client reaches a remote repository (docs/design.md §8).
//
//   http://host:port/<name>, https://...   an `aergo daemon`, through libcurl
//                                          (one connection, kept alive)
//   /path, ./path, file:///path            a repository on this machine,
//                                          opened directly (no daemon)
//
// Both speak the same operations (docs/api.md). Requests over HTTP
// are signed with the caller's key when one is given (core/request_auth.h);
// without one they are anonymous, which only public repositories serve.
// Remote refusals come back as the Status the remote gave (Denied for a
// missing role, Corrupt for a block that failed verification, ...), with
// the remote's message.
//
// Ownership: a Transport borrows the key and clock it was opened with.
// Thread-safety: one thread per Transport.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/repo.h"
#include "core/transfer.h"
#include "merge/receive.h"
#include "remote/ledger_wire.h"
#include "remote/wire.h"

namespace aergo {

// One server-sent event (GET /<name>/events, docs/api.md "Events").
struct StreamEvent {
  std::string event;  // "message" when the server named none
  std::string data;   // the data lines, joined with '\n'
};

struct WatchOptions {
  // Called for each event in order; false stops watching (Watch returns Ok).
  std::function<bool(const StreamEvent&)> on_event;
  // Called once the daemon accepted the subscription.
  std::function<void()> on_open;
  // Polled at least once a second; true stops watching (Watch returns Ok).
  std::function<bool()> should_stop;
};

// The longest line an event stream may carry (an event's data is one line).
inline constexpr size_t kMaxEventLineBytes = size_t{1} << 20;

struct TransportOptions {
  const SecretKey* key = nullptr;  // signs HTTP requests; merges pushes to a local path
  const Clock* clock = nullptr;
  // How a repository on a local path is opened (the lock timeout).
  OpenOptions open;
  // Bytes sent so far (push), for progress display.
  std::function<void(uint64_t sent, uint64_t total)> upload_progress;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual const std::string& url() const = 0;
  virtual Result<RemoteRefs> ListRefs() = 0;
  // Streams the pack of request.wants minus request.haves into sink.
  virtual Status Fetch(const FetchRequest& request, const PackSink& sink) = 0;
  // pack: the blocks the remote lacks (may be empty).
  virtual Result<PushOutcome> Push(const PushRequest& request, const std::string& pack) = 0;

  // The ledger operations (remote/ledger_wire.h): submits signed txs to
  // the remote's checked-out branch's merge pool (each pre-executed; those
  // that fail are not kept), and reads a tx, a block or a query result.
  virtual Result<SubmitAnswer> SubmitTxs(const std::vector<Tx>& txs) = 0;
  virtual Result<FoundTx> GetTx(const std::string& txid_or_prefix) = 0;
  virtual Result<Block> GetBlock(const std::string& rev) = 0;
  virtual Result<QueryResult> Query(const QueryRequest& query) = 0;

  // Subscribes to the remote's event stream and hands each event to
  // options.on_event until it or should_stop says stop (Ok), or the stream
  // ends: Failed when the daemon closed it, IoError when the connection
  // broke, Invalid for a line over kMaxEventLineBytes. Only daemons serve
  // events: a local path answers Invalid.
  virtual Status Watch(const WatchOptions& options) {
    (void)options;
    return Invalid("'" + url() + "' is a repository on this machine: events are served by 'aergo daemon' only");
  }
};

// True for http:// and https:// URLs.
bool IsHttpUrl(const std::string& url);
// Opens a transport for url; Invalid for an unsupported scheme, NotFound for
// a local path that is not a repository.
Result<std::unique_ptr<Transport>> OpenTransport(const std::string& url, const TransportOptions& options);

// The transports themselves (http_transport.cpp, file_transport.cpp).
Result<std::unique_ptr<Transport>> OpenHttpTransport(const std::string& url, const TransportOptions& options);
Result<std::unique_ptr<Transport>> OpenFileTransport(const std::string& url, const TransportOptions& options);

}  // namespace aergo
