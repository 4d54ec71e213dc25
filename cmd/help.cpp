// aergo help [<cmd>]: shows a command's man page (embedded at build time).
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "cmd/commands.h"

namespace aergo::cli {

int CmdHelp(Context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return UsageError(ctx, "too many arguments");
  std::string page = "aergo";
  if (!args.empty()) {
    if (args[0] == "--help" || args[0] == "-h") {
      *ctx.out << "usage: " << ctx.command->usage << "\n";
      return kExitOk;
    }
    if (args[0].size() > 1 && args[0][0] == '-') return UsageError(ctx, "unknown option '" + args[0] + "'");
    if (FindCommand(args[0]) == nullptr) return Fail(ctx, NotFound("no such command '" + args[0] + "'"));
    page = "aergo-" + args[0];
  }
  const char* roff = ManPage(page);
  if (roff == nullptr) return Fail(ctx, NotFound("no manual page for '" + page + "'"));
  if (isatty(STDOUT_FILENO) && access("/usr/bin/man", X_OK) == 0) {
    char tmpl[] = "/tmp/aergo-man-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) {
      std::string s = roff;
      bool ok = write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
      close(fd);
      int rc = ok ? std::system(("man -l " + std::string(tmpl)).c_str()) : -1;
      unlink(tmpl);
      if (rc == 0) return kExitOk;
    }
  }
  *ctx.out << RenderMan(roff);
  return kExitOk;
}

}  // namespace aergo::cli
