#include "core/sql_lexer.h"

#include "core/sqlite.h"

namespace aergo {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '$'; }

using Kind = SqlToken::Kind;

// Length of the quoted token starting at text[i] (closed by `close`), or 0
// if it is unterminated.
size_t ScanQuoted(std::string_view text, size_t i, char close) {
  size_t j = i + 1;
  while (j < text.size()) {
    if (text[j] == close) {
      // A doubled closing quote is an escape, except for [brackets].
      if (close != ']' && j + 1 < text.size() && text[j + 1] == close) {
        j += 2;
        continue;
      }
      return j + 1 - i;
    }
    ++j;
  }
  return 0;
}

size_t ScanNumber(std::string_view text, size_t i) {
  size_t j = i;
  if (text[j] == '0' && j + 2 < text.size() && (text[j + 1] == 'x' || text[j + 1] == 'X') &&
      IsHexDigit(text[j + 2])) {
    j += 2;
    while (j < text.size() && IsHexDigit(text[j])) ++j;
    return j - i;
  }
  while (j < text.size() && IsDigit(text[j])) ++j;
  if (j < text.size() && text[j] == '.') {
    ++j;
    while (j < text.size() && IsDigit(text[j])) ++j;
  }
  if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
    size_t k = j + 1;
    if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
    if (k < text.size() && IsDigit(text[k])) {
      while (k < text.size() && IsDigit(text[k])) ++k;
      j = k;
    }
  }
  return j - i;
}

size_t ScanPunct(std::string_view text, size_t i) {
  static constexpr std::string_view kMulti[] = {"->>", "||", "<=", ">=", "<>",
                                                "!=",  "==", "<<", ">>", "->"};
  for (std::string_view m : kMulti) {
    if (text.substr(i, m.size()) == m) return m.size();
  }
  return std::string_view("(),;.+-*/%<>=&|~").find(text[i]) != std::string_view::npos ? 1 : 0;
}

}  // namespace

bool SqlToken::IsKeyword(std::string_view kw) const {
  if (kind != Kind::kIdent || text.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i) {
    char a = text[i], b = kw[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string o(s);
  for (char& c : o) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return o;
}

Result<std::vector<SqlToken>> TokenizeSql(std::string_view text) {
  std::vector<SqlToken> out;
  size_t i = 0;
  int line = 1;
  while (i < text.size()) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    Kind kind = Kind::kOther;
    size_t n = 1;
    const char* unterminated = nullptr;
    if (IsSpace(c)) {
      kind = Kind::kSpace;
      while (i + n < text.size() && IsSpace(text[i + n])) ++n;
    } else if (c == '-' && next == '-') {
      kind = Kind::kComment;
      size_t e = text.find('\n', i);
      n = (e == std::string_view::npos ? text.size() : e) - i;
    } else if (c == '/' && next == '*') {
      kind = Kind::kComment;
      size_t e = text.find("*/", i + 2);
      if (e == std::string_view::npos)
        unterminated = "comment";
      else
        n = e + 2 - i;
    } else if (c == '\'') {
      kind = Kind::kString;
      if ((n = ScanQuoted(text, i, '\'')) == 0) unterminated = "string";
    } else if (c == '"' || c == '`' || c == '[') {
      kind = Kind::kQuoted;
      if ((n = ScanQuoted(text, i, c == '[' ? ']' : c)) == 0) unterminated = "quoted identifier";
    } else if ((c == 'x' || c == 'X') && next == '\'') {
      kind = Kind::kBlob;
      size_t q = ScanQuoted(text, i + 1, '\'');
      if (q == 0)
        unterminated = "blob literal";
      else
        n = q + 1;
    } else if (IsDigit(c) || (c == '.' && IsDigit(next))) {
      kind = Kind::kNumber;
      n = ScanNumber(text, i);
    } else if (IsIdentStart(c)) {
      kind = Kind::kIdent;
      while (i + n < text.size() && IsIdentChar(text[i + n])) ++n;
    } else if (c == '?') {
      kind = Kind::kParam;
      while (i + n < text.size() && IsDigit(text[i + n])) ++n;
    } else if ((c == ':' || c == '@' || c == '$') && IsIdentChar(next)) {
      kind = Kind::kParam;
      while (i + n < text.size() && IsIdentChar(text[i + n])) ++n;
    } else if (size_t p = ScanPunct(text, i); p > 0) {
      kind = Kind::kPunct;
      n = p;
    }
    if (unterminated) {
      return Invalid("line " + std::to_string(line) + ": unterminated " + unterminated);
    }
    SqlToken t{kind, text.substr(i, n), i, line};
    out.push_back(t);
    for (char ch : t.text) line += ch == '\n';
    i += n;
  }
  return out;
}

std::string IdentValue(const SqlToken& t) {
  if (t.kind != SqlToken::Kind::kQuoted) return std::string(t.text);
  char close = t.text[0] == '[' ? ']' : t.text[0];
  std::string o;
  std::string_view body = t.text.substr(1, t.text.size() - 2);
  for (size_t i = 0; i < body.size(); ++i) {
    o += body[i];
    if (close != ']' && body[i] == close) ++i;  // skip the doubled quote
  }
  return o;
}

bool IsBlankSql(std::string_view text) {
  auto tokens = TokenizeSql(text);
  if (!tokens.ok()) return false;
  for (const SqlToken& t : *tokens) {
    if (t.significant() && !t.IsPunct(";")) return false;
  }
  return true;
}

namespace {

// Index of the next significant token after i, or tokens.size().
size_t NextSignificant(const std::vector<SqlToken>& tokens, size_t i) {
  for (++i; i < tokens.size(); ++i) {
    if (tokens[i].significant()) return i;
  }
  return tokens.size();
}

bool TableNameKeyword(const SqlToken* prev) {
  if (prev == nullptr) return false;
  static constexpr std::string_view kKeywords[] = {"into", "table", "exists", "on",   "references",
                                                   "from", "join",  "update", "with", "recursive"};
  for (std::string_view kw : kKeywords) {
    if (prev->IsKeyword(kw)) return true;
  }
  return false;
}

}  // namespace

std::string RewriteSqlNames(const std::vector<SqlToken>& tokens, const std::set<std::string>& own,
                            std::string_view prefix, const std::set<std::string>& qualified) {
  std::string out;
  const SqlToken* prev = nullptr;  // previous significant token
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    if (!t.significant()) {
      out += t.text;
      continue;
    }
    const SqlToken* before = prev;
    bool after_dot = before != nullptr && before->IsPunct(".");
    prev = &t;
    if (!t.IsIdent() || after_dot) {
      out += t.text;
      continue;
    }
    std::string name = AsciiLower(IdentValue(t));
    size_t dot = NextSignificant(tokens, i);
    size_t second = dot < tokens.size() && tokens[dot].IsPunct(".") ? NextSignificant(tokens, dot)
                                                                    : tokens.size();
    if (second < tokens.size() && tokens[second].IsIdent()) {
      std::string full = name + "." + AsciiLower(IdentValue(tokens[second]));
      if (!own.count(name) && qualified.count(full)) {
        out += QuoteIdent(full);
        prev = &tokens[second];
        i = second;
        continue;
      }
    }
    bool call = dot < tokens.size() && tokens[dot].IsPunct("(") && !TableNameKeyword(before);
    if (own.count(name) && !call) {
      out += QuoteIdent(std::string(prefix) + name);
    } else {
      out += t.text;
    }
  }
  return out;
}

}  // namespace aergo
