// daemon/http_server.h on its own (no daemon, no repository): refusals
// that need a handler the test controls — a full worker queue, the
// request-body budget — and that the budget's accounting returns to zero.
#include "daemon/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "tests/http_conn.h"

namespace aergo {
namespace {

using namespace std::chrono_literals;

using testcommon::Conn;
using Reply = testcommon::HttpReply;

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A server on a free port, served on a thread until the fixture ends.
struct Served {
  std::unique_ptr<HttpServer> server;
  std::thread loop;
  explicit Served(const HttpLimits& limits) {
    auto created = HttpServer::Create(
        "127.0.0.1", 0, "", "", limits,
        [](int, const std::string& message) { return "{\"error\":\"" + message + "\"}"; }, nullptr);
    EXPECT_TRUE(created.ok()) << created.status().message();
    if (created.ok()) server = std::move(*created);
  }
  void Start() {
    loop = std::thread([this] { (void)server->Serve(); });
  }
  ~Served() {
    if (server) server->Stop();
    if (loop.joinable()) loop.join();
  }
};

// Waits up to 5 s for `cond`.
template <class F>
bool Eventually(F cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

// A gate the handlers wait on until the test opens it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> entered{0};
  void Wait() {
    ++entered;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, 20s, [this] { return open; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

// One worker busy, max_queued requests waiting: the next is answered 503
// at once (Retry-After), without waiting; the held ones are answered after.
TEST(HttpServer, AFullWorkerQueueIsAnswered503) {
  HttpLimits limits;
  limits.workers = 1;
  limits.max_queued = 2;
  Gate gate;  // before the server: its handlers use it
  Served s(limits);
  ASSERT_TRUE(s.server);
  s.server->Route("GET", "/block", [&](const HttpRequest&, HttpResponse& res) {
    gate.Wait();
    res.body = "{\"ok\":true}";
  });
  s.server->Route("GET", "/fast", [](const HttpRequest&, HttpResponse& res) { res.body = "{}"; });
  s.Start();
  int port = s.server->port();

  Conn running(port);
  ASSERT_TRUE(running.Send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(Eventually([&] { return gate.entered == 1; }));
  Conn waiting1(port), waiting2(port);
  ASSERT_TRUE(waiting1.Send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(waiting2.Send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Read, dispatched and queued: three requests being answered.
  ASSERT_TRUE(Eventually([&] { return s.server->active() == 3; })) << s.server->active();

  auto start = std::chrono::steady_clock::now();
  Conn over(port);
  ASSERT_TRUE(over.Send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  Reply busy = over.Read();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(busy.status, 503) << busy.headers;
  EXPECT_EQ(busy.body, "{\"error\":\"the daemon is busy (2 requests are waiting): try again\"}");
  EXPECT_TRUE(Has(busy.headers, "Retry-After: 1")) << busy.headers;
  EXPECT_TRUE(Has(busy.headers, "Connection: close")) << busy.headers;
  EXPECT_LT(took, 2s);
  EXPECT_EQ(gate.entered, 1) << "a refused request ran";

  gate.Open();
  Reply first = running.Read();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "{\"ok\":true}");
  EXPECT_EQ(waiting1.Read().status, 200);
  EXPECT_EQ(waiting2.Read().status, 200);
  // The queue has room again.
  Conn after(port);
  ASSERT_TRUE(after.Send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(after.Read().status, 200);
}

// The body budget at the server level: a body held by a handler that has
// not returned still counts; the counter returns to zero once every
// request is answered, refusals and dropped connections included.
TEST(HttpServer, TheBodyBudgetIsHeldUntilTheAnswerAndGivenBack) {
  HttpLimits limits;
  limits.workers = 2;
  limits.max_body_bytes = 1 << 20;
  limits.max_inflight_body_bytes = 1 << 20;
  Gate gate, gate2;  // before the server: its handlers use them
  std::atomic<size_t> seen{0};
  Served s(limits);
  ASSERT_TRUE(s.server);
  s.server->Route("POST", "/hold", [&](const HttpRequest& req, HttpResponse& res) {
    seen = req.body.size();
    gate.Wait();
    res.body = "{\"size\":" + std::to_string(req.body.size()) + "}";
  });
  s.server->Route("POST", "/hold2", [&](const HttpRequest&, HttpResponse& res) {
    gate2.Wait();
    res.body = "{}";
  });
  s.server->Route("POST", "/echo", [](const HttpRequest& req, HttpResponse& res) {
    res.body = "{\"size\":" + std::to_string(req.body.size()) + "}";
  });
  s.Start();
  int port = s.server->port();
  const size_t kSize = 800 * 1024;
  std::string body(kSize, 'b');
  auto post = [&](const std::string& path, size_t length) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  };

  // Received whole and in its handler: still reserved.
  Conn held(port);
  ASSERT_TRUE(held.Send(post("/hold", kSize) + body));
  ASSERT_TRUE(Eventually([&] { return seen == kSize; }));
  EXPECT_EQ(s.server->inflight_body_bytes(), kSize);

  Conn refused(port);
  ASSERT_TRUE(refused.Send(post("/echo", kSize)));
  Reply r = refused.Read();
  EXPECT_EQ(r.status, 503) << r.headers;
  EXPECT_EQ(r.body, "{\"error\":\"the server is receiving too many request bodies; retry\"}");
  EXPECT_TRUE(Has(r.headers, "Retry-After: 1")) << r.headers;
  // What fits still goes through.
  Conn small(port);
  ASSERT_TRUE(small.Send(post("/echo", 1000) + std::string(1000, 's')));
  Reply ok = small.Read();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"size\":1000}");

  // A client that declares a body and goes away half-way gives it back too.
  {
    Conn gone(port);
    ASSERT_TRUE(gone.Send(post("/echo", 200000) + std::string(1000, 'g')));
    ASSERT_TRUE(Eventually([&] { return s.server->inflight_body_bytes() == kSize + 200000; }));
  }
  EXPECT_TRUE(Eventually([&] { return s.server->inflight_body_bytes() == kSize; }))
      << s.server->inflight_body_bytes();

  gate.Open();
  Reply answered = held.Read();
  EXPECT_EQ(answered.status, 200);
  EXPECT_EQ(answered.body, "{\"size\":819200}");
  EXPECT_TRUE(Eventually([&] { return s.server->inflight_body_bytes() == 0; })) << s.server->inflight_body_bytes();

  // Chunked: refused when what arrived passes the budget.
  Conn big(port);
  ASSERT_TRUE(big.Send(post("/hold2", kSize) + body));
  ASSERT_TRUE(Eventually([&] { return gate2.entered == 1; }));
  EXPECT_EQ(s.server->inflight_body_bytes(), kSize);
  Conn chunked(port);
  ASSERT_TRUE(chunked.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string piece = "8000\r\n" + std::string(0x8000, 'c') + "\r\n";
  for (int i = 0; i < 10; ++i)
    if (!chunked.Send(piece)) break;
  Reply cut = chunked.Read();
  EXPECT_EQ(cut.status, 503) << cut.headers;
  EXPECT_TRUE(Has(cut.body, "too many request bodies")) << cut.body;
  gate2.Open();
  EXPECT_EQ(big.Read().status, 200);
  EXPECT_TRUE(Eventually([&] { return s.server->inflight_body_bytes() == 0; })) << s.server->inflight_body_bytes();
  EXPECT_LE(s.server->inflight_body_bytes(), limits.max_inflight_body_bytes);
}

}  // namespace
}  // namespace aergo

namespace aergo {
namespace {

// A body that stops arriving is answered 408 at its deadline (declared or
// chunked), the connection then closed, and its reservation given back.
TEST(HttpServer, AStalledBodyIsAnswered408) {
  HttpLimits limits;
  limits.body_timeout = std::chrono::milliseconds(500);
  limits.body_min_rate = uint64_t{1} << 40;  // no extra second per byte declared
  Served s(limits);
  ASSERT_TRUE(s.server);
  s.server->Route("POST", "/echo", [](const HttpRequest& req, HttpResponse& res) {
    res.body = "{\"size\":" + std::to_string(req.body.size()) + "}";
  });
  s.Start();
  int port = s.server->port();
  for (bool chunked : {false, true}) {
    Conn stalled(port);
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(stalled.Send(chunked ? "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123"
                                     : "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789"));
    Reply r = stalled.Read();
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.status, 408) << chunked << " " << r.headers;
    EXPECT_EQ(r.body, "{\"error\":\"the request's body did not arrive in time\"}") << chunked;
    EXPECT_TRUE(Has(r.headers, "Connection: close")) << r.headers;
    EXPECT_GE(took, 400ms);
    EXPECT_LT(took, 3s);
  }
  EXPECT_TRUE(Eventually([&] { return s.server->inflight_body_bytes() == 0; })) << s.server->inflight_body_bytes();
  // Service goes on.
  Conn fine(port);
  ASSERT_TRUE(fine.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  Reply ok = fine.Read();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "{\"size\":3}");
}

}  // namespace
}  // namespace aergo
