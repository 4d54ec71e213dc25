// ParseContract (core/contract.h: the AERGOSQL top-level grammar and static
// sandbox checks) on untrusted text.
// Properties: no crash or exception; errors name the file; parsing is
// deterministic; what it accepts has valid table names, functions with
// statements that tokenize, and line numbers within the text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/contract.h"
#include "core/sql_lexer.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  std::string_view text = fuzz::AsView(data, size);
  auto src = ParseContract(text, "fuzz.sql");
  auto again = ParseContract(text, "fuzz.sql");
  FUZZ_CHECK(src.ok() == again.ok(), "parsing is not deterministic");
  if (!src.ok()) {
    FUZZ_CHECK(src.status().message() == again.status().message(), "error is not deterministic");
    FUZZ_CHECK(src.status().message().find("fuzz.sql") != std::string::npos,
               "error does not name the file: " + src.status().message());
    return 0;
  }
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  FUZZ_CHECK(src->ddl.size() == src->ddl_lines.size(), "ddl and ddl_lines differ in length");
  for (int l : src->ddl_lines) FUZZ_CHECK(l >= 1 && l <= lines, "ddl line out of range");
  for (const auto& t : src->tables) FUZZ_CHECK(IsValidContractName(AsciiLower(t)), "invalid table name " + t);
  for (const auto& f : src->functions) {
    (void)f.Signature();
    FUZZ_CHECK(f.line >= 1 && f.line <= lines, "function line out of range");
    FUZZ_CHECK(f.statements.size() == f.statement_lines.size(), "statements and lines differ in length");
    for (size_t i = 0; i < f.statements.size(); ++i) {
      FUZZ_CHECK(f.statement_lines[i] >= 1 && f.statement_lines[i] <= lines, "statement line out of range");
      FUZZ_CHECK(TokenizeSql(f.statements[i]).ok(), "an accepted statement does not tokenize");
    }
  }
  return 0;
}
