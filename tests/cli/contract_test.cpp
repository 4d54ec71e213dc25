// AERGOSQL contracts through the CLI: deploy, call (single and --batch),
// query (table, --json, --csv), reset, the sandbox and the error paths.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// A receipt line of `call`'s text output: "<64 hex> ok".
bool IsOkReceipt(const std::string& line) {
  return line.size() == 67 && IsHex(line.substr(0, 64), 64) && line.substr(64) == " ok";
}

// Repository with token deployed; alice opened and minted 100, committed.
struct Token : TokenSandbox {
  Token() {
    DeployAndFund();
    Must({"commit", "-m", "setup"});
  }
};

}  // namespace

TEST(CliContract, DeployCallCommitQuery) {
  Sandbox sb;
  std::string alice = sb.InitTokenRepo();
  RunResult d = sb.Run({"deploy", "token", "token.sql", "--json"}, sb.repo());
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_TRUE(IsHex(JStr(d.out, "txid"), 64)) << d.out;
  EXPECT_TRUE(Has(d.out, "\"status\": \"ok\"")) << d.out;
  EXPECT_TRUE(Has(d.out, "\"error\": null")) << d.out;

  RunResult open = sb.Run({"call", "token", "open"}, sb.repo());
  ASSERT_EQ(open.code, 0) << open.err;
  ASSERT_EQ(Lines(open.out).size(), 1u) << open.out;
  EXPECT_TRUE(IsOkReceipt(Lines(open.out)[0])) << open.out;

  RunResult mint = sb.Run({"call", "token", "mint", alice, "100", "--json"}, sb.repo());
  ASSERT_EQ(mint.code, 0) << mint.err;
  EXPECT_TRUE(IsHex(JStr(mint.out, "txid"), 64)) << mint.out;
  EXPECT_TRUE(Has(mint.out, "\"status\": \"ok\"")) << mint.out;
  EXPECT_TRUE(Has(mint.out, "\"error\": null")) << mint.out;
  ASSERT_EQ(sb.Run({"call", "token", "mint", "bob", "5"}, sb.repo()).code, 0);
  RunResult xfer = sb.Run({"call", "token", "transfer", "bob", "30"}, sb.repo());
  ASSERT_EQ(xfer.code, 0) << xfer.err;

  RunResult st = sb.Run({"status", "--json"}, sb.repo());
  EXPECT_TRUE(Has(st.out, "\"pool\": 5")) << st.out;
  RunResult stt = sb.Run({"status"}, sb.repo());
  EXPECT_TRUE(Has(stt.out, "5 pending txs")) << stt.out;

  RunResult c = sb.Run({"commit", "-m", "first", "--json"}, sb.repo());
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(IsHex(JStr(c.out, "block"), 64)) << c.out;
  EXPECT_EQ(JNum(c.out, "height"), 1);
  EXPECT_EQ(JNum(c.out, "txs"), 5);

  RunResult q = sb.Run({"query", kBalances, "--json"}, sb.repo());
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(q.out, "[{\"owner\": \"" + alice + "\", \"balance\": 70}, {\"owner\": \"bob\", \"balance\": 35}]\n");

  RunResult csv = sb.Run({"query", kBalances, "--csv"}, sb.repo());
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out, "owner,balance\n" + alice + ",70\nbob,35\n");
}

TEST(CliContract, QueryAlignedTable) {
  Token t;
  ASSERT_EQ(t.Run({"call", "token", "mint", "bob", "12345"}).code, 0);
  RunResult q = t.Run({"query", kBalances});
  ASSERT_EQ(q.code, 0) << q.err;
  auto lines = Lines(q.out);
  ASSERT_EQ(lines.size(), 5u) << q.out;
  EXPECT_EQ(lines[0].rfind("owner", 0), 0u) << q.out;
  size_t col = lines[0].find("balance");
  ASSERT_NE(col, std::string::npos) << q.out;
  EXPECT_GE(col, t.alice.size() + 1) << "the first column is as wide as its widest value\n" << q.out;
  EXPECT_EQ(lines[1].find_first_not_of("- "), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].find('-', t.alice.size()), col) << "dashes under each column\n" << q.out;
  EXPECT_EQ(lines[2].rfind(t.alice, 0), 0u) << q.out;
  EXPECT_EQ(lines[2].substr(col), "100") << q.out;
  EXPECT_EQ(lines[3].rfind("bob ", 0), 0u) << q.out;
  EXPECT_EQ(lines[3].substr(col), "12345") << q.out;
  EXPECT_EQ(lines[4], "(2 rows)");
}

TEST(CliContract, QueryJsonAndCsvTypesAndEscaping) {
  Token t;
  RunResult j = t.Run({"query", "SELECT 1 AS i, 2.5 AS r, 'x\"y' AS s, NULL AS n", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out, "[{\"i\": 1, \"r\": 2.5, \"s\": \"x\\\"y\", \"n\": null}]\n");
  RunResult c = t.Run({"query", "SELECT 'a,b' AS s, 'say \"hi\"' AS q, NULL AS n, 7 AS i", "--csv"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "s,q,n,i\n\"a,b\",\"say \"\"hi\"\"\",,7\n");
  RunResult empty = t.Run({"query", "SELECT * FROM token.accounts WHERE balance < 0", "--json"});
  EXPECT_EQ(empty.out, "[]\n");
  RunResult etext = t.Run({"query", "SELECT * FROM token.accounts WHERE balance < 0"});
  EXPECT_TRUE(Has(etext.out, "(0 rows)")) << etext.out;
}

TEST(CliContract, QueryShowsFloatsInShortestRoundTripForm) {
  Token t;
  RunResult j = t.Run({"query", "SELECT 0.1 AS a, 1.0 / 3 AS b, 100.25 AS c", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out, "[{\"a\": 0.1, \"b\": 0.3333333333333333, \"c\": 100.25}]\n");
  RunResult c = t.Run({"query", "SELECT 0.1 AS a", "--csv"});
  EXPECT_EQ(c.out, "a\n0.1\n");
}

TEST(CliContract, QueriesSeeThePoolState) {
  Token t;
  ASSERT_EQ(t.Run({"call", "token", "mint", "bob", "7"}).code, 0);
  RunResult q = t.Run({"query", "SELECT balance FROM token.accounts WHERE owner = 'bob'", "--csv"});
  EXPECT_EQ(q.out, "balance\n7\n");
}

TEST(CliContract, RequireMessageSurfaces) {
  Token t;
  ASSERT_EQ(t.Run({"call", "token", "mint", "bob", "1"}).code, 0);
  long long pool = t.Pool();
  std::string state = t.Balances();
  RunResult r = t.Run({"call", "token", "transfer", "bob", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error: call token.transfer failed: amount must be positive")) << r.err;
  EXPECT_EQ(t.Pool(), pool) << "a failed call never enters the pool";
  EXPECT_EQ(t.Balances(), state);

  RunResult j = t.Run({"call", "token", "transfer", "bob", "-3", "--json"});
  EXPECT_EQ(j.code, 1);
  EXPECT_TRUE(Has(j.out, "\"status\": \"failed\"")) << j.out;
  EXPECT_EQ(JStr(j.out, "error"), "amount must be positive") << j.out;
  EXPECT_EQ(t.Pool(), pool);
}

TEST(CliContract, OnlyTheOwnerMayMint) {
  Token t;
  ASSERT_EQ(t.sb.Run({"key", "new", "bob"}).code, 0);
  RunResult r = t.Run({"call", "token", "mint", "bob", "1000"}, {{"AERGO_KEY", "bob"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "only the owner may mint")) << r.err;
  EXPECT_EQ(t.Pool(), 0);
}

TEST(CliContract, CheckConstraintFailsTheCallAtomically) {
  Token t;
  ASSERT_EQ(t.Run({"call", "token", "mint", "bob", "1"}).code, 0);
  std::string state = t.Balances();
  RunResult r = t.Run({"call", "token", "transfer", "bob", "101"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error: call token.transfer failed:")) << r.err;
  EXPECT_TRUE(Has(r.err, "CHECK constraint")) << r.err;
  EXPECT_EQ(t.Balances(), state);
  EXPECT_EQ(t.Pool(), 1);
}

TEST(CliContract, FailedRequireAfterAWriteUndoesTheWholeCall) {
  Token t;
  std::string state = t.Balances();
  // transfer debits the sender, then fails: the recipient has no account.
  RunResult r = t.Run({"call", "token", "transfer", "nobody", "10"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "recipient has no account")) << r.err;
  EXPECT_EQ(t.Balances(), state) << "the debit must be undone";
  EXPECT_EQ(t.Pool(), 0);
}

TEST(CliContract, WrongArgumentCountOrTypeIsUsageErrorWithSignature) {
  Token t;
  const std::string sig = "transfer(recipient TEXT, amount INTEGER)";
  std::vector<std::vector<std::string>> bad = {
      {"call", "token", "transfer", "bob"},
      {"call", "token", "transfer", "bob", "1", "2"},
      {"call", "token", "transfer", "bob", "abc"},
      {"call", "token", "transfer", "bob", "1.5"},
  };
  for (const auto& args : bad) {
    RunResult r = t.Run(args);
    EXPECT_EQ(r.code, 2) << args.back() << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
    EXPECT_TRUE(Has(r.err, sig)) << r.err;
    EXPECT_TRUE(Has(r.err, "usage: aergo call")) << r.err;
  }
  RunResult open = t.Run({"call", "token", "open", "extra"});
  EXPECT_EQ(open.code, 2);
  EXPECT_TRUE(Has(open.err, "open()")) << open.err;
  EXPECT_EQ(t.Pool(), 0);
}

TEST(CliContract, ArgumentEdgeCases) {
  Token t;
  // An empty TEXT argument is a value like any other.
  RunResult empty = t.Run({"call", "token", "mint", "", "5"});
  EXPECT_EQ(empty.code, 0) << empty.err;
  RunResult q = t.Run({"query", "SELECT balance FROM token.accounts WHERE owner = ''", "--csv"});
  EXPECT_EQ(q.out, "balance\n5\n");
  // An empty INTEGER argument is a type error with the signature.
  RunResult bad = t.Run({"call", "token", "transfer", "bob", ""});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(Has(bad.err, "transfer(recipient TEXT, amount INTEGER)")) << bad.err;
  // Negative numbers are arguments, not options.
  RunResult neg = t.Run({"call", "token", "transfer", "bob", "-1"});
  EXPECT_EQ(neg.code, 1);
  EXPECT_TRUE(Has(neg.err, "amount must be positive")) << neg.err;
  // After "--", a TEXT argument may start with '-', as in git.
  RunResult dash = t.Run({"call", "token", "mint", "--", "-dash", "3"});
  EXPECT_EQ(dash.code, 0) << dash.err;
  EXPECT_FALSE(Has(dash.err, "--words")) << "internal option names must not leak: " << dash.err;
  RunResult qd = t.Run({"query", "SELECT balance FROM token.accounts WHERE owner = '-dash'", "--csv"});
  EXPECT_EQ(qd.out, "balance\n3\n");
  // Spaces and UTF-8 pass through unchanged.
  ASSERT_EQ(t.Run({"call", "token", "mint", "x y \xc3\xa9", "4"}).code, 0);
  RunResult qs = t.Run({"query", "SELECT balance FROM token.accounts WHERE owner = 'x y \xc3\xa9'", "--csv"});
  EXPECT_EQ(qs.out, "balance\n4\n");
}

TEST(CliContract, MissingContractOrFunction) {
  Token t;
  RunResult c = t.Run({"call", "nosuch", "open"});
  EXPECT_EQ(c.code, 1);
  EXPECT_TRUE(Has(c.err, "aergo: error: contract 'nosuch' not found")) << c.err;
  RunResult f = t.Run({"call", "token", "burn", "1"});
  EXPECT_EQ(f.code, 1);
  EXPECT_TRUE(Has(f.err, "aergo: error: function 'burn' not found in contract 'token'")) << f.err;
  EXPECT_EQ(t.Pool(), 0);
}

TEST(CliContract, DeploySyntaxErrorNamesFileAndLine) {
  Token t;
  t.sb.Write("repo/bad.sql",
             "CREATE TABLE t (a INTEGER PRIMARY KEY);\n"
             "\n"
             "CREATE FUNCTION f() AS\n"
             "  INSERT INTO t VALUES (1;\n"
             "END;\n");
  RunResult r = t.Run({"deploy", "bad", "bad.sql"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error: bad.sql:4:")) << r.err;
  EXPECT_EQ(t.Pool(), 0);

  t.sb.Write("repo/bad2.sql", "CREATE TABLE t (a INTEGER PRIMARY KEY);\nCREATE FUNCTION f() AS\n  SELECT 1;\n");
  RunResult noend = t.Run({"deploy", "bad", "bad2.sql"});
  EXPECT_EQ(noend.code, 1);
  EXPECT_TRUE(Has(noend.err, "bad2.sql:")) << noend.err;

  t.sb.Write("repo/bad3.sql", "CREATE TABLE t (a TEXT PRIMARY KEY);\nCREATE FUNCTION f() AS\n  INSERT INTO t VALUES ('x);\nEND;\n");
  RunResult unterminated = t.Run({"deploy", "bad", "bad3.sql"});
  EXPECT_EQ(unterminated.code, 1);
  EXPECT_TRUE(Has(unterminated.err, "bad3.sql:3")) << unterminated.err;

  t.sb.Write("repo/bad4.sql", "CREATE TABLE t (a INTEGER PRIMARY KEY);\nDROP TABLE t;\n");
  RunResult top = t.Run({"deploy", "bad", "bad4.sql"});
  EXPECT_EQ(top.code, 1);
  EXPECT_TRUE(Has(top.err, "bad4.sql:2")) << top.err;

  t.sb.Write("repo/bad5.sql", "CREATE TABLE t (a INTEGER PRIMARY KEY);\nCREATE FUNCTION f() AS\n  INSERT INTO nosuch VALUES (1);\nEND;\n");
  RunResult table = t.Run({"deploy", "bad", "bad5.sql"});
  EXPECT_EQ(table.code, 1);
  EXPECT_TRUE(Has(table.err, "bad5.sql:3")) << table.err;
  EXPECT_TRUE(Has(table.err, "nosuch")) << table.err;
  EXPECT_EQ(t.Pool(), 0);
  RunResult q = t.Run({"query", "SELECT * FROM bad.t"});
  EXPECT_EQ(q.code, 1) << "a refused deploy creates no tables";
}

TEST(CliContract, ForbiddenConstructsAreRefusedAtDeploy) {
  Token t;
  struct Case { std::string body; std::string says; };
  std::vector<Case> cases = {
      {"INSERT INTO t VALUES (random());", "random()"},
      {"INSERT INTO t VALUES (abs(random()) % 6);", "random()"},
      {"INSERT INTO t VALUES (randomblob(4));", "randomblob()"},
      {"INSERT INTO t VALUES (datetime('now'));", "datetime()"},
      {"INSERT INTO t VALUES (CURRENT_TIMESTAMP);", "not deterministic"},
      {"INSERT INTO t VALUES (julianday('now'));", "not deterministic"},
      {"PRAGMA user_version = 3;", "PRAGMA"},
      {"ATTACH DATABASE 'x.db' AS x;", "ATTACH"},
      {"CREATE TABLE u (b INTEGER);", "CREATE TABLE"},
      {"CREATE INDEX i ON t(a);", "CREATE INDEX"},
      {"DROP TABLE t;", "DROP TABLE"},
      {"BEGIN;", "transaction control"},
      {"SAVEPOINT s;", "transaction control"},
      {"INSERT INTO token.accounts VALUES ('x', 1);", "may not write table 'token.accounts'"},
      {"INSERT INTO aergo.directory VALUES ('x', 'admin');", "may not write"},
      {"SELECT load_extension('x');", "load_extension()"},
  };
  for (const auto& c : cases) {
    t.sb.Write("repo/f.sql", "CREATE TABLE t (a INTEGER PRIMARY KEY);\nCREATE FUNCTION f() AS\n  " + c.body + "\nEND;\n");
    RunResult r = t.Run({"deploy", "evil", "f.sql"});
    EXPECT_EQ(r.code, 1) << c.body << "\n" << r.out << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: f.sql:3:")) << c.body << "\n" << r.err;
    EXPECT_TRUE(Has(r.err, c.says)) << c.body << "\n" << r.err;
  }
  EXPECT_EQ(t.Pool(), 0);
  RunResult q = t.Run({"query", "SELECT * FROM evil.t"});
  EXPECT_EQ(q.code, 1);
}

TEST(CliContract, DeployNameAndFileErrors) {
  Token t;
  RunResult dup = t.Run({"deploy", "token", "token.sql"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_TRUE(Has(dup.err, "aergo: error:")) << dup.err;
  EXPECT_TRUE(Has(dup.err, "token")) << dup.err;
  EXPECT_TRUE(Has(dup.err, "already exists")) << dup.err;
  for (const char* name : {"Token", "9lives", "a-b", "aergo"}) {
    RunResult r = t.Run({"deploy", name, "token.sql"});
    EXPECT_EQ(r.code, 1) << name << ": " << r.err;
    EXPECT_TRUE(Has(r.err, name)) << r.err;
  }
  RunResult missing = t.Run({"deploy", "other", "nosuch.sql"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Has(missing.err, "nosuch.sql")) << missing.err;
  EXPECT_EQ(t.Pool(), 0);
  // The same source under another name is fine.
  RunResult second = t.Run({"deploy", "token2", "token.sql"});
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(t.Pool(), 1);
}

TEST(CliContract, SecondDeployOfSameNameInThePoolFails) {
  Token t;
  ASSERT_EQ(t.Run({"deploy", "coin", "token.sql"}).code, 0);
  RunResult again = t.Run({"deploy", "coin", "token.sql", "--json"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Has(again.err, "already exists")) << again.err;
  EXPECT_EQ(t.Pool(), 1);
}

TEST(CliContract, QueryRefusesAnythingButARead) {
  Token t;
  std::string state = t.Balances();
  std::vector<std::string> bad = {
      "INSERT INTO token.accounts VALUES ('mallory', 1000000)",
      "DELETE FROM token.accounts",
      "UPDATE token.accounts SET balance = 0",
      "DROP TABLE token.accounts",
      "SELECT 1; DELETE FROM token.accounts",
      "SELECT 1; SELECT 2",
      "PRAGMA writable_schema = 1",
      "ATTACH DATABASE 'x.db' AS x",
      "CREATE TABLE token.evil (a)",
      "BEGIN",
      "WITH x AS (SELECT 1) DELETE FROM token.accounts",
  };
  for (const auto& sql : bad) {
    RunResult r = t.Run({"query", sql});
    EXPECT_EQ(r.code, 1) << sql << "\n" << r.out << r.err;
    EXPECT_EQ(r.err.rfind("aergo: error: ", 0), 0u) << sql << "\n" << r.err;
    EXPECT_EQ(r.out, "") << sql;
  }
  EXPECT_EQ(t.Balances(), state);
  RunResult two = t.Run({"query", "SELECT 1; SELECT 2"});
  EXPECT_TRUE(Has(two.err, "single")) << two.err;
  RunResult trailing = t.Run({"query", "SELECT 1 AS one;  "});
  EXPECT_EQ(trailing.code, 0) << trailing.err;
  RunResult internal = t.Run({"query", "SELECT * FROM sqlite_master"});
  EXPECT_EQ(internal.code, 1);
  RunResult fsck = t.Run({"fsck"});
  EXPECT_EQ(fsck.code, 0) << fsck.err;
}

TEST(CliContract, BatchFromFile) {
  Token t;
  t.sb.Write("repo/calls.txt",
             "token mint bob 10\n"
             "# a comment\n"
             "\n"
             "token mint 'carol smith' 20\n"
             "token transfer bob 5\n");
  RunResult r = t.Run({"call", "--batch", "calls.txt"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  for (const auto& l : lines) EXPECT_TRUE(IsOkReceipt(l)) << l;
  EXPECT_EQ(t.Pool(), 3);
  RunResult q = t.Run({"query", "SELECT owner, balance FROM token.accounts WHERE owner != '" + t.alice +
                                    "' ORDER BY owner", "--csv"});
  EXPECT_EQ(q.out, "owner,balance\nbob,15\ncarol smith,20\n");
  RunResult q2 = t.Run({"query", "SELECT balance FROM token.accounts WHERE owner = '" + t.alice + "'", "--csv"});
  EXPECT_EQ(q2.out, "balance\n95\n");
  // Each receipt's tx is in the pool and can be shown.
  RunResult show = t.Run({"show", lines[1].substr(0, 64)});
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(Has(show.out, "token.mint(\"carol smith\", 20)")) << show.out;
  RunResult c = t.Run({"commit", "--json"});
  EXPECT_EQ(JNum(c.out, "txs"), 3) << c.out;
}

TEST(CliContract, BatchFromStdinJson) {
  Token t;
  RunResult r = t.Run({"call", "--batch", "-", "--json"}, {},
                      "token mint bob 1\ntoken mint dave 2\ntoken mint erin 3\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.front(), '[') << r.out;
  EXPECT_EQ(Count(r.out, "\"txid\": "), 3u) << r.out;
  EXPECT_EQ(Count(r.out, "\"status\": \"ok\""), 3u) << r.out;
  EXPECT_EQ(t.Pool(), 3);
  RunResult text = t.Run({"call", "--batch", "-"}, {}, "token mint frank 4\ntoken mint gina 5");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(Lines(text.out).size(), 2u) << "the last line needs no newline\n" << text.out;
  EXPECT_EQ(t.Pool(), 5);
}

TEST(CliContract, BatchWithBadLinesKeepsTheGoodOnes) {
  Token t;
  RunResult r = t.Run({"call", "--batch", "-"}, {},
                      "token mint bob 10\n"
                      "token transfer bob 0\n"
                      "token mint bob x\n"
                      "token nosuch\n"
                      "justoneword\n"
                      "token mint carol 20\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << "one receipt per line\n" << r.out;
  EXPECT_TRUE(IsOkReceipt(lines[0])) << lines[0];
  EXPECT_TRUE(Has(lines[1], "failed: amount must be positive")) << lines[1];
  EXPECT_TRUE(Has(lines[2], "failed")) << lines[2];
  EXPECT_TRUE(Has(lines[2], "line 3")) << lines[2];
  EXPECT_TRUE(Has(lines[3], "failed")) << lines[3];
  EXPECT_TRUE(Has(lines[4], "failed")) << lines[4];
  EXPECT_TRUE(IsOkReceipt(lines[5])) << lines[5];
  EXPECT_EQ(t.Pool(), 2);
  RunResult q = t.Run({"query", "SELECT owner, balance FROM token.accounts WHERE owner IN ('bob','carol') ORDER BY owner", "--csv"});
  EXPECT_EQ(q.out, "owner,balance\nbob,10\ncarol,20\n");

  RunResult j = t.Run({"call", "--batch", "-", "--json"}, {}, "token mint dave 1\ntoken transfer dave 0\n");
  EXPECT_EQ(j.code, 1);
  EXPECT_EQ(Count(j.out, "\"status\": \"ok\""), 1u) << j.out;
  EXPECT_EQ(Count(j.out, "\"status\": \"failed\""), 1u) << j.out;
  EXPECT_TRUE(Has(j.out, "\"error\": \"amount must be positive\"")) << j.out;
  EXPECT_EQ(t.Pool(), 3);
}

TEST(CliContract, BatchLaterLinesSeeEarlierOnes) {
  Token t;
  // carol's account is created by line 1 and used by line 2 in the same batch.
  RunResult r = t.Run({"call", "--batch", "-"}, {}, "token mint carol 0\ntoken transfer carol 60\ntoken transfer carol 60\n");
  EXPECT_EQ(r.code, 1);
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_TRUE(IsOkReceipt(lines[0]));
  EXPECT_TRUE(IsOkReceipt(lines[1]));
  EXPECT_TRUE(Has(lines[2], "CHECK constraint")) << lines[2];
  EXPECT_EQ(t.Pool(), 2);
}

TEST(CliContract, BatchErrors) {
  Token t;
  RunResult missing = t.Run({"call", "--batch", "nosuch.txt"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Has(missing.err, "nosuch.txt")) << missing.err;
  RunResult both = t.Run({"call", "--batch", "-", "token", "open"});
  EXPECT_EQ(both.code, 2);
  EXPECT_TRUE(Has(both.err, "usage: aergo call")) << both.err;
  RunResult empty = t.Run({"call", "--batch", "-"}, {}, "");
  EXPECT_EQ(empty.code, 0) << empty.err;
  EXPECT_EQ(t.Pool(), 0);
}

TEST(CliContract, ResetDiscardsPendingTxsAndRestoresState) {
  Token t;
  std::string committed = t.Balances();
  ASSERT_EQ(t.Run({"call", "token", "mint", "bob", "50"}).code, 0);
  ASSERT_EQ(t.Run({"call", "token", "transfer", "bob", "25"}).code, 0);
  ASSERT_EQ(t.Run({"deploy", "token2", "token.sql"}).code, 0);
  EXPECT_NE(t.Balances(), committed);
  EXPECT_EQ(t.Pool(), 3);
  RunResult r = t.Run({"reset"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "discarded 3 pending txs")) << r.out;
  EXPECT_EQ(t.Pool(), 0);
  EXPECT_EQ(t.Balances(), committed);
  EXPECT_EQ(t.Run({"query", "SELECT * FROM token2.accounts"}).code, 1) << "the pending deploy is gone";
  RunResult again = t.Run({"reset"});
  EXPECT_EQ(again.code, 0);
  EXPECT_TRUE(Has(again.out, "discarded 0 pending txs")) << again.out;
  RunResult commit = t.Run({"commit"});
  EXPECT_EQ(commit.code, 1);
  // The pool works again after a reset.
  ASSERT_EQ(t.Run({"call", "token", "mint", "bob", "1"}).code, 0);
  EXPECT_EQ(t.Pool(), 1);
  EXPECT_EQ(t.Run({"fsck"}).code, 0);
}

TEST(CliContract, SameCallTwiceIsTwoTxs) {
  Token t;
  RunResult a = t.Run({"call", "token", "mint", "bob", "1", "--json"});
  RunResult b = t.Run({"call", "token", "mint", "bob", "1", "--json"});
  ASSERT_EQ(a.code, 0);
  ASSERT_EQ(b.code, 0);
  EXPECT_NE(JStr(a.out, "txid"), JStr(b.out, "txid")) << "each tx has its own salt";
  RunResult q = t.Run({"query", "SELECT balance FROM token.accounts WHERE owner = 'bob'", "--csv"});
  EXPECT_EQ(q.out, "balance\n2\n");
}

TEST(CliContract, StepBudgetStopsARunawayCallCleanly) {
  Token t;
  t.sb.Write("repo/spin.sql",
             "CREATE TABLE t (a INTEGER PRIMARY KEY);\n"
             "CREATE FUNCTION spin() AS\n"
             "  INSERT INTO t SELECT count(*) FROM (WITH RECURSIVE c(x) AS "
             "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c);\n"
             "END;\n"
             "CREATE FUNCTION add(v INTEGER) AS\n"
             "  INSERT INTO t VALUES (:v);\n"
             "END;\n");
  ASSERT_EQ(t.Run({"deploy", "spin", "spin.sql"}).code, 0);
  ASSERT_EQ(t.Run({"commit", "-m", "spin"}).code, 0);

  RunResult r = t.Run({"call", "spin", "spin", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error: call spin.spin failed:")) << r.err;
  EXPECT_TRUE(Has(r.err, "step budget")) << r.err;
  EXPECT_TRUE(Has(r.out, "\"status\": \"failed\"")) << r.out;
  EXPECT_EQ(t.Pool(), 0);

  // In a batch, the runaway line fails alone; the others are kept.
  RunResult b = t.Run({"call", "--batch", "-"}, {}, "spin add 1\nspin spin\nspin add 2\n");
  EXPECT_EQ(b.code, 1);
  auto lines = Lines(b.out);
  ASSERT_EQ(lines.size(), 3u) << b.out << b.err;
  EXPECT_TRUE(IsOkReceipt(lines[0])) << lines[0];
  EXPECT_TRUE(Has(lines[1], "step budget")) << lines[1];
  EXPECT_TRUE(IsOkReceipt(lines[2])) << lines[2];
  EXPECT_EQ(t.Pool(), 2);
  RunResult q = t.Run({"query", "SELECT a FROM spin.t ORDER BY a", "--csv"});
  EXPECT_EQ(q.out, "a\n1\n2\n");
}

// Tables keyed by anything but INTEGER PRIMARY KEY are stored WITHOUT
// ROWID: NULL keys are refused, and a state rebuilt by replay is the same.
TEST(CliContract, TableStorageRules) {
  Token t;
  t.sb.Write("repo/auto.sql", "CREATE TABLE t (\n  id INTEGER PRIMARY KEY AUTOINCREMENT);\n");
  RunResult a = t.Run({"deploy", "auto", "auto.sql"});
  EXPECT_EQ(a.code, 1);
  EXPECT_TRUE(Has(a.err,
                  "aergo: error: auto.sql:2: AUTOINCREMENT is not allowed: its counter lives in "
                  "sqlite_sequence, outside the ledger state"))
      << a.err;

  t.sb.Write("repo/kv.sql",
             "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);\n"
             "CREATE TABLE log (id INTEGER PRIMARY KEY, k TEXT);\n"
             "CREATE FUNCTION put(k TEXT, v INTEGER) AS\n"
             "  INSERT INTO kv VALUES (:k, :v);\n"
             "  INSERT INTO log (k) VALUES (:k);\n"
             "END;\n"
             "CREATE FUNCTION nokey(v INTEGER) AS INSERT INTO kv (v) VALUES (:v); END;\n");
  ASSERT_EQ(t.Run({"deploy", "kv", "kv.sql"}).code, 0);
  ASSERT_EQ(t.Run({"call", "kv", "put", "b", "2"}).code, 0);
  ASSERT_EQ(t.Run({"call", "kv", "put", "a", "1"}).code, 0);
  RunResult n = t.Run({"call", "kv", "nokey", "3"});
  EXPECT_EQ(n.code, 1);
  EXPECT_TRUE(Has(n.err, "NOT NULL constraint failed: kv.kv.k")) << n.err;
  ASSERT_EQ(t.Run({"commit", "-m", "kv"}).code, 0);

  const std::string kv = "k,v\na,1\nb,2\n";
  const std::string log = "id,k\n1,b\n2,a\n";
  EXPECT_EQ(t.Run({"query", "SELECT * FROM kv.kv", "--csv"}).out, kv);
  EXPECT_EQ(t.Run({"query", "SELECT * FROM kv.log ORDER BY id", "--csv"}).out, log);
  ASSERT_EQ(t.Run({"reset"}).code, 0);
  EXPECT_EQ(t.Run({"query", "SELECT * FROM kv.kv", "--csv"}).out, kv);
  EXPECT_EQ(t.Run({"query", "SELECT * FROM kv.log ORDER BY id", "--csv"}).out, log);
  EXPECT_EQ(t.Run({"fsck"}).code, 0);
}

TEST(CliContract, CallOnUncommittedDeployWorks) {
  Sandbox sb;
  sb.InitTokenRepo();
  ASSERT_EQ(sb.Run({"deploy", "token", "token.sql"}, sb.repo()).code, 0);
  RunResult r = sb.Run({"call", "token", "open"}, sb.repo());
  EXPECT_EQ(r.code, 0) << r.err;
}

}  // namespace aergo::clitest
