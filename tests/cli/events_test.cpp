// The event stream (GET /<name>/events, daemon/events.h, docs/api.md
// "Events") and `aergo watch`, against an `aergo daemon` child process:
// block, receipt and branch events for a push and for a local commit (the
// poll path), in order; private-branch events only to readers of that
// branch; 200 subscribers do not slow a clone; a subscriber that never
// reads is dropped and the daemon's memory stays bounded; SIGTERM ends the
// streams at once; `aergo watch --count 3 --json`; the blocks of a new
// branch and the merged-in blocks of a merge are announced once each; a
// move too big to list is a `gap` event; a push onto a branch with pending
// submissions succeeds and announces the txs it dropped.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <sstream>
#include <set>
#include <thread>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

using Clock = std::chrono::steady_clock;

// One subscription over a raw socket: what arrives is kept whole (raw) and
// de-chunked (body).
class Subscriber {
 public:
  // rcvbuf > 0: a small receive buffer (set before connecting).
  Subscriber(int port, const std::string& target, const std::string& auth = "", int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n";
    ok_ = send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  ~Subscriber() {
    if (fd_ >= 0) close(fd_);
  }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Reads until the de-chunked body holds `text` (true), the connection
  // closes or `limit` passes (false).
  bool WaitFor(const std::string& text, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto end = Clock::now() + limit;
    while (!Has(Body(), text)) {
      if (closed_ || !ReadSome(end)) return false;
    }
    return true;
  }
  // Reads until the daemon closes the connection (true) or `limit` passes.
  bool WaitClosed(std::chrono::milliseconds limit) {
    auto end = Clock::now() + limit;
    while (!closed_)
      if (!ReadSome(end)) return closed_;
    return true;
  }
  int Status() const { return raw_.size() >= 12 && raw_.compare(0, 5, "HTTP/") == 0 ? std::stoi(raw_.substr(9, 3)) : 0; }
  const std::string& raw() const { return raw_; }
  // The body, chunk framing removed.
  std::string Body() const {
    size_t p = raw_.find("\r\n\r\n");
    if (p == std::string::npos) return "";
    p += 4;
    std::string out;
    for (;;) {
      size_t nl = raw_.find("\r\n", p);
      if (nl == std::string::npos) break;
      size_t size = std::stoul(raw_.substr(p, nl - p), nullptr, 16);
      if (size == 0 || raw_.size() < nl + 2 + size) break;
      out += raw_.substr(nl + 2, size);
      p = nl + 2 + size + 2;
    }
    return out;
  }
  // The events so far: (name, data), comments left out.
  std::vector<std::pair<std::string, std::string>> Events() const {
    std::vector<std::pair<std::string, std::string>> out;
    std::string body = Body();
    size_t p = 0, e;
    while ((e = body.find("\n\n", p)) != std::string::npos) {
      std::string block = body.substr(p, e - p);
      p = e + 2;
      if (block.rfind("event: ", 0) != 0) continue;
      size_t nl = block.find('\n');
      std::string name = block.substr(7, nl - 7);
      std::string data = block.substr(nl + 1);
      if (data.rfind("data: ", 0) == 0) data = data.substr(6);
      out.emplace_back(name, data);
    }
    return out;
  }
  bool ok() const { return ok_; }

 private:
  bool ReadSome(Clock::time_point end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    raw_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool ok_ = false;
  bool closed_ = false;
  std::string raw_;
};

// The origin scene (tests/cli/harness.h) served by a daemon, and a
// subscription by `key` ("": anonymous).
struct EventScene : OriginScene {
  explicit EventScene(bool is_public, const std::vector<std::string>& extra = {}) : OriginScene(is_public) {
    EXPECT_TRUE(Start(extra)) << (daemon ? daemon->Err() : "");
  }
  // Commits one mint at a time ("<message> <i>", up to 30, 700 ms apart)
  // until `done` is ready. Further apart than the daemon's 500 ms poll of
  // the refs, so that each poll finds one new block and a watcher sees
  // block, receipt, branch for each (two commits in one poll would give
  // block, receipt, block, receipt, branch).
  template <class T>
  void CommitUntil(std::future<T>& done, const std::string& message) {
    for (int i = 0; i < 30 && done.wait_for(std::chrono::milliseconds(700)) != std::future_status::ready; ++i) {
      Call({"mint", alice, "1"});
      Commit(message + " " + std::to_string(i));
    }
  }
  std::unique_ptr<Subscriber> Subscribe(const std::string& key, int rcvbuf = 0) {
    auto s = std::make_unique<Subscriber>(Port(), "/repo/events", Auth(key, "GET", "/repo/events", ""), rcvbuf);
    EXPECT_TRUE(s->ok());
    EXPECT_TRUE(s->WaitFor(": subscribed\n\n")) << s->raw();
    return s;
  }
  RunResult Clone(const std::string& dev, const std::string& key) {
    return sb.Run({"clone", Url(), dev, "--no-progress"}, sb.work(), As(key));
  }
};

// The harness's JStr and JNum read "key": value (with a space); an
// event's data is compact JSON.
std::string DStr(const std::string& data, const std::string& key) { return JStr(ReplaceAll(data, "\":", "\": "), key); }
long long DNum(const std::string& data, const std::string& key) { return JNum(ReplaceAll(data, "\":", "\": "), key); }

long VmRssKb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

TEST(EventsTest, PushAndLocalCommitArriveInOrder) {
  EventScene s(false);
  // The stream needs the read role, as refs does.
  HttpReply anon = Http(s.Port(), "GET", "/repo/events");
  EXPECT_EQ(anon.status, 401) << anon.body;
  EXPECT_TRUE(Has(anon.body, "\"role\":\"read\"")) << anon.body;
  HttpReply bob = Http(s.Port(), "GET", "/repo/events", "", s.Auth("bob", "GET", "/repo/events", ""));
  EXPECT_EQ(bob.status, 403) << bob.body;
  HttpReply none = Http(s.Port(), "GET", "/nosuch/events");
  EXPECT_EQ(none.status, 404) << none.body;

  auto sub = s.Subscribe("alice");
  EXPECT_TRUE(Has(sub->raw(), "Content-Type: text/event-stream")) << sub->raw();
  EXPECT_TRUE(Has(sub->raw(), "Cache-Control: no-store")) << sub->raw();

  // A push: the daemon's own write.
  ASSERT_EQ(s.Clone("adev", "alice").code, 0);
  s.MustIn("adev", {"call", "token", "mint", s.alice, "5"});
  s.MustIn("adev", {"call", "token", "mint", s.alice, "6"});
  s.MustIn("adev", {"commit", "-m", "pushed"});
  std::string pushed = JStr(s.In("adev", {"status", "--json"}).out, "head");
  s.MustIn("adev", {"push", "origin:master"});
  ASSERT_TRUE(sub->WaitFor("\"new\":\"" + pushed + "\"")) << sub->Body();

  // A local commit on the served repository: found by the poll.
  std::string txid = s.Call({"mint", s.alice, "7"});
  std::string local = s.Commit("local");
  ASSERT_TRUE(sub->WaitFor("\"new\":\"" + local + "\"")) << sub->Body();

  auto ev = sub->Events();
  ASSERT_EQ(ev.size(), 7u) << sub->Body();
  EXPECT_EQ(ev[0].first, "block");
  EXPECT_TRUE(Has(ev[0].second, "\"id\":\"" + pushed + "\"")) << ev[0].second;
  EXPECT_TRUE(Has(ev[0].second, "\"parent\":\"" + s.funded + "\"")) << ev[0].second;
  EXPECT_TRUE(Has(ev[0].second, "\"branch\":\"master\"")) << ev[0].second;
  EXPECT_EQ(DNum(ev[0].second, "height"), 2);
  EXPECT_EQ(DNum(ev[0].second, "txs"), 2);
  EXPECT_EQ(DStr(ev[0].second, "producer"), s.alice);
  EXPECT_EQ(ev[1].first, "receipt");
  EXPECT_EQ(ev[2].first, "receipt");
  EXPECT_EQ(DStr(ev[1].second, "block"), pushed);
  EXPECT_EQ(DStr(ev[1].second, "status"), "applied");
  EXPECT_EQ(ev[3].first, "branch");
  EXPECT_EQ(ev[3].second, "{\"branch\":\"master\",\"new\":\"" + pushed + "\",\"old\":\"" + s.funded +
                              "\",\"truncated\":false}");
  EXPECT_EQ(ev[4].first, "block");
  EXPECT_TRUE(Has(ev[4].second, "\"id\":\"" + local + "\"")) << ev[4].second;
  EXPECT_EQ(ev[5].first, "receipt");
  EXPECT_EQ(DStr(ev[5].second, "tx"), txid);
  EXPECT_EQ(ev[6].first, "branch");
  // Each event's data is one line of JSON.
  for (const auto& [name, data] : ev) EXPECT_EQ(data.find('\n'), std::string::npos) << data;
}

TEST(EventsTest, PrivateBranchEventsOnlyReachItsReaders) {
  EventScene s(true);
  auto anon = s.Subscribe("");
  auto bob = s.Subscribe("bob");
  auto alice = s.Subscribe("alice");

  ASSERT_EQ(s.Clone("adev", "alice").code, 0);
  s.MustIn("adev", {"branch", "secret", "--private"});
  s.MustIn("adev", {"checkout", "secret"});
  s.MustIn("adev", {"call", "token", "mint", s.alice, "7"});
  s.MustIn("adev", {"commit", "-m", "secret work"});
  s.MustIn("adev", {"push", "origin:secret"});
  s.MustIn("adev", {"call", "token", "mint", s.alice, "8"});
  s.MustIn("adev", {"commit", "-m", "more secret work"});
  std::string secret_head = JStr(s.In("adev", {"status", "--json"}).out, "head");
  s.MustIn("adev", {"push", "origin:secret"});
  ASSERT_TRUE(alice->WaitFor("\"new\":\"" + secret_head + "\"")) << alice->Body();
  EXPECT_TRUE(Has(alice->Body(), "event: block\ndata: {\"branch\":\"secret\"")) << alice->Body();
  // Both pushes' blocks, the first one creating the branch.
  EXPECT_EQ(Count(alice->Body(), "event: block\ndata: {\"branch\":\"secret\""), 2u) << alice->Body();

  // A public move afterwards: once a subscriber has it, it would have had
  // the private ones before it.
  s.Call({"mint", s.alice, "1"});
  std::string local = s.Commit("public");
  for (auto* sub : {anon.get(), bob.get(), alice.get()})
    ASSERT_TRUE(sub->WaitFor("\"new\":\"" + local + "\"")) << sub->Body();
  EXPECT_FALSE(Has(anon->raw(), "secret")) << anon->raw();
  EXPECT_FALSE(Has(bob->raw(), "secret")) << bob->raw();
  EXPECT_FALSE(Has(anon->raw(), secret_head)) << anon->raw();
  EXPECT_EQ(anon->Body(), bob->Body());
  EXPECT_EQ(anon->Events().size(), 3u) << anon->Body();  // block, receipt, branch of master
}

TEST(EventsTest, TwoHundredSubscribersDoNotSlowAClone) {
  EventScene s(true);
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < 200; ++i) subs.push_back(std::make_unique<Subscriber>(s.Port(), "/repo/events"));
  for (auto& sub : subs) ASSERT_TRUE(sub->WaitFor(": subscribed\n\n")) << sub->raw();
  auto start = Clock::now();
  RunResult c = s.Clone("dev", "");
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_LT(ms, 5000);
  // And they all get the next event.
  s.Call({"mint", s.alice, "1"});
  std::string head = s.Commit("seen by all");
  for (auto& sub : subs) EXPECT_TRUE(sub->WaitFor("\"new\":\"" + head + "\"")) << sub->Body();
}

TEST(EventsTest, ASubscriberThatNeverReadsIsDropped) {
  EventScene s(true);
  auto reader = s.Subscribe("");
  auto stalled = s.Subscribe("", 4096);  // never read again
  long before = VmRssKb(s.daemon->pid());
  ASSERT_GT(before, 0);
  // About 2 MiB of events, 600 txs per block: more than the 1 MiB a
  // subscriber may have queued.
  std::string batch;
  for (int i = 0; i < 600; ++i) batch += "token mint " + s.alice + " 1\n";
  s.sb.Write("batch.txt", batch);
  std::string head;
  for (int round = 0; round < 8; ++round) {
    RunResult r = s.Run({"call", "--batch", s.sb.work() + "/batch.txt"});
    ASSERT_EQ(r.code, 0) << r.err;
    head = s.Commit("round " + std::to_string(round));
    // Wait for the poll, so that each block is one move (under the cap).
    ASSERT_TRUE(reader->WaitFor("\"new\":\"" + head + "\"", std::chrono::seconds(30))) << round;
  }
  EXPECT_TRUE(s.daemon->Logged("stream ended: dropped: the subscriber reads too slowly")) << s.daemon->Err();
  long after = VmRssKb(s.daemon->pid());
  EXPECT_LT(after - before, 64 * 1024) << before << " kB before, " << after << " kB after";
  // The reader had every block.
  EXPECT_EQ(Count(reader->Body(), "event: block\n"), 8u);
  EXPECT_EQ(Count(reader->Body(), "event: receipt\n"), 8u * 600);
}

TEST(EventsTest, SigtermEndsStreamsPromptly) {
  EventScene s(true);
  auto a = s.Subscribe("");
  auto b = s.Subscribe("alice");
  auto start = Clock::now();
  EXPECT_EQ(s.daemon->Stop(SIGTERM), 0) << s.daemon->Err();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  EXPECT_LT(ms, 3000);
  EXPECT_TRUE(a->WaitClosed(std::chrono::seconds(1)));
  EXPECT_TRUE(b->WaitClosed(std::chrono::seconds(1)));
  EXPECT_TRUE(Has(s.daemon->Err(), "GET /repo/events 200 ")) << s.daemon->Err();
  EXPECT_TRUE(Has(s.daemon->Err(), "(stream ended: the daemon is stopping)")) << s.daemon->Err();
}

TEST(EventsTest, WatchPrintsEventsAsJsonLines) {
  EventScene s(true);
  ASSERT_EQ(s.Clone("dev", "alice").code, 0);
  // Commits go on until the watcher has its three events.
  auto watch = std::async(std::launch::async, [&] {
    return s.sb.Run({"watch", "--count", "3", "--json"}, s.Dev("dev"), OriginScene::As("alice"));
  });
  s.CommitUntil(watch, "tick");
  ASSERT_EQ(watch.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  RunResult r = watch.get();
  EXPECT_EQ(r.code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  for (const auto& l : lines) {
    EXPECT_EQ(l.front(), '{') << l;
    EXPECT_TRUE(Has(l, "\"event\":\"")) << l;
  }
  EXPECT_TRUE(Has(lines[0], "\"event\":\"block\"")) << lines[0];
  EXPECT_TRUE(Has(r.err, "aergo: watching " + s.Url())) << r.err;

  // Text lines, by URL (no repository needed), filtered by branch.
  auto text = std::async(std::launch::async, [&] {
    return s.sb.Run({"watch", s.Url(), "--count", "3", "--branch", "master"}, s.sb.root());
  });
  s.CommitUntil(text, "tock");
  ASSERT_EQ(text.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  RunResult t = text.get();
  EXPECT_EQ(t.code, 0) << t.err;
  auto tl = Lines(t.out);
  ASSERT_EQ(tl.size(), 3u) << t.out;
  EXPECT_EQ(tl[0].rfind("block master ", 0), 0u) << tl[0];
  EXPECT_TRUE(Has(tl[0], " 1 txs")) << tl[0];
  EXPECT_EQ(tl[1].rfind("receipt ", 0), 0u) << tl[1];
  EXPECT_TRUE(Has(tl[1], " applied in ")) << tl[1];
  EXPECT_EQ(tl[2].rfind("branch master ", 0), 0u) << tl[2];

  // A local path has no stream; the daemon closing one is exit 1.
  RunResult local = s.sb.Run({"watch", s.sb.repo()}, s.sb.root());
  EXPECT_EQ(local.code, 1);
  EXPECT_TRUE(Has(local.err, "events are served by 'aergo daemon' only")) << local.err;
  auto ended = std::async(std::launch::async, [&] { return s.sb.Run({"watch", s.Url()}, s.sb.root()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  s.daemon->Stop(SIGTERM);
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  RunResult e = ended.get();
  EXPECT_EQ(e.code, 1) << e.err;
  EXPECT_TRUE(Has(e.err, "the event stream of " + s.Url() + " ended")) << e.err;
}


// The new txid of `call ... --remote origin` (its output: "<txid> ok").
std::string RemoteCall(EventScene& s, const std::string& dev, const std::vector<std::string>& fn_args) {
  std::vector<std::string> args = {"call", "token"};
  args.insert(args.end(), fn_args.begin(), fn_args.end());
  args.insert(args.end(), {"--remote", "origin"});
  RunResult r = s.In(dev, args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, " ok")) << r.out;
  return r.out.substr(0, 64);
}

// Commits in work/adev (signed by alice); returns the block id.
std::string DevCommit(EventScene& s, const std::string& msg) {
  RunResult r = s.In("adev", {"commit", "-m", msg, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  return JStr(r.out, "block");
}

// The ids of the `block` events so far, in order.
std::vector<std::string> BlockIds(const Subscriber& sub) {
  std::vector<std::string> out;
  for (const auto& [name, data] : sub.Events())
    if (name == "block") out.push_back(DStr(data, "id"));
  return out;
}

TEST(EventsTest, NewBranchAndMergedInBlocksAreAnnouncedOnce) {
  EventScene s(true);
  auto sub = s.Subscribe("alice");
  ASSERT_EQ(s.Clone("adev", "alice").code, 0);
  // A new branch with two blocks of its own.
  s.MustIn("adev", {"branch", "feature"});
  s.MustIn("adev", {"checkout", "feature"});
  s.MustIn("adev", {"call", "token", "mint", s.alice, "1"});
  std::string f1 = DevCommit(s, "f1");
  s.MustIn("adev", {"call", "token", "mint", s.alice, "2"});
  std::string f2 = DevCommit(s, "f2");
  s.MustIn("adev", {"push", "origin:feature"});
  ASSERT_TRUE(sub->WaitFor("\"new\":\"" + f2 + "\"")) << sub->Body();
  EXPECT_EQ(BlockIds(*sub), (std::vector<std::string>{f1, f2})) << sub->Body();
  EXPECT_TRUE(Has(sub->Body(), "{\"branch\":\"feature\",\"new\":\"" + f2 + "\",\"old\":null,\"truncated\":false}"))
      << sub->Body();

  // Master merges an unpushed topic branch (two blocks) locally: the push
  // brings master's own block, the topic's blocks (second parents) and the
  // merge block; feature's blocks, already announced, are not again.
  s.MustIn("adev", {"checkout", "master"});
  s.MustIn("adev", {"branch", "topic"});
  s.MustIn("adev", {"call", "token", "mint", s.alice, "3"});
  std::string m1 = DevCommit(s, "m1");
  s.MustIn("adev", {"checkout", "topic"});
  s.MustIn("adev", {"call", "token", "mint", s.alice, "4"});
  std::string t1 = DevCommit(s, "t1");
  s.MustIn("adev", {"call", "token", "mint", s.alice, "5"});
  std::string t2 = DevCommit(s, "t2");
  s.MustIn("adev", {"checkout", "master"});
  s.MustIn("adev", {"merge", "topic"});
  s.MustIn("adev", {"merge", "feature"});
  std::string merged = JStr(s.In("adev", {"status", "--json"}).out, "head");
  s.MustIn("adev", {"push", "origin:master"});
  ASSERT_TRUE(sub->WaitFor("\"new\":\"" + merged + "\"")) << sub->Body();
  std::vector<std::string> ids = BlockIds(*sub);
  ASSERT_EQ(ids.size(), 2u + 5u) << sub->Body();  // m1, t1, t2, merge of topic, merge of feature
  std::vector<std::string> master_ids(ids.begin() + 2, ids.end());
  // Oldest first: heights m1 = t1 < t2 < the merges.
  EXPECT_EQ(std::set<std::string>(master_ids.begin(), master_ids.begin() + 2), (std::set<std::string>{m1, t1}));
  EXPECT_EQ(master_ids[2], t2);
  EXPECT_EQ(master_ids[4], merged);
  EXPECT_EQ(Count(sub->Body(), "\"id\":\"" + f1 + "\""), 1u);
  EXPECT_EQ(Count(sub->Body(), "event: gap\n"), 0u);
}

TEST(EventsTest, AMoveTooBigToListIsAGap) {
  EventScene s(true);
  auto sub = s.Subscribe("");
  ASSERT_EQ(s.Clone("adev", "alice").code, 0);
  // Three blocks of 600 txs: about 768 KiB of events in one move.
  std::string batch;
  for (int i = 0; i < 600; ++i) batch += "token mint " + s.alice + " 1\n";
  s.sb.Write("batch.txt", batch);
  for (int round = 0; round < 3; ++round) {
    s.MustIn("adev", {"call", "--batch", s.sb.work() + "/batch.txt"});
    s.MustIn("adev", {"commit", "-m", "round " + std::to_string(round)});
  }
  std::string head = JStr(s.In("adev", {"status", "--json"}).out, "head");
  s.MustIn("adev", {"push", "origin:master"});
  ASSERT_TRUE(sub->WaitFor("\"new\":\"" + head + "\"", std::chrono::seconds(30))) << sub->Body().size();
  auto ev = sub->Events();
  ASSERT_EQ(ev.size(), 2u) << sub->Body().substr(0, 2000);
  EXPECT_EQ(ev[0].first, "gap");
  EXPECT_EQ(ev[0].second, "{\"branch\":\"master\",\"from\":\"" + s.funded + "\",\"to\":\"" + head + "\"}");
  EXPECT_EQ(ev[1].first, "branch");
  EXPECT_TRUE(Has(ev[1].second, "\"truncated\":true")) << ev[1].second;
  // `aergo watch` prints it.
  auto watch = std::async(std::launch::async, [&] {
    return s.sb.Run({"watch", s.Url(), "--count", "2"}, s.sb.root());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  for (int round = 0; round < 3; ++round) {
    s.MustIn("adev", {"call", "--batch", s.sb.work() + "/batch.txt"});
    s.MustIn("adev", {"commit", "-m", "again " + std::to_string(round)});
  }
  s.MustIn("adev", {"push", "origin:master"});
  ASSERT_EQ(watch.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  RunResult w = watch.get();
  EXPECT_EQ(w.code, 0) << w.err;
  auto lines = Lines(w.out);
  ASSERT_EQ(lines.size(), 2u) << w.out;
  EXPECT_EQ(lines[0], "gap master " + head.substr(0, 12) + ".." +
                          JStr(s.In("adev", {"status", "--json"}).out, "head").substr(0, 12) +
                          " (blocks not listed: fetch them)");
  EXPECT_TRUE(Has(lines[1], "(too many blocks to list)")) << lines[1];
}

TEST(EventsTest, PushesSucceedOverPendingSubmissionsAndAnnounceDrops) {
  EventScene s(true);  // the daemon seals merges with the origin's user.key (alice)
  auto sub = s.Subscribe("alice");
  ASSERT_EQ(s.Clone("adev", "alice").code, 0);
  // Fast-forward. Pending on the daemon: a mint (survives) and a transfer
  // that overdraws once the pushed transfer is in.
  std::string keep1 = RemoteCall(s, "adev", {"mint", s.bob, "7"});
  std::string over1 = RemoteCall(s, "adev", {"transfer", s.bob, "90"});  // 100 - 90 on the daemon
  ASSERT_EQ(s.Pool(), 2);
  s.MustIn("adev", {"call", "token", "mint", s.bob, "1"});
  s.MustIn("adev", {"call", "token", "transfer", s.bob, "20"});  // alice 80
  s.MustIn("adev", {"commit", "-m", "pushed"});
  std::string pushed = JStr(s.In("adev", {"status", "--json"}).out, "head");
  RunResult ff = s.In("adev", {"push", "origin:master"});
  ASSERT_EQ(ff.code, 0) << ff.err;
  EXPECT_TRUE(Has(ff.out, "(fast-forward)")) << ff.out;
  EXPECT_TRUE(Has(ff.err, "aergo: warning: the remote dropped pending tx " + over1 +
                              " from the merge pool of master: CHECK constraint failed: balance >= 0\n"))
      << ff.err;
  EXPECT_FALSE(Has(ff.err, keep1)) << ff.err;
  EXPECT_EQ(s.Head(), pushed);
  EXPECT_EQ(s.Pool(), 1);
  ASSERT_TRUE(sub->WaitFor("event: dropped\n")) << sub->Body();
  EXPECT_TRUE(Has(sub->Body(), "event: dropped\ndata: {\"branch\":\"master\",\"error\":\"CHECK constraint failed: "
                               "balance >= 0\",\"txid\":\"" + over1 + "\"}\n\n"))
      << sub->Body();
  // The survivor is sealed by the next commit on the new head.
  std::string upstream = s.Commit("upstream");
  EXPECT_EQ(s.Pool(), 0);
  EXPECT_EQ(s.Bal()[s.bob], 1 + 20 + 7);
  RunResult shown = s.Run({"show", keep1, "--json"});
  EXPECT_TRUE(Has(shown.out, upstream)) << shown.out;

  // A merge: the daemon's master moved on (upstream), the clone pushes a
  // block of its own; pending: an overdraft-to-be and a mint.
  std::string over2 = RemoteCall(s, "adev", {"transfer", s.bob, "60"});  // 80 - 60 on the daemon
  std::string keep2 = RemoteCall(s, "adev", {"mint", s.bob, "5"});
  s.MustIn("adev", {"call", "token", "transfer", s.bob, "30"});  // applied by the merge: alice 50
  s.MustIn("adev", {"commit", "-m", "pushed again"});
  RunResult mg = s.In("adev", {"push", "origin:master"});
  ASSERT_EQ(mg.code, 0) << mg.err;
  EXPECT_TRUE(Has(mg.out, "the remote merged the pushed txs")) << mg.out;
  EXPECT_TRUE(Has(mg.err, "aergo: warning: the remote dropped pending tx " + over2 + " from the merge pool of master: "))
      << mg.err;
  EXPECT_FALSE(Has(mg.err, keep2)) << mg.err;
  EXPECT_EQ(s.Pool(), 1);
  ASSERT_TRUE(sub->WaitFor("\"txid\":\"" + over2 + "\"")) << sub->Body();
  auto bal = s.Bal();
  EXPECT_EQ(bal[s.alice], 50);
  EXPECT_EQ(bal[s.bob], 28 + 30 + 5);
  std::string merged = s.Head();
  std::string sealed = s.Commit("after the merge");
  RunResult block = s.Run({"show", sealed, "--json"});
  EXPECT_TRUE(Has(block.out, merged)) << block.out;  // its parent
  EXPECT_TRUE(Has(block.out, keep2)) << block.out;
  EXPECT_EQ(s.Pool(), 0);
  s.ExpectFsckClean();
}

}  // namespace
}  // namespace aergo::clitest
