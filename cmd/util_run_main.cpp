// The entry point shared by `aergo` and `aergo-net`: global options
// (-C <dir>, -q, --version, --help), then one command from a table.
#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>
#include <stdexcept>

#include "cmd/cli.h"
#include "cmd/util_passphrase.h"
#include "core/crypto.h"
#include "core/git.h"

using namespace aergo;
using namespace aergo::cli;

namespace aergo::cli {

namespace {

int GlobalUsage(Context& ctx, std::ostream& os, int code) {
  os << "usage: aergo [-C <dir>] [-q] <command> [<args>]\n\ncommands:\n";
  for (const auto& c : Commands()) {
    std::string n = c.name;
    n.resize(12, ' ');
    os << "  " << n << c.summary << "\n";
  }
  os << "\nSee 'aergo help <command>'.\n";
  return code;
}

// Runs `program` (aergo-net) from the directory of this executable with
// the same arguments; returns only if it cannot.
int RunSibling(Context& ctx, const char* program, char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = ".";
  if (n > 0) {
    self[n] = '\0';
    dir = self;
    dir = dir.substr(0, dir.rfind('/'));
  }
  if (const char* p = std::getenv("AERGO_EXEC_PATH"); p && *p) dir = p;
  std::string path = dir + "/" + program;
  argv[0] = const_cast<char*>(program);
  execv(path.c_str(), argv);
  *ctx.err << "aergo: error: cannot run '" << path << "': " << std::strerror(errno)
           << " (the network commands live in " << program << ", installed beside aergo)\n";
  return kExitFailed;
}

// True if the command's arguments hold --remote (before any "--").
bool HasRemoteOption(int argc, char** argv, int from) {
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return false;
    if (a == "--remote" || a.rfind("--remote=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<RemoteLedger>> OpenRemoteLedger(Context& ctx, Repository* repo, const std::string& remote,
                                                       const std::optional<std::string>& key_flag,
                                                       const SecretKey* key) {
  if (!ctx.open_remote_ledger)
    return Invalid("--remote is served by aergo-net, which did not run this command");
  return ctx.open_remote_ledger(ctx, repo, remote, key_flag, key);
}

int RunMain(int argc, char** argv, const std::vector<Command>& table, RemoteLedgerOpener open_remote_ledger) {
  Context ctx;
  ctx.open_remote_ledger = open_remote_ledger;
  if (!CryptoInit().ok()) {
    std::cerr << "aergo: error: libsodium failed to initialise\n";
    return kExitFailed;
  }
  GitGlobalInit();
  char cwd[4096];
  ctx.cwd = getcwd(cwd, sizeof cwd) ? cwd : ".";
  if (const char* h = std::getenv("AERGO_HOME"); h && *h) ctx.home = h;
  else ctx.home = std::string(std::getenv("HOME") ? std::getenv("HOME") : ".") + "/.aergo";
  if (const char* d = std::getenv("AERGO_DIR"); d && *d) ctx.aergo_dir = d;
  ctx.passphrase = PassphraseFromEnvironment();
  if (const char* t = std::getenv("AERGO_LOCK_TIMEOUT_MS")) ctx.open_options.lock_timeout_ms = std::atoi(t);

  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "-C") {
      if (++i >= argc) return UsageError(ctx, "-C needs a directory");
      std::string d = argv[i];
      ctx.cwd = d.empty() || d[0] == '/' ? d : ctx.cwd + "/" + d;
      if (access(ctx.cwd.c_str(), F_OK) != 0) {
        std::cerr << "aergo: error: cannot change to '" << d << "': no such directory\n";
        return kExitFailed;
      }
    } else if (a == "-q" || a == "--quiet") {
      ctx.quiet = true;
    } else if (a == "--version") {
      std::cout << "aergo 0.1.0\n";
      return kExitOk;
    } else if (a == "-h" || a == "--help") {
      return GlobalUsage(ctx, std::cout, kExitOk);
    } else {
      std::cerr << "aergo: error: unknown option '" << a << "'\n";
      return GlobalUsage(ctx, std::cerr, kExitUsage);
    }
  }
  if (i >= argc) return GlobalUsage(ctx, std::cerr, kExitUsage);
  const Command* cmd = nullptr;
  for (const auto& c : table)
    if (c.name == std::string(argv[i])) cmd = &c;
  if (cmd == nullptr) {
    std::cerr << "aergo: error: unknown command '" << argv[i] << "'\n";
    return GlobalUsage(ctx, std::cerr, kExitUsage);
  }
  if (cmd->handler == nullptr) return RunSibling(ctx, cmd->program, argv);
  if (cmd->remote_program && !ctx.open_remote_ledger && HasRemoteOption(argc, argv, i + 1))
    return RunSibling(ctx, cmd->remote_program, argv);
  ctx.command = cmd;
  std::vector<std::string> args(argv + i + 1, argv + argc);
  // -q is also accepted after the command.
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "-q" || *it == "--quiet") { ctx.quiet = true; it = args.erase(it); }
    else if (*it == "--") break;
    else ++it;
  }
  // The last line of defence: a failed allocation is an error (exit 1), never
  // an abort (uncaught std::bad_alloc: exit 134).
  try {
    return cmd->handler(ctx, args);
  } catch (const std::bad_alloc&) {
    std::cerr << "aergo: error: out of memory in '" << cmd->name << "'\n";
    return kExitFailed;
  } catch (const std::length_error&) {
    std::cerr << "aergo: error: out of memory in '" << cmd->name << "' (a size too large to allocate)\n";
    return kExitFailed;
  }
}

}  // namespace aergo::cli
