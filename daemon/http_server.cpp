// daemon/http_server.h on Boost.Beast. Every Session member runs on the
// event loop thread, except the StreamState a producer writes to (its own
// mutex) and the counters (atomics, or Impl::mu).
#include "daemon/http_server.h"

#include "core/text.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

namespace aergo {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxQueuedStreamBytes = size_t{1} << 20;
constexpr size_t kMaxChunkBytes = 256 * 1024;

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The target's path, percent-decoded; nullopt for a bad escape or a NUL.
std::optional<std::string> DecodePath(std::string_view target) {
  std::string_view raw = target.substr(0, target.find('?'));
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return std::nullopt;
      int hi = HexDigit(raw[i + 1]), lo = HexDigit(raw[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::string_view View(boost::beast::string_view v) { return {v.data(), v.size()}; }

uint64_t MsSince(SteadyClock::time_point t) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t).count());
}

// A fixed set of threads running jobs from a bounded queue.
class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
    for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  // False if max_queued jobs already wait.
  bool TryPost(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

std::optional<std::string> HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (EqualsNoCase(k, name)) return v;
  return std::nullopt;
}

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // On the event loop: close if idle, else close after the current answer
  // (a pushed answer: close now).
  virtual void OnStop() = 0;
  // On the event loop: queue a keep-alive comment on a pushed answer.
  virtual void Ping() {}
};

struct HttpServer::Impl {
  struct RouteEntry {
    std::string method;
    std::regex pattern;
    Handler handler;
  };

  // Declared before the event loop: the sessions its pending handlers
  // hold use them while it is destroyed.
  HttpLimits limits;
  ErrorBody error_body;
  Logger logger;
  std::optional<ssl::context> tls;
  std::vector<RouteEntry> routes;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};
  std::atomic<uint64_t> last_accept_error_log_ms{0};
  // Request-body bytes reserved (BodyReservation); never over
  // limits.max_inflight_body_bytes.
  std::atomic<uint64_t> inflight_body{0};
  std::mutex mu;  // guards the four below
  size_t connections = 0;
  std::map<std::string, size_t> per_client;
  uint64_t next_session = 0;
  std::map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  // The sessions answering with a pushed stream (event loop only).
  std::map<uint64_t, std::weak_ptr<SessionBase>> pushers;

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  asio::steady_timer ping_timer{io};
  std::unique_ptr<WorkerPool> workers;  // reset first (~HttpServer)

  void Accept();
  // Pings every pushed answer each push_ping_interval (one timer per server).
  void SchedulePing();
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket);
  // Counts a new connection from `peer`; false if over a limit.
  bool Admit(const std::string& peer) {
    std::lock_guard<std::mutex> lock(mu);
    size_t& mine = per_client[peer];
    if (connections >= limits.max_connections || mine >= limits.max_connections_per_client) {
      if (mine == 0) per_client.erase(peer);
      return false;
    }
    ++connections;
    ++mine;
    return true;
  }
  // Reserves n more request-body bytes; false (nothing reserved) if that
  // would pass the budget.
  bool ReserveBody(uint64_t n) {
    uint64_t cur = inflight_body.load();
    do {
      if (n > limits.max_inflight_body_bytes || cur > limits.max_inflight_body_bytes - n) return false;
    } while (!inflight_body.compare_exchange_weak(cur, cur + n));
    return true;
  }
  void ReleaseBody(uint64_t n) { inflight_body.fetch_sub(n); }
  uint64_t Register(std::weak_ptr<SessionBase> s) {
    std::lock_guard<std::mutex> lock(mu);
    uint64_t id = ++next_session;
    sessions[id] = std::move(s);
    return id;
  }
  void Release(uint64_t id, const std::string& peer) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(id);
    --connections;
    auto it = per_client.find(peer);
    if (it != per_client.end() && --it->second == 0) per_client.erase(it);
  }
  const RouteEntry* FindRoute(const HttpRequest& req, bool* path_known) const {
    for (const auto& r : routes) {
      std::smatch m;
      if (!std::regex_match(req.path, m, r.pattern)) continue;
      *path_known = true;
      if (r.method == req.method) return &r;
    }
    return nullptr;
  }
};

namespace {

// One request's share of the request-body budget: grows as its body is
// read (or at once by its declared length), all of it given back when the
// reservation is destroyed. It is owned by the request (the deleter of the
// session's shared_ptr<HttpRequest>, which the worker's job shares), so the
// bytes come back when the body itself is freed, on whichever thread, and
// never twice.
class BodyReservation {
 public:
  explicit BodyReservation(HttpServer::Impl& server) : server_(server) {}
  ~BodyReservation() {
    if (held_ > 0) server_.ReleaseBody(held_);
  }
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  // Holds at least `total` bytes; false (holding what it held) if the
  // budget has no room for the rest. Event loop thread only.
  bool HoldAtLeast(uint64_t total) {
    if (total <= held_) return true;
    if (!server_.ReserveBody(total - held_)) return false;
    held_ = total;
    return true;
  }

 private:
  HttpServer::Impl& server_;
  uint64_t held_ = 0;
};

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(HttpServer::Impl& server, std::string peer, Args&&... args)
      : server_(server), peer_(std::move(peer)), stream_(std::forward<Args>(args)...), deadline_(server.io) {}
  ~Session() override {
    if (push_) {
      std::lock_guard<std::mutex> lock(push_->mu);
      push_->closed = true;
    }
    server_.Release(id_, peer_);
  }

  void Start() {
    id_ = server_.Register(this->weak_from_this());
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      ReadRequest();
    } else {
      Tcp().expires_after(server_.limits.header_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](const boost::system::error_code& ec) {
                                if (ec) return self->Close();
                                self->ReadRequest();
                              });
    }
  }

  void OnStop() override {
    close_after_ = true;
    if (push_) return StopPush();
    if (idle_) Close();
  }

  // Stop() on a pushed answer: what is queued is dropped; the last chunk
  // goes out if the connection is free (within a second), so the client
  // sees a clean end; then the close.
  void StopPush() {
    {
      std::lock_guard<std::mutex> lock(push_->mu);
      if (push_->reason.empty()) push_->reason = "the daemon is stopping";
      push_->closed = true;
      push_->chunks.clear();
    }
    if (!head_sent_ || writing_ || closed_) return PushFail("the daemon is stopping");
    writing_ = true;
    Tcp().expires_after(std::chrono::seconds(1));
    asio::async_write(stream_, http::make_chunk_last(),
                      [self = this->shared_from_this()](const boost::system::error_code&, size_t) {
                        self->writing_ = false;
                        self->PushFail("the daemon is stopping");
                      });
  }

  void Ping() override {
    if (!push_ || !head_sent_ || closed_) return;
    static const std::string kPing = ": ping\n\n";
    {
      std::lock_guard<std::mutex> lock(push_->mu);
      if (push_->closed || push_->ended) return;
      if (push_->queued + kPing.size() > server_.limits.max_push_queue_bytes) {
        push_->closed = true;
        push_->reason = "dropped: the subscriber reads too slowly";
      } else {
        push_->chunks.push_back(kPing);
        push_->queued += kPing.size();
      }
    }
    DrainPush();
  }

 private:
  using Parser = http::request_parser<http::string_body>;

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void ReadRequest() {
    if (server_.stopping) return Close();
    parser_.emplace();
    parser_->header_limit(server_.limits.max_header_bytes);
    parser_->body_limit(server_.limits.max_body_bytes);
    if (buffer_.size() > 0) return ReadHeader();
    // Idle until a first byte: only the idle timeout applies.
    idle_ = true;
    Tcp().expires_after(server_.limits.idle_timeout);
    auto space = buffer_.prepare(4096);
    stream_.async_read_some(space, [self = this->shared_from_this()](const boost::system::error_code& ec, size_t n) {
      self->idle_ = false;
      if (ec || n == 0) return self->Close();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    started_ = SteadyClock::now();
    StartDeadline(server_.limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(const boost::system::error_code& ec) {
    bool late = StopDeadline();
    if (ec && late) return Refuse(408, "the request's header did not arrive in time");
    if (ec == http::error::header_limit)
      return Refuse(431, "the request's header is larger than this daemon accepts (" +
                             std::to_string(server_.limits.max_header_bytes) + " bytes)");
    if (ec == http::error::body_limit) return RefuseOversize();  // a Content-Length over the limit
    if (ec == beast::error::timeout) return Refuse(408, "the request's header did not arrive in time");
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) return Close();
    if (ec) return Refuse(400, "malformed HTTP request");
    const auto& msg = parser_->get();
    RecordHead(msg);
    size_t fields = static_cast<size_t>(std::distance(msg.begin(), msg.end()));
    if (fields > server_.limits.max_header_fields)
      return Refuse(431, "the request has " + std::to_string(fields) + " header fields; this daemon accepts " +
                             std::to_string(server_.limits.max_header_fields));
    for (const auto& f : msg) {
      if (f.name() == http::field::content_encoding && !EqualsNoCase(Trim(View(f.value())), "identity"))
        return Refuse(415, "request bodies are not decoded: send them without a Content-Encoding");
      if (f.name() == http::field::transfer_encoding && !EqualsNoCase(Trim(View(f.value())), "chunked"))
        return Refuse(501, "the only transfer coding accepted is chunked");
    }
    uint64_t declared = server_.limits.max_body_bytes;
    auto length = parser_->content_length();
    if (length) {
      if (*length > server_.limits.max_body_bytes) return RefuseOversize();
      declared = *length;
      // The whole declared body is allocated as it starts: reserve it now.
      if (!body_hold_->HoldAtLeast(*length)) return RefuseBudget();
    }
    if (parser_->is_done()) return Dispatch();
    auto body_deadline = server_.limits.body_timeout +
                         std::chrono::seconds(declared / std::max<uint64_t>(server_.limits.body_min_rate, 1));
    auto expect = msg[http::field::expect];
    if (EqualsNoCase(Trim(View(expect)), "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Tcp().expires_after(server_.limits.write_timeout);
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = this->shared_from_this(), body_deadline](const boost::system::error_code& e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody(body_deadline, self->parser_->content_length().has_value());
                        });
      return;
    }
    ReadBody(body_deadline, length.has_value());
  }

  // A declared length is reserved already: the body is read whole. A
  // chunked one is read a piece at a time (at most 64 KiB a read), its
  // reservation grown to what it holds after each.
  void ReadBody(std::chrono::milliseconds deadline, bool reserved) {
    StartDeadline(deadline);
    if (!reserved) return ReadChunkedBody();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
                       bool late = self->StopDeadline();
                       if (ec && late) return self->Refuse(408, "the request's body did not arrive in time");
                       if (ec == http::error::body_limit) return self->RefuseOversize();
                       if (ec == beast::error::timeout) return self->Refuse(408, "the request's body did not arrive in time");
                       if (ec == http::error::end_of_stream || ec == asio::error::eof ||
                           ec == asio::error::connection_reset)
                         return self->Close();
                       if (ec) return self->Refuse(400, "malformed HTTP request body");
                       self->Dispatch();
                     });
  }

  // The deadline set by ReadBody holds across these reads.
  void ReadChunkedBody() {
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
                            if (ec && self->StopDeadline())
                              return self->Refuse(408, "the request's body did not arrive in time");
                            if (ec) self->StopDeadline();
                            if (ec == http::error::body_limit) return self->RefuseOversize();
                            if (ec == beast::error::timeout)
                              return self->Refuse(408, "the request's body did not arrive in time");
                            if (ec == http::error::end_of_stream || ec == asio::error::eof ||
                                ec == asio::error::connection_reset)
                              return self->Close();
                            if (ec) return self->Refuse(400, "malformed HTTP request body");
                            if (!self->body_hold_->HoldAtLeast(self->parser_->get().body().size())) {
                              self->StopDeadline();
                              return self->RefuseBudget();
                            }
                            if (self->parser_->is_done()) {
                              self->StopDeadline();
                              return self->Dispatch();
                            }
                            self->ReadChunkedBody();
                          });
  }

  // A deadline for the reads of one header or one body, on a timer of our
  // own: at expiry it cancels the pending read (the connection stays open)
  // so that a 408 can still be written. beast::tcp_stream's own expiry
  // would close the socket, and the client would see no answer.
  void StartDeadline(std::chrono::milliseconds limit) {
    Tcp().expires_never();
    deadline_hit_ = false;
    deadline_armed_ = true;
    uint64_t generation = ++deadline_generation_;
    deadline_.expires_after(limit);
    deadline_.async_wait([weak = this->weak_from_this(), generation](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || !self->deadline_armed_ || generation != self->deadline_generation_) return;
      self->deadline_hit_ = true;
      boost::system::error_code ignored;
      self->Tcp().socket().cancel(ignored);
    });
  }
  // Disarms the deadline; true if it had expired (the read was cut).
  bool StopDeadline() {
    if (deadline_armed_) {
      deadline_armed_ = false;
      deadline_.cancel();
    }
    return deadline_hit_;
  }

  void RefuseBudget() {
    Refuse(503, "the server is receiving too many request bodies; retry");
  }

  template <class Message>
  void RecordHead(const Message& msg) {
    // The request owns its body's reservation: freeing the one frees the other.
    auto hold = std::make_shared<BodyReservation>(server_);
    body_hold_ = hold;
    req_ = std::shared_ptr<HttpRequest>(new HttpRequest, [hold](HttpRequest* r) { delete r; });
    req_->method = std::string(msg.method_string());
    req_->target = std::string(msg.target());
    req_->peer = peer_;
    for (const auto& f : msg) req_->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }

  void RefuseOversize() {
    Refuse(413, "the request body is larger than this daemon accepts (" +
                    std::to_string(server_.limits.max_body_bytes) + " bytes)");
  }

  // Answers a refusal and closes the connection: the rest of what the
  // client sent is not read.
  void Refuse(int status, const std::string& message) {
    if (!req_) {
      req_ = std::make_shared<HttpRequest>();
      req_->method = "-";
      req_->target = "-";
      req_->peer = peer_;
    }
    if (started_ == SteadyClock::time_point{}) started_ = SteadyClock::now();
    auto res = std::make_shared<HttpResponse>();
    res->status = status;
    res->body = server_.error_body(status, message);
    if (status == 503) res->headers.emplace_back("Retry-After", "1");
    close_after_ = true;
    ++server_.active;
    Respond(std::move(res), 11);
  }

  void Dispatch() {
    auto& msg = parser_->get();
    req_->body = std::move(msg.body());
    auto path = DecodePath(req_->target);
    if (!path) return Refuse(400, "malformed request target");
    req_->path = std::move(*path);
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    bool path_known = false;
    const auto* route = server_.FindRoute(*req_, &path_known);
    ++server_.active;
    if (!route) {
      auto res = std::make_shared<HttpResponse>();
      res->status = 404;
      std::string shown = Printable(req_->path, 256);
      res->body = server_.error_body(404, "no such endpoint: " + req_->method + " " + shown);
      return Respond(std::move(res), version_);
    }
    std::smatch m;
    std::regex_match(req_->path, m, route->pattern);
    for (size_t i = 1; i < m.size(); ++i) req_->params.push_back(m[i].str());

    auto self = this->shared_from_this();
    auto guard = asio::make_work_guard(server_.io);
    auto req = req_;
    const HttpServer::Handler* handler = &route->handler;
    bool queued = server_.workers->TryPost([self, guard, req, handler]() mutable {
      auto res = std::make_shared<HttpResponse>();
      try {
        (*handler)(*req, *res);
      } catch (...) {
        // The details stay out of the answer (they may name server paths).
        *res = HttpResponse{};
        res->status = 500;
        res->body = self->server_.error_body(500, "internal error answering " + req->method + " " + req->path);
      }
      if (res->subscribe && res->status == 200) {
        auto state = std::make_shared<PushState>();
        asio::post(self->server_.io, [self, res, state] { self->RespondPush(res, state); });
        auto handle = std::make_shared<PushHandle>(self, state);
        try {
          res->subscribe(handle);
        } catch (...) {
          handle->End();
        }
        return;
      }
      if (!res->stream) {
        // The handler is done with the request: from here only the session
        // holds it (and its body's reservation), until the answer is sent.
        req.reset();
        asio::post(self->server_.io, [self, res] { self->Respond(res, self->version_); });
        return;
      }
      auto state = std::make_shared<StreamState>();
      state->write_timeout = self->server_.limits.write_timeout;
      asio::post(self->server_.io, [self, res, state] { self->RespondStreamed(res, state); });
      bool ok = false;
      StreamWriter writer(self, state);
      try {
        ok = res->stream(writer);
      } catch (...) {
        ok = false;
      }
      writer.Finish(ok);
      guard.reset();
    });
    if (!queued) {
      --server_.active;
      Refuse(503, "the daemon is busy (" + std::to_string(server_.limits.max_queued) +
                      " requests are waiting): try again");
    }
  }

  // An answer with its whole body.
  void Respond(std::shared_ptr<HttpResponse> res, unsigned version) {
    auto msg = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(res->status), version);
    msg->set(http::field::content_type, res->content_type);
    for (const auto& [k, v] : res->headers) msg->set(k, v);
    msg->body() = std::move(res->body);
    msg->keep_alive(keep_alive_ && !close_after_ && !server_.stopping);
    msg->prepare_payload();
    Tcp().expires_after(server_.limits.write_timeout);
    http::async_write(stream_, *msg,
                      [self = this->shared_from_this(), msg, res](const boost::system::error_code& ec, size_t) {
                        self->Done(res->status, res->log_note);
                        if (ec || !msg->keep_alive()) return self->Close();
                        self->ReadRequest();
                      });
  }

  // What a streamed answer's producer and the event loop share.
  struct StreamState {
    std::mutex mu;
    std::condition_variable drained;
    std::deque<std::string> chunks;
    size_t queued = 0;
    bool failed = false;    // the connection is gone: the producer stops
    bool finished = false;  // the producer returned
    bool ok = false;        // what it returned
    std::chrono::milliseconds write_timeout{0};
  };

  class StreamWriter : public HttpStream {
   public:
    StreamWriter(std::shared_ptr<Session> session, std::shared_ptr<StreamState> state)
        : session_(std::move(session)), state_(std::move(state)) {}
    bool Write(const void* data, size_t size) override {
      if (size == 0) return true;
      std::unique_lock<std::mutex> lock(state_->mu);
      bool room = state_->drained.wait_for(lock, state_->write_timeout, [&] {
        return state_->failed || state_->queued < kMaxQueuedStreamBytes;
      });
      if (state_->failed) return false;
      if (!room) {
        lock.unlock();
        asio::post(session_->server_.io, [s = session_, st = state_] { s->FailStream(st); });
        return false;
      }
      const char* p = static_cast<const char*>(data);
      while (size > 0) {
        size_t n = std::min(size, kMaxChunkBytes);
        state_->chunks.emplace_back(p, n);
        state_->queued += n;
        p += n;
        size -= n;
      }
      lock.unlock();
      asio::post(session_->server_.io, [s = session_, st = state_] { s->Drain(st); });
      return true;
    }
    void Finish(bool ok) {
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->finished = true;
        state_->ok = ok;
      }
      asio::post(session_->server_.io, [s = session_, st = state_] { s->Drain(st); });
    }

   private:
    std::shared_ptr<Session> session_;
    std::shared_ptr<StreamState> state_;
  };

  void RespondStreamed(std::shared_ptr<HttpResponse> res, std::shared_ptr<StreamState> state) {
    stream_res_ = std::make_unique<http::response<http::empty_body>>(static_cast<http::status>(res->status), version_);
    stream_res_->set(http::field::content_type, res->content_type);
    for (const auto& [k, v] : res->headers) stream_res_->set(k, v);
    stream_res_->keep_alive(keep_alive_ && !close_after_ && !server_.stopping);
    stream_res_->chunked(true);
    stream_sr_ = std::make_unique<http::response_serializer<http::empty_body>>(*stream_res_);
    stream_status_ = res->status;
    stream_note_ = res->log_note;
    writing_ = true;
    Tcp().expires_after(server_.limits.write_timeout);
    http::async_write_header(stream_, *stream_sr_,
                             [self = this->shared_from_this(), state](const boost::system::error_code& ec, size_t) {
                               self->writing_ = false;
                               self->head_sent_ = true;
                               if (ec) return self->FailStream(state);
                               self->Drain(state);
                             });
  }

  void FailStream(const std::shared_ptr<StreamState>& state) {
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->failed) return;
      state->failed = true;
    }
    state->drained.notify_all();
    Done(stream_status_, stream_note_ + " (stream cut)");
    Close();
  }

  // Sends what the producer queued, one write at a time; then the last
  // chunk once it has finished.
  void Drain(std::shared_ptr<StreamState> state) {
    if (!head_sent_ || writing_ || closed_) return;
    std::string chunk;
    bool finished = false, ok = false;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->failed) return;
      if (!state->chunks.empty()) {
        chunk = std::move(state->chunks.front());
        state->chunks.pop_front();
      } else {
        finished = state->finished;
        ok = state->ok;
      }
    }
    if (chunk.empty()) {
      if (!finished) return;
      if (!ok) return FailStream(state);
      writing_ = true;
      Tcp().expires_after(server_.limits.write_timeout);
      asio::async_write(stream_, http::make_chunk_last(),
                        [self = this->shared_from_this(), state](const boost::system::error_code& ec, size_t) {
                          self->writing_ = false;
                          self->Done(self->stream_status_, self->stream_note_);
                          bool keep = self->stream_res_->keep_alive();
                          self->stream_sr_.reset();
                          self->stream_res_.reset();
                          self->head_sent_ = false;
                          if (ec || !keep) return self->Close();
                          self->ReadRequest();
                        });
      return;
    }
    writing_ = true;
    auto data = std::make_shared<std::string>(std::move(chunk));
    Tcp().expires_after(server_.limits.write_timeout);
    asio::async_write(stream_, http::make_chunk(asio::buffer(*data)),
                      [self = this->shared_from_this(), state, data](const boost::system::error_code& ec, size_t) {
                        self->writing_ = false;
                        if (ec) return self->FailStream(state);
                        {
                          std::lock_guard<std::mutex> lock(state->mu);
                          state->queued -= data->size();
                        }
                        state->drained.notify_all();
                        self->Drain(state);
                      });
  }

  // What a pushed answer's handle and the event loop share. Chunks stay
  // counted in `queued` until written, so the bound covers what is in flight.
  struct PushState {
    std::mutex mu;
    std::deque<std::string> chunks;
    size_t queued = 0;
    bool closed = false;        // Push fails; the event loop closes the connection
    bool ended = false;         // End(): the last chunk follows what is queued
    bool drain_posted = false;  // a DrainPush is on its way to the event loop
    std::string reason;         // why closed, for the log line
  };

  class PushHandle : public HttpPushStream {
   public:
    PushHandle(const std::shared_ptr<Session>& session, std::shared_ptr<PushState> state)
        : session_(session), io_(&session->server_.io), max_(session->server_.limits.max_push_queue_bytes),
          state_(std::move(state)) {}
    bool Push(std::string chunk) override {
      bool fail = false;
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        if (state_->closed || state_->ended) return false;
        if (chunk.empty()) return true;
        if (state_->queued + chunk.size() > max_) {
          state_->closed = true;
          state_->reason = "dropped: the subscriber reads too slowly (" + std::to_string(state_->queued) +
                           " bytes unsent)";
          state_->chunks.clear();
          fail = true;
        } else {
          state_->queued += chunk.size();
          state_->chunks.push_back(std::move(chunk));
          if (state_->drain_posted) return true;
          state_->drain_posted = true;
        }
      }
      Wake();
      return !fail;
    }
    void End() override {
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        if (state_->closed || state_->ended) return;
        state_->ended = true;
        if (state_->drain_posted) return;
        state_->drain_posted = true;
      }
      Wake();
    }
    bool open() const override {
      std::lock_guard<std::mutex> lock(state_->mu);
      return !state_->closed && !state_->ended;
    }

   private:
    void Wake() {
      asio::post(*io_, [weak = session_] {
        if (auto s = weak.lock()) s->DrainPush();
      });
    }
    std::weak_ptr<Session> session_;  // never keeps the connection alive
    asio::io_context* io_;
    size_t max_;
    std::shared_ptr<PushState> state_;
  };

  void RespondPush(std::shared_ptr<HttpResponse> res, std::shared_ptr<PushState> state) {
    push_ = std::move(state);
    stream_status_ = res->status;
    stream_note_ = res->log_note;
    if (closed_ || server_.stopping) return PushFail("the daemon is stopping");
    server_.pushers[id_] = this->weak_from_this();
    // What a subscriber that stops reading can hold in the kernel is
    // bounded too, not only the queue: a small send buffer.
    boost::system::error_code ignored;
    Tcp().socket().set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored);
    stream_res_ = std::make_unique<http::response<http::empty_body>>(static_cast<http::status>(res->status), version_);
    stream_res_->set(http::field::content_type, res->content_type);
    for (const auto& [k, v] : res->headers) stream_res_->set(k, v);
    stream_res_->keep_alive(false);
    stream_res_->chunked(true);
    stream_sr_ = std::make_unique<http::response_serializer<http::empty_body>>(*stream_res_);
    writing_ = true;
    Tcp().expires_after(server_.limits.write_timeout);
    http::async_write_header(stream_, *stream_sr_,
                             [self = this->shared_from_this()](const boost::system::error_code& ec, size_t) {
                               self->writing_ = false;
                               if (ec) return self->PushFail("the client went away");
                               self->head_sent_ = true;
                               // No deadline on the read below; each write sets its own.
                               self->Tcp().expires_never();
                               self->WatchPeer();
                               self->DrainPush();
                             });
  }

  // A subscriber sends nothing after its request: a read that completes
  // means it closed the connection (or broke the protocol). Either way the
  // answer ends, without waiting for the next write to fail.
  void WatchPeer() {
    stream_.async_read_some(asio::buffer(peer_buf_), [self = this->shared_from_this()](
                                                         const boost::system::error_code& ec, size_t) {
      self->PushFail(ec ? "the client went away" : "the client sent data on an event stream");
    });
  }

  // Ends a pushed answer now: one log line, and the connection closes.
  void PushFail(const std::string& why) {
    if (!push_) return;
    std::string reason = why;
    {
      std::lock_guard<std::mutex> lock(push_->mu);
      if (!push_->reason.empty()) reason = push_->reason;
      push_->closed = true;
      push_->chunks.clear();
      push_->queued = 0;
    }
    server_.pushers.erase(id_);
    Done(stream_status_, stream_note_ + " (stream ended: " + reason + ")");
    Close();
  }

  // Sends what is queued, one write at a time (coalesced up to
  // kMaxChunkBytes); after End(), the last chunk, then the close.
  void DrainPush() {
    if (!push_ || closed_) return;
    std::string data;
    bool end = false, closed = false;
    {
      std::lock_guard<std::mutex> lock(push_->mu);
      push_->drain_posted = false;
      closed = push_->closed;
      if (!closed && head_sent_ && !writing_) {
        while (!push_->chunks.empty() && data.size() < kMaxChunkBytes) {
          data += push_->chunks.front();
          push_->chunks.pop_front();
        }
        end = data.empty() && push_->ended;
      }
    }
    if (closed) return PushFail("closed");
    if (!head_sent_ || writing_) return;
    if (end) {
      writing_ = true;
      Tcp().expires_after(server_.limits.write_timeout);
      asio::async_write(stream_, http::make_chunk_last(),
                        [self = this->shared_from_this()](const boost::system::error_code&, size_t) {
                          self->writing_ = false;
                          self->PushFail("ended by the daemon");
                        });
      return;
    }
    if (data.empty()) return;
    writing_ = true;
    auto buf = std::make_shared<std::string>(std::move(data));
    Tcp().expires_after(server_.limits.write_timeout);
    asio::async_write(stream_, http::make_chunk(asio::buffer(*buf)),
                      [self = this->shared_from_this(), buf](const boost::system::error_code& ec, size_t) {
                        self->writing_ = false;
                        if (ec == beast::error::timeout) return self->PushFail("a write missed its deadline");
                        if (ec) return self->PushFail("the client went away");
                        {
                          std::lock_guard<std::mutex> lock(self->push_->mu);
                          self->push_->queued -= std::min(self->push_->queued, buf->size());
                        }
                        self->DrainPush();
                      });
  }

  // The request is answered (or cut): one log line.
  // Once per answered request (req_ is reset here).
  void Done(int status, const std::string& note) {
    if (!req_) return;
    // The log line first: a stopping daemon exits once nothing is active,
    // and the line must be out by then.
    if (server_.logger) {
      try {
        server_.logger(*req_, status, MsSince(started_), note);
      } catch (...) {
      }
    }
    --server_.active;
    req_.reset();
    body_hold_.reset();
    started_ = {};
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
  }

  HttpServer::Impl& server_;
  std::string peer_;
  Stream stream_;
  uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::shared_ptr<HttpRequest> req_;
  // req_'s body reservation (also held by req_'s deleter).
  std::shared_ptr<BodyReservation> body_hold_;
  // The header's or the body's deadline (StartDeadline).
  asio::steady_timer deadline_;
  uint64_t deadline_generation_ = 0;
  bool deadline_armed_ = false;
  bool deadline_hit_ = false;
  SteadyClock::time_point started_{};
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool idle_ = false;
  bool close_after_ = false;
  bool closed_ = false;
  // A streamed answer in progress.
  std::unique_ptr<http::response<http::empty_body>> stream_res_;
  std::unique_ptr<http::response_serializer<http::empty_body>> stream_sr_;
  int stream_status_ = 0;
  std::string stream_note_;
  bool head_sent_ = false;
  bool writing_ = false;
  // A pushed answer (RespondPush).
  std::shared_ptr<PushState> push_;
  std::array<char, 256> peer_buf_{};
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void HttpServer::Impl::SchedulePing() {
  ping_timer.expires_after(limits.push_ping_interval);
  ping_timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping) return;
    std::vector<std::shared_ptr<SessionBase>> live;
    for (auto it = pushers.begin(); it != pushers.end();) {
      if (auto s = it->second.lock()) {
        live.push_back(std::move(s));
        ++it;
      } else {
        it = pushers.erase(it);
      }
    }
    for (auto& s : live) s->Ping();
    SchedulePing();
  });
}

void HttpServer::Impl::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (ec) {
    // Out of descriptors (or another transient failure): wait a little
    // rather than spin; log at most once a second, naming no path.
    uint64_t now = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count());
    if (now - last_accept_error_log_ms > 1000 && logger) {
      last_accept_error_log_ms = now;
      HttpRequest none;
      none.method = "-";
      none.target = "-";
      try {
        logger(none, 0, 0, "cannot accept a connection: " + ec.message());
      } catch (...) {
      }
    }
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](const boost::system::error_code& e) {
      if (!e) Accept();
    });
    return;
  }
  boost::system::error_code peer_ec;
  auto endpoint = socket.remote_endpoint(peer_ec);
  std::string peer = peer_ec ? std::string("?") : endpoint.address().to_string();
  if (!Admit(peer)) {
    // Over a limit: a short plain answer (TLS clients just see the close).
    if (!tls) {
      std::string body = error_body(503, "too many connections: try again later");
      std::string text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                         "Connection: close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(text), ignored);
    }
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    return Accept();
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (tls) {
    auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, peer, std::move(socket), *tls);
    s->Start();
  } else {
    auto s = std::make_shared<Session<beast::tcp_stream>>(*this, peer, std::move(socket));
    s->Start();
  }
  Accept();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  // Workers first: a job may still post to the event loop.
  if (impl_) impl_->workers.reset();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const std::string& host, int port, const std::string& tls_cert,
                                                       const std::string& tls_key, const HttpLimits& limits,
                                                       ErrorBody error_body, Logger logger) {
  auto impl = std::make_unique<Impl>();
  impl->limits = limits;
  impl->error_body = std::move(error_body);
  impl->logger = std::move(logger);
  if (!tls_cert.empty()) {
    boost::system::error_code ec;
    impl->tls.emplace(ssl::context::tls_server);
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    impl->tls->use_certificate_chain_file(tls_cert, ec);
    if (!ec) impl->tls->use_private_key_file(tls_key, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(impl->tls->native_handle()) != 1)
      return Invalid("cannot load the TLS certificate '" + tls_cert + "' with the key '" + tls_key +
                     "' (PEM files that belong together expected)");
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  tcp::endpoint endpoint;
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(port));
  } else {
    tcp::resolver resolver(impl->io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty())
      return IoError("cannot listen on " + host + ":" + std::to_string(port) + ": cannot resolve the host" +
                     (ec ? " (" + ec.message() + ")" : std::string()));
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](const boost::system::error_code& e) {
    std::string shown = endpoint.address().is_v6() ? "[" + host + "]" : host;
    return IoError("cannot listen on " + shown + ":" + std::to_string(port) + ": " + e.message());
  };
  // SO_REUSEADDR only: never SO_REUSEPORT, which would let a second daemon
  // bind the same port and share its connections.
  if (impl->acceptor.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) return fail(ec);
  if (impl->acceptor.bind(endpoint, ec); ec) return fail(ec);
  if (impl->acceptor.listen(511, ec); ec) return fail(ec);
  impl->port = impl->acceptor.local_endpoint(ec).port();
  impl->workers = std::make_unique<WorkerPool>(limits.workers, limits.max_queued);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Route(const std::string& method, const std::string& pattern, Handler handler) {
  impl_->routes.push_back(Impl::RouteEntry{method, std::regex(pattern, std::regex::ECMAScript), std::move(handler)});
}

int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->tls.has_value(); }
size_t HttpServer::active() const { return impl_->active; }
uint64_t HttpServer::inflight_body_bytes() const { return impl_->inflight_body; }
size_t HttpServer::connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

Status HttpServer::Serve() {
  if (impl_->stopping) return Status::Ok();
  impl_->Accept();
  impl_->SchedulePing();
  try {
    impl_->io.run();
  } catch (const std::exception& e) {
    return IoError(std::string("the HTTP server stopped: ") + e.what());
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    impl->ping_timer.cancel();
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      for (auto& [id, weak] : impl->sessions)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->OnStop();
  });
}

}  // namespace aergo
