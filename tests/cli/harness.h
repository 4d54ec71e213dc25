// CLI test harness: runs the built `aergo` binary (AERGO_BIN) in a fresh
// temporary directory with its own AERGO_HOME, capturing exit code, stdout
// and stderr.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto.h"
#include "tests/http_conn.h"

namespace aergo::clitest {

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

class Sandbox {
 public:
  Sandbox();   // creates a temp dir with home/ (AERGO_HOME) and work/
  ~Sandbox();  // removes it
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::string& root() const { return root_; }
  std::string home() const { return root_ + "/home"; }
  std::string work() const { return root_ + "/work"; }

  // Runs aergo with args in `cwd` (default work()). env entries override
  // the defaults (AERGO_HOME=home(), AERGO_PASSPHRASE="" unless unset by
  // mapping it to "\x01unset").
  RunResult Run(const std::vector<std::string>& args, const std::string& cwd = "",
                const std::map<std::string, std::string>& env = {},
                const std::string& stdin_data = "");

  void Write(const std::string& rel, const std::string& content);
  std::string Read(const std::string& rel) const;

  // Creates key `name` (unencrypted) and a repository in work()/repo with
  // user.key set; returns the key's address.
  std::string InitRepo(const std::string& key = "alice");
  // InitRepo, then writes the token contract to repo/token.sql (not deployed).
  std::string InitTokenRepo(const std::string& key = "alice");
  std::string repo() const { return work() + "/repo"; }

 private:
  std::string root_;
};

// A sandbox whose commands run in its repository (work()/repo), with
// helpers for a repository that has the token contract deployed as
// "token". Creates no repository itself: TokenSandbox inits one, other
// fixtures copy a prepared one in (CopySandbox) or init their own.
struct TokenSession {
  Sandbox sb;

  RunResult Run(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {}, const std::string& in = "");
  // Runs args and requires exit code 0.
  void Must(const std::vector<std::string>& args);
  // Runs args (a --json command), expects exit code 0, returns the string
  // field `key` of the output.
  std::string Field(const std::vector<std::string>& args, const std::string& key);
  // The number of pending txs (status --json).
  long long Pool();
  // The checked-out block's id (status --json).
  std::string Head();
  // Commits the pool with message `msg`; returns the new block's id.
  std::string Commit(const std::string& msg);
  // Calls token.<fn>(args...) with the options `extra` (e.g. --key),
  // expects it to succeed, and returns the pending tx's id.
  std::string Call(const std::vector<std::string>& fn_args, const std::vector<std::string>& extra = {});
  // Runs args in `cwd` (default: the repository), expects exit code 0,
  // returns stdout.
  std::string Out(const std::vector<std::string>& args, const std::string& cwd = "");
  // Balances of the checked-out state, or as of block `at`, of the
  // repository in `cwd` (default: this one).
  std::map<std::string, long long> Bal(const std::string& at = "", const std::string& cwd = "");
  // What a user can observe of the repository: branch and head (status),
  // history (log, every block), state (balances) and branches.
  std::string Snapshot(const std::string& cwd = "");
  // fsck and fsck --fast both pass.
  void ExpectFsckClean(const std::string& cwd = "");
};

// A sandbox whose repository (InitTokenRepo, key alice) has the token
// contract in token.sql, not yet deployed; commands run in the repository.
struct TokenSandbox : TokenSession {
  std::string alice;  // the address of alice, the repository's signing key

  TokenSandbox();

  // Deploys token.sql as "token", opens alice's account and mints her 100
  // (pending, not committed).
  void DeployAndFund();
  // All balances, as query --json prints them (expects exit code 0).
  std::string Balances();
};

// Copies `from`'s home/ (keys) and work/ (the repository) into `to`: a
// scene can be built once per test binary and each test then work on a
// copy.
void CopySandbox(const Sandbox& from, const Sandbox& to);

// The example token contract (docs/design.md §6).
extern const std::string kTokenContract;

// Every balance of the token contract, by owner.
extern const char* kBalances;

// The token contract's error for a transfer of more than the balance.
extern const char* kCheckError;

// "owner,balance" CSV (query --csv) as a map; the header is skipped.
std::map<std::string, long long> BalanceMap(const std::string& csv);

// Whether `s` contains `sub`.
bool Has(const std::string& s, const std::string& sub);
// How many times `sub` occurs in `s`.
size_t Count(const std::string& s, const std::string& sub);
// The lines of `s`, without their newlines.
std::vector<std::string> Lines(const std::string& s);
// Whether `s` is exactly n lowercase hex digits.
bool IsHex(const std::string& s, size_t n);
// The args joined, each followed by a space (for failure messages).
std::string Joined(const std::vector<std::string>& args);
// Every occurrence of `from` in `s` replaced by `to`.
std::string ReplaceAll(std::string s, const std::string& from, const std::string& to);
// The short form of a block or tx id: its first 12 hex digits.
std::string Short(const std::string& id);

// The string value of the first "key": "..." at or after `from`, or
// "<missing key>".
std::string JStr(const std::string& json, const std::string& key, size_t from = 0);
// The raw JSON text of the first "key": value at or after `from`: null,
// true/false, a number, a quoted string, or a balanced {...} / [...].
std::string JRaw(const std::string& obj, const std::string& key, size_t from = 0);
// The top-level objects of a JSON array, each as text.
std::vector<std::string> Objects(const std::string& arr);
// The number value of the first "key": N at or after `from`, or -999.
long long JNum(const std::string& json, const std::string& key, size_t from = 0);

// --- A daemon and raw HTTP to it (tests/cli/daemon_test.cpp,
// tests/cli/http_remote_test.cpp) ---

using testcommon::Conn;
using testcommon::HttpReply;

// One request on a new connection.
HttpReply Http(int port, const std::string& method, const std::string& target, const std::string& body = "",
               const std::string& extra_headers = "");

// The environment Sandbox::Run gives aergo.
std::vector<std::string> SandboxEnv(const Sandbox& sb);

// Whether process `pid` exists and is not a zombie.
bool Alive(pid_t pid);

// `aergo daemon <args>` as a child process in sb.work(), with the
// sandbox's environment; stderr is collected by a thread. The constructor
// returns once the daemon printed its listening line (port() > 0), or it
// died, or 10 s passed (port() == 0). The destructor SIGKILLs a daemon
// still running.
class DaemonProcess {
 public:
  DaemonProcess(const Sandbox& sb, const std::vector<std::string>& args);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT", from the listening line.
  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }
  // Its stderr so far.
  std::string Err();
  // Whether stderr shows `text` within 5 s (a request's log line follows
  // its answer).
  bool Logged(const std::string& text);
  // The exit code, or -1 if the process is still running after `limit`.
  int Wait(std::chrono::milliseconds limit);
  // Sends `sig` and waits up to 5 s for the exit; returns the exit code
  // (128 + signal for a killed daemon).
  int Stop(int sig);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int code_ = -1;
  std::string url_;
  std::vector<std::string> env_;
  std::mutex mu_;
  std::string err_;
  std::thread reader_;
};

// An origin repository work/repo served by an `aergo daemon`, the base of
// the scenes of tests/cli/http_remote_test.cpp, ledger_remote_test.cpp and
// private_branch_test.cpp. The constructor creates keys alice and bob
// (unencrypted), inits the origin with admin alice (public or private),
// sets its user.key to alice, deploys the token, opens alice's account and
// mints her 100, commits that as block 1 ("funded", tag v1); bob has no
// role. No daemon runs until Start(). Developers clone the origin into
// work/<name> and run their commands there with AERGO_KEY=<key> (a clone
// has no user.key).
struct OriginScene : TokenSession {
  std::string alice, bob;                 // the keys' addresses
  std::string funded;                     // block 1's id
  std::unique_ptr<DaemonProcess> daemon;  // null until Start()

  explicit OriginScene(bool is_public);

  // Creates key `name` (key new --json, expects exit code 0); returns its
  // address.
  std::string NewKey(const std::string& name);
  // Starts a daemon on `listen` (default: any free port) with the options
  // `extra`, serving the origin as /repo (replacing `daemon`); false if
  // it does not listen.
  bool Start(const std::vector<std::string>& extra = {}, const std::string& listen = "127.0.0.1:0");
  // The daemon's port.
  int Port() const;
  // The origin's URL: the daemon's URL + "/repo".
  std::string Url() const;
  // A developer's directory: work/<name>.
  std::string Dev(const std::string& name) const;
  // The environment that signs a command by `key` (AERGO_KEY=<key>);
  // none for "" (anonymous).
  static std::map<std::string, std::string> As(const std::string& key);
  // Runs args in work/<dev>, signed by `key` ("": anonymous).
  RunResult In(const std::string& dev, const std::vector<std::string>& args, const std::string& key = "alice");
  // In, requiring exit code 0.
  void MustIn(const std::string& dev, const std::vector<std::string>& args, const std::string& key = "alice");
  // Key `name` from the sandbox's key store (expects it to load; a fresh
  // key if it does not).
  SecretKey Key(const std::string& name);
  // The header line "Authorization: ...\r\n" signing a request (SignRequest,
  // now) by `key`.
  static std::string Auth(const SecretKey& key, const std::string& method, const std::string& target,
                          const std::string& body);
  // The same for the key named `key` in the sandbox's key store; "" for
  // "" (anonymous) or a key that does not load (expected to).
  std::string Auth(const std::string& key, const std::string& method, const std::string& target,
                   const std::string& body);
};

}  // namespace aergo::clitest
