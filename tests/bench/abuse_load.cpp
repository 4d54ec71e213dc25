// Bench helper for tests/bench/abuse_bench.sh: hostile load on an `aergo
// daemon` at 127.0.0.1:<port>, on raw sockets, one thread (epoll).
//
//   aergo_bench_abuse_load hold <port> <repo> <idle> <slowloris> <subscribers> <slow-interval-ms>
//     Holds open: <idle> kept-alive connections (one GET /healthz answered,
//     then silent; one more every 20 s so the daemon's 30 s idle timeout
//     does not close them), <slowloris> connections sending a request
//     header one byte every <slow-interval-ms> (reconnected when the
//     daemon cuts them at its header deadline, as an attacker would), and
//     <subscribers> event streams (GET /<repo>/events, read and discarded).
//     A subscriber refused (503 while 1,000 arrive at once) retries after
//     200 ms. Each kind comes from its own loopback address (127.0.0.2, .3, .4) so
//     that the daemon's per-address cap (1024) does not refuse them.
//     Prints "ready idle=<n> slowloris=<n> subscribers=<n>" once all are
//     open, then holds them until SIGTERM/SIGINT, then prints one line of
//     counts (answers by status, reconnections) and exits 0.
//
//   aergo_bench_abuse_load probe <port> <kind> [<repo>]
//     One hostile request; prints "<status> <ms> <answer body, cut at 160
//     bytes>" (status 0: no answer).
//     kinds: oversize (Content-Length: 300000000 declared, nothing sent),
//     gzip (a gzip-encoded query body), zeroblob (an anonymous
//     SELECT zeroblob(100000000)), healthz.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Die(const std::string& why) {
  std::fprintf(stderr, "abuse_load: %s\n", why.c_str());
  return 1;
}

void RaiseDescriptorLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
}

// A non-blocking (or blocking) TCP connection from `from` to 127.0.0.1:port.
int Connect(int port, const char* from, bool nonblock) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Connected before it turns non-blocking: the first bytes follow at once.
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  if (nonblock) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  for (size_t off = 0; off < data.size();) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      usleep(1000);
      continue;
    }
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// --- probe ---

int Probe(int port, const std::string& kind, const std::string& repo) {
  std::string req;
  if (kind == "oversize") {
    req = "POST /" + repo + "/push HTTP/1.1\r\nHost: x\r\nContent-Length: 300000000\r\n\r\n";
  } else if (kind == "gzip") {
    std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    gz += std::string(1000, 'x');
    req = "POST /" + repo + "/query HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: " +
          std::to_string(gz.size()) + "\r\n\r\n" + gz;
  } else if (kind == "zeroblob") {
    std::string body = R"j({"sql":"SELECT zeroblob(100000000)"})j";
    req = "POST /" + repo + "/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
  } else if (kind == "healthz") {
    req = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  } else {
    return Die("unknown probe '" + kind + "'");
  }
  auto start = Clock::now();
  int fd = Connect(port, "127.0.0.1", false);
  if (fd < 0) return Die(std::string("cannot connect: ") + std::strerror(errno));
  timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SendAll(fd, req);  // the daemon may refuse before reading it all
  std::string got;
  char buf[65536];
  // The head and (these answers are small, Content-Length) the body.
  size_t end, want = std::string::npos;
  for (;;) {
    if (want == std::string::npos && (end = got.find("\r\n\r\n")) != std::string::npos) {
      size_t at = got.find("Content-Length: ");
      want = end + 4 + (at != std::string::npos && at < end ? std::strtoul(got.c_str() + at + 16, nullptr, 10) : 0);
    }
    if (want != std::string::npos && got.size() >= want) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  close(fd);
  int status = got.size() >= 12 && got.compare(0, 5, "HTTP/") == 0 ? std::atoi(got.c_str() + 9) : 0;
  std::string body = (end = got.find("\r\n\r\n")) == std::string::npos ? "" : got.substr(end + 4, 160);
  for (char& c : body)
    if (c == '\n' || c == '\r') c = ' ';
  std::printf("%d %lld %s\n", status, static_cast<long long>(ms), body.c_str());
  return 0;
}

// --- hold ---

enum class Kind { kIdle, kSlow, kSub };

struct Conn {
  Kind kind;
  std::string in;              // unparsed input (idle: the answer being read)
  bool head_seen = false;      // subscriber: its head arrived; idle: its first answer
  int status = 0;              // the first answer's status
  size_t slow_sent = 0;        // slowloris: bytes of the header sent
  Clock::time_point next;      // slowloris: next byte; idle: next keep-alive request
};

const char* From(Kind k) { return k == Kind::kIdle ? "127.0.0.2" : k == Kind::kSlow ? "127.0.0.3" : "127.0.0.4"; }

struct Holder {
  int port;
  std::string repo;
  std::chrono::milliseconds slow_every;
  int ep = -1;
  std::map<int, Conn> conns;
  std::map<int, long> statuses;   // answers seen, by status
  std::map<Kind, long> reconnects;
  std::map<Kind, long> open_count;
  // Reconnections waiting (a refused subscriber retries after a pause, as
  // Retry-After asks).
  std::vector<std::pair<Clock::time_point, Kind>> reopen;
  std::string slow_header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";

  std::string Request(Kind k) const {
    if (k == Kind::kSub) return "GET /" + repo + "/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    return "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  bool Open(Kind k) {
    int fd = Connect(port, From(k), true);
    if (fd < 0) return false;
    Conn c{k, "", false, 0, 0, Clock::now()};
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    conns[fd] = std::move(c);
    ++open_count[k];
    SendFirst(fd);
    return true;
  }

  void SendFirst(int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    Conn& c = it->second;
    if (c.kind == Kind::kSlow) {
      // The request line and a header name at once, then a byte at a time.
      c.slow_sent = slow_header.size();
      SendAll(fd, slow_header);
      c.next = Clock::now() + slow_every;
    } else {
      SendAll(fd, Request(c.kind));
      c.next = Clock::now() + std::chrono::seconds(20);
    }
  }

  void Drop(int fd, bool reopen) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    Kind k = it->second.kind;
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(it);
    --open_count[k];
    if (reopen && !g_stop) {
      ++reconnects[k];
      this->reopen.emplace_back(Clock::now() + std::chrono::milliseconds(k == Kind::kSlow ? 0 : 200), k);
    }
  }

  // Counts the status of each complete answer head in c.in (idle and
  // slowloris answers have small Content-Length bodies).
  void Parse(Conn& c) {
    for (;;) {
      if (c.kind == Kind::kSub && c.head_seen) {
        c.in.clear();  // events and pings: discarded
        return;
      }
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      int status = c.in.size() >= 12 ? std::atoi(c.in.c_str() + 9) : 0;
      ++statuses[status];
      if (!c.head_seen) c.status = status;
      c.head_seen = true;
      size_t length = 0;
      size_t at = c.in.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::strtoul(c.in.c_str() + at + 16, nullptr, 10);
      if (c.kind == Kind::kSub) {
        c.in.clear();
        return;
      }
      if (c.in.size() < end + 4 + length) return;
      c.in.erase(0, end + 4 + length);
    }
  }

  bool AllReady(long idle, long slow, long subs) {
    long idle_ok = 0, subs_ok = 0;
    for (auto& [fd, c] : conns) {
      if (c.kind == Kind::kIdle && c.head_seen && c.status == 200) ++idle_ok;
      if (c.kind == Kind::kSub && c.head_seen && c.status == 200) ++subs_ok;
    }
    return idle_ok >= idle && subs_ok >= subs && open_count[Kind::kSlow] >= slow;
  }

  int Run(long idle, long slow, long subs) {
    ep = epoll_create1(0);
    for (long i = 0; i < idle; ++i)
      if (!Open(Kind::kIdle)) return Die(std::string("cannot open an idle connection: ") + std::strerror(errno));
    for (long i = 0; i < slow; ++i)
      if (!Open(Kind::kSlow)) return Die(std::string("cannot open a slow connection: ") + std::strerror(errno));
    for (long i = 0; i < subs; ++i)
      if (!Open(Kind::kSub)) return Die(std::string("cannot open a subscriber: ") + std::strerror(errno));
    bool ready = false;
    auto began = Clock::now();
    std::vector<epoll_event> events(1024);
    while (!g_stop) {
      int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        auto it = conns.find(fd);
        if (it == conns.end()) continue;
        char buf[65536];
        bool closed = (events[i].events & (EPOLLHUP | EPOLLERR)) != 0;
        for (;;) {
          ssize_t got = recv(fd, buf, sizeof buf, 0);
          if (got > 0) {
            it->second.in.append(buf, static_cast<size_t>(got));
            continue;
          }
          if (got == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
          break;
        }
        Parse(it->second);
        if (closed) Drop(fd, true);
      }
      auto now = Clock::now();
      std::vector<int> gone;
      for (auto& [fd, c] : conns) {
        if (now < c.next) continue;
        if (c.kind == Kind::kSlow) {
          if (send(fd, "x", 1, MSG_NOSIGNAL) != 1) gone.push_back(fd);
          c.next = now + slow_every;
        } else if (c.kind == Kind::kIdle && c.head_seen) {
          if (!SendAll(fd, Request(Kind::kIdle))) gone.push_back(fd);
          c.next = now + std::chrono::seconds(20);
        }
      }
      for (int fd : gone) Drop(fd, true);
      std::vector<std::pair<Clock::time_point, Kind>> later;
      for (auto& [when, k] : reopen) {
        if (now < when) {
          later.emplace_back(when, k);
        } else if (!Open(k)) {
          later.emplace_back(now + std::chrono::milliseconds(200), k);
        }
      }
      reopen.swap(later);
      if (!ready && AllReady(idle, slow, subs)) {
        ready = true;
        std::printf("ready idle=%ld slowloris=%ld subscribers=%ld (%lld ms)\n", open_count[Kind::kIdle],
                    open_count[Kind::kSlow], open_count[Kind::kSub],
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count()));
        std::fflush(stdout);
      }
    }
    std::printf("held: idle=%ld slowloris=%ld subscribers=%ld; reconnected: idle=%ld slowloris=%ld subscribers=%ld;",
                open_count[Kind::kIdle], open_count[Kind::kSlow], open_count[Kind::kSub], reconnects[Kind::kIdle],
                reconnects[Kind::kSlow], reconnects[Kind::kSub]);
    std::printf(" answers:");
    for (auto& [status, count] : statuses) std::printf(" %d x%ld", status, count);
    std::printf("\n");
    std::fflush(stdout);
    for (auto& [fd, c] : conns) close(fd);
    return 0;
  }
};

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "probe" && (argc == 4 || argc == 5))
    return Probe(std::atoi(argv[2]), argv[3], argc == 5 ? argv[4] : "");
  if (mode != "hold" || argc != 8)
    return Die("usage: hold <port> <repo> <idle> <slowloris> <subscribers> <slow-interval-ms> | "
               "probe <port> <oversize|gzip|zeroblob|healthz> [<repo>]");
  RaiseDescriptorLimit();
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  Holder h;
  h.port = std::atoi(argv[2]);
  h.repo = argv[3];
  h.slow_every = std::chrono::milliseconds(std::atol(argv[7]));
  return h.Run(std::atol(argv[4]), std::atol(argv[5]), std::atol(argv[6]));
}
