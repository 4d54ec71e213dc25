// Contract determinism through the CLI: deploy refuses what calls could not
// run, the date/time functions on explicit arguments (and refused when they
// would read the clock), and the reserved rowid 9223372036854775807. Each
// refused call leaves the merge pool and the state as they were, and the
// history stays verifiable (fsck).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

struct Ledger : TokenSession {
  Ledger() { sb.InitRepo(); }
  // Runs a call expected to fail: exit 1, the error on stderr, the pool
  // and the state unchanged.
  void Refused(const std::vector<std::string>& args, const std::string& error, const std::string& state_query) {
    long long pool = Pool();
    std::string before = Out({"query", state_query, "--json"});
    RunResult r = Run(args);
    EXPECT_EQ(r.code, 1) << Joined(args) << r.out;
    EXPECT_TRUE(Has(r.err, error)) << Joined(args) << "\n" << r.err;
    EXPECT_EQ(Pool(), pool) << Joined(args) << ": nothing enters the merge pool";
    EXPECT_EQ(Out({"query", state_query, "--json"}), before) << Joined(args);
  }
};

}  // namespace

TEST(CliDeterminism, GeneratedColumnsAndForeignKeysAreRefusedAtDeploy) {
  Ledger l;
  struct Case {
    std::string ddl;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"CREATE TABLE t (v TEXT PRIMARY KEY, w AS (v || 'x'));",
       "aergo: error: g.sql:2: table 't': column 'w' is a generated column, which contracts may not declare"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, w TEXT GENERATED ALWAYS AS (v || 'x') STORED);",
       "aergo: error: g.sql:2: table 't': column 'w' is a generated column"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, o TEXT REFERENCES a(k));",
       "aergo: error: g.sql:2: table 't': a foreign key (REFERENCES 'a') is not allowed in contracts"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, n DEFAULT (nosuch()));",
       "aergo: error: g.sql:2: table 't': calls could not write it: unknown function: nosuch()"},
  };
  for (const Case& c : cases) {
    l.sb.Write("repo/g.sql", "CREATE TABLE a (k TEXT PRIMARY KEY);\n" + c.ddl +
                                 "\nCREATE FUNCTION put(v TEXT) AS INSERT INTO t (v) VALUES (:v); END;\n");
    RunResult r = l.Run({"deploy", "g", "g.sql"});
    EXPECT_EQ(r.code, 1) << c.ddl << "\n" << r.out;
    EXPECT_EQ(r.err.rfind(c.error, 0), 0u) << c.ddl << "\n" << r.err;
    EXPECT_EQ(l.Pool(), 0) << c.ddl;
  }
  EXPECT_EQ(l.Run({"query", "SELECT * FROM g.t"}).code, 1) << "no table was created";
}

TEST(CliDeterminism, DateTimeOnBlockTimeAndNeverTheClock) {
  Ledger l;
  l.sb.Write("repo/cal.sql",
             "CREATE TABLE days (k INTEGER PRIMARY KEY, year TEXT, day TEXT);\n"
             "CREATE FUNCTION stamp(k INTEGER) AS\n"
             "  INSERT INTO days VALUES (:k, strftime('%Y', :block_time, 'unixepoch'),\n"
             "                           date(:block_time, 'unixepoch', '+1 day'));\n"
             "END;\n"
             "CREATE FUNCTION at(k INTEGER, v TEXT) AS INSERT INTO days VALUES (:k, NULL, date(:v)); END;\n");
  l.Must({"deploy", "cal", "cal.sql"});
  l.Must({"call", "cal", "stamp", "1"});
  std::string block = l.Commit("stamp");
  std::string time = JStr(l.Out({"show", block, "--json"}), "time");  // YYYY-MM-DDTHH:MM:SSZ
  ASSERT_EQ(time.size(), 20u) << time;
  std::string rows =
      l.Out({"query", "SELECT year, day > '" + time.substr(0, 10) + "' AS later FROM cal.days", "--csv"});
  EXPECT_EQ(rows, "year,later\n" + time.substr(0, 4) + ",1\n");

  const char* state = "SELECT * FROM cal.days ORDER BY k";
  l.Refused({"call", "cal", "at", "2", "now"}, "aergo: error: call cal.at failed: date(): 'now' reads the clock; use :block_time", state);
  l.Refused({"call", "cal", "at", "2", "NOW"}, "date(): 'NOW' reads the clock; use :block_time", state);
  l.Must({"call", "cal", "at", "2", "2024-02-30"});
  EXPECT_EQ(l.Out({"query", "SELECT day FROM cal.days WHERE k = 2", "--csv"}), "day\n2024-03-01\n");

  // Written into the text, the clock is refused at deploy.
  l.sb.Write("repo/now.sql",
             "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);\n"
             "CREATE FUNCTION f() AS\n"
             "  INSERT INTO t VALUES (1, datetime(:block_time, 'unixepoch', 'localtime'));\n"
             "END;\n");
  RunResult d = l.Run({"deploy", "now", "now.sql"});
  EXPECT_EQ(d.code, 1);
  EXPECT_EQ(d.err,
            "aergo: error: now.sql:3: function datetime() is not allowed in contracts: not deterministic "
            "(the modifier 'localtime' depends on the host's time zone)\n");
  RunResult q = l.Run({"query", "SELECT date('now')"});
  EXPECT_EQ(q.code, 1);
  EXPECT_TRUE(Has(q.err, "date(): 'now' reads the clock; use :block_time")) << q.err;
  l.Commit("at");
  l.ExpectFsckClean();
}

TEST(CliDeterminism, ReservedRowidIsRefused) {
  Ledger l;
  l.sb.Write("repo/notes.sql",
             "CREATE TABLE n (id INTEGER PRIMARY KEY, body TEXT);\n"
             "CREATE FUNCTION put(id INTEGER, body TEXT) AS INSERT INTO n VALUES (:id, :body); END;\n"
             "CREATE FUNCTION add(body TEXT) AS INSERT INTO n (body) VALUES (:body); END;\n");
  l.Must({"deploy", "notes", "notes.sql"});
  l.Commit("deploy");
  const char* state = "SELECT id, body FROM notes.n ORDER BY id";
  const std::string reserved =
      "aergo: error: call notes.put failed: rowid 9223372036854775807 is reserved (table 'n'): "
      "after it SQLite picks rowids at random";
  l.Refused({"call", "notes", "put", "9223372036854775807", "max"}, reserved, state);
  l.Must({"call", "notes", "put", "9223372036854775806", "below"});
  // The next automatic rowid would be the reserved one.
  l.Refused({"call", "notes", "add", "next"},
            "aergo: error: call notes.add failed: rowid 9223372036854775807 is reserved (table 'n')", state);
  EXPECT_EQ(l.Pool(), 1);
  RunResult j = l.Run({"call", "notes", "put", "9223372036854775807", "max", "--json"});
  EXPECT_EQ(j.code, 1);
  EXPECT_TRUE(Has(j.out, "\"status\": \"failed\"")) << j.out;
  EXPECT_EQ(JStr(j.out, "error"),
            "rowid 9223372036854775807 is reserved (table 'n'): after it SQLite picks rowids at random")
      << j.out;
  l.Commit("below");
  EXPECT_EQ(l.Out({"query", state, "--csv"}), "id,body\n9223372036854775806,below\n");
  l.ExpectFsckClean();
}

}  // namespace aergo::clitest
