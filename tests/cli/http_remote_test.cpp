// clone, fetch, pull and push over HTTP, against an `aergo daemon` child
// process on 127.0.0.1:0 (tests/cli/remote_test.cpp runs the same
// scenarios over local paths; tests/cli/daemon_test.cpp speaks raw HTTP to
// the daemon). Covers anonymous and signed access and the roles of
// aergo.directory, pushes merged by the daemon, the client's error
// messages for refusals and unreachable daemons, a daemon SIGKILLed while
// a clone downloads or a push is received, and a corrupt pushed pack.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <thread>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// The origin of OriginScene (public or private; alice admin, bob no
// role), served by a daemon once Start()ed. Developers clone it into
// work/<name>; their commands run with AERGO_KEY=<key>, or anonymously
// (no AERGO_KEY, and a clone has no user.key).
struct HttpScene : OriginScene {
  explicit HttpScene(bool is_public) : OriginScene(is_public) {}

  // `aergo clone <url> <name> <extra>` in work/, signed by `key` ("":
  // anonymous).
  RunResult Clone(const std::string& name, const std::string& key = "alice",
                  const std::vector<std::string>& extra = {}, const std::string& url = "") {
    std::vector<std::string> args = {"clone", url.empty() ? Url() : url, name};
    args.insert(args.end(), extra.begin(), extra.end());
    return sb.Run(args, sb.work(), As(key));
  }
  void MustClone(const std::string& name, const std::string& key = "alice") {
    RunResult r = Clone(name, key);
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // Adds `blocks` blocks of `txs` mints each (one call --batch and one
  // commit per block) to the repository in `cwd`, signed by alice.
  void Grow(const std::string& cwd, const std::string& prefix, int blocks = 4, int txs = 200) {
    for (int b = 0; b < blocks; ++b) {
      std::string batch;
      for (int i = 0; i < txs; ++i)
        batch += "token mint " + prefix + std::to_string(b) + "-" + std::to_string(i) + " 1\n";
      sb.Write("batch.txt", batch);
      RunResult c = sb.Run({"call", "--batch", sb.work() + "/batch.txt"}, cwd, As("alice"));
      ASSERT_EQ(c.code, 0) << c.err;
      RunResult m = sb.Run({"commit", "-m", prefix + std::to_string(b)}, cwd, As("alice"));
      ASSERT_EQ(m.code, 0) << m.err;
    }
  }
  // The quarantine directories a fetch or push leaves while it runs.
  static size_t Incoming(const std::string& worktree) {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(worktree + "/.aergo/git/objects/pack", ec))
      if (e.path().filename().string().rfind("incoming-", 0) == 0) ++n;
    return n;
  }
};

// A TCP proxy on 127.0.0.1:port() to a daemon on 127.0.0.1:<target>. It
// forwards both ways, but with Hold(n) stops passing on what the daemon
// sends once n bytes of it have passed in all (Held() turns true): the
// client waits in the middle of an answer, for as long as the test needs
// to kill the daemon; Cut() then closes every connection, as a dead
// daemon's would be. This puts the kill at a known point of a transfer,
// whatever the machine's speed.
class Proxy {
 public:
  Proxy() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~Proxy() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    close(listen_fd_);
    Cut();
    std::vector<std::thread> pumps;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pumps.swap(pumps_);
    }
    for (auto& t : pumps) t.join();
  }
  int port() const { return port_; }
  void Target(int port) { target_ = port; }
  // Holds what the daemon sends after `bytes` more bytes (0: never).
  void Hold(uint64_t bytes) {
    held_ = false;
    limit_ = bytes ? down_ + bytes : 0;
  }
  uint64_t down() const { return down_; }  // bytes passed from the daemon
  bool WaitHeld(std::chrono::milliseconds limit) {
    auto deadline = SteadyClock::now() + limit;
    while (!held_ && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return held_;
  }
  void Cut() {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_)
      if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }

 private:
  void Accept() {
    while (!stop_) {
      int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      int up = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(target_.load()));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(up);
        close(client);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      open_.push_back(client);
      open_.push_back(up);
      pumps_.emplace_back([this, client, up] { Pump(client, up); });
    }
  }
  static bool SendAll(int fd, const char* data, size_t n) {
    for (size_t off = 0; off < n;) {
      ssize_t w = send(fd, data + off, n - off, MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  }
  void Pump(int client, int up) {
    char buf[16384];
    for (;;) {
      bool hold = limit_ && down_ >= limit_;
      if (hold) held_ = true;
      pollfd fds[2] = {{client, POLLIN, 0}, {up, static_cast<short>(hold ? 0 : POLLIN), 0}};
      if (poll(fds, 2, 5) < 0) break;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = recv(client, buf, sizeof buf, 0);
        if (n <= 0 || !SendAll(up, buf, static_cast<size_t>(n))) break;
      }
      if (!hold && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        size_t want = sizeof buf;
        if (limit_) want = std::min<uint64_t>(want, limit_ - down_);
        ssize_t n = recv(up, buf, want, 0);
        if (n <= 0 || !SendAll(client, buf, static_cast<size_t>(n))) break;
        down_ += static_cast<uint64_t>(n);
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (int& fd : open_)
      if (fd == client || fd == up) fd = -1;
    close(client);
    close(up);
  }

  int listen_fd_ = -1, port_ = 0;
  std::atomic<int> target_{0};
  std::atomic<bool> stop_{false}, held_{false};
  std::atomic<uint64_t> limit_{0}, down_{0};
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// "<url> refused <what> (HTTP <status>): "
std::string Refused(const std::string& url, const std::string& what, int status) {
  return url + " refused " + what + " (HTTP " + std::to_string(status) + "): ";
}

TEST(HttpRemote, AnonymousCloneOfAPublicRepository) {
  HttpScene s(true);
  ASSERT_TRUE(s.Start());
  std::string head = s.Head();
  RunResult r = s.Clone("dev", "", {"--no-progress"});
  ASSERT_EQ(r.code, 0) << r.err;
  // Nothing on stderr but the first line (no progress line, no warning).
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("Cloning into '", 0), 0u) << r.err;
  EXPECT_TRUE(Has(r.err, "/dev'...\n")) << r.err;
  EXPECT_EQ(r.out.rfind("Cloned " + s.Url(), 0), 0u) << r.out;
  EXPECT_TRUE(Has(r.out, "branch 'master' at " + head + "\n")) << r.out;
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), s.Snapshot());
  EXPECT_TRUE(Has(s.Out({"tag"}, s.Dev("dev")), "v1"));
  EXPECT_TRUE(Has(s.Out({"remote", "-v"}, s.Dev("dev")), "origin\t" + s.Url()));
  EXPECT_TRUE(Has(s.Out({"config", "core.public"}, s.Dev("dev")), "true"));
  EXPECT_FALSE(Has(s.Out({"config", "--list"}, s.Dev("dev")), "clone.incomplete"));
  s.ExpectFsckClean(s.Dev("dev"));
  EXPECT_TRUE(s.daemon->Logged("aergo daemon: GET /repo/refs 200 ")) << s.daemon->Err();
  EXPECT_TRUE(s.daemon->Logged("aergo daemon: POST /repo/fetch 200 ")) << s.daemon->Err();
  EXPECT_FALSE(Has(s.daemon->Err(), s.alice)) << s.daemon->Err();  // every request was anonymous

  RunResult j = s.Clone("dev2", "", {"--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.err, "");
  std::string dir = JStr(j.out, "dir");
  EXPECT_EQ(dir.front(), '/') << j.out;  // absolute
  EXPECT_EQ(fs::canonical(dir), fs::canonical(s.Dev("dev2"))) << j.out;
  EXPECT_EQ(JStr(j.out, "branch"), "master");
  EXPECT_EQ(JStr(j.out, "head"), head);
  std::string fetch = JRaw(j.out, "fetch");
  EXPECT_EQ(JStr(fetch, "remote"), "origin") << fetch;
  EXPECT_EQ(JStr(fetch, "url"), s.Url()) << fetch;
  EXPECT_EQ(JNum(fetch, "blocks"), 1) << fetch;  // the genesis block is not counted
  EXPECT_EQ(JNum(fetch, "txs"), 3) << fetch;
  EXPECT_GT(JNum(fetch, "bytes"), 0) << fetch;
  std::vector<std::string> branches = Objects(JRaw(fetch, "branches"));
  ASSERT_EQ(branches.size(), 1u) << fetch;
  EXPECT_EQ(JStr(branches[0], "name"), "origin/master");
  EXPECT_EQ(JRaw(branches[0], "old"), "null");
  EXPECT_EQ(JStr(branches[0], "new"), head);
  EXPECT_TRUE(Has(JRaw(fetch, "tags"), "\"v1\"")) << fetch;
  EXPECT_EQ(s.Snapshot(s.Dev("dev2")), s.Snapshot());
}

TEST(HttpRemote, TwoDevelopersPushTheSecondIsMergedByTheDaemon) {
  HttpScene s(false);
  s.Must({"access", "grant", s.bob, "write"});
  s.Commit("bob may push");
  s.Must({"config", "--unset", "user.key"});  // the daemon's merge key is its --key
  ASSERT_TRUE(s.Start({"--key", "alice"}));
  s.MustClone("a", "alice");
  s.MustClone("b", "bob");
  // a fast-forwards the daemon's master.
  s.MustIn("a", {"call", "token", "mint", s.alice, "1"});
  s.MustIn("a", {"commit", "-m", "a1"});
  std::string a_head = JStr(s.In("a", {"status", "--json"}).out, "head");
  RunResult pa = s.In("a", {"push", "--json"});
  ASSERT_EQ(pa.code, 0) << pa.err;
  EXPECT_EQ(JRaw(pa.out, "fast_forward"), "true");
  EXPECT_EQ(JRaw(pa.out, "merge"), "null");
  EXPECT_EQ(JStr(pa.out, "url"), s.Url());
  EXPECT_EQ(JNum(pa.out, "blocks"), 1);
  EXPECT_EQ(JStr(pa.out, "head"), a_head);
  EXPECT_EQ(s.Head(), a_head);
  EXPECT_TRUE(s.daemon->Logged("aergo daemon: POST /repo/push 200 ")) << s.daemon->Err();
  EXPECT_TRUE(s.daemon->Logged("ms " + s.alice + "\n")) << s.daemon->Err();

  // b pushes without pulling: the daemon merges b's tx into its master
  // with a block signed by its --key, and b fetches that block back.
  s.MustIn("b", {"call", "token", "open"}, "bob");
  s.MustIn("b", {"commit", "-m", "b1"}, "bob");
  std::string b_head = JStr(s.In("b", {"status", "--json"}, "bob").out, "head");
  RunResult pb = s.In("b", {"push", "origin:master", "--json"}, "bob");
  ASSERT_EQ(pb.code, 0) << pb.err;
  EXPECT_EQ(JRaw(pb.out, "fast_forward"), "false");
  EXPECT_EQ(JStr(pb.out, "old"), a_head);
  std::string merge = JRaw(pb.out, "merge");
  ASSERT_NE(merge, "null") << pb.out;
  std::string merge_block = JStr(merge, "block");
  EXPECT_EQ(merge_block, s.Head());
  EXPECT_EQ(JStr(pb.out, "head"), merge_block);
  EXPECT_EQ(Count(JRaw(merge, "applied"), "\""), 2u) << merge;  // b's one tx id
  EXPECT_EQ(JRaw(merge, "excluded"), "[]") << merge;
  EXPECT_TRUE(s.daemon->Logged("ms " + s.bob + "\n")) << s.daemon->Err();
  RunResult show = s.Run({"show", merge_block, "--json"});
  EXPECT_TRUE(Has(show.out, "merge pushed block " + Short(b_head) + " into master")) << show.out;
  EXPECT_TRUE(Has(show.out, s.alice)) << show.out;  // sealed by the daemon's key
  EXPECT_EQ(s.Bal()["bob"], 0);
  EXPECT_EQ(s.Bal()[s.alice], 101);
  // b's remote-tracking ref is the merge block (fetched back); its branch
  // did not move.
  EXPECT_TRUE(Has(s.In("b", {"show", "origin/master", "--json"}, "bob").out, merge_block));
  EXPECT_EQ(JStr(s.In("b", {"status", "--json"}, "bob").out, "head"), b_head);
  RunResult pull = s.In("b", {"pull", "--json"}, "bob");
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(JRaw(pull.out, "fast_forward"), "true");
  EXPECT_EQ(s.Snapshot(s.Dev("b")), s.Snapshot());
  // a catches up the same way.
  RunResult pulla = s.In("a", {"pull", "--json"});
  ASSERT_EQ(pulla.code, 0) << pulla.err;
  EXPECT_EQ(s.Snapshot(s.Dev("a")), s.Snapshot());
  s.ExpectFsckClean();
  s.ExpectFsckClean(s.Dev("a"));
  s.ExpectFsckClean(s.Dev("b"));
}

TEST(HttpRemote, PullMergesWithExclusions) {
  HttpScene s(false);
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  // Both spend alice's 100: upstream 60, the developer 70. The pull
  // replays upstream's txs on the developer's state: its transfer fails
  // there and is excluded.
  s.Call({"mint", "bob", "1"});
  std::string spend = s.Call({"transfer", "bob", "60"});
  std::string upstream = s.Commit("upstream spends");
  s.MustIn("dev", {"call", "token", "mint", "carol", "1"});
  s.MustIn("dev", {"call", "token", "transfer", "carol", "70"});
  s.MustIn("dev", {"commit", "-m", "dev spends"});
  std::string origin = s.Snapshot();
  RunResult pull = s.In("dev", {"pull", "origin:master", "--json"});
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(JRaw(pull.out, "fast_forward"), "false");
  std::vector<std::string> excluded = Objects(JRaw(pull.out, "excluded"));
  ASSERT_EQ(excluded.size(), 1u) << pull.out;
  EXPECT_EQ(JStr(excluded[0], "txid"), spend) << excluded[0];
  EXPECT_TRUE(Has(excluded[0], kCheckError)) << excluded[0];
  std::map<std::string, long long> bal = s.Bal("", s.Dev("dev"));
  EXPECT_EQ(bal[s.alice], 30);
  EXPECT_EQ(bal["bob"], 1);
  EXPECT_EQ(bal["carol"], 71);
  EXPECT_TRUE(Has(s.In("dev", {"log", "--oneline"}).out, Short(upstream)));
  EXPECT_EQ(s.Snapshot(), origin);  // a pull changes nothing on the remote
  s.ExpectFsckClean(s.Dev("dev"));
}

TEST(HttpRemote, PrivateRepositoryRoles) {
  HttpScene s(false);
  ASSERT_TRUE(s.Start());
  std::string snap = s.Snapshot();
  // Anonymous: 401, nothing left behind.
  RunResult anon = s.Clone("anon", "");
  EXPECT_EQ(anon.code, 1);
  EXPECT_TRUE(Has(anon.err, "aergo: error: " + Refused(s.Url(), "GET refs", 401) +
                                "repo is private: sign the request with a key that has the read role "
                                "[needs role 'read']\n"))
      << anon.err;
  EXPECT_FALSE(fs::exists(s.Dev("anon")));
  // A key with no role: 403 naming it.
  RunResult norole = s.Clone("bobdev", "bob");
  EXPECT_EQ(norole.code, 1);
  EXPECT_TRUE(Has(norole.err, Refused(s.Url(), "GET refs", 403) + s.bob +
                                  " lacks the read role on repo (it has no role there) [needs role 'read']"))
      << norole.err;
  EXPECT_FALSE(fs::exists(s.Dev("bobdev")));
  EXPECT_EQ(s.Snapshot(), snap);

  // read: bob clones, but may not push.
  s.Must({"access", "grant", s.bob, "read"});
  s.Commit("bob may read");
  s.MustClone("bobdev", "bob");
  s.MustIn("bobdev", {"call", "token", "open"}, "bob");
  s.MustIn("bobdev", {"commit", "-m", "bob opens"}, "bob");
  snap = s.Snapshot();
  RunResult ro = s.In("bobdev", {"push"}, "bob");
  EXPECT_EQ(ro.code, 1);
  EXPECT_TRUE(Has(ro.err, Refused(s.Url(), "POST push", 403) + s.bob +
                              " lacks the write role on repo (it has read) [needs role 'write']"))
      << ro.err;
  EXPECT_EQ(s.Snapshot(), snap);

  // write: the push is accepted. The origin moved on with the grant, so
  // the daemon merges, with the served repository's user.key (alice): it
  // was started without --key.
  s.Must({"access", "grant", s.bob, "write"});
  std::string granted = s.Commit("bob may write");
  RunResult rw = s.In("bobdev", {"push", "--json"}, "bob");
  ASSERT_EQ(rw.code, 0) << rw.err;
  EXPECT_EQ(JStr(rw.out, "old"), granted);
  std::string merge = JRaw(rw.out, "merge");
  ASSERT_NE(merge, "null") << rw.out;
  EXPECT_EQ(JStr(merge, "block"), s.Head());
  std::string top = s.Out({"log", "-n", "1", "--json"});
  EXPECT_TRUE(Has(top, "\"producer\": \"" + s.alice + "\"")) << top;
  EXPECT_EQ(s.Bal()[s.bob], 0);  // bob's account, opened by his pushed tx
  s.Call({"mint", s.bob, "10"});
  s.Commit("bob gets 10");
  RunResult pull = s.In("bobdev", {"pull", "--json"}, "bob");
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(JRaw(pull.out, "fast_forward"), "true");
  EXPECT_EQ(s.Snapshot(s.Dev("bobdev")), s.Snapshot());

  // Revoked: the key is refused again, from its first request on.
  s.Must({"access", "revoke", s.bob});
  s.Commit("bob leaves");
  s.MustIn("bobdev", {"call", "token", "transfer", s.alice, "1"}, "bob");
  s.MustIn("bobdev", {"commit", "-m", "bob pays"}, "bob");
  snap = s.Snapshot();
  RunResult revoked = s.In("bobdev", {"push"}, "bob");
  EXPECT_EQ(revoked.code, 1);
  EXPECT_TRUE(Has(revoked.err, Refused(s.Url(), "GET refs", 403) + s.bob +
                                   " lacks the read role on repo (it has no role there) [needs role 'read']"))
      << revoked.err;
  RunResult fetch = s.In("bobdev", {"fetch"}, "bob");
  EXPECT_EQ(fetch.code, 1);
  EXPECT_TRUE(Has(fetch.err, "[needs role 'read']")) << fetch.err;
  EXPECT_EQ(s.Snapshot(), snap);
  s.ExpectFsckClean();
  s.ExpectFsckClean(s.Dev("bobdev"));
}

TEST(HttpRemote, AnonymousAndRolelessPushesAreRefused) {
  HttpScene s(true);
  ASSERT_TRUE(s.Start());
  ASSERT_EQ(s.Clone("dev", "").code, 0);
  // Commit with alice's key, push with none.
  s.MustIn("dev", {"call", "token", "mint", s.alice, "1"});
  s.MustIn("dev", {"commit", "-m", "dev"});
  std::string snap = s.Snapshot();
  RunResult anon = s.In("dev", {"push"}, "");
  EXPECT_EQ(anon.code, 1);
  EXPECT_TRUE(Has(anon.err, "aergo: error: " + Refused(s.Url(), "POST push", 401) +
                                "repo needs the write role: sign the request with a key that has it "
                                "[needs role 'write']\n"))
      << anon.err;
  RunResult bob = s.In("dev", {"push"}, "bob");
  EXPECT_EQ(bob.code, 1);
  EXPECT_TRUE(Has(bob.err, Refused(s.Url(), "POST push", 403) + s.bob +
                               " lacks the write role on repo (it has no role there) [needs role 'write']"))
      << bob.err;
  EXPECT_EQ(s.Snapshot(), snap);
  EXPECT_EQ(HttpScene::Incoming(s.sb.repo()), 0u);
  s.ExpectFsckClean();
  // The refusals moved nothing here either.
  RunResult st = s.In("dev", {"show", "origin/master", "--json"}, "");
  EXPECT_TRUE(Has(st.out, JStr(snap, "head"))) << st.out;
}

TEST(HttpRemote, RefusedPushesChangeNothingOnTheDaemon) {
  HttpScene s(false);
  s.Must({"config", "--unset", "user.key"});  // the daemon has no key to seal a merge with
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  s.MustIn("dev", {"call", "token", "mint", s.alice, "2"});
  s.MustIn("dev", {"commit", "-m", "dev"});
  // A pending tx on the daemon's master no longer blocks a fast-forward:
  // it stays pending on the pushed head.
  s.Call({"mint", s.alice, "1"}, {"--key", "alice"});
  RunResult pending = s.In("dev", {"push"});
  EXPECT_EQ(pending.code, 0) << pending.err;
  EXPECT_EQ(pending.err, "");
  EXPECT_EQ(s.Pool(), 1);
  // Committed there, the branch has moved on: a merge, and no key.
  s.Must({"commit", "-m", "upstream", "--key", "alice"});
  s.MustIn("dev", {"call", "token", "mint", s.alice, "3"});
  s.MustIn("dev", {"commit", "-m", "dev again"});
  std::string snap = s.Snapshot();
  RunResult nokey = s.In("dev", {"push"});
  EXPECT_EQ(nokey.code, 1);
  EXPECT_TRUE(Has(nokey.err, Refused(s.Url(), "POST push", 403) +
                                 "branch 'master' has moved on here and needs a merge, but no signing key is "
                                 "configured to seal it"))
      << nokey.err;
  EXPECT_EQ(s.Snapshot(), snap);
  EXPECT_EQ(HttpScene::Incoming(s.sb.repo()), 0u);
  s.ExpectFsckClean();
}

TEST(HttpRemote, UnreachableAndWrongUrls) {
  HttpScene s(true);
  ASSERT_TRUE(s.Start());
  std::string url = s.Url(), base = s.daemon->url();
  ASSERT_EQ(s.Clone("dev", "").code, 0);
  // A repository name the daemon does not serve: its 404.
  RunResult wrong = s.Clone("x", "", {}, base + "/nosuch");
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, Refused(base + "/nosuch", "GET refs", 404) +
                                 "no repository named 'nosuch' is served here\n"))
      << wrong.err;
  EXPECT_FALSE(fs::exists(s.Dev("x")));
  // No repository name at all.
  for (const std::string& bare : {base, base + "/"}) {
    RunResult none = s.Clone("y", "", {}, bare);
    EXPECT_EQ(none.code, 1) << bare;
    EXPECT_TRUE(Has(none.err, "remote URL '" + bare + "' names no repository (expected http://host:port/<name>)"))
        << none.err;
    EXPECT_FALSE(fs::exists(s.Dev("y")));
  }
  s.MustIn("dev", {"remote", "add", "bare", base}, "");
  RunResult fetch_bare = s.In("dev", {"fetch", "bare"}, "");
  EXPECT_EQ(fetch_bare.code, 1);
  EXPECT_TRUE(Has(fetch_bare.err, "names no repository")) << fetch_bare.err;

  // Nothing listens on the port any more.
  ASSERT_EQ(s.daemon->Stop(SIGTERM), 0) << s.daemon->Err();
  std::string dev_snap = s.Snapshot(s.Dev("dev"));
  RunResult clone = s.Clone("z", "");
  EXPECT_EQ(clone.code, 1);
  EXPECT_TRUE(Has(clone.err, "aergo: error: cannot reach " + url + ": ")) << clone.err;
  EXPECT_FALSE(fs::exists(s.Dev("z")));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"fetch"}, {"pull"}, {"push"}}) {
    RunResult r = s.In("dev", args);
    EXPECT_EQ(r.code, 1) << Joined(args);
    EXPECT_TRUE(Has(r.err, "cannot reach " + url + ": ")) << Joined(args) << r.err;
  }
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), dev_snap);
}

TEST(HttpRemote, DaemonKilledMidCloneThenTheCloneResumes) {
  HttpScene s(true);
  s.Grow(s.sb.repo(), "m");  // 4 blocks, 800 txs: a pack of about 100 KiB
  ASSERT_TRUE(s.Start());
  // The clients go through a proxy, so that the kill comes at a known
  // point: half way through the pack.
  Proxy proxy;
  ASSERT_GT(proxy.port(), 0);
  proxy.Target(s.Port());
  std::string url = "http://127.0.0.1:" + std::to_string(proxy.port()) + "/repo";
  RunResult probe = s.Clone("probe", "", {}, url);  // what a whole clone receives
  ASSERT_EQ(probe.code, 0) << probe.err;
  uint64_t total = proxy.down();
  ASSERT_GT(total, 50000u);
  std::string snap = s.Snapshot();

  proxy.Hold(total / 2);
  RunResult cut;
  std::thread clone([&] { cut = s.Clone("dev", "", {}, url); });
  bool held = proxy.WaitHeld(std::chrono::seconds(20));
  // The client waits in the middle of the pack: the daemon dies, its
  // connection with it.
  EXPECT_EQ(s.daemon->Stop(SIGKILL), 128 + SIGKILL);
  proxy.Cut();
  clone.join();
  ASSERT_TRUE(held) << cut.err;
  EXPECT_EQ(cut.code, 1);
  EXPECT_TRUE(Has(cut.err, "aergo: error: transfer from " + url + " failed: ")) << cut.err;
  // The incomplete clone is kept, to be resumed: the genesis block, and
  // nothing half-stored.
  EXPECT_EQ(s.Out({"config", "clone.incomplete"}, s.Dev("dev")), url + "\n");
  EXPECT_EQ(HttpScene::Incoming(s.Dev("dev")), 0u);
  RunResult log = s.sb.Run({"log", "--oneline"}, s.Dev("dev"));
  EXPECT_EQ(Lines(log.out).size(), 1u) << log.out << log.err;

  // While the daemon is down, a resume fails the same way and keeps it.
  RunResult down = s.Clone("dev", "", {}, url);
  EXPECT_EQ(down.code, 1);
  EXPECT_EQ(s.Out({"config", "clone.incomplete"}, s.Dev("dev")), url + "\n");

  // The daemon is back: the same command resumes and completes the clone.
  ASSERT_TRUE(s.Start());
  proxy.Target(s.Port());
  proxy.Hold(0);
  RunResult again = s.Clone("dev", "", {}, url);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(Has(again.out, "Cloned " + url)) << again.out;
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), snap);
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), s.Snapshot(s.Dev("probe")));
  EXPECT_FALSE(Has(s.Out({"config", "--list"}, s.Dev("dev")), "clone.incomplete"));
  s.ExpectFsckClean(s.Dev("dev"));
}

TEST(HttpRemote, DaemonKilledWhileReceivingAPush) {
  HttpScene s(true);
  ASSERT_TRUE(s.Start());
  int port = s.Port();
  s.MustClone("dev");
  s.Grow(s.Dev("dev"), "p");  // 4 blocks, 800 txs for the daemon to verify
  std::string pushed = JStr(s.In("dev", {"status", "--json"}).out, "head");
  std::string before = s.Snapshot();
  std::string before_head = s.Head();

  RunResult push;
  std::atomic<bool> done{false};
  std::thread t([&] {
    push = s.In("dev", {"push"});
    done = true;
  });
  // The daemon's quarantine directory appears once it has the whole
  // request and starts on the pack: stop it there, then kill it.
  bool caught = false;
  for (auto deadline = SteadyClock::now() + std::chrono::seconds(20); !done && SteadyClock::now() < deadline;) {
    if (HttpScene::Incoming(s.sb.repo()) > 0) {
      kill(s.daemon->pid(), SIGSTOP);
      caught = HttpScene::Incoming(s.sb.repo()) > 0;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(s.daemon->Stop(SIGKILL), 128 + SIGKILL);
  t.join();
  // The push is either wholly there or not at all.
  std::string head = s.Head();
  if (head == before_head) {
    EXPECT_EQ(s.Snapshot(), before);
    // The connection died under the request; libcurl sends it again, on
    // a new connection, when no answer at all came on a kept-alive one.
    EXPECT_EQ(push.code, 1);
    EXPECT_TRUE(Has(push.err, "aergo: error: transfer from " + s.Url() + " failed: ") ||
                Has(push.err, "aergo: error: cannot reach " + s.Url() + ": "))
        << push.err;
  } else {
    EXPECT_EQ(head, pushed);
  }
  if (caught) {
    EXPECT_EQ(push.code, 1) << push.out;  // the answer never came
    EXPECT_GT(HttpScene::Incoming(s.sb.repo()), 0u);  // the killed daemon's quarantine
  }
  s.ExpectFsckClean();
  s.ExpectFsckClean(s.Dev("dev"));

  // The daemon restarts on its port; the same push goes through, and
  // clears what the killed one left.
  ASSERT_TRUE(s.Start({}, "127.0.0.1:" + std::to_string(port))) << s.daemon->Err();
  RunResult again = s.In("dev", {"push", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(JStr(again.out, "head"), pushed);
  EXPECT_EQ(s.Head(), pushed);
  EXPECT_EQ(HttpScene::Incoming(s.sb.repo()), 0u);
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), s.Snapshot());
  s.ExpectFsckClean();
}

TEST(HttpRemote, CorruptPushedPackIsRefusedAndServingGoesOn) {
  HttpScene s(true);
  ASSERT_TRUE(s.Start());
  std::string snap = s.Snapshot();
  std::string head = s.Head();
  // A push of the head block (already there) with a pack: the request
  // header is well-formed, the pack is not. Signed by alice (admin): an
  // anonymous push is refused (401) before its pack is read.
  std::string req = "{\"branch\":\"master\",\"block\":\"" + head + "\",\"tags\":[]}";
  std::string garbage = std::string("PACK\0\0\0\2\0\0\0\3", 12) + std::string(4000, '\x5a');
  std::string body = std::to_string(req.size()) + "\n" + req + garbage;
  SecretKey alice = s.Key("alice");
  auto signed_push = [&](const std::string& b) {
    return Http(s.Port(), "POST", "/repo/push", b, OriginScene::Auth(alice, "POST", "/repo/push", b));
  };
  HttpReply anon = Http(s.Port(), "POST", "/repo/push", body);
  EXPECT_EQ(anon.status, 401) << anon.body;
  EXPECT_TRUE(Has(anon.body, "\"role\":\"write\"")) << anon.body;

  HttpReply bad = signed_push(body);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_TRUE(Has(bad.body, "{\"error\":\"malformed pack")) << bad.body;
  EXPECT_TRUE(Has(bad.body, "\"role\":null")) << bad.body;

  // A real pack cut in half: the blocks of v1 as the daemon sends them.
  HttpReply pack = Http(s.Port(), "POST", "/repo/fetch", "{\"wants\":[\"" + head + "\"],\"haves\":[]}");
  ASSERT_EQ(pack.status, 200);
  ASSERT_GT(pack.body.size(), 64u);
  std::string cut = std::to_string(req.size()) + "\n" + req + pack.body.substr(0, pack.body.size() / 2);
  HttpReply truncated = signed_push(cut);
  EXPECT_EQ(truncated.status, 400) << truncated.body;
  EXPECT_TRUE(Has(truncated.body, "malformed pack")) << truncated.body;

  // The daemon goes on serving; nothing changed, nothing is left over.
  EXPECT_TRUE(Alive(s.daemon->pid()));
  HttpReply refs = Http(s.Port(), "GET", "/repo/refs");
  EXPECT_EQ(refs.status, 200) << refs.body;
  EXPECT_TRUE(Has(refs.body, head));
  EXPECT_TRUE(s.daemon->Logged("aergo daemon: POST /repo/push 400 ")) << s.daemon->Err();
  // The whole pack, untouched, is accepted (the block is already there).
  HttpReply whole = signed_push(std::to_string(req.size()) + "\n" + req + pack.body);
  EXPECT_EQ(whole.status, 200) << whole.body;
  EXPECT_TRUE(Has(whole.body, "\"up_to_date\":true")) << whole.body;
  EXPECT_EQ(s.Snapshot(), snap);
  EXPECT_EQ(HttpScene::Incoming(s.sb.repo()), 0u);
  s.ExpectFsckClean();
  // And a client clones it as before.
  ASSERT_EQ(s.Clone("dev", "").code, 0);
  EXPECT_EQ(s.Snapshot(s.Dev("dev")), s.Snapshot());
}

}  // namespace
}  // namespace aergo::clitest

namespace aergo::clitest {
namespace {

// Issue 13, finding 9: roles come from the served branch's sealed head,
// never from the merge pool or from whatever the server checks out later.
TEST(HttpRemote, RolesComeFromTheServedBranchsSealedHead) {
  HttpScene s(false);  // private: bob needs a role to read
  ASSERT_TRUE(s.Start());
  s.MustClone("dev", "alice");
  auto bob_refs = [&] { return Http(s.Port(), "GET", "/repo/refs", "", s.Auth("bob", "GET", "/repo/refs", "")).status; };
  EXPECT_EQ(bob_refs(), 403);
  // A pending grant (in the merge pool, resettable) counts for nothing.
  s.Must({"access", "grant", s.bob, "read"});
  EXPECT_EQ(bob_refs(), 403);
  s.Commit("bob may read");
  EXPECT_EQ(bob_refs(), 200);
  s.Must({"access", "revoke", s.bob});
  s.Commit("bob may not");
  EXPECT_EQ(bob_refs(), 403);
  // Checking out an older block (or another branch) on the server does not
  // bring the old grant back: the daemon serves master's sealed head.
  s.Must({"checkout", "master~1"});
  EXPECT_EQ(bob_refs(), 403);
  s.Must({"branch", "old", "--block=master~1"});
  s.Must({"checkout", "old"});
  EXPECT_EQ(bob_refs(), 403);
  // Submissions go only to the served branch's pool: refused while another
  // branch is checked out, and nothing lands in that branch's pool.
  RunResult call = s.In("dev", {"call", "token", "open", "--remote", "origin"}, "alice");
  EXPECT_NE(call.code, 0) << call.out;
  EXPECT_TRUE(call.err.find("the served branch 'master' is not checked out on the server") != std::string::npos)
      << call.err;
  // A restarted daemon serves the branch checked out when it starts.
  s.Must({"checkout", "master"});
  ASSERT_TRUE(s.Start());
  EXPECT_EQ(bob_refs(), 403);
}

}  // namespace
}  // namespace aergo::clitest

namespace aergo::clitest {
namespace {

// Issue 13: a push the remote merges reports the merge block's real
// changes (it said "0 tables, 0 rows changed"), and one with exclusions
// says so on stderr (exit 0, as merge).
TEST(HttpRemote, AMergedPushReportsItsChangesAndWarnsOfExclusions) {
  HttpScene s(false);
  s.Must({"access", "grant", s.bob, "write"});
  s.Must({"call", "token", "mint", "x", "1"});
  s.Must({"call", "token", "mint", "y", "1"});
  s.Commit("bob may push; accounts x and y");
  s.Must({"config", "--unset", "user.key"});
  ASSERT_TRUE(s.Start({"--key", "alice"}));
  s.MustClone("a", "alice");
  s.MustClone("b", "bob");
  // a spends alice's 100 first.
  s.MustIn("a", {"call", "token", "transfer", "x", "100"});
  s.MustIn("a", {"commit", "-m", "a spends"});
  ASSERT_EQ(s.In("a", {"push"}).code, 0);
  // b spends the same 100 again (signed by alice) and bob opens an account.
  s.MustIn("b", {"call", "token", "transfer", "y", "100"}, "alice");
  s.MustIn("b", {"call", "token", "open"}, "bob");
  s.MustIn("b", {"commit", "-m", "b spends too"}, "bob");
  RunResult pb = s.In("b", {"push"}, "bob");
  ASSERT_EQ(pb.code, 0) << pb.err;
  EXPECT_TRUE(Has(pb.out, "1 applied, 1 excluded, 0 resolved")) << pb.out;
  EXPECT_TRUE(Has(pb.out, "1 table, 1 row changed")) << pb.out;
  EXPECT_FALSE(Has(pb.out, "0 tables, 0 rows changed")) << pb.out;
  EXPECT_TRUE(Has(pb.err, "aergo: warning: the remote excluded 1 of the pushed txs from master")) << pb.err;
  EXPECT_EQ(s.Bal()["x"], 101);
  EXPECT_EQ(s.Bal()["y"], 1);
}

}  // namespace
}  // namespace aergo::clitest
