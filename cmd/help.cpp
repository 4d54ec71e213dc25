// aergo help [<cmd>]: shows a command's man page (embedded at build time).
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "cmd/commands.h"

namespace aergo::cli {

// A small roff renderer for the macros the man pages use.
std::string RenderMan(const std::string& roff) {
  std::istringstream in(roff);
  std::ostringstream out;
  std::string line;
  bool nofill = false;
  int indent = 0;
  auto text = [](std::string s) {
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        char c = s[i + 1];
        if (c == 'f' && i + 2 < s.size()) { i += 2; continue; }
        if (c == '-') { o += '-'; ++i; continue; }
        if (c == 'e') { o += '\\'; ++i; continue; }
        if (c == '&') { ++i; continue; }
        if (c == '(' && i + 3 < s.size()) {
          std::string g = s.substr(i + 2, 2);
          o += g == "em" ? "--" : g == "bu" ? "*" : "";
          i += 3;
          continue;
        }
      }
      o += s[i];
    }
    return o;
  };
  auto unquote = [&](std::string s) {
    std::string o;
    bool in_q = false;
    for (char c : s) {
      if (c == '"') { in_q = !in_q; continue; }
      o += c;
    }
    return text(o);
  };
  std::string pad;
  while (std::getline(in, line)) {
    pad = std::string(indent, ' ');
    if (line.rfind(".\\\"", 0) == 0 || line == ".") continue;
    if (line.rfind(".TH", 0) == 0) continue;
    if (line.rfind(".SH", 0) == 0) { out << "\n" << unquote(line.substr(3 + (line.size() > 3))) << "\n"; indent = 7; continue; }
    if (line.rfind(".SS", 0) == 0) { out << "\n   " << unquote(line.substr(4)) << "\n"; continue; }
    if (line.rfind(".PP", 0) == 0 || line.rfind(".LP", 0) == 0 || line.rfind(".P", 0) == 0 && line.size() == 2) { out << "\n"; indent = 7; continue; }
    if (line.rfind(".TP", 0) == 0) { out << "\n"; indent = 7; continue; }
    if (line.rfind(".RS", 0) == 0) { indent += 4; continue; }
    if (line.rfind(".RE", 0) == 0) { indent = std::max(7, indent - 4); continue; }
    if (line.rfind(".nf", 0) == 0) { nofill = true; continue; }
    if (line.rfind(".fi", 0) == 0) { nofill = false; continue; }
    if (line.rfind(".B", 0) == 0 || line.rfind(".I", 0) == 0) {
      size_t sp = line.find(' ');
      out << pad << (sp == std::string::npos ? "" : unquote(line.substr(sp + 1))) << "\n";
      continue;
    }
    if (!line.empty() && line[0] == '.') continue;
    out << pad << text(line) << "\n";
    (void)nofill;
  }
  return out.str();
}

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
