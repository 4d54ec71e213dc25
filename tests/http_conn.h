// A raw HTTP/1.1 client connection for tests that check exact statuses,
// headers and bodies (the CLI tests' daemon tests, the unit tests of
// daemon/http_server.h). Header-only: both test binaries include it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <string>

namespace aergo::testcommon {

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string headers, body;
};

// One HTTP/1.1 connection to 127.0.0.1:port (kept alive between requests;
// reads and writes time out after 10 s).
class Conn {
 public:
  explicit Conn(int port);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool Send(const std::string& data);
  // Sends one request (a POST with Content-Length) and reads its answer.
  HttpReply Request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& extra_headers = "");
  // Reads one response: headers, then a Content-Length or chunked body.
  HttpReply Read();
  // Whether the peer closes the connection within `wait` (bytes it sends
  // meanwhile are kept for Read).
  bool ClosedWithin(std::chrono::milliseconds wait);

 private:
  bool Fill();
  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

inline Conn::Conn(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};  // a stuck daemon fails the test instead of hanging it
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

inline Conn::~Conn() { close(fd_); }

inline bool Conn::Send(const std::string& data) {
  for (size_t off = 0; off < data.size();) {
    ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

inline HttpReply Conn::Request(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& extra_headers) {
  HttpReply r;
  if (!ok_) return r;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!Send(req + "\r\n" + body)) return r;
  return Read();
}

inline HttpReply Conn::Read() {
  HttpReply r;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!Fill()) return r;
  r.headers = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  if (r.headers.size() < 12) return r;
  r.status = std::stoi(r.headers.substr(9, 3));
  std::string lower = r.headers;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    for (;;) {
      size_t nl;
      while ((nl = buf_.find("\r\n")) == std::string::npos)
        if (!Fill()) return r;
      size_t size = std::stoul(buf_.substr(0, nl), nullptr, 16);
      while (buf_.size() < nl + 2 + size + 2)
        if (!Fill()) return r;
      r.body += buf_.substr(nl + 2, size);
      buf_.erase(0, nl + 2 + size + 2);
      if (size == 0) return r;
    }
  }
  size_t p = lower.find("content-length: ");
  size_t len = p == std::string::npos ? 0 : std::stoul(lower.substr(p + 16));
  while (buf_.size() < len)
    if (!Fill()) return r;
  r.body = buf_.substr(0, len);
  buf_.erase(0, len);
  return r;
}

inline bool Conn::ClosedWithin(std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char tmp[4096];
    ssize_t got = recv(fd_, tmp, sizeof tmp, 0);
    if (got <= 0) return true;
    buf_.append(tmp, static_cast<size_t>(got));
  }
}

inline bool Conn::Fill() {
  char tmp[65536];
  ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

}  // namespace aergo::testcommon
