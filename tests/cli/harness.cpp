#include "tests/cli/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "core/clock.h"
#include "core/keystore.h"
#include "core/request_auth.h"
#include "tests/test_common.h"

extern char** environ;

namespace aergo::clitest {

namespace fs = std::filesystem;

const std::string kTokenContract =
    std::string("-- the example token of docs/design.md, section 6\n") + testcommon::TokenContractSql();

const char* kBalances = "SELECT owner, balance FROM token.accounts ORDER BY owner";

const char* kCheckError = "CHECK constraint failed: balance >= 0";

std::map<std::string, long long> BalanceMap(const std::string& csv) {
  std::map<std::string, long long> out;
  auto lines = Lines(csv);
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t comma = lines[i].find(',');
    if (comma == std::string::npos) continue;
    out[lines[i].substr(0, comma)] = std::stoll(lines[i].substr(comma + 1));
  }
  return out;
}

bool Has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

size_t Count(const std::string& s, const std::string& sub) {
  size_t n = 0;
  for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + 1)) ++n;
  return n;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool IsHex(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string Joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += a + " ";
  return out;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

std::string Short(const std::string& id) { return id.substr(0, 12); }

std::vector<std::string> Objects(const std::string& arr) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_str = false;
  size_t start = 0;
  for (size_t i = 0; i < arr.size(); ++i) {
    char c = arr[i];
    if (in_str) {
      if (c == '\\') ++i;
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    else if (c == '{') { if (depth++ == 0) start = i; }
    else if (c == '}') { if (--depth == 0) out.push_back(arr.substr(start, i - start + 1)); }
  }
  return out;
}

// The raw JSON text of the first "key": value at or after `from`: null,
// true/false, a number, a quoted string, or a balanced {...} / [...].
std::string JRaw(const std::string& obj, const std::string& key, size_t from) {
  std::string pat = "\"" + key + "\": ";
  size_t a = obj.find(pat, from);
  if (a == std::string::npos) return "<missing " + key + ">";
  a += pat.size();
  size_t i = a;
  if (obj[i] == '{' || obj[i] == '[') {
    int depth = 0;
    bool in_str = false;
    for (; i < obj.size(); ++i) {
      char c = obj[i];
      if (in_str) {
        if (c == '\\') ++i;
        else if (c == '"') in_str = false;
        continue;
      }
      if (c == '"') in_str = true;
      else if (c == '{' || c == '[') ++depth;
      else if (c == '}' || c == ']') {
        if (--depth == 0) return obj.substr(a, i - a + 1);
      }
    }
    return "<unbalanced " + key + ">";
  }
  if (obj[i] == '"') {
    for (++i; i < obj.size() && obj[i] != '"'; ++i)
      if (obj[i] == '\\') ++i;
    return obj.substr(a, i - a + 1);
  }
  size_t e = obj.find_first_of(",}]", a);
  return obj.substr(a, e - a);
}

std::string JStr(const std::string& json, const std::string& key, size_t from) {
  std::string pat = "\"" + key + "\": \"";
  size_t a = json.find(pat, from);
  if (a == std::string::npos) return "<missing " + key + ">";
  a += pat.size();
  return json.substr(a, json.find('"', a) - a);
}

long long JNum(const std::string& json, const std::string& key, size_t from) {
  std::string pat = "\"" + key + "\": ";
  size_t a = json.find(pat, from);
  if (a == std::string::npos) return -999;
  return std::stoll(json.substr(a + pat.size()));
}

Sandbox::Sandbox() {
  std::string tmpl = (fs::temp_directory_path() / "aergo-cli-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
  fs::create_directories(home());
  fs::create_directories(work());
}

Sandbox::~Sandbox() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

RunResult Sandbox::Run(const std::vector<std::string>& args, const std::string& cwd,
                       const std::map<std::string, std::string>& env,
                       const std::string& stdin_data) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const char* k : {"AERGO_DIR", "AERGO_KEY", "AERGO_PASSPHRASE", "AERGO_HOME"}) vars.erase(k);
  vars["AERGO_HOME"] = home();
  vars["AERGO_PASSPHRASE"] = "";
  for (const auto& [k, v] : env) {
    if (v == "\x01unset") vars.erase(k);
    else vars[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_s = {AERGO_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
    posix_spawn_file_actions_addclose(&fa, fd);
  std::string dir = cwd.empty() ? work() : cwd;
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  pid_t pid;
  int rc = posix_spawn(&pid, AERGO_BIN, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  if (!stdin_data.empty()) {
    ssize_t off = 0;
    while (off < static_cast<ssize_t>(stdin_data.size())) {
      ssize_t n = write(in_pipe[1], stdin_data.data() + off, stdin_data.size() - off);
      if (n <= 0) break;
      off += n;
    }
  }
  close(in_pipe[1]);
  RunResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  // A hung command must fail its test, not stall the suite.
  constexpr int kTimeoutMs = 120000;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  bool timed_out = false;
  while (open_fds > 0) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      kill(pid, SIGKILL);
      timed_out = true;
      break;
    }
    if (poll(fds, 2, left) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) r.err += "\n[harness: killed after " + std::to_string(kTimeoutMs / 1000) + " s]";
  return r;
}

void Sandbox::Write(const std::string& rel, const std::string& content) {
  fs::path p = fs::path(work()) / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

std::string Sandbox::Read(const std::string& rel) const {
  return testcommon::ReadWholeFile((fs::path(work()) / rel).string());
}

std::string Sandbox::InitRepo(const std::string& key) {
  RunResult k = Run({"key", "new", key, "--json"});
  if (k.code != 0) throw std::runtime_error("key new failed: " + k.err);
  RunResult i = Run({"init", "repo", "--key", key});
  if (i.code != 0) throw std::runtime_error("init failed: " + i.err);
  RunResult c = Run({"config", "user.key", key}, repo());
  if (c.code != 0) throw std::runtime_error("config failed: " + c.err);
  size_t a = k.out.find("\"address\": \"");
  return k.out.substr(a + 12, k.out.find('"', a + 12) - a - 12);
}

std::string Sandbox::InitTokenRepo(const std::string& key) {
  std::string address = InitRepo(key);
  Write("repo/token.sql", kTokenContract);
  return address;
}

void CopySandbox(const Sandbox& from, const Sandbox& to) {
  auto opts = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
  fs::copy(from.home(), to.home(), opts);
  fs::copy(from.work(), to.work(), opts);
}

RunResult TokenSession::Run(const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env, const std::string& in) {
  return sb.Run(args, sb.repo(), env, in);
}

void TokenSession::Must(const std::vector<std::string>& args) {
  RunResult r = Run(args);
  ASSERT_EQ(r.code, 0) << Joined(args) << ": " << r.err;
}

std::string TokenSession::Field(const std::vector<std::string>& args, const std::string& key) {
  RunResult r = Run(args);
  EXPECT_EQ(r.code, 0) << Joined(args) << ": " << r.err;
  return JStr(r.out, key);
}

long long TokenSession::Pool() { return JNum(Run({"status", "--json"}).out, "pool"); }

std::string TokenSession::Head() { return JStr(Run({"status", "--json"}).out, "head"); }

std::string TokenSession::Commit(const std::string& msg) {
  return Field({"commit", "-m", msg, "--json"}, "block");
}

std::string TokenSession::Call(const std::vector<std::string>& fn_args, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"call", "token"};
  args.insert(args.end(), fn_args.begin(), fn_args.end());
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("--json");
  RunResult r = Run(args);
  EXPECT_EQ(r.code, 0) << Joined(args) << ": " << r.err;
  EXPECT_EQ(JStr(r.out, "status"), "ok") << Joined(args) << ": " << r.out;
  return JStr(r.out, "txid");
}

std::string TokenSession::Out(const std::vector<std::string>& args, const std::string& cwd) {
  RunResult r = cwd.empty() ? Run(args) : sb.Run(args, cwd);
  EXPECT_EQ(r.code, 0) << Joined(args) << ": " << r.err;
  return r.out;
}

std::map<std::string, long long> TokenSession::Bal(const std::string& at, const std::string& cwd) {
  std::vector<std::string> args = {"query", kBalances, "--csv"};
  if (!at.empty()) args.insert(args.end(), {"--at", at});
  return BalanceMap(Out(args, cwd));
}

std::string TokenSession::Snapshot(const std::string& cwd) {
  return Out({"status", "--json"}, cwd) + Out({"log", "--json"}, cwd) + Out({"query", kBalances, "--csv"}, cwd) +
         Out({"branch", "--json"}, cwd);
}

void TokenSession::ExpectFsckClean(const std::string& cwd) {
  for (std::vector<std::string> args : {std::vector<std::string>{"fsck"}, {"fsck", "--fast"}}) {
    RunResult r = cwd.empty() ? Run(args) : sb.Run(args, cwd);
    EXPECT_EQ(r.code, 0) << Joined(args) << ":\n" << r.out << r.err;
    EXPECT_TRUE(Has(r.out, ": ok")) << r.out;
  }
}

TokenSandbox::TokenSandbox() : alice(sb.InitTokenRepo()) {}

void TokenSandbox::DeployAndFund() {
  Must({"deploy", "token", "token.sql"});
  Must({"call", "token", "open"});
  Must({"call", "token", "mint", alice, "100"});
}

std::string TokenSandbox::Balances() {
  RunResult r = Run({"query", kBalances, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  return r.out;
}

HttpReply Http(int port, const std::string& method, const std::string& target, const std::string& body,
               const std::string& extra_headers) {
  Conn c(port);
  return c.Request(method, target, body, extra_headers);
}

std::vector<std::string> SandboxEnv(const Sandbox& sb) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string k = kv.substr(0, kv.find('='));
    if (k != "AERGO_DIR" && k != "AERGO_KEY" && k != "AERGO_PASSPHRASE" && k != "AERGO_HOME") out.push_back(kv);
  }
  out.push_back("AERGO_HOME=" + sb.home());
  out.push_back("AERGO_PASSPHRASE=");
  return out;
}

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(stat, s)) return false;
  size_t paren = s.rfind(')');
  return paren != std::string::npos && paren + 2 < s.size() && s[paren + 2] != 'Z';
}

DaemonProcess::DaemonProcess(const Sandbox& sb, const std::vector<std::string>& args) {
  using SteadyClock = std::chrono::steady_clock;
  // Through setpriv --pdeathsig (util-linux, always on Debian): a daemon
  // dies with the test process even if that is killed before its
  // destructors run (a test timeout), so none is left behind.
  const char* kSetpriv = "/usr/bin/setpriv";
  bool reap = access(kSetpriv, X_OK) == 0;
  std::vector<std::string> argv_s;
  if (reap) argv_s = {kSetpriv, "--pdeathsig", "KILL", "--"};
  argv_s.push_back(AERGO_BIN);
  argv_s.push_back("daemon");
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  env_ = SandboxEnv(sb);
  std::vector<char*> envp;
  for (auto& s : env_) envp.push_back(s.data());
  envp.push_back(nullptr);
  int err[2];
  if (pipe(err) != 0) return;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  posix_spawn_file_actions_addclose(&fa, err[1]);
  std::string dir = sb.work();
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  int rc = posix_spawn(&pid_, reap ? kSetpriv : AERGO_BIN, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(err[1]);
  if (rc != 0) {
    close(err[0]);
    pid_ = -1;
    return;
  }
  reader_ = std::thread([this, fd = err[0]] {
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
      std::lock_guard<std::mutex> lock(mu_);
      err_.append(buf, static_cast<size_t>(n));
    }
    close(fd);
  });
  // Wait for "aergo daemon: listening on http://127.0.0.1:PORT".
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (SteadyClock::now() < deadline && port_ == 0 && Alive(pid_)) {
    std::string e = Err();
    size_t p = e.find("aergo daemon: listening on ");
    size_t nl = p == std::string::npos ? p : e.find('\n', p);
    if (nl != std::string::npos) {
      url_ = e.substr(p + 27, nl - p - 27);
      port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && code_ < 0) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::seconds(5));
  }
  if (reader_.joinable()) reader_.join();
}

std::string DaemonProcess::Err() {
  std::lock_guard<std::mutex> lock(mu_);
  return err_;
}

bool DaemonProcess::Logged(const std::string& text) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!Has(Err(), text) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return Has(Err(), text);
}

int DaemonProcess::Wait(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (code_ < 0 && pid_ > 0) {
    int status = 0;
    pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_) code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    else if (std::chrono::steady_clock::now() > deadline) break;
    else std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return code_;
}

int DaemonProcess::Stop(int sig) {
  if (pid_ > 0 && code_ < 0) kill(pid_, sig);
  return Wait(std::chrono::seconds(5));
}

OriginScene::OriginScene(bool is_public) {
  alice = NewKey("alice");
  bob = NewKey("bob");
  std::vector<std::string> init = {"init", "repo", "--key", "alice"};
  if (is_public) init.push_back("--public");
  RunResult i = sb.Run(init);
  EXPECT_EQ(i.code, 0) << i.err;
  Must({"config", "user.key", "alice"});
  sb.Write("repo/token.sql", kTokenContract);
  Must({"deploy", "token", "token.sql"});
  Must({"call", "token", "open"});
  Must({"call", "token", "mint", alice, "100"});
  funded = Commit("funded");
  Must({"tag", "v1"});
}

std::string OriginScene::NewKey(const std::string& name) {
  RunResult k = sb.Run({"key", "new", name, "--json"});
  EXPECT_EQ(k.code, 0) << k.err;
  return JStr(k.out, "address");
}

bool OriginScene::Start(const std::vector<std::string>& extra, const std::string& listen) {
  std::vector<std::string> args = {"--listen", listen};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("repo");
  daemon = std::make_unique<DaemonProcess>(sb, args);
  return daemon->port() > 0;
}

int OriginScene::Port() const { return daemon->port(); }

std::string OriginScene::Url() const { return daemon->url() + "/repo"; }

std::string OriginScene::Dev(const std::string& name) const { return sb.work() + "/" + name; }

std::map<std::string, std::string> OriginScene::As(const std::string& key) {
  if (key.empty()) return {};
  return {{"AERGO_KEY", key}};
}

RunResult OriginScene::In(const std::string& dev, const std::vector<std::string>& args, const std::string& key) {
  return sb.Run(args, Dev(dev), As(key));
}

void OriginScene::MustIn(const std::string& dev, const std::vector<std::string>& args, const std::string& key) {
  RunResult r = In(dev, args, key);
  ASSERT_EQ(r.code, 0) << Joined(args) << "\n" << r.err;
}

namespace {

// Key `name` (unencrypted) from sb's key store; expects it to load.
std::optional<SecretKey> LoadKey(const Sandbox& sb, const std::string& name) {
  auto k = KeyStore(sb.home()).Load(name, [](const std::string&, bool) { return std::optional<std::string>(""); });
  EXPECT_TRUE(k.ok()) << k.status().message();
  if (!k.ok()) return std::nullopt;
  return std::move(*k);
}

}  // namespace

SecretKey OriginScene::Key(const std::string& name) {
  std::optional<SecretKey> k = LoadKey(sb, name);
  return k ? std::move(*k) : SecretKey::Generate();
}

std::string OriginScene::Auth(const SecretKey& key, const std::string& method, const std::string& target,
                              const std::string& body) {
  return "Authorization: " + SignRequest(key, method, target, body, SystemClock().NowMs()) + "\r\n";
}

std::string OriginScene::Auth(const std::string& key, const std::string& method, const std::string& target,
                              const std::string& body) {
  if (key.empty()) return "";
  std::optional<SecretKey> k = LoadKey(sb, key);
  return k ? Auth(*k, method, target, body) : "";
}

}  // namespace aergo::clitest
