// aergo: entry point. Global options (-C <dir>, -q, --version, --help),
// then one command from the table in commands.cpp.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cmd/cli.h"
#include "core/crypto.h"
#include "core/git.h"

using namespace aergo;
using namespace aergo::cli;

static int GlobalUsage(Context& ctx, std::ostream& os, int code) {
  os << "usage: aergo [-C <dir>] [-q] <command> [<args>]\n\ncommands:\n";
  for (const auto& c : Commands()) {
    std::string n = c.name;
    n.resize(12, ' ');
    os << "  " << n << c.summary << "\n";
  }
  os << "\nSee 'aergo help <command>'.\n";
  return code;
}

int main(int argc, char** argv) {
  Context ctx;
  if (!CryptoInit().ok()) {
    std::cerr << "aergo: error: libsodium failed to initialise\n";
    return kExitFailed;
  }
  GitGlobalInit();
  char cwd[4096];
  ctx.cwd = getcwd(cwd, sizeof cwd) ? cwd : ".";
  if (const char* h = std::getenv("AERGO_HOME"); h && *h) ctx.home = h;
  else ctx.home = std::string(std::getenv("HOME") ? std::getenv("HOME") : ".") + "/.aergo";

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
  const Command* cmd = FindCommand(argv[i]);
  if (cmd == nullptr) {
    std::cerr << "aergo: error: unknown command '" << argv[i] << "'\n";
    return GlobalUsage(ctx, std::cerr, kExitUsage);
  }
  ctx.command = cmd;
  std::vector<std::string> args(argv + i + 1, argv + argc);
  // -q is also accepted after the command.
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "-q" || *it == "--quiet") { ctx.quiet = true; it = args.erase(it); }
    else if (*it == "--") break;
    else ++it;
  }
  return cmd->handler(ctx, args);
}
