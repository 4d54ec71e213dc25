// TokenizeSql and RewriteSqlNames (core/sql_lexer.h) on untrusted text.
// Properties: the tokens cover the input exactly, in order, each non-empty,
// with the right byte offsets and line numbers; rewriting names keeps the
// text tokenizable and leaves it unchanged when there is nothing to rename.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "core/sql_lexer.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  std::string_view text = fuzz::AsView(data, size);
  (void)IsBlankSql(text);
  auto tokens = TokenizeSql(text);
  if (!tokens.ok()) {
    FUZZ_CHECK(tokens.status().code() == Code::kInvalid, tokens.status().message());
    return 0;
  }
  size_t pos = 0;
  int line = 1;
  for (const auto& t : *tokens) {
    FUZZ_CHECK(!t.text.empty(), "empty token");
    FUZZ_CHECK(t.pos == pos, "token offset is wrong");
    FUZZ_CHECK(t.text.data() == text.data() + pos, "token does not view the input");
    FUZZ_CHECK(t.line == line, "token line is wrong");
    for (char c : t.text) line += c == '\n';
    pos += t.text.size();
    if (t.IsIdent()) (void)IdentValue(t);
    (void)t.IsKeyword("SELECT");
  }
  FUZZ_CHECK(pos == text.size(), "tokens do not cover the input");

  std::string same = RewriteSqlNames(*tokens, {}, "", {});
  FUZZ_CHECK(same == text, "rewriting with no names changed the text");
  std::string renamed = RewriteSqlNames(*tokens, {"t", "accounts", "a"}, "c.", {"token.accounts", "c.t"});
  FUZZ_CHECK(TokenizeSql(renamed).ok(), "rewritten SQL does not tokenize:\n" + renamed);
  return 0;
}
