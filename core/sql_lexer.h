// A small SQLite-dialect tokenizer and the identifier rewriting built on it
// (docs/design.md §6: contract table names are stored as "contract.table").
//
// Tokenize() splits text into tokens that cover it completely, in order:
// concatenating every token's text gives back the input. Each token knows
// its 1-based starting line. The lexer does not judge SQL; it only knows
// where strings, quoted identifiers, comments and parameters begin and end.
// Thread-safety: pure functions.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace aergo {

struct SqlToken {
  enum class Kind {
    kSpace,    // whitespace
    kComment,  // -- to end of line, or /* ... */
    kIdent,    // bare identifier or keyword
    kQuoted,   // "ident", `ident` or [ident]
    kString,   // 'text' ('' escapes a quote)
    kBlob,     // x'hex'
    kNumber,   // 12, 1.5, .5e3, 0x1F
    kParam,    // ?, ?N, :name, @name, $name
    kPunct,    // operators and punctuation: ( ) , ; . || <= -> ...
    kOther,    // any other byte (SQLite will reject it)
  };
  Kind kind;
  std::string_view text;  // a view into the tokenized input
  size_t pos = 0;         // byte offset in the input
  int line = 1;           // 1-based line where the token starts

  bool significant() const { return kind != Kind::kSpace && kind != Kind::kComment; }
  bool IsIdent() const { return kind == Kind::kIdent || kind == Kind::kQuoted; }
  bool IsPunct(std::string_view p) const { return kind == Kind::kPunct && text == p; }
  // A bare identifier equal to kw, ignoring ASCII case (kw given uppercase or lowercase).
  bool IsKeyword(std::string_view kw) const;
};

// Tokenizes text. Fails (Invalid "line N: unterminated ...") on an
// unterminated string, quoted identifier, blob or block comment.
Result<std::vector<SqlToken>> TokenizeSql(std::string_view text);

// The identifier a kIdent/kQuoted token names: quotes removed and doubled
// quotes undone. Case is preserved.
std::string IdentValue(const SqlToken& t);

std::string AsciiLower(std::string_view s);

// True if text is only whitespace, comments and semicolons (or empty).
bool IsBlankSql(std::string_view text);

// Rewrites contract SQL to storage names. In the token stream:
//  1. `a . b` (identifier, dot, identifier; whitespace and comments between
//     them allowed), not preceded by `.`, where lower(a) + "." + lower(b) is
//     in `qualified` and lower(a) is not in `own` (own names shadow contract
//     names), becomes QuoteIdent(lower(a) + "." + lower(b)).
//  2. Any remaining identifier whose lowercase value is in `own`, not
//     preceded by `.` and not a function call, becomes
//     QuoteIdent(prefix + lower(value)). A function call is an identifier
//     followed by `(` unless the previous significant token is one of the
//     keywords INTO TABLE EXISTS ON REFERENCES FROM JOIN UPDATE WITH
//     RECURSIVE (after which `name (` names a table).
// Everything else is copied byte for byte. `prefix` is "contract." (may be
// empty when `own` is empty).
std::string RewriteSqlNames(const std::vector<SqlToken>& tokens, const std::set<std::string>& own,
                            std::string_view prefix, const std::set<std::string>& qualified);

}  // namespace aergo
