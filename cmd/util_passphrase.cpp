#include "cmd/util_passphrase.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string_view>

namespace aergo::cli {

namespace {

constexpr size_t kMaxPassphrase = 4096;

// Writes all of [p, p+n) to fd; false on an error other than EINTR.
bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

// State for restoring the terminal if a signal arrives while echo is off.
volatile sig_atomic_t g_tty_fd = -1;
struct termios g_tty_saved;
constexpr int kTtySignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
constexpr size_t kNumTtySignals = sizeof kTtySignals / sizeof kTtySignals[0];
struct sigaction g_old_actions[kNumTtySignals];
bool g_installed[kNumTtySignals];

void RestoreTtyOnSignal(int sig) {
  int fd = g_tty_fd;
  if (fd >= 0) {
    ::tcsetattr(fd, TCSAFLUSH, &g_tty_saved);
    ssize_t ignored = ::write(fd, "\n", 1);
    (void)ignored;
  }
  for (size_t i = 0; i < kNumTtySignals; ++i) {
    if (kTtySignals[i] == sig) ::sigaction(sig, &g_old_actions[i], nullptr);
  }
  ::raise(sig);  // delivered once this handler returns
}

// Prompts on the open terminal `fd` and reads one line with echo off.
std::optional<std::string> ReadHidden(int fd, const std::string& prompt) {
  if (!WriteAll(fd, prompt.data(), prompt.size())) return std::nullopt;
  struct termios saved;
  bool have_termios = ::tcgetattr(fd, &saved) == 0;
  if (have_termios) {
    g_tty_saved = saved;
    g_tty_fd = fd;
    struct sigaction sa {};
    sa.sa_handler = RestoreTtyOnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < kNumTtySignals; ++i) {
      // Leave ignored signals ignored.
      g_installed[i] = ::sigaction(kTtySignals[i], nullptr, &g_old_actions[i]) == 0 &&
                       g_old_actions[i].sa_handler != SIG_IGN &&
                       ::sigaction(kTtySignals[i], &sa, nullptr) == 0;
    }
    struct termios noecho = saved;
    noecho.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
    noecho.c_lflag |= ICANON;
    ::tcsetattr(fd, TCSAFLUSH, &noecho);
  }
  std::string line;
  bool complete = false;
  bool failed = false;
  while (true) {
    char c;
    ssize_t r = ::read(fd, &c, 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      failed = true;
      break;
    }
    if (r == 0) break;  // end of input
    if (c == '\n' || c == '\r') {
      complete = true;
      break;
    }
    if (line.size() >= kMaxPassphrase) {
      failed = true;
      break;
    }
    line.push_back(c);
  }
  if (have_termios) {
    ::tcsetattr(fd, TCSAFLUSH, &saved);
    g_tty_fd = -1;
    for (size_t i = 0; i < kNumTtySignals; ++i) {
      if (g_installed[i]) ::sigaction(kTtySignals[i], &g_old_actions[i], nullptr);
    }
  }
  (void)WriteAll(fd, "\n", 1);
  if (failed || (!complete && line.empty())) {
    sodium_memzero(line.data(), line.size());
    return std::nullopt;
  }
  return line;
}

std::optional<std::string> PromptTty(const std::string& prompt, bool confirm) {
  Fd fd(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return std::nullopt;
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::optional<std::string> first = ReadHidden(fd.get(), prompt);
    if (!first || !confirm) return first;
    std::optional<std::string> second = ReadHidden(fd.get(), "Repeat passphrase: ");
    if (!second) {
      sodium_memzero(first->data(), first->size());
      return std::nullopt;
    }
    bool same = *first == *second;
    sodium_memzero(second->data(), second->size());
    if (same) return first;
    sodium_memzero(first->data(), first->size());
    constexpr std::string_view kMismatch = "passphrases do not match, try again\n";
    if (attempt + 1 < kAttempts) (void)WriteAll(fd.get(), kMismatch.data(), kMismatch.size());
  }
  constexpr std::string_view kGiveUp = "passphrases do not match\n";
  (void)WriteAll(fd.get(), kGiveUp.data(), kGiveUp.size());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> PassphraseFromEnvironment() {
  if (const char* env = std::getenv("AERGO_PASSPHRASE")) return std::string(env);
  return std::nullopt;
}

PassphraseSource DefaultPassphraseSource(std::optional<std::string> from_env) {
  return [from_env = std::move(from_env)](const std::string& prompt,
                                          bool confirm) -> std::optional<std::string> {
    if (from_env) return from_env;
    return PromptTty(prompt, confirm);
  };
}

}  // namespace aergo::cli
