// An HTTP/1.1 server for the daemon (docs/http-server.md), on Boost.Beast
// and Boost.Asio: one event loop thread owns every connection (accepting,
// reading requests, writing answers, timers), and a fixed pool of worker
// threads runs the handlers. An idle, slow or stalled connection costs a
// few kilobytes and no thread.
//
// What it enforces before a handler sees a request:
//   - at most limits.max_connections connections, and at most
//     max_connections_per_client from one client address; a connection
//     over either is answered 503 (plain HTTP) or closed (TLS) at once;
//   - deadlines per request, not per read: the TLS handshake and the whole
//     header within header_timeout of its first byte; the whole body
//     within body_timeout plus one second per body_min_rate bytes
//     declared (or max_body_bytes, for a chunked body); an idle
//     kept-alive connection is closed after idle_timeout; every write of
//     an answer must finish within write_timeout;
//   - header bytes (max_header_bytes: 431) and count (max_header_fields:
//     431); the body size on every transfer encoding (max_body_bytes:
//     413), checked against a declared Content-Length before any body
//     byte is read; a Content-Encoding other than identity is refused with
//     415 and never decoded; a Transfer-Encoding other than chunked: 501;
//   - at most max_queued requests waiting for a worker: 503;
//   - at most max_inflight_body_bytes of request bodies held at once, over
//     every connection: a declared Content-Length is reserved from the
//     header, a chunked body as it is read; a request that does not fit is
//     answered 503 (Retry-After) and its connection closed. A request's
//     bytes are released when the request is freed: after its handler
//     returned and its answer was sent (or the connection died).
// A refusal's body is error_body(status, message).
//
// Ownership: the server owns its sockets, threads and TLS context.
// Thread-safety: handlers run on worker threads, several at once; Stop()
// and active() may be called from any thread, Serve() from one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace aergo {

struct HttpLimits {
  size_t max_connections = 4096;
  size_t max_connections_per_client = 1024;
  uint32_t max_header_bytes = 16 * 1024;
  size_t max_header_fields = 64;
  uint64_t max_body_bytes = uint64_t{256} << 20;
  // Request-body bytes held at once by all requests together (being read,
  // waiting for a worker, being answered).
  uint64_t max_inflight_body_bytes = uint64_t{1} << 30;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  uint64_t body_min_rate = 256 * 1024;  // bytes per second a body may not fall under, on average
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  size_t workers = 8;
  size_t max_queued = 256;
  // Pushed answers (HttpResponse::subscribe): the bytes one subscriber may
  // have queued and unsent before it is dropped, and how often a comment
  // line ": ping" goes to every subscriber so that dead ones are found.
  size_t max_push_queue_bytes = size_t{1} << 20;
  std::chrono::milliseconds push_ping_interval{15'000};
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query, percent-encoded
  std::string path;    // the target's path, percent-decoded
  std::string peer;    // the client's address
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> params;  // the route pattern's captures

  // The first header named `name` (ASCII case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
};

// Handed to a streamed answer's producer (HttpResponse::stream), which runs
// on the worker thread: Write queues a chunk for the event loop to send,
// waiting while more than a megabyte is queued. False once the connection
// is gone or a write missed its deadline: the producer should stop.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  virtual bool Write(const void* data, size_t size) = 0;
};

// Handed to a pushed answer's subscriber (HttpResponse::subscribe): a
// long-lived chunked answer (server-sent events) that holds no thread.
// Any thread may call it, at any time; nothing blocks. The event loop
// writes what is queued, each write within the write deadline.
class HttpPushStream {
 public:
  virtual ~HttpPushStream() = default;
  // Queues `chunk` for sending. False once the connection is gone, the
  // answer was ended or the daemon stops; also false when the chunk would
  // put more than HttpLimits::max_push_queue_bytes in this subscriber's
  // queue: the server then closes the connection (a slow subscriber is
  // dropped, never buffered without bound).
  virtual bool Push(std::string chunk) = 0;
  // Ends the answer once what is queued is sent (then the connection closes).
  virtual void End() = 0;
  // False once Push would fail.
  virtual bool open() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: the body is sent chunked, produced by this function on the worker
  // thread after the handler returns; it returns false to cut the
  // connection (the client sees a truncated answer).
  std::function<bool(HttpStream&)> stream;
  // Set (with status 200): a pushed answer. The server sends the head
  // (chunked, this content_type and headers), then calls subscribe on the
  // worker with the connection's HttpPushStream and frees the worker at
  // once. The connection stays open, counted against the connection caps,
  // until End(), a failed write, a dropped slow subscriber, the client's
  // close or Stop(). Every push_ping_interval the server itself queues
  // ": ping\n\n" (an SSE comment). The request's log line is written when
  // the answer ends, with why.
  std::function<void(std::shared_ptr<HttpPushStream>)> subscribe;
  // Appended to the request's log line (e.g. the caller).
  std::string log_note;
};

class HttpServer {
 public:
  using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;
  // One line per answered request, refusals included.
  using Logger = std::function<void(const HttpRequest& req, int status, uint64_t ms, const std::string& note)>;
  using ErrorBody = std::function<std::string(int status, const std::string& message)>;

  // Binds host:port (port 0: any free port) and, with both tls files set,
  // loads the certificate chain and key (PEM). Connections queue in the
  // kernel until Serve().
  static Result<std::unique_ptr<HttpServer>> Create(const std::string& host, int port, const std::string& tls_cert,
                                                    const std::string& tls_key, const HttpLimits& limits,
                                                    ErrorBody error_body, Logger logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes before Serve(): the first route whose method is `method` and
  // whose ECMAScript pattern matches the whole decoded path answers; its
  // captures are the request's params. No route: 404.
  void Route(const std::string& method, const std::string& pattern, Handler handler);

  int port() const;
  bool tls() const;
  // Runs the event loop on the calling thread until Stop() and until every
  // request being answered is done.
  Status Serve();
  // Stops accepting, closes idle connections and pushed answers, and lets
  // the requests being answered finish (their connections close after).
  // Any thread; idempotent.
  void Stop();
  // Requests read and not yet fully answered.
  size_t active() const;
  // Connections open right now.
  size_t connections() const;
  // Request-body bytes reserved right now (HttpLimits::max_inflight_body_bytes).
  uint64_t inflight_body_bytes() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aergo
