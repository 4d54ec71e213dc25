// The daemon's HTTP server under hostile clients (daemon/http_server.h,
// issue 13's findings 1 and 3): compressed and chunked bodies, header
// limits, slowloris, idle connections, connection caps. Each runs a real
// `aergo daemon` and speaks raw HTTP to it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A sandbox with a public repository work/pub (admin alice).
struct PubScene {
  Sandbox sb;
  PubScene() {
    sb.InitRepo("alice");
    RunResult p = sb.Run({"init", "pub", "--public", "--key", "alice"});
    EXPECT_EQ(p.code, 0) << p.err;
  }
};

std::string Chunked(const std::string& data, size_t piece) {
  std::string out;
  char size[32];
  for (size_t off = 0; off < data.size(); off += piece) {
    size_t n = std::min(piece, data.size() - off);
    snprintf(size, sizeof size, "%zx\r\n", n);
    out += size + data.substr(off, n) + "\r\n";
  }
  return out + "0\r\n\r\n";
}

TEST(HttpLimits, CompressedBodiesAreRefusedWithoutBeingDecoded) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  // What a gzip bomb starts with; it is never inflated.
  std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  gz += std::string(1000, 'x');
  for (const char* coding : {"gzip", "deflate", "br", "x-anything"}) {
    HttpReply r = Http(d.port(), "POST", "/pub/query", gz, std::string("Content-Encoding: ") + coding + "\r\n");
    EXPECT_EQ(r.status, 415) << coding << ": " << r.headers;
    EXPECT_TRUE(Has(r.body, "request bodies are not decoded")) << r.body;
  }
  // identity is no encoding at all.
  HttpReply plain = Http(d.port(), "POST", "/pub/query", R"j({"sql":"SELECT 1 AS one"})j",
                         "Content-Type: application/json\r\nContent-Encoding: identity\r\n");
  EXPECT_EQ(plain.status, 200) << plain.body;
}

TEST(HttpLimits, ChunkedBodiesHaveTheSameLimit) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--max-body-bytes", "100000", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  // Within the limit, chunked works like Content-Length.
  std::string query = R"j({"sql":"SELECT 41 + 1 AS answer"})j";
  Conn ok(d.port());
  ASSERT_TRUE(ok.Send("POST /pub/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunked(query, 7)));
  HttpReply answered = ok.Read();
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_TRUE(Has(answered.body, "42")) << answered.body;

  // 200 kB in 1 kB chunks: refused once past 100 kB, not buffered whole.
  Conn big(d.port());
  ASSERT_TRUE(big.Send("POST /pub/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string body = Chunked(std::string(200000, 'a'), 1000);
  big.Send(body);  // the daemon may close before all of it is sent
  HttpReply r = big.Read();
  EXPECT_EQ(r.status, 413) << r.headers;
  EXPECT_TRUE(Has(r.body, "larger than this daemon accepts (100000 bytes)")) << r.body;

  // A declared length over the limit: refused from the header alone.
  Conn declared(d.port());
  ASSERT_TRUE(declared.Send("POST /pub/push HTTP/1.1\r\nHost: x\r\nContent-Length: 100001\r\n\r\n"));
  EXPECT_EQ(declared.Read().status, 413);

  // Transfer codings other than chunked are not implemented.
  Conn other(d.port());
  ASSERT_TRUE(other.Send("POST /pub/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
  EXPECT_EQ(other.Read().status, 501);
  EXPECT_EQ(Http(d.port(), "GET", "/healthz").status, 200);
}

TEST(HttpLimits, HeaderCountAndSizeAreBounded) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  std::string many;
  for (int i = 0; i < 65; ++i) many += "X-Filler-" + std::to_string(i) + ": y\r\n";
  HttpReply r = Http(d.port(), "GET", "/healthz", "", many);
  EXPECT_EQ(r.status, 431) << r.headers;
  EXPECT_TRUE(Has(r.body, "header fields; this daemon accepts 64")) << r.body;

  HttpReply big = Http(d.port(), "GET", "/healthz", "", "X-Big: " + std::string(17000, 'z') + "\r\n");
  EXPECT_EQ(big.status, 431) << big.headers;
  EXPECT_TRUE(Has(big.body, "header is larger than this daemon accepts")) << big.body;

  // 40,000 small headers (the finding) cost no more: the first 16 kB decide.
  Conn flood(d.port());
  ASSERT_TRUE(flood.Send("GET /healthz HTTP/1.1\r\n"));
  std::string lines;
  for (int i = 0; i < 2000; ++i) lines += "X-A: " + std::string(100, 'q') + "\r\n";
  flood.Send(lines);
  EXPECT_EQ(flood.Read().status, 431);
  EXPECT_EQ(Http(d.port(), "GET", "/healthz").status, 200);
}

TEST(HttpLimits, SlowHeadersAreCutAtTheDeadlineNotPerRead) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--header-timeout", "1000", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  Conn slow(d.port());
  ASSERT_TRUE(slow.Send("GET /healthz HTTP/1.1\r\n"));
  auto start = Clock::now();
  bool cut = false;
  // A byte every 200 ms keeps a per-read timeout happy forever.
  while (Clock::now() - start < std::chrono::seconds(5)) {
    if (!slow.Send("X")) {
      cut = true;
      break;
    }
    if (slow.ClosedWithin(milliseconds(200))) {
      cut = true;
      break;
    }
  }
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_TRUE(cut) << "a header trickling in for 5 s was not cut";
  EXPECT_LT(took, 3000);
  EXPECT_EQ(Http(d.port(), "GET", "/healthz").status, 200);
}

TEST(HttpLimits, IdleAndSlowConnectionsDoNotStopService) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  // Far more idle kept-alive and half-sent requests than there are workers
  // (8): before, 16 idle connections made a clone wait 28 s.
  std::vector<std::unique_ptr<Conn>> idle;
  for (int i = 0; i < 150; ++i) {
    idle.push_back(std::make_unique<Conn>(d.port()));
    if (i % 3 == 0) idle.back()->Request("GET", "/healthz");  // kept alive after one answer
  }
  for (int i = 0; i < 50; ++i) {
    idle.push_back(std::make_unique<Conn>(d.port()));
    idle.back()->Send("POST /pub/query HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"sql\":");
  }
  auto start = Clock::now();
  HttpReply refs = Http(d.port(), "GET", "/pub/refs");
  EXPECT_EQ(refs.status, 200);
  RunResult clone = s.sb.Run({"clone", d.url() + "/pub", "copy"});
  EXPECT_EQ(clone.code, 0) << clone.err;
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_LT(took, 5000) << "refs and a clone took " << took << " ms beside 200 idle connections";
}

TEST(HttpLimits, ConnectionsOverTheCapAreAnswered503) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--max-client-connections", "4", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Conn>(d.port()));
    EXPECT_EQ(held.back()->Request("GET", "/healthz").status, 200);
  }
  HttpReply over = Http(d.port(), "GET", "/healthz");
  EXPECT_EQ(over.status, 503) << over.headers;
  EXPECT_TRUE(Has(over.body, "too many connections")) << over.body;
  EXPECT_TRUE(Has(over.headers, "Retry-After: 1")) << over.headers;
  held.pop_back();
  // The closed one's slot comes back once the daemon has seen the close.
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    status = Http(d.port(), "GET", "/healthz").status;
  }
  EXPECT_EQ(status, 200);
}

// The daemon's peak resident memory (VmHWM) in MiB, or -1.
long PeakMiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  return -1;
}

TEST(HttpLimits, AnonymousQueriesHaveTightBounds) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  // Before: 3.45 GB for this one, and a 200 MB body for zeroblob(1e8).
  HttpReply huge = Http(d.port(), "POST", "/pub/query", R"j({"sql":"SELECT zeroblob(900000000), zeroblob(900000000)"})j");
  EXPECT_EQ(huge.status, 400) << huge.body;
  EXPECT_TRUE(Has(huge.body, "the result is over 4194304 bytes")) << huge.body;
  HttpReply big = Http(d.port(), "POST", "/pub/query", R"j({"sql":"SELECT zeroblob(100000000)"})j");
  EXPECT_EQ(big.status, 400) << big.body;
  EXPECT_LT(big.body.size(), 1000u);
  EXPECT_LT(PeakMiB(d.pid()), 200) << "the daemon's peak memory";
  // A query that never ends stops at the step or time bound.
  auto start = Clock::now();
  HttpReply endless = Http(
      d.port(), "POST", "/pub/query",
      R"j({"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"})j");
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(endless.status, 400) << endless.body;
  EXPECT_TRUE(Has(endless.body, "step budget exceeded (20000000 steps)") ||
              Has(endless.body, "stopped at the time limit for queries (2000 ms)"))
      << endless.body;
  EXPECT_LT(took, 4000);
  HttpReply fine = Http(d.port(), "POST", "/pub/query", R"j({"sql":"SELECT 6 * 7 AS answer"})j");
  EXPECT_EQ(fine.status, 200) << fine.body;
}

}  // namespace
}  // namespace aergo::clitest

namespace aergo::clitest {
namespace {

// Issue 13, finding 8: an unsigned push or submission is refused before it
// waits for the repository's lock (here held by another process).
TEST(HttpLimits, AnonymousWritesAreRefusedBeforeTheLock) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  int fd = open((s.sb.work() + "/pub/.aergo/lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  auto start = Clock::now();
  HttpReply txs = Http(d.port(), "POST", "/pub/txs", "[]");
  HttpReply push = Http(d.port(), "POST", "/pub/push", "2\n{}");
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  flock(fd, LOCK_UN);
  close(fd);
  EXPECT_EQ(txs.status, 401) << txs.body;
  EXPECT_EQ(push.status, 401) << push.body;
  EXPECT_TRUE(Has(txs.body, "pub needs the write role: sign the request with a key that has it")) << txs.body;
  EXPECT_LT(took, 1000) << "the refusals waited for the lock";
}

}  // namespace
}  // namespace aergo::clitest

namespace aergo::clitest {
namespace {

TEST(HttpLimits, LimitFlagsAndTheServedBranchAreChecked) {
  PubScene s;
  RunResult zero = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--workers", "0", "pub"});
  EXPECT_EQ(zero.code, 2);
  EXPECT_TRUE(Has(zero.err, "invalid --workers '0': a whole number from 1 to 999999999")) << zero.err;
  RunResult many = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--workers", "300", "pub"});
  EXPECT_EQ(many.code, 2);
  EXPECT_TRUE(Has(many.err, "invalid --workers: at most 256")) << many.err;
  RunResult nobranch = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--branch", "nosuch", "pub"});
  EXPECT_EQ(nobranch.code, 1);
  EXPECT_TRUE(Has(nobranch.err, "cannot serve pub: it has no branch 'nosuch'")) << nobranch.err;
  // A detached HEAD needs --branch.
  ASSERT_EQ(s.sb.Run({"tag", "v0"}, s.sb.work() + "/pub").code, 0);
  RunResult co = s.sb.Run({"checkout", "v0"}, s.sb.work() + "/pub");
  ASSERT_EQ(co.code, 0) << co.err;
  RunResult detached = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "pub"});
  EXPECT_EQ(detached.code, 1);
  EXPECT_TRUE(Has(detached.err, "cannot serve pub: its HEAD is detached; name the branch to serve (--branch)"))
      << detached.err;
}

}  // namespace
}  // namespace aergo::clitest

namespace aergo::clitest {
namespace {

// A header that stops arriving is answered 408 at --header-timeout, with
// the reason, and its connection closed.
TEST(HttpLimits, AStalledHeaderIsAnswered408) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--header-timeout", "1000", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  Conn stalled(d.port());
  auto start = Clock::now();
  ASSERT_TRUE(stalled.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: "));
  HttpReply r = stalled.Read();
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(r.status, 408) << r.headers;
  EXPECT_TRUE(Has(r.body, "the request's header did not arrive in time")) << r.body;
  EXPECT_GE(took, 900);
  EXPECT_LT(took, 3000);
  EXPECT_TRUE(stalled.ClosedWithin(milliseconds(2000)));
  EXPECT_EQ(Http(d.port(), "GET", "/healthz").status, 200);
}

// --max-inflight-body-bytes: the bodies being received share one budget.
// A declared length is reserved from the header, a chunked body as it
// arrives; a request that does not fit is answered 503 and closed, and the
// bytes come back once a request is answered.
TEST(HttpLimits, RequestBodiesShareOneBudget) {
  PubScene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--max-body-bytes", "1048576", "--max-inflight-body-bytes",
                         "1048576", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  const size_t kSize = 800 * 1024;
  std::string query = R"j({"sql":"SELECT 6 * 7 AS answer"})j";
  std::string body = query + std::string(kSize - query.size(), ' ');  // JSON may end in spaces
  std::string head = "POST /pub/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(kSize) + "\r\n\r\n";
  const char* kBusy = "the server is receiving too many request bodies; retry";

  // The first upload, sent slowly: 800 KiB of the 1 MiB are reserved.
  Conn first(d.port());
  ASSERT_TRUE(first.Send(head + body.substr(0, 100 * 1024)));
  std::this_thread::sleep_for(milliseconds(200));

  // A second one declaring 800 KiB does not fit: refused from its header.
  Conn second(d.port());
  ASSERT_TRUE(second.Send(head + body.substr(0, 1024)));
  HttpReply refused = second.Read();
  EXPECT_EQ(refused.status, 503) << refused.headers;
  EXPECT_TRUE(Has(refused.body, kBusy)) << refused.body;
  EXPECT_TRUE(Has(refused.headers, "Retry-After: 1")) << refused.headers;
  EXPECT_TRUE(second.ClosedWithin(milliseconds(2000)));

  // A chunked one is refused once what it sent passes the 224 KiB left.
  Conn chunked(d.port());
  ASSERT_TRUE(chunked.Send("POST /pub/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string piece = Chunked(std::string(32 * 1024, ' '), 32 * 1024);
  piece.resize(piece.size() - 5);  // not the last chunk
  for (int i = 0; i < 12; ++i) {
    if (!chunked.Send(piece)) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  HttpReply cut = chunked.Read();
  EXPECT_EQ(cut.status, 503) << cut.headers;
  EXPECT_TRUE(Has(cut.body, kBusy)) << cut.body;

  // The first one, still being sent all along, is answered.
  for (size_t off = 100 * 1024; off < kSize; off += 100 * 1024) {
    ASSERT_TRUE(first.Send(body.substr(off, 100 * 1024)));
    std::this_thread::sleep_for(milliseconds(50));
  }
  HttpReply answered = first.Read();
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_TRUE(Has(answered.body, "42")) << answered.body;

  // Its bytes were given back: another 800 KiB upload fits (the release
  // follows the answer's write on the daemon's side; allow it a moment).
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(20));
    Conn again(d.port());
    status = again.Request("POST", "/pub/query", body, "Content-Type: application/json\r\n").status;
  }
  EXPECT_EQ(status, 200);
  // And twice in a row on one connection: nothing stays reserved.
  Conn keep(d.port());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(keep.Request("POST", "/pub/query", body, "Content-Type: application/json\r\n").status, 200) << i;
}

TEST(HttpLimits, TheBodyBudgetFlagIsChecked) {
  PubScene s;
  RunResult small = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--max-inflight-body-bytes", "1000", "pub"});
  EXPECT_EQ(small.code, 2);
  EXPECT_TRUE(Has(small.err, "invalid --max-inflight-body-bytes: at least --max-body-bytes (268435456)"))
      << small.err;
  RunResult bad = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--max-inflight-body-bytes", "1e9", "pub"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(Has(bad.err, "invalid --max-inflight-body-bytes '1e9': a whole number from 1 to 999999999999"))
      << bad.err;
}

TEST(HttpLimits, TheSubmitBudgetFlagIsChecked) {
  PubScene s;
  for (const char* value : {"0", "soon", "1000000000"}) {
    RunResult r = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--submit-budget", value, "pub"});
    EXPECT_EQ(r.code, 2) << value;
    EXPECT_TRUE(Has(r.err, std::string("invalid --submit-budget '") + value +
                               "': a whole number from 1 to 999999999"))
        << r.err;
  }
}

}  // namespace
}  // namespace aergo::clitest
