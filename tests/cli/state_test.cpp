// Versioned state through the CLI: aergo diff, query --at, show --changes,
// fsck --fast, and checkout applying the rows that differ.
//
// One scenario (Scene) serves most tests: the token contract on master and
// on a branch "side" that also deploys a second contract, "notes", whose
// functions insert, update and delete rows keyed by an INTEGER PRIMARY KEY.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;

// A contract with insert, update and delete, keyed by a rowid alias.
const char* kNotesContract = R"(CREATE TABLE notes (
  id   INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);

CREATE FUNCTION put(id INTEGER, body TEXT) AS
  INSERT INTO notes (id, body) VALUES (:id, :body)
    ON CONFLICT (id) DO UPDATE SET body = :body;
END;

CREATE FUNCTION del(id INTEGER) AS
  DELETE FROM notes WHERE id = :id;
END;
)";

const char* kNotes = "SELECT id, body FROM notes.notes ORDER BY id";

// One row change of diff --json / show --changes --json.
struct Change {
  std::string table, op, key, old_row, new_row;
};

std::vector<Change> Changes(const std::string& json_array) {
  std::vector<Change> out;
  for (const auto& o : Objects(json_array))
    out.push_back({JStr(o, "table"), JStr(o, "op"), JRaw(o, "key"), JRaw(o, "old"), JRaw(o, "new")});
  return out;
}

// master: g -- m1 (deploy token, alice 100) -- m2 (bob 5) -- m3 (alice 70,
// bob 35, carol 7). side, from m2: s3 (deploy notes, notes 1 "one" and 2
// "two", dave 9). master is checked out, pools empty. csv[id] is what
// `query --csv kBalances` printed with block id checked out.
struct Scene : TokenSandbox {
  std::string g, m1, m2, m3, s3;
  std::map<std::string, std::string> csv;
  std::string s3_notes;  // query --csv kNotes with s3 checked out

  Scene() {
    sb.Write("repo/notes.sql", kNotesContract);
    g = Head();
    DeployAndFund();
    m1 = Commit("setup");
    csv[m1] = Csv(kBalances);
    Must({"call", "token", "mint", "bob", "5"});
    m2 = Commit("bob");
    csv[m2] = Csv(kBalances);
    Must({"branch", "side"});
    Must({"call", "token", "transfer", "bob", "30"});
    Must({"call", "token", "mint", "carol", "7"});
    m3 = Commit("carol");
    csv[m3] = Csv(kBalances);
    Must({"checkout", "side"});
    Must({"deploy", "notes", "notes.sql"});
    Must({"call", "notes", "put", "1", "one"});
    Must({"call", "notes", "put", "2", "two"});
    Must({"call", "token", "mint", "dave", "9"});
    s3 = Commit("notes");
    csv[s3] = Csv(kBalances);
    s3_notes = Csv(kNotes);
    Must({"checkout", "master"});
  }

  std::string Head() { return JStr(Run({"status", "--json"}).out, "head"); }
  std::string Commit(const std::string& msg) {
    return Field({"commit", "-m", msg, "--json"}, "block");
  }
  // query --csv `sql` [--at rev]; expects exit code 0.
  std::string Csv(const std::string& sql, const std::string& at = "") {
    std::vector<std::string> args = {"query", sql, "--csv"};
    if (!at.empty()) args.insert(args.end(), {"--at", at});
    RunResult r = Run(args);
    EXPECT_EQ(r.code, 0) << Joined(args) << ": " << r.err;
    return r.out;
  }
  // Runs args, expects exit code 0, returns stdout.
  std::string Out(const std::vector<std::string>& args) {
    RunResult r = Run(args);
    EXPECT_EQ(r.code, 0) << Joined(args) << ": " << r.err;
    return r.out;
  }
  // Everything a user can read of the checked-out state.
  std::string Dump() {
    std::string d;
    for (const char* sql : {kBalances, "SELECT * FROM aergo.contracts ORDER BY 1",
                            "SELECT * FROM aergo.directory ORDER BY 1",
                            "SELECT * FROM aergo.settings ORDER BY 1"})
      d += Csv(sql);
    RunResult notes = Run({"query", kNotes, "--csv"});
    d += notes.code == 0 ? notes.out : "(no notes)\n";
    return d;
  }
  std::string Db() const { return sb.repo() + "/.aergo/ledger.db"; }
};

// Runs `sql` on the repository's ledger.db directly (to tamper with it);
// returns the number of rows changed, or -1 on error.
int Sqlite(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (err) ADD_FAILURE() << sql << ": " << err;
  sqlite3_free(err);
  int n = rc == SQLITE_OK ? sqlite3_changes(db) : -1;
  sqlite3_close(db);
  return n;
}

// The first column of the first row of `sql` on ledger.db, or "" if none.
std::string SqliteText(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string Swapped(const std::string& op) {
  return op == "insert" ? "delete" : op == "delete" ? "insert" : op;
}

}  // namespace

// ---- diff ----

TEST(CliStateDiff, TextLinesForInsertUpdateDelete) {
  Scene s;
  s.Must({"checkout", "side"});
  s.Must({"call", "notes", "put", "1", "uno"});
  s.Must({"call", "notes", "del", "2"});
  s.Must({"call", "notes", "put", "3", "three"});
  RunResult d = s.Run({"diff"});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(d.out,
            "table notes.notes\n"
            "~ id=1: body one -> uno\n"
            "- id=2, body=two\n"
            "+ id=3, body=three\n");
  RunResult j = s.Run({"diff", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out,
            "[{\"table\": \"notes.notes\", \"op\": \"update\", \"key\": {\"id\": 1}, "
            "\"old\": {\"id\": 1, \"body\": \"one\"}, \"new\": {\"id\": 1, \"body\": \"uno\"}}, "
            "{\"table\": \"notes.notes\", \"op\": \"delete\", \"key\": {\"id\": 2}, "
            "\"old\": {\"id\": 2, \"body\": \"two\"}, \"new\": null}, "
            "{\"table\": \"notes.notes\", \"op\": \"insert\", \"key\": {\"id\": 3}, "
            "\"old\": null, \"new\": {\"id\": 3, \"body\": \"three\"}}]\n");
  EXPECT_EQ(s.Out({"diff", "--stat"}), "notes.notes  +1 -1 ~1\n1 table, 3 rows changed\n");
  EXPECT_EQ(s.Out({"diff", "--stat", "--json"}),
            "[{\"table\": \"notes.notes\", \"insert\": 1, \"delete\": 1, \"update\": 1}]\n");
  // A row changed and changed back is not a difference.
  s.Must({"call", "notes", "put", "1", "one"});
  EXPECT_EQ(s.Out({"diff"}),
            "table notes.notes\n"
            "- id=2, body=two\n"
            "+ id=3, body=three\n");
  // After the commit the pool is empty and so is the diff; the block holds
  // exactly those rows.
  std::string pending = s.Out({"diff"});
  s.Commit("notes edits");
  EXPECT_EQ(s.Out({"diff"}), "");
  EXPECT_EQ(s.Out({"diff", "--json"}), "[]\n");
  EXPECT_EQ(s.Out({"diff", "--stat"}), "0 tables, 0 rows changed\n");
  EXPECT_EQ(s.Out({"diff", "--stat", "--json"}), "[]\n");
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD"}), pending);
  EXPECT_EQ(s.Out({"diff", "HEAD~1"}), pending) << "one revision: against the checked-out state";
}

TEST(CliStateDiff, PendingPoolOnly) {
  Scene s;
  EXPECT_EQ(s.Out({"diff"}), "") << "nothing pending on master";
  s.Must({"call", "token", "mint", "carol", "1"});     // carol 7 -> 8
  s.Must({"call", "token", "mint", "erin", "2"});      // new row
  s.Must({"call", "token", "transfer", "bob", "10"});  // alice 70 -> 60, bob 35 -> 45
  // Rows in key-byte order: shorter text keys first (alice is an address).
  std::string want = "table token.accounts\n"
                     "~ owner=bob: balance 35 -> 45\n"
                     "+ owner=erin, balance=2\n"
                     "~ owner=carol: balance 7 -> 8\n"
                     "~ owner=" + s.alice + ": balance 70 -> 60\n";
  EXPECT_EQ(s.Out({"diff"}), want);
  EXPECT_EQ(s.Out({"diff", "HEAD"}), want) << "HEAD against the checked-out state is the pool";
  EXPECT_EQ(s.Out({"diff", "master"}), want);
  EXPECT_EQ(s.Out({"diff", "--table", "token.accounts"}), want);
  EXPECT_EQ(s.Out({"diff", "--stat"}), "token.accounts  +1 -0 ~3\n1 table, 4 rows changed\n");
  EXPECT_EQ(s.Out({"diff", "--stat", "--json"}),
            "[{\"table\": \"token.accounts\", \"insert\": 1, \"delete\": 0, \"update\": 3}]\n");
  auto changes = Changes(s.Out({"diff", "--json"}));
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[1].table, "token.accounts");
  EXPECT_EQ(changes[1].op, "insert");
  EXPECT_EQ(changes[1].key, "{\"owner\": \"erin\"}");
  EXPECT_EQ(changes[1].old_row, "null");
  EXPECT_EQ(changes[1].new_row, "{\"owner\": \"erin\", \"balance\": 2}");
  EXPECT_EQ(changes[3].op, "update");
  EXPECT_EQ(changes[3].key, "{\"owner\": \"" + s.alice + "\"}");
  EXPECT_EQ(changes[3].old_row, "{\"owner\": \"" + s.alice + "\", \"balance\": 70}");
  EXPECT_EQ(changes[3].new_row, "{\"owner\": \"" + s.alice + "\", \"balance\": 60}");

  // The block sealing the pool records the same rows.
  std::string block = s.Commit("pool");
  EXPECT_EQ(s.Out({"diff"}), "");
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD"}), want);
  std::string shown = s.Out({"show", block, "--changes"});
  EXPECT_TRUE(Has(shown, "\n\nChanges:\n" + want)) << shown;
  EXPECT_EQ(shown.substr(shown.size() - want.size()), want) << shown;

  // reset empties the diff too.
  s.Must({"call", "token", "mint", "zed", "1"});
  EXPECT_EQ(s.Out({"diff"}), "table token.accounts\n+ owner=zed, balance=1\n");
  s.Must({"reset"});
  EXPECT_EQ(s.Out({"diff"}), "");
  // A detached HEAD has no pool: nothing to show.
  s.Must({"checkout", s.m2});
  EXPECT_EQ(s.Out({"diff"}), "");
  EXPECT_EQ(s.Out({"diff", "--stat"}), "0 tables, 0 rows changed\n");
}

TEST(CliStateDiff, TwoRevisionsAndInverse) {
  Scene s;
  // master (m3) to side (s3), through their common ancestor m2.
  std::string want = "table token.accounts\n"
                     "~ owner=bob: balance 35 -> 5\n"
                     "+ owner=dave, balance=9\n"
                     "- owner=carol, balance=7\n"
                     "~ owner=" + s.alice + ": balance 70 -> 100\n";
  EXPECT_EQ(s.Out({"diff", "master", "side", "--table", "token.accounts"}), want);
  EXPECT_EQ(s.Out({"diff", "side", "master", "--table", "token.accounts"}),
            "table token.accounts\n"
            "~ owner=bob: balance 5 -> 35\n"
            "- owner=dave, balance=9\n"
            "+ owner=carol, balance=7\n"
            "~ owner=" + s.alice + ": balance 100 -> 70\n");
  // Without --table: the deploy's registry row and the new contract's rows too.
  std::string all = s.Out({"diff", "master", "side"});
  EXPECT_EQ(all.rfind("table aergo.contracts\n+ ", 0), 0u) << all;
  EXPECT_TRUE(Has(all, "table notes.notes\n+ id=1, body=one\n+ id=2, body=two\ntable token.accounts\n"))
      << all;
  EXPECT_EQ(all.substr(all.size() - want.size()), want) << all;
  EXPECT_EQ(s.Out({"diff", "side", "--stat"}),
            s.Out({"diff", "side", "master", "--stat"})) << "master is checked out";
  std::string stat = s.Out({"diff", "master", "side", "--stat"});
  EXPECT_TRUE(Has(stat, "notes.notes  +2 -0 ~0\n")) << stat;
  EXPECT_TRUE(Has(stat, "token.accounts  +1 -1 ~2\n")) << stat;
  EXPECT_TRUE(Has(stat, "aergo.contracts  +1 -0 ~0\n")) << stat;
  EXPECT_TRUE(Has(stat, "3 tables, ")) << stat;
  std::string stat_json = s.Out({"diff", "master", "side", "--stat", "--json"});
  EXPECT_TRUE(Has(stat_json,
                  "{\"table\": \"token.accounts\", \"insert\": 1, \"delete\": 1, \"update\": 2}"))
      << stat_json;

  // diff B A is the inverse of diff A B: same rows, ops swapped, old and new swapped.
  auto ab = Changes(s.Out({"diff", "master", "side", "--json"}));
  auto ba = Changes(s.Out({"diff", "side", "master", "--json"}));
  ASSERT_EQ(ab.size(), ba.size());
  ASSERT_GE(ab.size(), 7u);
  for (size_t i = 0; i < ab.size(); ++i) {
    SCOPED_TRACE(ab[i].table + " " + ab[i].key);
    EXPECT_EQ(ba[i].table, ab[i].table);
    EXPECT_EQ(ba[i].key, ab[i].key);
    EXPECT_EQ(ba[i].op, Swapped(ab[i].op));
    EXPECT_EQ(ba[i].old_row, ab[i].new_row);
    EXPECT_EQ(ba[i].new_row, ab[i].old_row);
    EXPECT_EQ(ab[i].old_row == "null", ab[i].op == "insert") << ab[i].old_row;
    EXPECT_EQ(ab[i].new_row == "null", ab[i].op == "delete") << ab[i].new_row;
  }
  // Any revision syntax; a revision against itself is empty.
  EXPECT_EQ(s.Out({"diff", s.m3.substr(0, 10), "side@3", "--table", "token.accounts"}), want);
  EXPECT_EQ(s.Out({"diff", "side", "side"}), "");
  EXPECT_EQ(s.Out({"diff", "master~1", "master"}),
            "table token.accounts\n"
            "~ owner=bob: balance 5 -> 35\n"
            "+ owner=carol, balance=7\n"
            "~ owner=" + s.alice + ": balance 100 -> 70\n");
  // From genesis: every row of the state is an insert.
  std::string from_g = s.Out({"diff", s.g, "master", "--table", "token.accounts"});
  EXPECT_EQ(Count(from_g, "\n+ "), 3u) << from_g;
  EXPECT_EQ(Count(from_g, "\n"), 4u) << from_g;

  // One revision: against the checked-out state, pool included.
  s.Must({"call", "token", "mint", "carol", "1"});
  std::string one = s.Out({"diff", "side", "--table", "token.accounts"});
  EXPECT_TRUE(Has(one, "+ owner=carol, balance=8\n")) << one;
  std::string two = s.Out({"diff", "side", "HEAD", "--table", "token.accounts"});
  EXPECT_TRUE(Has(two, "+ owner=carol, balance=7\n")) << two;
}

TEST(CliStateDiff, TableFilterAndErrors) {
  Scene s;
  EXPECT_EQ(s.Out({"diff", "master~1", "master", "--table", "token.accounts"}),
            s.Out({"diff", "master~1", "master"}));
  // A table that exists at one end only is fine; its rows are inserts.
  EXPECT_EQ(s.Out({"diff", "master", "side", "--table", "notes.notes"}),
            "table notes.notes\n+ id=1, body=one\n+ id=2, body=two\n");
  EXPECT_EQ(s.Out({"diff", "side", "master", "--table", "notes.notes", "--stat"}),
            "notes.notes  +0 -2 ~0\n1 table, 2 rows changed\n");
  // An existing table with no change: empty, exit 0.
  EXPECT_EQ(s.Out({"diff", "master~1", "master", "--table", "aergo.contracts"}), "");
  EXPECT_EQ(s.Out({"diff", "master~1", "master", "--table", "aergo.contracts", "--json"}), "[]\n");

  RunResult nope = s.Run({"diff", "--table", "nope.t"});
  EXPECT_EQ(nope.code, 1);
  EXPECT_TRUE(Has(nope.err, "aergo: error:")) << nope.err;
  EXPECT_TRUE(Has(nope.err, "table 'nope.t' does not exist")) << nope.err;
  EXPECT_EQ(nope.out, "");
  // notes.notes exists on side only: neither end of master~1..master has it.
  RunResult elsewhere = s.Run({"diff", "master~1", "master", "--table", "notes.notes"});
  EXPECT_EQ(elsewhere.code, 1);
  EXPECT_TRUE(Has(elsewhere.err, "table 'notes.notes' does not exist")) << elsewhere.err;

  RunResult bad = s.Run({"diff", "--table", "bad"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(Has(bad.err, "bad")) << bad.err;
  EXPECT_TRUE(Has(bad.err, "usage: aergo diff")) << bad.err;
  EXPECT_EQ(bad.out, "");

  RunResult unknown = s.Run({"diff", "nosuchrev"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(Has(unknown.err, "aergo: error:")) << unknown.err;
  EXPECT_TRUE(Has(unknown.err, "nosuchrev")) << unknown.err;
  RunResult unknown2 = s.Run({"diff", "master", "nosuchrev2", "--json"});
  EXPECT_EQ(unknown2.code, 1);
  EXPECT_TRUE(Has(unknown2.err, "nosuchrev2")) << unknown2.err;
  EXPECT_EQ(unknown2.out, "");
  RunResult past = s.Run({"diff", "master~9"});
  EXPECT_EQ(past.code, 1);
  EXPECT_TRUE(Has(past.err, "master~9")) << past.err;

  RunResult three = s.Run({"diff", "master", "side", "master~1"});
  EXPECT_EQ(three.code, 2);
  EXPECT_TRUE(Has(three.err, "usage: aergo diff")) << three.err;
  EXPECT_EQ(three.out, "");
}

// ---- query --at ----

TEST(CliStateQueryAt, EveryRevisionFormAndSnapshotIsolation) {
  Scene s;
  s.Must({"tag", "v1", "--block=" + s.m1});
  struct Case {
    std::string rev, block;
  };
  std::vector<Case> cases = {
      {"side", s.s3},          {"v1", s.m1},       {s.m2.substr(0, 10), s.m2},
      {"master@1", s.m1},      {"HEAD~1", s.m2},   {"master", s.m3},
      {"HEAD", s.m3},          {s.s3, s.s3},       {"side~1", s.m2},
      {"side@2", s.m2}};
  for (const auto& c : cases)
    EXPECT_EQ(s.Csv(kBalances, c.rev), s.csv[c.block]) << "--at " << c.rev;
  EXPECT_EQ(s.Csv(kNotes, "side"), s.s3_notes);
  // JSON and table output read the same rows.
  RunResult j = s.Run({"query", kBalances, "--json", "--at", "v1"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(j.out, "[{\"owner\": \"" + s.alice + "\", \"balance\": 100}]\n");
  RunResult t = s.Run({"query", "--at", "master~1", "SELECT count(*) AS n, sum(balance) AS total FROM token.accounts"});
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_EQ(t.out, "n  total\n-  -----\n2  105\n(1 row)\n");
  // A self-join reads the overlay on both sides.
  RunResult join = s.Run({"query", "--at", "side",
                          "SELECT a.owner, b.balance FROM token.accounts a JOIN token.accounts b "
                          "ON a.owner = b.owner WHERE a.owner = 'dave'", "--csv"});
  EXPECT_EQ(join.code, 0) << join.err;
  EXPECT_EQ(join.out, "owner,balance\ndave,9\n");

  // Pending txs belong to no block: --at HEAD leaves them out.
  s.Must({"call", "token", "mint", "carol", "1"});
  EXPECT_EQ(s.Csv(kBalances, "HEAD"), s.csv[s.m3]);
  EXPECT_NE(s.Csv(kBalances), s.csv[s.m3]);

  // More history on both branches: reads as of the old blocks do not change.
  std::string m4 = s.Commit("more");
  s.Must({"call", "token", "transfer", "carol", "8"});
  s.Must({"call", "token", "mint", "bob", "1000"});
  std::string m5 = s.Commit("more again");
  s.Must({"checkout", "side"});
  s.Must({"call", "notes", "del", "1"});
  s.Must({"call", "token", "mint", "dave", "1"});
  s.Commit("side more");
  s.Must({"checkout", "master"});
  for (const auto& c : cases) {
    // Names that moved are read again below.
    if (c.rev.rfind("HEAD", 0) == 0 || (c.rev.rfind("master", 0) == 0 && c.rev != "master@1") ||
        (c.rev.rfind("side", 0) == 0 && c.rev != "side@2"))
      continue;
    EXPECT_EQ(s.Csv(kBalances, c.rev), s.csv[c.block]) << "--at " << c.rev << " after more commits";
  }
  EXPECT_EQ(s.Csv(kBalances, s.m3.substr(0, 12)), s.csv[s.m3]);
  EXPECT_EQ(s.Csv(kBalances, "master~2"), s.csv[s.m3]);
  EXPECT_EQ(s.Csv(kBalances, "side~1"), s.csv[s.s3]);
  EXPECT_EQ(s.Csv(kNotes, "side~1"), s.s3_notes);
  EXPECT_EQ(s.Csv(kNotes, "side"), "id,body\n2,two\n");
  EXPECT_EQ(s.Csv(kBalances, "HEAD"), s.Csv(kBalances));
  // (Addresses start with an upper-case letter: first in ORDER BY owner.)
  EXPECT_EQ(s.Csv(kBalances, m4), "owner,balance\n" + s.alice + ",70\nbob,35\ncarol,8\n");
  EXPECT_EQ(s.Csv(kBalances, "master@5"), s.Csv(kBalances));
  EXPECT_EQ(s.Csv(kBalances, m5), s.Csv(kBalances));
}

TEST(CliStateQueryAt, RefusesWritesAndChangesNothing) {
  Scene s;
  s.Must({"call", "token", "mint", "carol", "1"});  // a pending tx, kept throughout
  std::string status = s.Out({"status", "--json"});
  std::string dump = s.Dump();
  std::string pending = s.Out({"diff"});
  for (const std::string& sql :
       {std::string("INSERT INTO token.accounts (owner, balance) VALUES ('x', 1)"),
        std::string("DELETE FROM token.accounts"),
        std::string("UPDATE token.accounts SET balance = 0"),
        std::string("SELECT 1; DELETE FROM token.accounts"),
        std::string("DROP TABLE token.accounts"),
        std::string("CREATE TABLE t (x)"),
        // notes.notes is a TEMP TABLE of the overlay (master has no notes).
        std::string("DELETE FROM notes.notes"),
        std::string("INSERT INTO notes.notes (id, body) VALUES (9, 'x')"),
        std::string("UPDATE notes.notes SET body = 'x'")}) {
    for (const std::string& at : {std::string("master~1"), std::string("side"), std::string("HEAD")}) {
      if (Has(sql, "notes") && at != "side") continue;
      RunResult r = s.Run({"query", "--at", at, sql});
      EXPECT_EQ(r.code, 1) << sql << " --at " << at << "\n" << r.out;
      EXPECT_EQ(r.err.rfind("aergo: error: ", 0), 0u) << sql << ": " << r.err;
      EXPECT_EQ(r.out, "");
      // DELETE and UPDATE of a table with changed rows (a TEMP VIEW in the
      // overlay) fail with another message: see RefusalMessageForViews.
      bool view = (sql.rfind("DELETE", 0) == 0 || sql.rfind("UPDATE", 0) == 0) && !Has(sql, "notes");
      if (!view) {
        EXPECT_TRUE(Has(r.err, "only a single read-only statement")) << sql << ": " << r.err;
      }
    }
  }
  // Reads as of other blocks leave the checked-out state, pool and HEAD alone.
  for (const std::string& at : {std::string("side"), std::string("master~2"), s.g})
    s.Run({"query", kBalances, "--at", at});
  EXPECT_EQ(s.Out({"status", "--json"}), status);
  EXPECT_EQ(s.Dump(), dump);
  EXPECT_EQ(s.Out({"diff"}), pending);
  RunResult fsck = s.Run({"fsck"});
  EXPECT_EQ(fsck.code, 0) << fsck.err;
  // And the pool still commits exactly its own rows.
  s.Commit("after reads");
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD"}), pending);
  EXPECT_EQ(s.Run({"fsck", "--fast"}).code, 0);
}

TEST(CliStateQueryAt, TablesOfOtherBranchesAndErrors) {
  Scene s;
  // notes exists on side only; master is checked out.
  EXPECT_EQ(s.Csv(kNotes, "side"), s.s3_notes);
  EXPECT_EQ(s.Csv(kNotes, s.s3.substr(0, 8)), s.s3_notes);
  for (const std::string& at : {std::string("side~1"), std::string("master"), std::string("")}) {
    std::vector<std::string> args = {"query", kNotes};
    if (!at.empty()) args.insert(args.end(), {"--at", at});
    RunResult r = s.Run(args);
    EXPECT_EQ(r.code, 1) << "--at " << at << ": " << r.out;
    EXPECT_TRUE(Has(r.err, "no such table")) << "--at " << at << ": " << r.err;
  }
  // The other way round: on side, master's state has no notes, side's has.
  s.Must({"checkout", "side"});
  EXPECT_EQ(s.Csv(kNotes), s.s3_notes);
  RunResult gone = s.Run({"query", kNotes, "--at", "master"});
  EXPECT_EQ(gone.code, 1) << gone.out;
  EXPECT_TRUE(Has(gone.err, "no such table")) << gone.err;
  EXPECT_EQ(s.Csv("SELECT name FROM aergo.contracts ORDER BY name", "master"), "name\ntoken\n");
  EXPECT_EQ(s.Csv("SELECT name FROM aergo.contracts ORDER BY name"), "name\nnotes\ntoken\n");
  EXPECT_EQ(s.Csv(kBalances, "master"), s.csv[s.m3]);
  // At genesis no contract exists.
  RunResult g = s.Run({"query", kBalances, "--at", s.g});
  EXPECT_EQ(g.code, 1);
  EXPECT_TRUE(Has(g.err, "no such table")) << g.err;

  RunResult unknown = s.Run({"query", kBalances, "--at", "nosuchrev"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(Has(unknown.err, "nosuchrev")) << unknown.err;
  EXPECT_EQ(unknown.out, "");
  RunResult past = s.Run({"query", kBalances, "--at", "HEAD~7"});
  EXPECT_EQ(past.code, 1);
  EXPECT_TRUE(Has(past.err, "HEAD~7")) << past.err;
  RunResult missing = s.Run({"query", kBalances, "--at"});
  EXPECT_EQ(missing.code, 2) << missing.err;
}

// DELETE and UPDATE with --at get the documented refusal, even where the
// table is a TEMP VIEW of the overlay (SQLite's "cannot modify ... because
// it is a view" is not shown; it would expose the overlay).
TEST(CliStateQueryAt, RefusalMessageForViews) {
  Scene s;
  for (const std::string& sql :
       {std::string("DELETE FROM token.accounts"), std::string("UPDATE token.accounts SET balance = 0"),
        std::string("DELETE FROM token.accounts WHERE owner = 'bob'")}) {
    RunResult r = s.Run({"query", "--at", "master~1", sql});
    EXPECT_EQ(r.code, 1) << sql;
    EXPECT_TRUE(Has(r.err, "only a single read-only statement")) << sql << ": " << r.err;
    EXPECT_FALSE(Has(r.err, "view")) << sql << ": " << r.err;
  }
}

// With --at, a schema-qualified name cannot bypass the overlay to read the
// checked-out state (main."token.accounts" would mix two states in one "as
// of" read), and the overlay's helper tables ("token.accounts.at",
// "token.accounts.gone") are not readable: both are refused.
TEST(CliStateQueryAt, QualifiedNamesCannotBypassTheOverlay) {
  Scene s;
  std::string at = s.Csv(kBalances, "master~1");
  ASSERT_EQ(at, s.csv[s.m2]);
  RunResult main = s.Run({"query", "--at", "master~1", "--csv",
                          "SELECT owner, balance FROM main.\"token.accounts\" ORDER BY owner"});
  EXPECT_NE(main.out, s.csv[s.m3]) << "read the checked-out state, not master~1's";
  if (main.code == 0) {
    EXPECT_EQ(main.out, at);
  } else {
    EXPECT_EQ(main.code, 1) << main.err;
  }
  for (const char* inner : {"SELECT * FROM \"token.accounts.at\"", "SELECT * FROM \"token.accounts.gone\""}) {
    RunResult r = s.Run({"query", "--at", "master~1", inner});
    EXPECT_EQ(r.code, 1) << inner << "\n" << r.out;
    EXPECT_TRUE(Has(r.err, "is not readable when reading as of a block")) << inner << ": " << r.err;
  }
}

// Reads far from the checked-out state go through cached materialized
// states (.aergo/states/<block>.db): built on first use, reused, bounded by
// state.cache-size, and they read exactly what the overlay reads.
TEST(CliStateQueryAt, CachedStatesReadTheSameRowsAndStayBounded) {
  Scene s;
  std::string states = s.sb.repo() + "/.aergo/states";
  std::map<std::string, std::string> overlay;  // rev -> rows through the overlay
  for (const char* rev : {"master~1", "side", "master~2"}) overlay[rev] = s.Csv(kBalances, rev);
  EXPECT_FALSE(fs::exists(states)) << "no read differed in more than 100000 rows";
  s.Must({"config", "state.cache-rows", "0"});  // cache every read that differs
  s.Must({"config", "state.cache-size", "2"});
  for (const char* rev : {"master~1", "side", "master~1", "master~2"}) {
    EXPECT_EQ(s.Csv(kBalances, rev), overlay[rev]) << rev;
  }
  EXPECT_EQ(s.Csv(kNotes, "side"), s.s3_notes);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(states)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  // The two most recently used: side's and master~2's (master~1 was evicted).
  std::vector<std::string> want = {s.m1 + ".db", s.s3 + ".db"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(files, want);
  // A cached state is a read, never the checked-out state.
  EXPECT_EQ(s.Head(), s.m3);
  EXPECT_EQ(s.Csv(kBalances), s.csv[s.m3]);
  RunResult bad = s.Run({"config", "state.cache-size", "many"});
  ASSERT_EQ(bad.code, 0) << bad.err;
  RunResult q = s.Run({"query", kBalances, "--at", "side"});
  EXPECT_EQ(q.code, 1);
  EXPECT_TRUE(Has(q.err, "state.cache-size must be a non-negative integer")) << q.err;
  s.Must({"config", "state.cache-size", "0"});
  EXPECT_EQ(s.Csv(kBalances, "side"), overlay["side"]);
  EXPECT_FALSE(fs::exists(states + "/" + s.s3 + ".db")) << "a zero-size cache keeps nothing";
  // A block near a cached one reads that cached state plus an overlay:
  // m3 -> m1 differs in 3 rows, m2 -> m1 in 1 (bob).
  s.Must({"config", "state.cache-size", "4"});
  s.Must({"config", "state.cache-rows", "2"});
  EXPECT_EQ(s.Csv(kBalances, "master~1"), overlay["master~1"]);  // builds m2
  EXPECT_TRUE(fs::exists(states + "/" + s.m2 + ".db"));
  fs::remove(states + "/" + s.m1 + ".db");
  EXPECT_EQ(s.Csv(kBalances, "master~2"), overlay["master~2"]);
  EXPECT_FALSE(fs::exists(states + "/" + s.m1 + ".db")) << "read through m2's cached state";
  s.Must({"fsck"});
}

// ---- show --changes ----

TEST(CliStateShow, Changes) {
  Scene s;
  std::string want = "table token.accounts\n"
                     "~ owner=bob: balance 5 -> 35\n"
                     "+ owner=carol, balance=7\n"
                     "~ owner=" + s.alice + ": balance 100 -> 70\n";
  RunResult t = s.Run({"show", s.m3, "--changes"});
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_TRUE(Has(t.out, "\n\nChanges:\n" + want)) << t.out;
  EXPECT_EQ(t.out.substr(t.out.size() - want.size()), want) << t.out;
  EXPECT_EQ(t.out.substr(t.out.find("Changes:\n") + 9), s.Out({"diff", s.m2, s.m3}));
  RunResult plain = s.Run({"show", s.m3});
  EXPECT_FALSE(Has(plain.out, "Changes:")) << plain.out;
  EXPECT_EQ(t.out.substr(0, plain.out.size()), plain.out) << "--changes only appends";

  RunResult j = s.Run({"show", s.m3, "--changes", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(JStr(j.out, "id"), s.m3);
  std::string arr = JRaw(j.out, "changes");
  EXPECT_EQ(arr + "\n", s.Out({"diff", s.m2, s.m3, "--json"}));
  auto changes = Changes(arr);
  ASSERT_EQ(changes.size(), 3u) << j.out;
  EXPECT_EQ(changes[1].op, "insert");
  EXPECT_EQ(changes[1].old_row, "null");
  EXPECT_EQ(changes[1].new_row, "{\"owner\": \"carol\", \"balance\": 7}");
  EXPECT_EQ(changes[0].op, "update");
  EXPECT_EQ(changes[0].old_row, "{\"owner\": \"bob\", \"balance\": 5}");
  RunResult pj = s.Run({"show", s.m3, "--json"});
  EXPECT_FALSE(Has(pj.out, "\"changes\"")) << pj.out;

  // The block on side: a deploy (registry row), the new table, a mint.
  std::string side = s.Out({"show", "side", "--changes"});
  EXPECT_TRUE(Has(side, "\nChanges:\ntable aergo.contracts\n+ ")) << side;
  EXPECT_TRUE(Has(side, "table notes.notes\n+ id=1, body=one\n+ id=2, body=two\n"
                        "table token.accounts\n+ owner=dave, balance=9\n")) << side;
  // A block that changed no row: "Changes:" and nothing after it.
  EXPECT_EQ(s.Run({"call", "token", "transfer", "x", "0"}).code, 1);  // fails: not kept
  s.Must({"call", "token", "mint", "bob", "0"});    // applies, changes nothing
  std::string none = s.Commit("no-op");
  std::string shown = s.Out({"show", none, "--changes"});
  EXPECT_EQ(shown.substr(shown.size() - 11), "\n\nChanges:\n") << shown;
  EXPECT_TRUE(Has(s.Out({"show", none, "--changes", "--json"}), "\"changes\": []}")) << "empty array";
  // A tx id ignores --changes.
  std::string txid = JStr(s.Out({"show", s.m3, "--json"}), "txid");
  EXPECT_EQ(s.Run({"show", txid, "--changes"}).code, 0);
}

// ---- fsck --fast ----

TEST(CliStateFsck, FastDetectsATamperedIndexCopy) {
  Scene s;
  RunResult fast = s.Run({"fsck", "--fast"});
  EXPECT_EQ(fast.code, 0) << fast.err;
  EXPECT_EQ(fast.out, "checked 5 blocks, 11 txs: ok\n");
  RunResult full = s.Run({"fsck"});
  EXPECT_EQ(full.code, 0) << full.err;
  EXPECT_EQ(full.out, fast.out);
  RunResult fj = s.Run({"fsck", "--fast", "--json"});
  EXPECT_EQ(fj.out, "{\"ok\": true, \"blocks\": 5, \"txs\": 11, \"problems\": []}\n");

  // Break the index copy of m2's changes (the block in git is intact).
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE changes SET data = X'00' WHERE block = X'" + s.m2 + "'"), 1);
  std::string msg = "block " + s.m2 + ": index copy of its changes differs from the stored changes";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"fsck", "--fast"}, std::vector<std::string>{"fsck"}}) {
    RunResult r = s.Run(args);
    EXPECT_EQ(r.code, 1) << Joined(args) << r.out;
    EXPECT_TRUE(Has(r.err, "problem: " + msg + "\n")) << Joined(args) << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: repository is corrupt")) << r.err;
    EXPECT_EQ(Count(r.err, "problem: "), 1u) << Joined(args) << "only that block\n" << r.err;
    EXPECT_EQ(r.out, "checked 5 blocks, 11 txs: 1 problem(s)\n");
    std::vector<std::string> json_args = args;
    json_args.push_back("--json");
    RunResult j = s.Run(json_args);
    EXPECT_EQ(j.code, 1);
    EXPECT_TRUE(Has(j.out, "\"ok\": false")) << j.out;
    EXPECT_TRUE(Has(j.out, "\"problems\": [\"" + msg + "\"]")) << j.out;
  }
  // Reads through the broken copy fail cleanly, naming the block.
  RunResult d = s.Run({"diff", "master~2", "master"});
  EXPECT_EQ(d.code, 1) << d.out;
  EXPECT_TRUE(Has(d.err, "aergo: error:")) << d.err;
  EXPECT_TRUE(Has(d.err, s.m2.substr(0, 12))) << d.err;
  RunResult q = s.Run({"query", kBalances, "--at", "master~2"});
  EXPECT_EQ(q.code, 1) << q.out;
  EXPECT_TRUE(Has(q.err, s.m2.substr(0, 12))) << q.err;
  // A checkout that would undo m2 rebuilds its target from genesis's
  // changes instead, which m1 does not need: it lands on m1's state.
  RunResult co = s.Run({"checkout", "master~2"});
  EXPECT_EQ(co.code, 0) << co.err;
  EXPECT_EQ(s.Head(), s.m1);
  EXPECT_EQ(s.Csv(kBalances), s.csv[s.m1]);
  // One that needs m2's changes either way fails, naming the block, and
  // changes nothing.
  std::string dump = s.Dump();
  RunResult back = s.Run({"checkout", "master"});
  EXPECT_EQ(back.code, 1) << back.out;
  EXPECT_TRUE(Has(back.err, "block " + s.m2)) << back.err;
  EXPECT_EQ(s.Head(), s.m1);
  EXPECT_EQ(s.Dump(), dump);
  // show --changes reads the block itself.
  RunResult show = s.Run({"show", s.m2, "--changes"});
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_TRUE(Has(show.out, "~ owner=bob") || Has(show.out, "+ owner=bob")) << show.out;

  // A well-formed but wrong copy (m3's changes under m2) is found too.
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE changes SET data = (SELECT data FROM changes WHERE block = X'" +
                               s.m3 + "') WHERE block = X'" + s.m2 + "'"),
            1);
  RunResult wrong = s.Run({"fsck", "--fast"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, "problem: " + msg + "\n")) << wrong.err;
}

// A repository of another format (1: blocks without changes) is refused by
// every command that opens it, naming both formats, and left as it is.
TEST(CliStateFormat, OtherFormatIsRefused) {
  Scene s;
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE meta SET value = '1' WHERE key = 'format'"), 1);
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"status"}, {"query", kBalances}, {"checkout", "side"}}) {
    RunResult r = s.Run(cmd);
    EXPECT_EQ(r.code, 1) << Joined(cmd) << r.out;
    EXPECT_TRUE(Has(r.err, "has format 1; this aergo reads format 5 only")) << r.err;
  }
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE meta SET value = '5' WHERE key = 'format'"), 1);
  EXPECT_EQ(s.Head(), s.m3);
  s.Must({"fsck"});
}

// Format 2 differs from 3 only in merge block headers (and 3 from 4 only
// in the private flag of branch_policies): a format-2 repository without
// merge blocks is read as it is and marked 5 (format 4, then the
// migration to 5) by the first command that writes.
TEST(CliStateFormat, FormatTwoWithoutMergesIsUpgraded) {
  Scene s;
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE meta SET value = '2' WHERE key = 'format'"), 1);
  s.Must({"status"});
  EXPECT_EQ(SqliteText(s.Db(), "SELECT value FROM meta WHERE key = 'format'"), "2");
  s.Must({"checkout", "side"});
  EXPECT_EQ(SqliteText(s.Db(), "SELECT value FROM meta WHERE key = 'format'"), "5");
  s.Must({"fsck"});
}

TEST(CliStateFsck, FastStillChecksTheBlocksAndTheState) {
  Scene s;
  // The checked-out state itself is compared: change a balance behind aergo's back.
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE \"token.accounts\" SET balance = 36 WHERE owner = 'bob'"), 1);
  for (const char* mode : {"--fast", "--json"}) {
    RunResult r = s.Run({"fsck", mode});
    EXPECT_EQ(r.code, 1) << mode;
    EXPECT_TRUE(Has(r.err + r.out, "checked-out state does not match block " + s.m3)) << mode << r.err << r.out;
  }
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE \"token.accounts\" SET balance = 35 WHERE owner = 'bob'"), 1);
  EXPECT_EQ(s.Run({"fsck", "--fast"}).code, 0);
  // With a pending pool: the state is its block plus the pool.
  s.Must({"call", "token", "mint", "carol", "1"});
  EXPECT_EQ(s.Run({"fsck", "--fast"}).code, 0);
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE \"token.accounts\" SET balance = 7 WHERE owner = 'carol'"), 1);
  RunResult pool = s.Run({"fsck", "--fast"});
  EXPECT_EQ(pool.code, 1);
  EXPECT_TRUE(Has(pool.err, "checked-out state does not match block " + s.m3 + " plus its merge pool"))
      << pool.err;
}

// diff, checkout and query --at check each block's changes (the index copy
// in ledger.db table `changes`) against the block's state root before using
// them (one SHA-256 per block on the path). A copy that decodes but is wrong
// (here m2's changes stored under m3) is refused, naming the block, instead
// of moving the state or reading wrong rows.
TEST(CliStateCheckout, WrongIndexCopyIsNotTrusted) {
  Scene s;
  ASSERT_EQ(Sqlite(s.Db(), "UPDATE changes SET data = (SELECT data FROM changes WHERE block = X'" +
                               s.m2 + "') WHERE block = X'" + s.m3 + "'"),
            1);
  RunResult q = s.Run({"query", kBalances, "--csv", "--at", "master~1"});
  if (q.code == 0) {
    EXPECT_EQ(q.out, s.csv[s.m2]);
  } else {
    EXPECT_EQ(q.code, 1);
    EXPECT_TRUE(Has(q.err, s.m3.substr(0, 12))) << q.err;
  }
  RunResult co = s.Run({"checkout", "master~1"});
  if (co.code == 0) {
    EXPECT_EQ(s.Csv(kBalances), s.csv[s.m2]);
  } else {
    EXPECT_EQ(co.code, 1);
    EXPECT_TRUE(Has(co.err, s.m3.substr(0, 12))) << co.err;
    EXPECT_EQ(s.Head(), s.m3);
    EXPECT_EQ(s.Csv(kBalances), s.csv[s.m3]);
  }
}

// ---- checkout ----

TEST(CliStateCheckout, RoundTripsAreByteIdenticalAndPoolsTravel) {
  Scene s;
  std::string a = s.Dump();
  s.Must({"checkout", "side"});
  std::string b = s.Dump();
  EXPECT_NE(a, b);
  EXPECT_TRUE(Has(b, s.s3_notes)) << b;
  s.Must({"checkout", "master"});
  EXPECT_EQ(s.Dump(), a) << "master -> side -> master";
  s.Must({"checkout", "side"});
  EXPECT_EQ(s.Dump(), b) << "side -> master -> side";

  // Detached checkouts land on the same state --at reads.
  for (const std::string& rev : {s.m1, s.m2.substr(0, 9), std::string("master@2"), s.g}) {
    std::string at = s.Run({"query", kBalances, "--csv", "--at", rev}).out;
    s.Must({"checkout", rev});
    EXPECT_EQ(s.Run({"query", kBalances, "--csv"}).out, at) << rev;
  }
  s.Must({"checkout", "master"});
  EXPECT_EQ(s.Dump(), a) << "back from genesis";

  // Each branch keeps its own pending txs; they leave and come back with it.
  s.Must({"call", "token", "mint", "erin", "3"});
  std::string master_pending = s.Out({"diff"});
  std::string a_pool = s.Dump();
  s.Must({"checkout", "side"});
  EXPECT_EQ(s.Pool(), 0);
  EXPECT_EQ(s.Out({"diff"}), "");
  EXPECT_EQ(s.Dump(), b) << "master's pending tx is not in side's state";
  s.Must({"call", "notes", "del", "1"});
  std::string side_pending = s.Out({"diff"});
  EXPECT_EQ(side_pending, "table notes.notes\n- id=1, body=one\n");
  std::string b_pool = s.Dump();
  s.Must({"checkout", "master"});
  EXPECT_EQ(s.Pool(), 1);
  EXPECT_EQ(s.Out({"diff"}), master_pending);
  EXPECT_EQ(s.Dump(), a_pool);
  EXPECT_EQ(s.Run({"fsck", "--fast"}).code, 0);
  s.Must({"checkout", "side"});
  EXPECT_EQ(s.Pool(), 1);
  EXPECT_EQ(s.Out({"diff"}), side_pending);
  EXPECT_EQ(s.Dump(), b_pool);
  // A detached head shows neither pool.
  s.Must({"checkout", s.m3});
  EXPECT_EQ(s.Dump(), a);
  s.Must({"checkout", "master"});
  EXPECT_EQ(s.Dump(), a_pool);
  EXPECT_EQ(s.Run({"fsck"}).code, 0);
  // Committing master's pool moves only master.
  std::string m4 = s.Commit("erin");
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD"}), master_pending);
  s.Must({"checkout", "side"});
  EXPECT_EQ(s.Out({"diff"}), side_pending);
  (void)m4;
}

}  // namespace aergo::clitest
