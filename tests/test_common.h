// Test data and file helpers shared by the unit tests (tests/unit) and the
// CLI tests (tests/cli).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace aergo::testcommon {

// The example token contract (docs/design.md §6), read once from
// examples/token.sql. Its first line is the CREATE TABLE: unit tests check
// the line numbers the parser reports.
inline const char* TokenContractSql() {
  static const std::string text = [] {
    std::ifstream in(std::string(AERGO_SOURCE_DIR) + "/examples/token.sql", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text.c_str();
}

// The whole content of the file at `path` ("" if it cannot be read).
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the file at `path` with `data`; false if the write failed.
inline bool WriteWholeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return out.good();
}

}  // namespace aergo::testcommon
