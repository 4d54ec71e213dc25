// ParseContract: the top-level grammar of a contract file (docs/design.md §6).
//
//   file      := { ";" | table | index | function }
//   table     := CREATE TABLE [IF NOT EXISTS] name ... ";"
//   index     := CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ... ";"
//   function  := CREATE FUNCTION name "(" [param {"," param}] ")" AS
//                statement ";" { statement ";" } END ( ";" | EOF )
//   param     := name (INTEGER | INT | REAL | TEXT | BLOB)
//
// Statements split on ";" outside strings, comments and parentheses. Inside
// a function, END closes the function only at a statement start and when
// followed by ";" or the end of the file, so CASE ... END is ordinary text.
// Names are case-insensitive and stored lowercase.
//
// Static checks made here (so they name the line before anything runs):
// ROLLBACK anywhere (INSERT OR ROLLBACK / ON CONFLICT ROLLBACK would end the
// caller's transaction); AUTOINCREMENT in table and index definitions (its
// counter lives in sqlite_sequence, outside the ledger state, so a state
// rebuilt from row changes would assign different rowids);
// parameters in DDL; non-deterministic functions in DDL (DEFAULT
// (random()) and DEFAULT CURRENT_TIMESTAMP never reach the authorizer);
// date/time calls whose literal arguments read the clock or the host's
// time zone (date('now'), strftime('%Y'), datetime(x, 'localtime')),
// anywhere; in functions, VACUUM (the authorizer never sees it) and any
// parameter that is not :name with a declared or built-in name. What the
// text does not show is checked by the engine: the sandbox when statements
// are prepared, table features when a deploy creates its tables, and the
// date/time wrappers and the rowid hook while calls run (contract.cpp).
#include <cstring>
#include <optional>

#include "core/contract.h"
#include "core/contract_internal.h"
#include "core/sql_lexer.h"

namespace aergo {
namespace contract_internal {

int BuiltinParamIndex(std::string_view name) {
  for (size_t i = 0; i < std::size(kBuiltinParams); ++i) {
    if (name == kBuiltinParams[i]) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace contract_internal

using contract_internal::BuiltinParamIndex;
using contract_internal::DeniedFunctionReason;

bool IsValidContractName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "aergo") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string ContractFunction::Signature() const {
  std::string s = name + "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) s += ", ";
    s += params[i].name + " " + ValueTypeName(params[i].type);
  }
  return s + ")";
}

namespace {

// A statement: significant-token indexes [first, last] into Parser::sig_.
struct Span {
  size_t first;
  size_t last;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view file, const std::vector<SqlToken>& tokens)
      : text_(text), file_(file), tokens_(tokens) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (tokens_[i].significant()) sig_.push_back(i);
    }
  }

  Result<ContractSource> Run();

 private:
  const SqlToken* Peek(size_t ahead = 0) const {
    return k_ + ahead < sig_.size() ? &tokens_[sig_[k_ + ahead]] : nullptr;
  }
  const SqlToken& Sig(size_t k) const { return tokens_[sig_[k]]; }
  int Line() const { return Peek() ? Peek()->line : LastLine(); }
  int LastLine() const { return sig_.empty() ? 1 : Sig(sig_.size() - 1).line; }
  Status Error(int line, const std::string& reason) const {
    return Invalid(std::string(file_) + ":" + std::to_string(line) + ": " + reason);
  }
  std::string Text(Span s) const {
    const SqlToken& a = Sig(s.first);
    const SqlToken& b = Sig(s.last);
    return std::string(text_.substr(a.pos, b.pos + b.text.size() - a.pos));
  }

  Status ParseDdl(bool index);
  Status ParseFunction();
  Status ParseParams(ContractFunction* fn);
  Result<Span> CollectStatement();
  Result<std::string> Name(const char* what);
  Status AddName(const std::string& name, int line, bool index);
  Status CheckCommon(Span s) const;
  Status CheckDateTimeCalls(Span s) const;
  Status CheckDdl(Span s) const;
  Status CheckFunctionStatement(Span s, const ContractFunction& fn) const;

  std::string_view text_;
  std::string_view file_;
  const std::vector<SqlToken>& tokens_;
  std::vector<size_t> sig_;
  size_t k_ = 0;
  ContractSource out_;
};

Result<ContractSource> Parser::Run() {
  while (Peek()) {
    const SqlToken& t = *Peek();
    if (t.IsPunct(";")) {
      ++k_;
      continue;
    }
    const SqlToken* t1 = Peek(1);
    const SqlToken* t2 = Peek(2);
    if (t.IsKeyword("create") && t1 && t1->IsKeyword("table")) {
      AERGO_RETURN_IF_ERROR(ParseDdl(false));
    } else if (t.IsKeyword("create") && t1 &&
               (t1->IsKeyword("index") ||
                (t1->IsKeyword("unique") && t2 && t2->IsKeyword("index")))) {
      AERGO_RETURN_IF_ERROR(ParseDdl(true));
    } else if (t.IsKeyword("create") && t1 && t1->IsKeyword("function")) {
      AERGO_RETURN_IF_ERROR(ParseFunction());
    } else {
      std::string what(t.text);
      if (t.IsKeyword("create") && t1) what += " " + std::string(t1->text);
      return Error(t.line,
                   "unknown top-level statement '" + what +
                       "' (only CREATE TABLE, CREATE INDEX and CREATE FUNCTION are allowed)");
    }
  }
  return std::move(out_);
}

// Reads an identifier naming a table, index, function or parameter.
Result<std::string> Parser::Name(const char* what) {
  const SqlToken* t = Peek();
  if (!t || !t->IsIdent()) {
    return Error(Line(), std::string("expected ") + what + " name" +
                             (t ? ", got '" + std::string(t->text) + "'" : ""));
  }
  std::string name = AsciiLower(IdentValue(*t));
  ++k_;
  if (Peek() && Peek()->IsPunct(".")) {
    return Error(t->line,
                 std::string(what) + " name must not be qualified: '" + IdentValue(*t) + ".'");
  }
  if (!IsValidContractName(name)) {
    return Error(t->line, "invalid " + std::string(what) + " name '" + IdentValue(*t) +
                              "' (use letters, digits and _, not starting with a digit, at most 64 "
                              "characters, not 'aergo')");
  }
  return name;
}

Status Parser::AddName(const std::string& name, int line, bool index) {
  for (const auto* list : {&out_.tables, &out_.indexes}) {
    for (const std::string& n : *list) {
      if (n == name) {
        return Error(line, "duplicate name '" + name + "' (already a " +
                               (list == &out_.tables ? "table" : "index") + ")");
      }
    }
  }
  (index ? out_.indexes : out_.tables).push_back(name);
  return Status::Ok();
}

Status Parser::ParseDdl(bool index) {
  size_t start = k_;
  int line = Peek()->line;
  k_ += 2;  // CREATE TABLE / CREATE INDEX / CREATE UNIQUE
  if (index && Peek() && Peek()->IsKeyword("index")) ++k_;  // CREATE UNIQUE INDEX
  if (Peek() && Peek()->IsKeyword("if")) {
    if (!(Peek(1) && Peek(1)->IsKeyword("not") && Peek(2) && Peek(2)->IsKeyword("exists"))) {
      return Error(Peek()->line, "expected IF NOT EXISTS");
    }
    k_ += 3;
  }
  AERGO_ASSIGN_OR_RETURN(std::string name, Name(index ? "index" : "table"));
  AERGO_RETURN_IF_ERROR(AddName(name, line, index));
  k_ = start;
  AERGO_ASSIGN_OR_RETURN(Span span, CollectStatement());
  AERGO_RETURN_IF_ERROR(CheckCommon(span));
  AERGO_RETURN_IF_ERROR(CheckDdl(span));
  out_.ddl.push_back(Text(span));
  out_.ddl_lines.push_back(line);
  return Status::Ok();
}

Status Parser::ParseFunction() {
  ContractFunction fn;
  fn.line = Peek()->line;
  k_ += 2;  // CREATE FUNCTION
  AERGO_ASSIGN_OR_RETURN(fn.name, Name("function"));
  for (const ContractFunction& f : out_.functions) {
    if (f.name == fn.name) return Error(fn.line, "duplicate function '" + fn.name + "'");
  }
  AERGO_RETURN_IF_ERROR(ParseParams(&fn));
  if (!Peek() || !Peek()->IsKeyword("as")) {
    return Error(Line(), "expected AS after function parameters");
  }
  ++k_;
  std::string missing_end = "missing END for function '" + fn.name + "' (started at line " +
                            std::to_string(fn.line) + ")";
  while (true) {
    const SqlToken* t = Peek();
    if (!t) return Error(LastLine(), missing_end);
    if (t->IsPunct(";")) {
      ++k_;
      continue;
    }
    if (t->IsKeyword("end") && (!Peek(1) || Peek(1)->IsPunct(";"))) {
      k_ += Peek(1) ? 2 : 1;
      break;
    }
    if (t->IsKeyword("create") && Peek(1) && Peek(1)->IsKeyword("function")) {
      return Error(t->line, missing_end);
    }
    AERGO_ASSIGN_OR_RETURN(Span span, CollectStatement());
    AERGO_RETURN_IF_ERROR(CheckCommon(span));
    AERGO_RETURN_IF_ERROR(CheckFunctionStatement(span, fn));
    fn.statements.push_back(Text(span));
    fn.statement_lines.push_back(t->line);
  }
  if (fn.statements.empty()) return Error(fn.line, "function '" + fn.name + "' has no statements");
  out_.functions.push_back(std::move(fn));
  return Status::Ok();
}

Result<Value::Type> ParamType(const SqlToken& t) {
  if (t.IsKeyword("integer") || t.IsKeyword("int")) return Value::Type::kInteger;
  if (t.IsKeyword("real")) return Value::Type::kReal;
  if (t.IsKeyword("text")) return Value::Type::kText;
  if (t.IsKeyword("blob")) return Value::Type::kBlob;
  return Invalid("");
}

Status Parser::ParseParams(ContractFunction* fn) {
  if (!Peek() || !Peek()->IsPunct("(")) return Error(Line(), "expected ( after function name");
  ++k_;
  if (Peek() && Peek()->IsPunct(")")) {
    ++k_;
    return Status::Ok();
  }
  while (true) {
    int line = Line();
    AERGO_ASSIGN_OR_RETURN(std::string name, Name("parameter"));
    if (BuiltinParamIndex(name) >= 0) {
      return Error(line, "parameter '" + name + "' shadows the built-in :" + name);
    }
    for (const ContractParam& p : fn->params) {
      if (p.name == name) return Error(line, "duplicate parameter '" + name + "'");
    }
    const SqlToken* t = Peek();
    if (!t) return Error(Line(), "expected a type for parameter '" + name + "'");
    Result<Value::Type> type = ParamType(*t);
    if (!type.ok()) {
      return Error(t->line, "unknown type '" + std::string(t->text) + "' for parameter '" + name +
                                "' (use INTEGER, REAL, TEXT or BLOB)");
    }
    fn->params.push_back({name, *type});
    ++k_;
    if (Peek() && Peek()->IsPunct(",")) {
      ++k_;
      continue;
    }
    if (Peek() && Peek()->IsPunct(")")) {
      ++k_;
      return Status::Ok();
    }
    return Error(Line(), "expected , or ) in the parameter list of '" + fn->name + "'");
  }
}

// Collects tokens up to a ";" at parenthesis depth 0 (consumed) or the end.
Result<Span> Parser::CollectStatement() {
  Span s{k_, k_};
  int depth = 0;
  int line = Peek()->line;
  for (; k_ < sig_.size(); ++k_) {
    const SqlToken& t = Sig(k_);
    if (t.IsPunct("(")) ++depth;
    if (t.IsPunct(")") && --depth < 0) return Error(t.line, "unbalanced parentheses");
    if (t.IsPunct(";") && depth == 0) break;
    s.last = k_;
  }
  if (depth > 0) return Error(line, "unbalanced parentheses in statement");
  if (k_ < sig_.size()) ++k_;  // the ";"
  return s;
}

Status Parser::CheckCommon(Span s) const {
  for (size_t k = s.first; k <= s.last; ++k) {
    if (Sig(k).IsKeyword("rollback")) {
      return Error(Sig(k).line,
                   "ROLLBACK is not allowed in contracts (a failing statement already undoes the "
                   "whole call)");
    }
  }
  return CheckDateTimeCalls(s);
}

namespace {

// The value of a string literal token: quotes removed, '' undone.
std::string StringValue(const SqlToken& t) {
  std::string out;
  std::string_view body = t.text.substr(1, t.text.size() >= 2 ? t.text.size() - 2 : 0);
  for (size_t i = 0; i < body.size(); ++i) {
    out.push_back(body[i]);
    if (body[i] == '\'' && i + 1 < body.size() && body[i + 1] == '\'') ++i;
  }
  return out;
}

}  // namespace

// Date/time calls whose literal arguments read the clock or the host's time
// zone (DateTimeArgsReason). Arguments computed at run time are checked by
// the engine's wrappers when the call runs.
Status Parser::CheckDateTimeCalls(Span s) const {
  for (size_t k = s.first; k + 1 <= s.last; ++k) {
    const SqlToken& t = Sig(k);
    if (!t.IsIdent() || !Sig(k + 1).IsPunct("(")) continue;
    // `x.date(` is not a call of the built-in; `TABLE date (` names a table.
    if (k > s.first && (Sig(k - 1).IsPunct(".") || Sig(k - 1).IsKeyword("table") ||
                        Sig(k - 1).IsKeyword("references") || Sig(k - 1).IsKeyword("on") ||
                        Sig(k - 1).IsKeyword("exists") || Sig(k - 1).IsKeyword("into") ||
                        Sig(k - 1).IsKeyword("index")))
      continue;
    std::string name = AsciiLower(IdentValue(t));
    if (!contract_internal::IsDateTimeFunction(name)) continue;
    // The arguments: split on "," at depth 1 up to the matching ")".
    std::vector<std::optional<std::string>> texts;
    std::vector<std::optional<std::string_view>> args;
    int depth = 0;
    size_t arg_start = k + 2, j = k + 1;
    bool empty = true;
    auto close_arg = [&](size_t end) {  // [arg_start, end)
      if (end == arg_start + 1 && Sig(arg_start).kind == SqlToken::Kind::kString)
        texts.emplace_back(StringValue(Sig(arg_start)));
      else
        texts.emplace_back(std::nullopt);
    };
    for (; j <= s.last; ++j) {
      const SqlToken& a = Sig(j);
      if (a.IsPunct("(")) {
        ++depth;
        continue;
      }
      if (a.IsPunct(")") && --depth == 0) break;
      if (depth == 1 && a.IsPunct(",")) {
        close_arg(j);
        arg_start = j + 1;
        continue;
      }
      empty = false;
    }
    if (j > s.last) continue;  // unbalanced: SQLite reports it
    if (!empty || !texts.empty()) close_arg(j);
    for (const auto& text : texts) args.emplace_back(text ? std::optional<std::string_view>(*text) : std::nullopt);
    std::string reason = contract_internal::DateTimeArgsReason(name, args);
    if (!reason.empty())
      return Error(t.line, "function " + name + "() is not allowed in contracts: not deterministic (" +
                               reason + ")");
  }
  return Status::Ok();
}

Status Parser::CheckDdl(Span s) const {
  for (size_t k = s.first; k <= s.last; ++k) {
    const SqlToken& t = Sig(k);
    if (t.IsKeyword("autoincrement")) {
      return Error(t.line,
                   "AUTOINCREMENT is not allowed: its counter lives in sqlite_sequence, outside "
                   "the ledger state");
    }
    if (t.kind == SqlToken::Kind::kParam) {
      return Error(t.line, "parameters are not allowed in table and index definitions");
    }
    if (!t.IsIdent()) continue;
    std::string name = AsciiLower(IdentValue(t));
    // A name right after TABLE / REFERENCES / ON / EXISTS is a table, even
    // when a column list follows: `CREATE TABLE log (...)` calls nothing.
    bool names_table = k > s.first && (Sig(k - 1).IsKeyword("table") ||
                                       Sig(k - 1).IsKeyword("references") ||
                                       Sig(k - 1).IsKeyword("on") || Sig(k - 1).IsKeyword("exists"));
    bool call = !names_table && k + 1 <= s.last && Sig(k + 1).IsPunct("(");
    // CURRENT_TIME and friends (bare keywords; "current_time" quoted is a
    // column name)
    bool keyword = t.kind == SqlToken::Kind::kIdent && name.rfind("current_", 0) == 0;
    const char* reason = DeniedFunctionReason(name);
    // changes() in a CHECK, DEFAULT or index expression would read the
    // count of whatever statement ran before the write, which the engine
    // resets only for functions that call changes() themselves.
    if (call && name == "changes")
      return Error(t.line, "function changes() is not allowed in table and index definitions: "
                           "not deterministic (it counts the rows of the statement before the write)");
    // contract_owner() is DIRECTONLY: SQLite refuses it in a schema read
    // back from disk, though the connection that created the table would
    // still run it.
    if (call && name == "contract_owner")
      return Error(t.line, "function contract_owner() is not allowed in table and index "
                           "definitions: only in contract functions");
    if (reason && (call || keyword)) {
      return Error(t.line, (keyword && !call ? std::string(t.text) : "function " + name + "()") +
                               " is not allowed in contracts: " + reason);
    }
  }
  return Status::Ok();
}

Status Parser::CheckFunctionStatement(Span s, const ContractFunction& fn) const {
  // The authorizer never sees VACUUM (it could write a file with INTO).
  if (Sig(s.first).IsKeyword("vacuum")) {
    return Error(Sig(s.first).line, "VACUUM is not allowed in contracts");
  }
  // The authorizer would only see the statistics table ANALYZE creates, and
  // name the wrong statement.
  if (Sig(s.first).IsKeyword("analyze") || Sig(s.first).IsKeyword("reindex")) {
    return Error(Sig(s.first).line, std::string(Sig(s.first).IsKeyword("analyze") ? "ANALYZE" : "REINDEX") +
                                        " is not allowed in contracts");
  }
  for (size_t k = s.first; k <= s.last; ++k) {
    const SqlToken& t = Sig(k);
    if (t.kind != SqlToken::Kind::kParam) continue;
    if (t.text[0] != ':') {
      return Error(t.line, "parameter '" + std::string(t.text) +
                               "' is not allowed: name parameters as :name");
    }
    std::string name = AsciiLower(t.text.substr(1));
    bool known = BuiltinParamIndex(name) >= 0;
    for (const ContractParam& p : fn.params) known = known || p.name == name;
    if (!known)
      return Error(t.line, "unknown parameter :" + name + " in function '" + fn.name + "'");
  }
  return Status::Ok();
}

}  // namespace

Result<ContractSource> ParseContract(std::string_view text, std::string_view file) {
  Result<std::vector<SqlToken>> tokens = TokenizeSql(text);
  if (!tokens.ok()) {
    // TokenizeSql says "line N: reason"; contract errors say "file:N: reason".
    std::string_view msg = tokens.status().message();
    msg.remove_prefix(std::string_view("line ").size());
    return Invalid(std::string(file) + ":" + std::string(msg));
  }
  Parser parser(text, file, *tokens);
  return parser.Run();
}

}  // namespace aergo
