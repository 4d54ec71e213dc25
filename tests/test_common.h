// Test data and file helpers shared by the unit tests (tests/unit) and the
// CLI tests (tests/cli).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace aergo::testcommon {

// The DESIGN's example token contract (DESIGN §6). Its first line is the
// CREATE TABLE: unit tests check the line numbers the parser reports.
inline constexpr const char* kTokenContractSql = R"sql(CREATE TABLE accounts (
  owner   TEXT PRIMARY KEY,
  balance INTEGER NOT NULL CHECK (balance >= 0)
);

CREATE FUNCTION open() AS
  INSERT INTO accounts (owner, balance) VALUES (:sender, 0);
END;

CREATE FUNCTION mint(recipient TEXT, amount INTEGER) AS
  SELECT require(:sender = contract_owner(), 'only the owner may mint');
  INSERT INTO accounts (owner, balance) VALUES (:recipient, :amount)
    ON CONFLICT (owner) DO UPDATE SET balance = balance + :amount;
END;

CREATE FUNCTION transfer(recipient TEXT, amount INTEGER) AS
  SELECT require(:amount > 0, 'amount must be positive');
  UPDATE accounts SET balance = balance - :amount WHERE owner = :sender;
  SELECT require(changes() = 1, 'sender has no account');
  UPDATE accounts SET balance = balance + :amount WHERE owner = :recipient;
  SELECT require(changes() = 1, 'recipient has no account');
END;
)sql";

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
