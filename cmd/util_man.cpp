// RenderMan: a small roff renderer for the macros the man pages use
// (.TH .SH .SS .TP .B .I .BR .IR .PP .nf .fi .RS .RE), the fallback of
// `aergo help` when `man` is unavailable or output is not a terminal.
#include <sstream>
#include <string>

#include "cmd/cli.h"

namespace aergo::cli {

std::string RenderMan(const std::string& roff) {
  std::istringstream in(roff);
  std::ostringstream out;
  std::string line;
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
    if (line.rfind(".SH", 0) == 0) {
      out << "\n" << unquote(line.size() > 4 ? line.substr(4) : "") << "\n";
      indent = 7;
      continue;
    }
    if (line.rfind(".SS", 0) == 0) { out << "\n   " << unquote(line.substr(4)) << "\n"; continue; }
    if (line == ".PP" || line == ".LP" || line == ".P") {
      out << "\n";
      indent = 7;
      continue;
    }
    if (line.rfind(".TP", 0) == 0) { out << "\n"; indent = 7; continue; }
    if (line.rfind(".RS", 0) == 0) { indent += 4; continue; }
    if (line.rfind(".RE", 0) == 0) { indent = std::max(7, indent - 4); continue; }
    // Lines are printed as written (the pages are pre-wrapped), so .nf and
    // .fi need no action.
    if (line.rfind(".nf", 0) == 0 || line.rfind(".fi", 0) == 0) continue;
    if (line.rfind(".B", 0) == 0 || line.rfind(".I", 0) == 0) {
      size_t sp = line.find(' ');
      out << pad << (sp == std::string::npos ? "" : unquote(line.substr(sp + 1))) << "\n";
      continue;
    }
    if (!line.empty() && line[0] == '.') continue;
    out << pad << text(line) << "\n";
  }
  return out.str();
}

}  // namespace aergo::cli
