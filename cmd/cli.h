// Shared plumbing for the porcelain: the per-invocation context, argument
// parsing with Boost.Program_options, exit codes, output helpers.
// Handlers are thin: parse, call core, print.
#pragma once

#include <boost/program_options.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/keystore.h"
#include "core/repo.h"
#include "core/status.h"

namespace aergo::cli {

namespace po = boost::program_options;

enum Exit { kExitOk = 0, kExitFailed = 1, kExitUsage = 2 };

struct Command;
struct Context;

// A remote's ledger, for `call`, `show` and `query` with --remote
// <name|url>: txs submitted to, and blocks, txs and query results read
// from, a daemon or a local path instead of the local repository.
// aergo-net provides it (cmd/util_remote_ledger.cpp); aergo runs aergo-net
// for those commands when --remote is given, so it has none.
class RemoteLedger {
 public:
  virtual ~RemoteLedger() = default;
  virtual const std::string& url() const = 0;
  // Sets *branch to the branch whose merge pool took the txs.
  virtual Result<std::vector<Submitted>> Submit(const std::vector<Tx>& txs, std::string* branch) = 0;
  virtual Result<FoundTx> GetTx(const std::string& txid_or_prefix) = 0;
  virtual Result<Block> GetBlock(const std::string& rev) = 0;
  virtual Result<QueryResult> Query(const std::string& sql, const std::optional<std::string>& at) = 0;
};
// remote: a remote's name (needs repo) or a URL or path. Requests are
// signed with `key` if given (borrowed: it must outlive the ledger), else
// with --key/AERGO_KEY/user.key when one is configured, else anonymous.
using RemoteLedgerOpener = Result<std::unique_ptr<RemoteLedger>> (*)(Context& ctx, Repository* repo,
                                                                   const std::string& remote,
                                                                   const std::optional<std::string>& key_flag,
                                                                   const SecretKey* key);

// Everything a handler may use; no globals. RunMain reads the environment
// into it once; core/ is handed what it needs from here and reads none.
struct Context {
  std::string cwd;   // after -C
  std::string home;  // AERGO_HOME
  std::optional<std::string> aergo_dir;   // AERGO_DIR, if set and not empty
  std::optional<std::string> passphrase;  // AERGO_PASSPHRASE, if set (even empty)
  OpenOptions open_options;               // lock_timeout_ms: AERGO_LOCK_TIMEOUT_MS
  bool quiet = false;
  SystemClock clock;
  const Command* command = nullptr;
  // Set in aergo-net only (see RemoteLedger).
  RemoteLedgerOpener open_remote_ledger = nullptr;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;

  // The repository of cwd (or aergo_dir), opened with open_options.
  Result<std::unique_ptr<Repository>> OpenRepo(OpenMode mode) const;
  KeyStore keys() const { return KeyStore(home); }
  // `passphrase` if set, else a terminal prompt (cmd/util_passphrase.h).
  PassphraseSource Passphrases() const;
  // --key, else AERGO_KEY, else user.key (repository config, then
  // $AERGO_HOME/config); loads the secret key.
  Result<SecretKey> SigningKey(const std::optional<std::string>& flag, Repository* repo) const;
  Result<std::string> SigningKeyName(const std::optional<std::string>& flag, Repository* repo) const;
};

using Handler = int (*)(Context&, const std::vector<std::string>& args);

struct Command {
  const char* name;
  Handler handler;
  const char* usage;    // "aergo branch [<name> [--block=<rev>]] | -d <name>"
  const char* summary;  // one line
  // Set for the network commands: `aergo` runs this executable (found
  // beside itself) with the same arguments; handler is then null there.
  const char* program = nullptr;
  // Set for commands with a --remote option: with it, `aergo` runs this
  // executable (aergo-net) instead, whose Context can open a RemoteLedger.
  const char* remote_program = nullptr;
};

// The command table (commands.cpp).
const std::vector<Command>& Commands();
const Command* FindCommand(const std::string& name);
// The network commands with their handlers (util_net_commands.cpp, in aergo-net).
const std::vector<Command>& NetCommands();
// main() of aergo and aergo-net: global options, then a command of table.
int RunMain(int argc, char** argv, const std::vector<Command>& table,
            RemoteLedgerOpener open_remote_ledger = nullptr);
// Opens a remote's ledger through this context, or explains why it cannot
// (Invalid outside aergo-net).
Result<std::unique_ptr<RemoteLedger>> OpenRemoteLedger(Context& ctx, Repository* repo, const std::string& remote,
                                                       const std::optional<std::string>& key_flag,
                                                       const SecretKey* key = nullptr);
// Embedded man pages (generated at build time from man/*.1).
const char* ManPage(const std::string& name);
std::string RenderMan(const std::string& roff);

// Prints "aergo: error: <message>" and returns the exit code for st
// (2 for usage errors, with the usage line, else 1).
int Fail(Context& ctx, const Status& st);
int UsageError(Context& ctx, const std::string& message);

// Parses args for the current command. Returns nullopt after printing
// help (exit 0 wanted: *exit_code = 0) or a usage error (*exit_code = 2).
std::optional<po::variables_map> Parse(Context& ctx, const std::vector<std::string>& args,
                                       po::options_description& opts,
                                       const po::positional_options_description& pos,
                                       int* exit_code);

// Adds --help and (if json) --json to opts.
void AddCommon(po::options_description& opts, bool json);

// Resolves every revision in order; the first that fails is the error.
Result<std::vector<Hash32>> ResolveRevs(Repository& repo, const std::vector<std::string>& revs);

std::string FormatTime(uint64_t ms);
std::string Join(const std::vector<std::string>& parts, const std::string& sep);

}  // namespace aergo::cli
