// aergo daemon (docs/design.md §8, man/aergo-daemon.1): started as a child process
// on 127.0.0.1:0, spoken to over raw sockets. Covers the listening line,
// /healthz, refs, fetch, access (anonymous, signed, replayed), the error
// bodies (404, 400, 413), concurrent kept-alive clients, SIGTERM, --detach
// with a pid file, TLS, and the usage errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/clock.h"
#include "core/keystore.h"
#include "core/request_auth.h"
#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A sandbox with key alice, a private repository work/repo (InitRepo) and
// a public one work/pub, and key bob with no role in either.
struct Scene {
  Sandbox sb;
  std::string alice, bob;
  Scene() {
    alice = sb.InitRepo("alice");
    RunResult p = sb.Run({"init", "pub", "--public", "--key", "alice"});
    EXPECT_EQ(p.code, 0) << p.err;
    RunResult b = sb.Run({"key", "new", "bob", "--json"});
    EXPECT_EQ(b.code, 0) << b.err;
    bob = JStr(b.out, "address");
  }
  std::string Genesis(const std::string& dir) {
    RunResult r = sb.Run({"log", "--json"}, sb.work() + "/" + dir);
    EXPECT_EQ(r.code, 0) << r.err;
    return JStr(r.out, "id");
  }
  SecretKey Key(const std::string& name) {
    auto k = KeyStore(sb.home()).Load(name, [](const std::string&, bool) { return std::optional<std::string>(""); });
    EXPECT_TRUE(k.ok()) << k.status().message();
    return k.ok() ? std::move(*k) : SecretKey::Generate();
  }
};

std::string AuthHeader(const SecretKey& key, const std::string& method, const std::string& target,
                       const std::string& body) {
  return "Authorization: " + SignRequest(key, method, target, body, SystemClock().NowMs()) + "\r\n";
}

TEST(DaemonTest, ServesHealthRefsAndFetch) {
  Scene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "repo", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  EXPECT_EQ(d.url(), "http://127.0.0.1:" + std::to_string(d.port()));
  EXPECT_EQ(Count(d.Err(), "listening on"), 1u);

  HttpReply h = Http(d.port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, R"({"repositories":["repo","pub"],"status":"ok"})");

  std::string genesis = s.Genesis("pub");
  ASSERT_TRUE(IsHex(genesis, 64));
  HttpReply refs = Http(d.port(), "GET", "/pub/refs");
  EXPECT_EQ(refs.status, 200) << refs.body;
  EXPECT_TRUE(Has(refs.headers, "Content-Type: application/json"));
  EXPECT_TRUE(Has(refs.body, "\"chain_id\":\"" + genesis + "\"")) << refs.body;
  EXPECT_TRUE(Has(refs.body, "\"head\":\"master\"")) << refs.body;
  EXPECT_TRUE(Has(refs.body, "\"public\":true")) << refs.body;
  EXPECT_TRUE(Has(refs.body, "{\"block\":\"" + genesis + "\",\"name\":\"master\"}")) << refs.body;

  HttpReply pack = Http(d.port(), "POST", "/pub/fetch", "{\"wants\":[\"" + genesis + "\"],\"haves\":[]}");
  EXPECT_EQ(pack.status, 200) << pack.body;
  EXPECT_TRUE(Has(pack.headers, "application/x-git-packfile"));
  EXPECT_EQ(pack.body.substr(0, 4), "PACK");

  std::string missing(64, 'a');
  HttpReply nf = Http(d.port(), "POST", "/pub/fetch", "{\"wants\":[\"" + missing + "\"]}");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "{\"error\":\"block " + missing + " not found in pub\",\"role\":null}");

  HttpReply unknown = Http(d.port(), "GET", "/nosuch/refs");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"error":"no repository named 'nosuch' is served here","role":null})");
  HttpReply route = Http(d.port(), "GET", "/pub/branches");
  EXPECT_EQ(route.status, 404);
  EXPECT_TRUE(Has(route.body, "no such endpoint: GET /pub/branches")) << route.body;

  EXPECT_TRUE(d.Logged("aergo daemon: GET /pub/refs 200 ")) << d.Err();
  EXPECT_TRUE(d.Logged("aergo daemon: GET /pub/branches 404 ")) << d.Err();
  EXPECT_TRUE(d.Logged("ms anonymous\n")) << d.Err();
}

TEST(DaemonTest, PrivateRepositoryNeedsASignedRequestWithARole) {
  Scene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "repo", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();

  HttpReply anon = Http(d.port(), "GET", "/repo/refs");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(anon.body,
            R"({"error":"repo is private: sign the request with a key that has the read role","role":"read"})");

  SecretKey alice = s.Key("alice"), bob = s.Key("bob");
  std::string signed_header = AuthHeader(alice, "GET", "/repo/refs", "");
  HttpReply ok = Http(d.port(), "GET", "/repo/refs", "", signed_header);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(Has(ok.body, "\"public\":false"));
  // The same signature again is a replay.
  HttpReply replay = Http(d.port(), "GET", "/repo/refs", "", signed_header);
  EXPECT_EQ(replay.status, 401);
  // A signature over another path does not verify here.
  HttpReply other = Http(d.port(), "GET", "/repo/refs", "", AuthHeader(alice, "GET", "/pub/refs", ""));
  EXPECT_EQ(other.status, 401);

  HttpReply denied = Http(d.port(), "GET", "/repo/refs", "", AuthHeader(bob, "GET", "/repo/refs", ""));
  EXPECT_EQ(denied.status, 403);
  EXPECT_TRUE(Has(denied.body, s.bob + " lacks the read role on repo")) << denied.body;
  EXPECT_TRUE(Has(denied.body, "\"role\":\"read\"")) << denied.body;

  // Pushing needs write even on a public repository.
  HttpReply push = Http(d.port(), "POST", "/pub/push", "10\n{\"branch\":\"x\"}");
  EXPECT_EQ(push.status, 401) << push.body;  // unsigned: refused before the body is read or any lock
  std::string head = "{\"branch\":\"master\",\"block\":\"" + s.Genesis("pub") + "\",\"tags\":[]}";
  std::string push_body = std::to_string(head.size()) + "\n" + head;
  HttpReply anon_push = Http(d.port(), "POST", "/pub/push", push_body);
  EXPECT_EQ(anon_push.status, 401) << anon_push.body;
  EXPECT_TRUE(Has(anon_push.body, "\"role\":\"write\"")) << anon_push.body;
  HttpReply bob_push = Http(d.port(), "POST", "/pub/push", push_body, AuthHeader(bob, "POST", "/pub/push", push_body));
  EXPECT_EQ(bob_push.status, 403) << bob_push.body;
  HttpReply alice_push =
      Http(d.port(), "POST", "/pub/push", push_body, AuthHeader(alice, "POST", "/pub/push", push_body));
  EXPECT_EQ(alice_push.status, 200) << alice_push.body;
  EXPECT_TRUE(Has(alice_push.body, "\"up_to_date\":true")) << alice_push.body;
  EXPECT_TRUE(d.Logged("aergo daemon: POST /pub/push 200 ")) << d.Err();
  EXPECT_TRUE(d.Logged("ms " + s.alice + "\n")) << d.Err();
}

TEST(DaemonTest, BadRequestsAreRefusedAndServingGoesOn) {
  Scene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();

  SecretKey alice = s.Key("alice");
  HttpReply bad = Http(d.port(), "POST", "/pub/push", "not a push", AuthHeader(alice, "POST", "/pub/push", "not a push"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Has(bad.body, "malformed push")) << bad.body;
  HttpReply bad_fetch = Http(d.port(), "POST", "/pub/fetch", "[1,2]");
  EXPECT_EQ(bad_fetch.status, 400);
  EXPECT_TRUE(Has(bad_fetch.body, "malformed fetch request")) << bad_fetch.body;
  HttpReply bad_auth = Http(d.port(), "GET", "/pub/refs", "", "Authorization: Basic eDp5\r\n");
  EXPECT_EQ(bad_auth.status, 401);

  // A body declared over the limit (256 MiB) is answered 413 from its
  // header alone, before a body byte is read, and that connection is
  // closed; the daemon goes on serving.
  Conn c(d.port());
  uint64_t size = (uint64_t{256} << 20) + 1;
  ASSERT_TRUE(c.Send("POST /pub/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(size) +
                     "\r\n\r\n"));
  HttpReply big = c.Read();
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(Has(big.body, "\"error\":\"the request body is larger than this daemon accepts")) << big.body;
  EXPECT_EQ(Http(d.port(), "GET", "/healthz").status, 200);

  EXPECT_EQ(Http(d.port(), "GET", "/pub/refs").status, 200);
  EXPECT_TRUE(Alive(d.pid()));
}

TEST(DaemonTest, ServesKeptAliveClientsConcurrently) {
  Scene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  // Ten connections open at once, each kept alive for several requests.
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < 10; ++i) conns.push_back(std::make_unique<Conn>(d.port()));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (auto& c : conns)
    threads.emplace_back([&ok, conn = c.get()] {
      for (int i = 0; i < 5; ++i)
        if (conn->Request("GET", "/pub/refs").status == 200) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 50);
}

TEST(DaemonTest, SigtermStopsPromptlyWithExitZero) {
  Scene s;
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  Conn idle(d.port());  // a kept-alive connection left idle must not hold up the stop
  EXPECT_EQ(idle.Request("GET", "/healthz").status, 200);
  auto start = Clock::now();
  kill(d.pid(), SIGTERM);
  EXPECT_EQ(d.Wait(std::chrono::seconds(5)), 0) << d.Err();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(Has(d.Err(), "aergo daemon: stopped")) << d.Err();
}

TEST(DaemonTest, DetachWritesThePidFileAndRemovesItOnStop) {
  Scene s;
  std::string pid_file = s.sb.root() + "/daemon.pid";
  RunResult r = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--detach", "--pid-file", pid_file, "--name",
                          "ledger", "pub"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Count(r.err, "aergo daemon: listening on http://127.0.0.1:"), 1u) << r.err;
  int port = std::stoi(r.err.substr(r.err.rfind(':') + 1));
  std::ifstream in(pid_file);
  pid_t pid = 0;
  in >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(Alive(pid));
  HttpReply h = Http(port, "GET", "/healthz");
  EXPECT_EQ(h.body, R"({"repositories":["ledger"],"status":"ok"})");
  kill(pid, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Alive(pid) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(Alive(pid));
  EXPECT_FALSE(fs::exists(pid_file));
}

TEST(DaemonTest, ServesHttpsWithACertificate) {
  Scene s;
  if (std::system("command -v openssl >/dev/null 2>&1 && command -v curl >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "needs the openssl and curl programs";
  std::string cert = s.sb.root() + "/cert.pem", key = s.sb.root() + "/key.pem";
  std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + key + "' -out '" + cert +
                    "' -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0);
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, "pub"});
  ASSERT_GT(d.port(), 0) << d.Err();
  EXPECT_EQ(d.url(), "https://127.0.0.1:" + std::to_string(d.port()));
  std::string out_file = s.sb.root() + "/health.json";
  std::string get = "curl -sk --max-time 10 -o '" + out_file + "' " + d.url() + "/healthz";
  ASSERT_EQ(std::system(get.c_str()), 0);
  std::ifstream in(out_file);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(body, R"({"repositories":["pub"],"status":"ok"})");
}

TEST(DaemonTest, UsageAndStartupErrors) {
  Scene s;
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> a = {"daemon"};
    a.insert(a.end(), args.begin(), args.end());
    return s.sb.Run(a);
  };
  RunResult r = run({"--listen", "127.0.0.1:0", "--detach", "pub"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "--detach needs --pid-file")) << r.err;
  r = run({"--listen", "127.0.0.1:0", "--name", "a", "--name", "b", "pub"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "more --name options (2) than repositories (1)")) << r.err;
  r = run({"--listen", "127.0.0.1:0", "--name", "x", "--name", "x", "pub", "repo"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "two repositories would be served as 'x'")) << r.err;
  r = run({"--listen", "127.0.0.1", "pub"});
  EXPECT_EQ(r.code, 2);
  r = run({"pub"});
  EXPECT_EQ(r.code, 2);
  r = run({"--listen", "127.0.0.1:0", "--tls-cert", "c.pem", "pub"});
  EXPECT_EQ(r.code, 2);
  r = run({"--listen", "127.0.0.1:0", "nothing-here"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "/nothing-here' is not an aergo repository")) << r.err;
}

}  // namespace
}  // namespace aergo::clitest
