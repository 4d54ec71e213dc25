// aergo daemon --listen <host:port> [--name <name>]... [--key <name>]
//              [--branch <b>] [--tls-cert <f> --tls-key <f>] [--detach --pid-file <f>]
//              [--log-file <f>] [--max-connections <n>]
//              [--max-client-connections <n>] [--workers <n>] [--max-body-bytes <n>]
//              [--max-inflight-body-bytes <n>] [--header-timeout <ms>]
//              [--idle-timeout <ms>] [--submit-budget <ms>] <repo-path>...
// Serves repositories over HTTP(S) (daemon/server.h) until SIGTERM or
// SIGINT. The process-level parts live here: the signal thread, detaching,
// the pid file; the server knows nothing of them.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <thread>

#include "cmd/commands.h"
#include "daemon/server.h"

namespace aergo::cli {

namespace {

// After a stop signal: how long requests still being answered may take
// before the process exits anyway.
constexpr auto kStopGrace = std::chrono::seconds(30);

std::string Absolute(const Context& ctx, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (std::filesystem::path(ctx.cwd) / p).lexically_normal().string();
}

// Writes "<pid>\n" to a temporary file beside `path`, then renames it.
Status WritePidFile(const std::string& path) {
  std::string pid = std::to_string(getpid());
  std::string tmp = path + ".tmp." + pid;
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << pid << "\n";
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return IoError("cannot write pid file '" + tmp + "': " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    return IoError("cannot write pid file '" + path + "': " + std::strerror(e));
  }
  return Status::Ok();
}

// Idle connections cost a descriptor each, not a thread: lift the soft
// limit on descriptors to the hard one, enough for max_connections plus
// repositories and logs if the hard limit allows it.
void RaiseDescriptorLimit(size_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  rlim_t want = static_cast<rlim_t>(max_connections) + 256;
  if (lim.rlim_cur >= want) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? want : std::min(want, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
}

void RemovePidFile(const std::string& path) {
  if (!path.empty()) std::remove(path.c_str());
}

// Serves until a signal of `signals` (blocked in every thread) arrives:
// stops accepting, lets the requests in flight finish (up to kStopGrace),
// then exits 0. Kept-alive connections that sit idle are not waited for.
int ServeUntilSignal(Context& ctx, Daemon& daemon, const sigset_t& signals, const std::string& pid_file) {
  std::atomic<bool> served{false};
  std::thread watcher([&] {
    const timespec tick{0, 100 * 1000 * 1000};
    int sig = -1;
    while (!served && sig <= 0) sig = sigtimedwait(&signals, nullptr, &tick);
    if (served) return;
    daemon.Log(std::string("aergo daemon: stopping (") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ")");
    daemon.Stop();
    auto deadline = std::chrono::steady_clock::now() + kStopGrace;
    const timespec step{0, 20 * 1000 * 1000};
    int quiet = 0;
    while (!served && std::chrono::steady_clock::now() < deadline) {
      if (sigtimedwait(&signals, nullptr, &step) > 0) break;  // a second signal: stop now
      quiet = daemon.active() == 0 ? quiet + 1 : 0;
      if (quiet >= 3) break;
    }
    if (served) return;
    // Serve is held up by idle connections (or by requests past the
    // grace): nothing is half-written by leaving now, as every write is
    // crash-safe, so exit without waiting for them.
    RemovePidFile(pid_file);
    daemon.Log("aergo daemon: stopped");
    _exit(kExitOk);
  });
  Status st = daemon.Serve();
  served = true;
  watcher.join();
  RemovePidFile(pid_file);
  if (!st.ok()) return Fail(ctx, st);
  daemon.Log("aergo daemon: stopped");
  return kExitOk;
}

// --detach: the child binds, writes the pid file and sends its URL through
// a pipe; the parent prints the listening line and exits 0 once it has it
// (or with the child's status if the child fails first, its error already
// on stderr).
int Detach(Context& ctx, DaemonOptions options, const sigset_t& signals, const std::string& pid_file,
           bool log_to_file) {
  int ready[2];
  if (pipe(ready) != 0) return Fail(ctx, IoError(std::string("cannot create a pipe: ") + std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) return Fail(ctx, IoError(std::string("cannot fork: ") + std::strerror(errno)));
  if (pid > 0) {
    close(ready[1]);
    std::string url;
    char buf[512];
    for (ssize_t n; (n = read(ready[0], buf, sizeof buf)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      url.append(buf, static_cast<size_t>(n));
    }
    close(ready[0]);
    if (!url.empty() && url.back() == '\n') {
      url.pop_back();
      *ctx.err << "aergo daemon: listening on " << url << std::endl;
      return kExitOk;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : kExitFailed;
  }
  close(ready[0]);
  setsid();
  auto daemon = Daemon::Create(std::move(options), ctx.clock);
  if (!daemon.ok()) return Fail(ctx, daemon.status());
  if (Status st = WritePidFile(pid_file); !st.ok()) return Fail(ctx, st);
  if (log_to_file) (*daemon)->Log("aergo daemon: listening on " + (*daemon)->url());
  std::string line = (*daemon)->url() + "\n";
  [[maybe_unused]] ssize_t sent = write(ready[1], line.data(), line.size());  // short: the parent fails
  close(ready[1]);
  // Let go of the terminal and of whoever waits for our output (a failed
  // chdir only keeps the directory busy).
  [[maybe_unused]] int moved = chdir("/");
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    for (int fd = 0; fd <= 2; ++fd) dup2(null, fd);
    if (null > 2) close(null);
  }
  return ServeUntilSignal(ctx, **daemon, signals, pid_file);
}

}  // namespace

int CmdDaemon(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("listen", po::value<std::string>(), "address to listen on, <host>:<port> (port 0: any)")(
      "name", po::value<std::vector<std::string>>(), "URL name of the Nth repository (default: its directory's)")(
      "key", po::value<std::string>(), "key that signs the merge blocks pushes need (and sealed blocks)")(
      "branch", po::value<std::string>(), "the branch to serve in every repository (default: each one's checked-out branch)")(
      "block-interval", po::value<std::string>(), "seal submitted txs into a block every <ms> milliseconds")(
      "tls-cert", po::value<std::string>(), "serve HTTPS with this PEM certificate (chain)")(
      "tls-key", po::value<std::string>(), "the certificate's PEM private key")(
      "detach", "run in the background (needs --pid-file)")(
      "pid-file", po::value<std::string>(), "write the daemon's pid to this file")(
      "log-file", po::value<std::string>(), "append the log to this file instead of stderr")(
      "max-connections", po::value<std::string>(), "connections open at once, overall (default 4096)")(
      "max-client-connections", po::value<std::string>(), "connections open at once from one address (default 1024)")(
      "workers", po::value<std::string>(), "threads answering requests (default 8)")(
      "max-body-bytes", po::value<std::string>(), "largest request body accepted (default 268435456)")(
      "max-inflight-body-bytes", po::value<std::string>(),
      "request-body bytes held at once by all requests together (default 1073741824)")(
      "header-timeout", po::value<std::string>(), "ms a request's whole header may take (default 10000)")(
      "idle-timeout", po::value<std::string>(), "ms a kept-alive connection may sit idle (default 30000)")(
      "submit-budget", po::value<std::string>(), "ms one batch of submitted txs may execute (default 1000)")(
      "repos", po::value<std::vector<std::string>>(), "repositories to serve");
  AddCommon(opts, false);
  po::positional_options_description pos;
  pos.add("repos", -1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  auto str = [&](const char* k) { return vm->count(k) ? (*vm)[k].as<std::string>() : std::string(); };
  auto list = [&](const char* k) {
    return vm->count(k) ? (*vm)[k].as<std::vector<std::string>>() : std::vector<std::string>();
  };

  if (!vm->count("listen")) return UsageError(ctx, "missing --listen <host:port>");
  auto address = ParseListenAddress(str("listen"));
  if (!address.ok()) return UsageError(ctx, address.status().message());
  std::vector<std::string> paths = list("repos"), names = list("name");
  if (paths.empty()) return UsageError(ctx, "no repository to serve");
  if (names.size() > paths.size())
    return UsageError(ctx, "more --name options (" + std::to_string(names.size()) + ") than repositories (" +
                               std::to_string(paths.size()) + ")");
  bool detach = vm->count("detach") > 0;
  std::string pid_file = Absolute(ctx, str("pid-file")), log_file = Absolute(ctx, str("log-file"));
  if (detach && pid_file.empty()) return UsageError(ctx, "--detach needs --pid-file <f>");
  if (vm->count("tls-cert") != vm->count("tls-key"))
    return UsageError(ctx, "TLS needs both --tls-cert and --tls-key");

  DaemonOptions options;
  options.open = ctx.open_options;
  if (vm->count("block-interval")) {
    std::string ms = str("block-interval");
    if (ms.empty() || ms.size() > 9 || ms.find_first_not_of("0123456789") != std::string::npos || std::stoul(ms) == 0)
      return UsageError(ctx, "invalid --block-interval '" + ms + "': a number of milliseconds, 1 to 999999999");
    options.block_interval_ms = std::stoul(ms);
  }
  // Limits of the HTTP server (daemon/http_server.h): whole numbers from
  // 1 to 999999999 (the body budget: to 999999999999).
  struct LimitFlag {
    const char* flag;
    size_t digits;
    std::function<void(uint64_t)> set;
  };
  for (const auto& [flag, digits, set] : std::initializer_list<LimitFlag>{
           {"max-connections", 9, [&](uint64_t n) { options.limits.max_connections = n; }},
           {"max-client-connections", 9, [&](uint64_t n) { options.limits.max_connections_per_client = n; }},
           {"workers", 9, [&](uint64_t n) { options.limits.workers = n; }},
           {"max-body-bytes", 9, [&](uint64_t n) { options.limits.max_body_bytes = n; }},
           {"max-inflight-body-bytes", 12, [&](uint64_t n) { options.limits.max_inflight_body_bytes = n; }},
           {"header-timeout", 9, [&](uint64_t n) { options.limits.header_timeout = std::chrono::milliseconds(n); }},
           {"idle-timeout", 9, [&](uint64_t n) { options.limits.idle_timeout = std::chrono::milliseconds(n); }},
           {"submit-budget", 9, [&](uint64_t n) { options.submit_budget_ms = n; }}}) {
    if (!vm->count(flag)) continue;
    std::string n = str(flag);
    if (n.empty() || n.size() > digits || n.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(n) == 0)
      return UsageError(ctx, "invalid --" + std::string(flag) + " '" + n + "': a whole number from 1 to " +
                                 std::string(digits, '9'));
    set(std::stoull(n));
  }
  if (options.limits.workers > 256) return UsageError(ctx, "invalid --workers: at most 256");
  // A body the budget cannot hold would be refused 503 forever.
  if (options.limits.max_inflight_body_bytes < options.limits.max_body_bytes)
    return UsageError(ctx, "invalid --max-inflight-body-bytes: at least --max-body-bytes (" +
                               std::to_string(options.limits.max_body_bytes) + ")");
  options.host = address->first;
  options.port = address->second;
  options.tls_cert = Absolute(ctx, str("tls-cert"));
  options.tls_key = Absolute(ctx, str("tls-key"));
  std::set<std::string> seen;
  for (size_t i = 0; i < paths.size(); ++i) {
    auto served = LocateServedRepo(Absolute(ctx, paths[i]));
    if (!served.ok()) return Fail(ctx, served.status());
    if (i < names.size()) served->name = names[i];
    if (!IsValidServedName(served->name))
      return UsageError(ctx, "cannot serve '" + paths[i] + "' as '" + served->name +
                                 "': a name is letters, digits, '.', '_' and '-' (give one with --name)");
    if (!seen.insert(served->name).second)
      return UsageError(ctx, "two repositories would be served as '" + served->name + "' (give --name)");
    if (vm->count("branch")) served->branch = str("branch");
    options.repos.push_back(std::move(*served));
  }

  // The merge key: --key or AERGO_KEY for every repository, else each
  // repository's user.key (then $AERGO_HOME/config's); none: pushes that
  // need a merge are refused. Loaded now, before any detaching, so a
  // passphrase can be asked for.
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = str("key");
  const char* env_key = std::getenv("AERGO_KEY");
  std::shared_ptr<const SecretKey> shared_key;
  if (key_flag || (env_key && *env_key)) {
    auto k = ctx.SigningKey(key_flag, nullptr);
    if (!k.ok()) return Fail(ctx, k.status());
    shared_key = std::make_shared<const SecretKey>(std::move(*k));
  }
  std::map<std::string, std::shared_ptr<const SecretKey>> loaded;
  for (auto& r : options.repos) {
    // Opening each repository now also checks it can be served.
    auto repo = Repository::Open(r.aergo_dir, OpenMode::kRead, ctx.clock, ctx.open_options);
    if (!repo.ok()) return Fail(ctx, repo.status().Context("cannot serve " + r.name));
    if (shared_key) {
      r.key = shared_key;
      continue;
    }
    auto name = ctx.SigningKeyName(std::nullopt, repo->get());
    if (!name.ok()) {
      if (name.status().code() == Code::kNotFound) continue;
      return Fail(ctx, name.status());
    }
    auto& slot = loaded[*name];
    if (!slot) {
      auto k = ctx.keys().Load(*name, ctx.Passphrases());
      if (!k.ok()) return Fail(ctx, k.status().Context("merge key of " + r.name));
      slot = std::make_shared<const SecretKey>(std::move(*k));
    }
    r.key = slot;
  }
  if (options.block_interval_ms > 0)
    for (const auto& r : options.repos)
      if (!r.key)
        return Fail(ctx, NotFound("--block-interval needs a key to sign the blocks of " + r.name +
                                  " (--key, AERGO_KEY or user.key)"));

  std::ofstream log_stream;
  if (!log_file.empty()) {
    log_stream.open(log_file, std::ios::app);
    if (!log_stream) return Fail(ctx, IoError("cannot open log file '" + log_file + "': " + std::strerror(errno)));
  }
  options.log = log_file.empty() ? &std::cerr : static_cast<std::ostream*>(&log_stream);

  // Stop signals go to the watcher thread only: block them before any
  // thread exists, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  RaiseDescriptorLimit(options.limits.max_connections);

  if (detach) return Detach(ctx, std::move(options), signals, pid_file, !log_file.empty());

  auto daemon = Daemon::Create(std::move(options), ctx.clock);
  if (!daemon.ok()) return Fail(ctx, daemon.status());
  if (!pid_file.empty())
    if (Status st = WritePidFile(pid_file); !st.ok()) return Fail(ctx, st);
  *ctx.err << "aergo daemon: listening on " << (*daemon)->url() << std::endl;
  if (!log_file.empty()) (*daemon)->Log("aergo daemon: listening on " + (*daemon)->url());
  return ServeUntilSignal(ctx, **daemon, signals, pid_file);
}

}  // namespace aergo::cli
