// Unit tests for core/recorder.h: ChangeRecorder folds the rows a connection
// writes into a net ChangeSet (core/changes.h), which ApplyChanges
// (core/state.h) replays on a copy of the starting state.
#include "core/recorder.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/contract.h"
#include "core/sqlite.h"
#include "core/state.h"
#include "tests/unit/values.h"

namespace aergo {
namespace {

using testutil::B;
using testutil::F;
using testutil::I;
using testutil::N;
using testutil::T;

// Canonical key bytes of the given key values (in key order).
std::string Key(const std::vector<Value>& key_values) {
  Writer w;
  for (const Value& v : key_values) EncodeValue(&w, v);
  return std::string(w.bytes().begin(), w.bytes().end());
}

std::string RowText(const std::optional<Row>& row) {
  if (!row) return "(absent)";
  std::string s = "(";
  for (size_t i = 0; i < row->size(); ++i) {
    s += (i ? ", " : "") + std::string(ValueTypeName((*row)[i].type)) + " " + ValueToDisplay((*row)[i]);
  }
  return s + ")";
}

std::string Describe(const ChangeSet& cs) {
  std::string out;
  for (const auto& [name, t] : cs.tables) {
    for (const auto& [k, c] : t.rows) {
      out += name + " " + OpName(OpOf(c)) + " " + RowText(c.before) + " -> " + RowText(c.after) + "\n";
    }
  }
  return out.empty() ? "(no changes)\n" : out;
}

// Storage tables of the tests: a WITHOUT ROWID text key, a rowid table with
// an INTEGER PRIMARY KEY (and a UNIQUE column, for REPLACE deleting another
// row), a composite key declared out of column order, and a plain table.
constexpr const char* kSchema = R"sql(
CREATE TABLE "c.t" (k TEXT PRIMARY KEY, v INTEGER CHECK (v BETWEEN -1000 AND 1000), note TEXT) WITHOUT ROWID;
CREATE TABLE "c.n" (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, data BLOB);
CREATE TABLE "c.k" (a TEXT NOT NULL, b INTEGER NOT NULL, v, PRIMARY KEY (b, a)) WITHOUT ROWID;
CREATE TABLE pool (id INTEGER PRIMARY KEY, x TEXT);
)sql";

constexpr const char* kStartRows = R"sql(
INSERT INTO "c.t" VALUES ('a', 1, 'x'), ('b', 2, NULL);
INSERT INTO "c.n" VALUES (1, 'one', 1.5, x'01'), (2, 'two', NULL, NULL);
INSERT INTO "c.k" VALUES ('p', 1, 'v1'), ('q', 1, 2.5);
INSERT INTO pool VALUES (1, 'x');
)sql";

const std::vector<std::string> kTables = {"c.k", "c.n", "c.t"};

// A table's rows by KeyBytes.
using Dump = std::map<std::string, Row>;

// Primary-key columns of `table`, in key order: their indexes and names.
std::vector<std::pair<uint32_t, std::string>> PrimaryKeyColumns(sqlite3* db, const std::string& table) {
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT cid, name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", -1,
                               &raw, nullptr),
            SQLITE_OK);
  Stmt s(raw);
  s.Bind(1, table);
  std::vector<std::pair<uint32_t, std::string>> out;
  while (s.Step() == SQLITE_ROW) out.emplace_back(static_cast<uint32_t>(s.Int(0)), s.Text(1));
  return out;
}

std::vector<uint32_t> PrimaryKey(sqlite3* db, const std::string& table) {
  std::vector<uint32_t> key;
  for (const auto& [cid, name] : PrimaryKeyColumns(db, table)) key.push_back(cid);
  return key;
}

// The full dump of `table`: every row, every column, ordered by the key.
std::vector<Row> Rows(sqlite3* db, const std::string& table) {
  std::string order;
  for (const auto& [cid, name] : PrimaryKeyColumns(db, table)) order += (order.empty() ? "" : ", ") + QuoteIdent(name);
  std::string sql = "SELECT * FROM " + QuoteIdent(table) + " ORDER BY " + order;
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  Stmt s(raw);
  std::vector<Row> rows;
  int n = sqlite3_column_count(raw);
  while (s.Step() == SQLITE_ROW) {
    Row row;
    for (int i = 0; i < n; ++i) row.push_back(ColumnValue(raw, i));
    rows.push_back(std::move(row));
  }
  return rows;
}

Dump ByKey(sqlite3* db, const std::string& table) {
  std::vector<uint32_t> key = PrimaryKey(db, table);
  Dump out;
  for (Row& row : Rows(db, table)) out.emplace(KeyBytes(row, key), std::move(row));
  return out;
}

std::map<std::string, std::vector<Row>> FullDump(sqlite3* db) {
  std::map<std::string, std::vector<Row>> out;
  for (const auto& t : kTables) out[t] = Rows(db, t);
  return out;
}

std::string DumpText(const std::map<std::string, std::vector<Row>>& dump) {
  std::string out;
  for (const auto& [t, rows] : dump) {
    for (const auto& r : rows) out += t + " " + RowText(r) + "\n";
  }
  return out;
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = Db::Open(":memory:", true);
    ASSERT_TRUE(d.ok()) << d.status().message();
    db_ = std::move(d.value());
    Exec(kSchema);
    Exec(kStartRows);
  }

  void Exec(const std::string& sql) {
    Status st = db_.Exec(sql);
    ASSERT_TRUE(st.ok()) << sql << ": " << st.message();
  }

  // Runs `sql` between Begin() and Keep(), then takes the net changes.
  ChangeSet Record(ChangeRecorder* rec, const std::string& sql) {
    rec->Begin();
    Exec(sql);
    Status st = rec->Keep();
    EXPECT_TRUE(st.ok()) << st.message();
    return rec->Take();
  }

  static const RowChange* Find(const ChangeSet& cs, const std::string& table, const std::vector<Value>& key) {
    auto t = cs.tables.find(table);
    if (t == cs.tables.end()) return nullptr;
    auto r = t->second.rows.find(Key(key));
    return r == t->second.rows.end() ? nullptr : &r->second;
  }

  // Expects exactly this change for the row with key `key`.
  static void ExpectRow(const ChangeSet& cs, const std::string& table, const std::vector<Value>& key,
                        const std::optional<Row>& before, const std::optional<Row>& after) {
    const RowChange* c = Find(cs, table, key);
    ASSERT_NE(c, nullptr) << "no change for " << table << " key " << RowText(Row(key)) << " in\n" << Describe(cs);
    EXPECT_EQ(RowText(c->before), RowText(before)) << table;
    EXPECT_EQ(RowText(c->after), RowText(after)) << table;
    EXPECT_TRUE(c->before == before) << table;  // bitwise, beyond the display form
    EXPECT_TRUE(c->after == after) << table;
  }

  Db db_;
};

TEST_F(RecorderTest, LayoutComesFromTheTable) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "UPDATE \"c.t\" SET v = 5 WHERE k = 'a';"
                        "UPDATE \"c.n\" SET name = 'uno' WHERE id = 1;"
                        "UPDATE \"c.k\" SET v = 0 WHERE a = 'p';");
  ASSERT_EQ(cs.tables.size(), 3u) << Describe(cs);
  const TableChanges& t = cs.tables.at("c.t");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"k", "v", "note"}));
  EXPECT_EQ(t.old_columns, t.columns);
  EXPECT_EQ(t.key, (std::vector<uint32_t>{0}));
  EXPECT_EQ(cs.tables.at("c.n").columns, (std::vector<std::string>{"id", "name", "score", "data"}));
  EXPECT_EQ(cs.tables.at("c.n").key, (std::vector<uint32_t>{0}));
  EXPECT_EQ(cs.tables.at("c.k").columns, (std::vector<std::string>{"a", "b", "v"}));
  EXPECT_EQ(cs.tables.at("c.k").key, (std::vector<uint32_t>{1, 0}));  // PRIMARY KEY (b, a)
}

TEST_F(RecorderTest, InsertUpdateDeleteRecordFullRows) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "INSERT INTO \"c.t\" VALUES ('c', 3, 'new');"
                        "UPDATE \"c.t\" SET v = 20 WHERE k = 'a';"
                        "DELETE FROM \"c.t\" WHERE k = 'b';"
                        "UPDATE \"c.n\" SET score = 2.25 WHERE id = 1;"
                        "INSERT INTO \"c.n\" (name) VALUES ('auto');"
                        "UPDATE \"c.k\" SET v = NULL WHERE a = 'q';"
                        "INSERT INTO \"c.k\" VALUES ('r', -4, x'00ff');");
  EXPECT_EQ(cs.RowCount(), 7u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("c")}, std::nullopt, Row{T("c"), I(3), T("new")});
  ExpectRow(cs, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, Row{T("a"), I(20), T("x")});
  ExpectRow(cs, "c.t", {T("b")}, Row{T("b"), I(2), N()}, std::nullopt);
  // Unchanged columns are in both images.
  ExpectRow(cs, "c.n", {I(1)}, Row{I(1), T("one"), F(1.5), B("\x01")}, Row{I(1), T("one"), F(2.25), B("\x01")});
  // The rowid alias holds the rowid SQLite assigned.
  ExpectRow(cs, "c.n", {I(3)}, std::nullopt, Row{I(3), T("auto"), N(), N()});
  ExpectRow(cs, "c.k", {I(1), T("q")}, Row{T("q"), I(1), F(2.5)}, Row{T("q"), I(1), N()});
  ExpectRow(cs, "c.k", {I(-4), T("r")}, std::nullopt, Row{T("r"), I(-4), B(std::string("\x00\xff", 2))});
}

TEST_F(RecorderTest, ValuesAreRecordedAsStoredAfterAffinity) {
  ChangeRecorder rec(db_.get());
  // INTEGER column given text '12', TEXT column given 7 and 2.5.
  ChangeSet cs = Record(&rec,
                        "INSERT INTO \"c.t\" VALUES ('c', '12', 7);"
                        "UPDATE \"c.t\" SET v = '-3', note = 2.5 WHERE k = 'a';");
  ExpectRow(cs, "c.t", {T("c")}, std::nullopt, Row{T("c"), I(12), T("7")});
  ExpectRow(cs, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, Row{T("a"), I(-3), T("2.5")});
  // And as the state reads them.
  Dump now = ByKey(db_.get(), "c.t");
  EXPECT_EQ(now.at(Key({T("c")})), (Row{T("c"), I(12), T("7")}));
  EXPECT_EQ(now.at(Key({T("a")})), (Row{T("a"), I(-3), T("2.5")}));
}

TEST_F(RecorderTest, InsertThenUpdateFoldsToOneInsert) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "INSERT INTO \"c.t\" VALUES ('c', 3, 'n');"
                        "UPDATE \"c.t\" SET v = 4 WHERE k = 'c';"
                        "UPDATE \"c.t\" SET note = 'm' WHERE k = 'c';");
  ASSERT_EQ(cs.RowCount(), 1u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("c")}, std::nullopt, Row{T("c"), I(4), T("m")});
}

TEST_F(RecorderTest, InsertThenDeleteFoldsToNothing) {
  ChangeRecorder rec(db_.get());
  ChangeSet one = Record(&rec,
                         "INSERT INTO \"c.t\" VALUES ('c', 3, 'n');"
                         "DELETE FROM \"c.t\" WHERE k = 'c';"
                         "INSERT INTO \"c.n\" VALUES (9, 'nine', NULL, NULL);"
                         "DELETE FROM \"c.n\" WHERE id = 9;");
  EXPECT_TRUE(one.empty()) << Describe(one);
  // Across kept txs too.
  rec.Begin();
  Exec("INSERT INTO \"c.k\" VALUES ('z', 9, 1)");
  ASSERT_TRUE(rec.Keep().ok());
  rec.Begin();
  Exec("DELETE FROM \"c.k\" WHERE a = 'z'");
  ASSERT_TRUE(rec.Keep().ok());
  ChangeSet two = rec.Take();
  EXPECT_TRUE(two.empty()) << Describe(two);
  EXPECT_EQ(ToHex(two.Encode()), "0100000000");
}

TEST_F(RecorderTest, UpdateBackToTheStartFoldsToNothing) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "UPDATE \"c.t\" SET v = 7 WHERE k = 'a';"
                        "UPDATE \"c.t\" SET v = 1 WHERE k = 'a';"
                        "DELETE FROM \"c.n\" WHERE id = 2;"
                        "INSERT INTO \"c.n\" VALUES (2, 'two', NULL, NULL);");
  EXPECT_TRUE(cs.empty()) << Describe(cs);
}

TEST_F(RecorderTest, KeyChangeIsDeleteAndInsert) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "UPDATE \"c.t\" SET k = 'z' WHERE k = 'a';"
                        "UPDATE \"c.n\" SET id = 10 WHERE id = 1;"
                        "UPDATE \"c.k\" SET b = 5 WHERE a = 'p';");
  EXPECT_EQ(cs.RowCount(), 6u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, std::nullopt);
  ExpectRow(cs, "c.t", {T("z")}, std::nullopt, Row{T("z"), I(1), T("x")});
  ExpectRow(cs, "c.n", {I(1)}, Row{I(1), T("one"), F(1.5), B("\x01")}, std::nullopt);
  ExpectRow(cs, "c.n", {I(10)}, std::nullopt, Row{I(10), T("one"), F(1.5), B("\x01")});
  ExpectRow(cs, "c.k", {I(1), T("p")}, Row{T("p"), I(1), T("v1")}, std::nullopt);
  ExpectRow(cs, "c.k", {I(5), T("p")}, std::nullopt, Row{T("p"), I(5), T("v1")});
  // Moving onto a key deleted earlier in the same changes makes an update.
  ChangeSet swap = Record(&rec,
                          "DELETE FROM \"c.t\" WHERE k = 'b';"
                          "UPDATE \"c.t\" SET k = 'b' WHERE k = 'z';");
  ExpectRow(swap, "c.t", {T("b")}, Row{T("b"), I(2), N()}, Row{T("b"), I(1), T("x")});
  ExpectRow(swap, "c.t", {T("z")}, Row{T("z"), I(1), T("x")}, std::nullopt);
  // There and back: nothing.
  ChangeSet round = Record(&rec,
                           "UPDATE \"c.n\" SET id = 11 WHERE id = 10;"
                           "UPDATE \"c.n\" SET id = 10 WHERE id = 11;");
  EXPECT_TRUE(round.empty()) << Describe(round);
}

TEST_F(RecorderTest, DropForgetsRolledBackSavepoint) {
  ChangeRecorder rec(db_.get());
  Exec("BEGIN");
  rec.Begin();
  Exec("INSERT INTO \"c.t\" VALUES ('kept', 1, NULL)");
  ASSERT_TRUE(rec.Keep().ok());

  Exec("SAVEPOINT tx");
  rec.Begin();
  Exec("UPDATE \"c.t\" SET v = 9 WHERE k = 'kept'");
  Exec("DELETE FROM \"c.n\"");
  Exec("INSERT INTO \"c.k\" VALUES ('x', 0, 0)");
  Exec("ROLLBACK TO tx; RELEASE tx");
  rec.Drop();
  Exec("COMMIT");

  ChangeSet cs = rec.Take();
  ASSERT_EQ(cs.RowCount(), 1u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("kept")}, std::nullopt, Row{T("kept"), I(1), N()});
  EXPECT_EQ(ByKey(db_.get(), "c.n").size(), 2u);
}

TEST_F(RecorderTest, FailedStatementInDroppedTxLeavesNothing) {
  ChangeRecorder rec(db_.get());
  Exec("SAVEPOINT tx");
  rec.Begin();
  // 'a' becomes 1000 (allowed) and fires the hook; 'b' would be 2000 and
  // fails the CHECK: SQLite undoes the statement, the call fails.
  Status st = db_.Exec("UPDATE \"c.t\" SET v = v * 1000");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("CHECK constraint failed"), std::string::npos) << st.message();
  Exec("ROLLBACK TO tx; RELEASE tx");
  rec.Drop();
  ASSERT_TRUE(rec.Keep().ok());  // nothing left to keep
  ChangeSet cs = rec.Take();
  EXPECT_TRUE(cs.empty()) << Describe(cs);
}

TEST_F(RecorderTest, BeginDiscardsEventsNotKept) {
  ChangeRecorder rec(db_.get());
  Exec("INSERT INTO \"c.t\" VALUES ('before', 1, NULL)");  // before Begin()
  rec.Begin();
  Exec("INSERT INTO \"c.t\" VALUES ('inside', 1, NULL)");
  ASSERT_TRUE(rec.Keep().ok());
  ChangeSet cs = rec.Take();
  ASSERT_EQ(cs.RowCount(), 1u) << Describe(cs);
  EXPECT_NE(Find(cs, "c.t", {T("inside")}), nullptr);
}

TEST_F(RecorderTest, KeptTxsAccumulate) {
  ChangeRecorder rec(db_.get());
  const char* txs[] = {
      "UPDATE \"c.t\" SET v = 2 WHERE k = 'a'; INSERT INTO \"c.t\" VALUES ('c', 0, NULL)",
      "UPDATE \"c.t\" SET v = 3 WHERE k = 'a'; UPDATE \"c.n\" SET name = 'eins' WHERE id = 1",
      "UPDATE \"c.t\" SET v = 4, note = 'y' WHERE k = 'a'; UPDATE \"c.t\" SET v = 5 WHERE k = 'c'",
      "DELETE FROM \"c.k\" WHERE a = 'q'",
  };
  for (const char* sql : txs) {
    rec.Begin();
    Exec(sql);
    ASSERT_TRUE(rec.Keep().ok());
  }
  ChangeSet cs = rec.Take();
  EXPECT_EQ(cs.RowCount(), 4u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, Row{T("a"), I(4), T("y")});
  ExpectRow(cs, "c.t", {T("c")}, std::nullopt, Row{T("c"), I(5), N()});
  ExpectRow(cs, "c.n", {I(1)}, Row{I(1), T("one"), F(1.5), B("\x01")}, Row{I(1), T("eins"), F(1.5), B("\x01")});
  ExpectRow(cs, "c.k", {I(1), T("q")}, Row{T("q"), I(1), F(2.5)}, std::nullopt);
  // Take() empties the recorder.
  ChangeSet again = rec.Take();
  EXPECT_TRUE(again.empty()) << Describe(again);
}

TEST_F(RecorderTest, ClearForgetsKeptChanges) {
  ChangeRecorder rec(db_.get());
  rec.Begin();
  Exec("DELETE FROM \"c.t\"");
  ASSERT_TRUE(rec.Keep().ok());
  rec.Clear();
  EXPECT_TRUE(rec.Take().empty());
}

TEST_F(RecorderTest, InsertOrReplaceOverExistingRow) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "INSERT OR REPLACE INTO \"c.t\" VALUES ('a', 9, 'r');"
                        "REPLACE INTO \"c.k\" VALUES ('p', 1, 'v2');"
                        "INSERT OR REPLACE INTO \"c.n\" VALUES (2, 'deux', 0.5, x'02');");
  EXPECT_EQ(cs.RowCount(), 3u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, Row{T("a"), I(9), T("r")});
  ExpectRow(cs, "c.k", {I(1), T("p")}, Row{T("p"), I(1), T("v1")}, Row{T("p"), I(1), T("v2")});
  ExpectRow(cs, "c.n", {I(2)}, Row{I(2), T("two"), N(), N()}, Row{I(2), T("deux"), F(0.5), B("\x02")});
}

TEST_F(RecorderTest, InsertOrReplaceDeletingAnotherRowByUniqueColumn) {
  ChangeRecorder rec(db_.get());
  // Row 3 takes the name of row 1, which REPLACE deletes.
  ChangeSet cs = Record(&rec, "INSERT OR REPLACE INTO \"c.n\" VALUES (3, 'one', 0.5, NULL)");
  EXPECT_EQ(cs.RowCount(), 2u) << Describe(cs);
  ExpectRow(cs, "c.n", {I(1)}, Row{I(1), T("one"), F(1.5), B("\x01")}, std::nullopt);
  ExpectRow(cs, "c.n", {I(3)}, std::nullopt, Row{I(3), T("one"), F(0.5), N()});
  // UPDATE OR REPLACE onto another row's key.
  ChangeSet up = Record(&rec, "UPDATE OR REPLACE \"c.n\" SET id = 2 WHERE id = 3");
  EXPECT_EQ(up.RowCount(), 2u) << Describe(up);
  ExpectRow(up, "c.n", {I(2)}, Row{I(2), T("two"), N(), N()}, Row{I(2), T("one"), F(0.5), N()});
  ExpectRow(up, "c.n", {I(3)}, Row{I(3), T("one"), F(0.5), N()}, std::nullopt);
}

TEST_F(RecorderTest, ReplaceWithTheSameRowIsNoChange) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec, "INSERT OR REPLACE INTO \"c.t\" VALUES ('a', 1, 'x')");
  EXPECT_TRUE(cs.empty()) << Describe(cs);
}

TEST_F(RecorderTest, Upsert) {
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "INSERT INTO \"c.t\" VALUES ('a', 5, 'u') ON CONFLICT (k) DO UPDATE SET v = v + excluded.v;"
                        "INSERT INTO \"c.t\" VALUES ('c', 5, 'u') ON CONFLICT (k) DO UPDATE SET v = v + excluded.v;"
                        "INSERT INTO \"c.k\" VALUES ('p', 1, 'w') ON CONFLICT (b, a) DO UPDATE SET v = excluded.v || '!';"
                        "INSERT INTO \"c.n\" VALUES (1, 'x', NULL, NULL) ON CONFLICT DO NOTHING;"
                        "INSERT OR IGNORE INTO \"c.t\" VALUES ('b', 0, 'ignored');");
  EXPECT_EQ(cs.RowCount(), 3u) << Describe(cs);
  ExpectRow(cs, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, Row{T("a"), I(6), T("x")});
  ExpectRow(cs, "c.t", {T("c")}, std::nullopt, Row{T("c"), I(5), T("u")});
  ExpectRow(cs, "c.k", {I(1), T("p")}, Row{T("p"), I(1), T("v1")}, Row{T("p"), I(1), T("w!")});
}

TEST_F(RecorderTest, PlainAndTempTablesAreIgnored) {
  ChangeRecorder rec(db_.get());
  Exec("CREATE TEMP TABLE \"c.tmp\" (k TEXT PRIMARY KEY)");
  ChangeSet cs = Record(&rec,
                        "INSERT INTO pool VALUES (2, 'y');"
                        "UPDATE pool SET x = 'z';"
                        "DELETE FROM pool WHERE id = 1;"
                        "INSERT INTO temp.\"c.tmp\" VALUES ('t');");
  EXPECT_TRUE(cs.empty()) << Describe(cs);
}

TEST_F(RecorderTest, DeleteWithoutWhereRecordsEveryRow) {
  Exec("WITH RECURSIVE s(x) AS (SELECT 3 UNION ALL SELECT x + 1 FROM s WHERE x < 40) "
       "INSERT INTO \"c.n\" SELECT x, 'n' || x, x + 0.5, NULL FROM s");
  Dump n = ByKey(db_.get(), "c.n");
  ASSERT_EQ(n.size(), 40u);
  ChangeRecorder rec(db_.get());
  ChangeSet cs = Record(&rec,
                        "DELETE FROM \"c.n\";"  // a rowid table: no truncate shortcut
                        "DELETE FROM \"c.t\";"
                        "DELETE FROM \"c.k\";");
  EXPECT_EQ(cs.RowCount(), 44u) << Describe(cs);
  ASSERT_EQ(cs.tables.at("c.n").rows.size(), 40u);
  for (const auto& [k, row] : n) {
    const RowChange& c = cs.tables.at("c.n").rows.at(k);
    EXPECT_EQ(c.before, row);
    EXPECT_FALSE(c.after.has_value());
  }
  ExpectRow(cs, "c.k", {I(1), T("q")}, Row{T("q"), I(1), F(2.5)}, std::nullopt);
}

TEST_F(RecorderTest, InsertFromSelectRecordsEveryRow) {
  Exec("CREATE TABLE \"c.n2\" (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, data BLOB)");
  ChangeRecorder rec(db_.get());
  // Same layout: SQLite may copy records wholesale (the transfer optimization).
  ChangeSet cs = Record(&rec, "INSERT INTO \"c.n2\" SELECT * FROM \"c.n\"");
  EXPECT_EQ(cs.RowCount(), 2u) << Describe(cs);
  ExpectRow(cs, "c.n2", {I(1)}, std::nullopt, Row{I(1), T("one"), F(1.5), B("\x01")});
  ExpectRow(cs, "c.n2", {I(2)}, std::nullopt, Row{I(2), T("two"), N(), N()});
}

TEST_F(RecorderTest, TableWithoutPrimaryKeyIsRefused) {
  Exec("CREATE TABLE \"c.nopk\" (x)");
  ChangeRecorder rec(db_.get());
  rec.Begin();
  Exec("INSERT INTO \"c.nopk\" VALUES (1)");
  Status st = rec.Keep();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_NE(st.message().find("table 'c.nopk' has no PRIMARY KEY"), std::string::npos) << st.message();
}

TEST_F(RecorderTest, TakenChangesRoundTripAndChain) {
  ChangeRecorder rec(db_.get());
  ChangeSet first = Record(&rec, "UPDATE \"c.t\" SET v = 2 WHERE k = 'a'; INSERT INTO \"c.t\" VALUES ('c', 1, NULL)");
  ChangeSet second = Record(&rec, "UPDATE \"c.t\" SET v = 3 WHERE k = 'a'; DELETE FROM \"c.t\" WHERE k = 'c'");
  for (const ChangeSet* cs : {&first, &second}) {
    auto d = ChangeSet::Decode(cs->Encode(), "recorded");
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_EQ(d->tables, cs->tables);
  }
  ChangeSet net = first;
  ASSERT_TRUE(net.Then(second).ok());
  net.Normalize();
  ASSERT_EQ(net.RowCount(), 1u) << Describe(net);
  ExpectRow(net, "c.t", {T("a")}, Row{T("a"), I(1), T("x")}, Row{T("a"), I(3), T("x")});
}

// Regression: for an INSERT (and the insert half of a REPLACE),
// sqlite3_preupdate_new() returns a REAL column's value as the record stores
// it, an integral real as INTEGER, while the state (and
// sqlite3_preupdate_old, which applies REAL affinity) read it as REAL; the
// recorder converts it, so after-images match the state and chain.
TEST_F(RecorderTest, RealColumnInsertRecordsTheStoredReal) {
  ChangeRecorder rec(db_.get());
  ChangeSet ins = Record(&rec, "INSERT INTO \"c.n\" VALUES (5, 'five', 5, NULL)");
  EXPECT_EQ(ByKey(db_.get(), "c.n").at(Key({I(5)})), (Row{I(5), T("five"), F(5.0), N()}));
  ExpectRow(ins, "c.n", {I(5)}, std::nullopt, Row{I(5), T("five"), F(5.0), N()});
  // The next changes start from REAL 5.0: the two must chain.
  ChangeSet upd = Record(&rec, "UPDATE \"c.n\" SET data = x'00' WHERE id = 5");
  ExpectRow(upd, "c.n", {I(5)}, Row{I(5), T("five"), F(5.0), N()}, Row{I(5), T("five"), F(5.0), B(std::string(1, '\0'))});
  Status st = ins.Then(upd);
  EXPECT_TRUE(st.ok()) << st.message();
}

// ---- recorded changes replayed on a copy -------------------------------------

// Copies the whole database `from` into `to` (SQLite backup API).
void CopyDb(sqlite3* from, sqlite3* to) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  ASSERT_NE(b, nullptr) << sqlite3_errmsg(to);
  ASSERT_EQ(sqlite3_backup_step(b, -1), SQLITE_DONE);
  ASSERT_EQ(sqlite3_backup_finish(b), SQLITE_OK);
}

// Random SQL writes over the test tables: conflicts, key changes, multi-row
// statements, REPLACE, upserts, statements failing half-way, and writes to
// the plain table.
class RandomWrites {
 public:
  explicit RandomWrites(uint64_t seed) : rng_(seed) {}

  // Runs one random statement; false if SQLite refused it.
  bool Run(sqlite3* db) {
    std::string sql;
    std::vector<Value> args;
    switch (Pick(24)) {
      case 0: sql = "INSERT INTO \"c.t\" (k, v, note) VALUES (?1, ?2, ?3)"; args = {TKey(), SmallInt(), Any()}; break;
      case 1: sql = "INSERT OR REPLACE INTO \"c.t\" (k, v, note) VALUES (?1, ?2, ?3)"; args = {TKey(), SmallInt(), Any()}; break;
      case 2:
        sql = "INSERT INTO \"c.t\" (k, v, note) VALUES (?1, ?2, ?3) ON CONFLICT (k) DO UPDATE SET v = v + excluded.v, note = excluded.note";
        args = {TKey(), SmallInt(), Any()};
        break;
      case 3: sql = "UPDATE \"c.t\" SET v = v + ?2, note = ?3 WHERE k = ?1"; args = {TKey(), SmallInt(), Any()}; break;
      case 4: sql = "UPDATE \"c.t\" SET k = ?2 WHERE k = ?1"; args = {TKey(), TKey()}; break;
      case 5: sql = "DELETE FROM \"c.t\" WHERE k = ?1"; args = {TKey()}; break;
      case 6: sql = "UPDATE \"c.t\" SET v = v * 3 WHERE v > ?1"; args = {SmallInt()}; break;  // may break the CHECK half-way
      case 7: sql = "DELETE FROM \"c.t\" WHERE v % 4 = ?1"; args = {I(Pick(4))}; break;
      case 8: sql = "INSERT INTO \"c.n\" (id, name, score, data) VALUES (?1, ?2, ?3, ?4)"; args = {NKey(), Name(), Score(), Any()}; break;
      case 9: sql = "INSERT OR REPLACE INTO \"c.n\" (id, name, score, data) VALUES (?1, ?2, ?3, ?4)"; args = {NKey(), Name(), Score(), Any()}; break;
      case 10: sql = "UPDATE \"c.n\" SET id = ?2 WHERE id = ?1"; args = {NKey(), NKey()}; break;
      case 11: sql = "UPDATE OR REPLACE \"c.n\" SET name = ?2 WHERE id = ?1"; args = {NKey(), Name()}; break;
      case 12: sql = "DELETE FROM \"c.n\" WHERE id = ?1"; args = {NKey()}; break;
      case 13: sql = "UPDATE \"c.n\" SET score = ?2, data = ?3 WHERE id % 3 = ?1"; args = {I(Pick(3)), Score(), Any()}; break;
      case 14:
        sql = "INSERT INTO \"c.k\" (a, b, v) VALUES (?1, ?2, ?3) ON CONFLICT (b, a) DO UPDATE SET v = excluded.v";
        args = {KA(), KB(), Any()};
        break;
      case 15: sql = "INSERT OR IGNORE INTO \"c.k\" (a, b, v) VALUES (?1, ?2, ?3)"; args = {KA(), KB(), Any()}; break;
      case 16: sql = "UPDATE \"c.k\" SET b = b + ?1 WHERE a = ?2"; args = {I(static_cast<int64_t>(Pick(3)) - 1), KA()}; break;
      case 17: sql = "DELETE FROM \"c.k\" WHERE b = ?1"; args = {KB()}; break;
      case 18: sql = "INSERT OR REPLACE INTO pool (id, x) VALUES (?1, ?2)"; args = {I(Pick(5)), Any()}; break;
      case 19: sql = "DELETE FROM pool WHERE id = ?1"; args = {I(Pick(5))}; break;
      case 20:
        sql = "INSERT OR REPLACE INTO \"c.t\" (k, v, note) SELECT a, b, v FROM \"c.k\" WHERE b = ?1";
        args = {KB()};
        break;
      case 21: sql = "UPDATE \"c.k\" SET v = ?1 WHERE b >= ?2"; args = {Any(), KB()}; break;
      case 22:
        if (Pick(10) != 0) return true;  // rare: empties a table
        sql = Pick(2) ? "DELETE FROM \"c.k\"" : "DELETE FROM \"c.n\"";
        break;
      default: sql = "INSERT OR REPLACE INTO \"c.k\" (a, b, v) VALUES (?1, ?2, ?3)"; args = {KA(), KB(), Any()}; break;
    }
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
      return false;
    }
    Stmt s(raw);
    for (size_t i = 0; i < args.size(); ++i) s.BindValue(static_cast<int>(i + 1), args[i]);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
    }
    return rc == SQLITE_DONE;
  }

  uint64_t Pick(uint64_t n) { return rng_() % n; }

 private:
  Value TKey() {
    uint64_t n = Pick(20);
    return n < 15 ? T("k" + std::to_string(n)) : T("\xc3\xbc" + std::to_string(n));  // "ü.."
  }
  Value SmallInt() { return I(static_cast<int64_t>(Pick(101)) - 50); }
  Value NKey() { return Pick(8) == 0 ? N() : I(static_cast<int64_t>(Pick(25)) + 1); }
  Value Name() { return Pick(6) == 0 ? N() : T("n" + std::to_string(Pick(12))); }
  // REAL column: non-integral values only (integral ones hit the defect of
  // RealColumnInsertRecordsTheStoredReal), NULL, and text.
  Value Score() {
    switch (Pick(4)) {
      case 0: return N();
      case 1: return T(Pick(2) ? "abc" : "7.25");  // the second becomes REAL 7.25
      default: return F(static_cast<double>(Pick(200)) - 100.5);
    }
  }
  Value KA() { return T(std::string(1, static_cast<char>('p' + Pick(5)))); }
  Value KB() { return I(static_cast<int64_t>(Pick(7)) - 3); }
  Value Any() {
    switch (Pick(8)) {
      case 0: return N();
      case 1: return I(static_cast<int64_t>(rng_()));
      case 2: return F(static_cast<double>(Pick(1000)) / 8 - 60);
      case 3: return F(-0.0);
      case 4: return T("t\xe2\x82\xac" + std::to_string(Pick(50)));
      case 5: return T("");
      case 6: return B(std::string("\x00\x01", 2) + std::to_string(Pick(50)));
      default: return I(static_cast<int64_t>(Pick(9)) - 4);
    }
  }

  std::mt19937_64 rng_;
};

TEST_F(RecorderTest, RandomWritesReplayOnACopy) {
  // A richer start than kStartRows.
  const std::string upto20 = "WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x < 20) ";
  Exec(upto20 + "INSERT INTO \"c.t\" SELECT 'k' || x, x, 'start' FROM s WHERE x < 10");
  Exec(upto20 + "INSERT INTO \"c.n\" SELECT x, 'n' || x, x + 0.5, NULL FROM s WHERE x BETWEEN 3 AND 8");
  Exec(upto20 + "INSERT INTO \"c.k\" SELECT char(112 + x % 5), x % 7 - 3, x FROM s WHERE true "
                "ON CONFLICT DO NOTHING");
  auto start_db = Db::Open(":memory:", true);
  ASSERT_TRUE(start_db.ok());
  CopyDb(db_.get(), start_db->get());
  auto start = FullDump(db_.get());
  std::map<std::string, Dump> start_by_key;
  for (const auto& t : kTables) start_by_key[t] = ByKey(db_.get(), t);

  RandomWrites gen(20240601);
  ChangeRecorder rec(db_.get());
  ChangeSet total;
  size_t statements = 0, failed = 0, kept_txs = 0, dropped_txs = 0, rolled_back = 0;
  bool pending = false;  // kept changes not yet taken
  auto take = [&] {
    ChangeSet taken = rec.Take();
    // Every Take() is canonical on its own.
    auto d = ChangeSet::Decode(taken.Encode(), "taken");
    ASSERT_TRUE(d.ok()) << d.status().message();
    ASSERT_EQ(d->tables, taken.tables);
    Status st = total.Then(taken);
    ASSERT_TRUE(st.ok()) << st.message();
    pending = false;
  };
  while (statements < 400) {
    bool rollback_all = gen.Pick(6) == 0;
    if (rollback_all && pending) take();
    if (HasFatalFailure()) return;
    Exec("BEGIN");
    int ntx = 1 + static_cast<int>(gen.Pick(5));
    for (int tx = 0; tx < ntx; ++tx) {
      Exec("SAVEPOINT tx");
      rec.Begin();
      bool ok = true;
      int nst = 1 + static_cast<int>(gen.Pick(6));
      for (int i = 0; i < nst && ok; ++i, ++statements) ok = gen.Run(db_.get());
      if (!ok) ++failed;
      if (HasFatalFailure()) return;
      if (!ok || gen.Pick(5) == 0) {
        Exec("ROLLBACK TO tx; RELEASE tx");
        rec.Drop();
        ++dropped_txs;
      } else {
        Exec("RELEASE tx");
        Status st = rec.Keep();
        ASSERT_TRUE(st.ok()) << st.message();
        pending = true;
        ++kept_txs;
      }
    }
    if (rollback_all) {
      Exec("ROLLBACK");
      rec.Clear();
      pending = false;
      ++rolled_back;
    } else {
      Exec("COMMIT");
      if (gen.Pick(2) == 0) take();
      if (HasFatalFailure()) return;
    }
  }
  take();
  if (HasFatalFailure()) return;
  total.Normalize();
  // The sequence exercised what it should.
  EXPECT_GT(failed, 10u);
  EXPECT_GT(kept_txs, 30u);
  EXPECT_GT(dropped_txs, 15u);
  EXPECT_GE(rolled_back, 2u);
  EXPECT_GT(total.RowCount(), 20u) << Describe(total);

  auto final_dump = FullDump(db_.get());
  ASSERT_NE(DumpText(final_dump), DumpText(start));

  // The net changes are exactly the difference of the two states: for every
  // key, a change iff the row differs, with the start's row as before-image
  // and the final row as after-image (values as the state reads them).
  for (const auto& t : kTables) {
    Dump before = start_by_key[t], after = ByKey(db_.get(), t);
    std::map<std::string, RowChange> expected;
    for (const auto& [k, row] : before) expected[k].before = row;
    for (const auto& [k, row] : after) expected[k].after = row;
    for (auto it = expected.begin(); it != expected.end();) {
      if (it->second.before == it->second.after) it = expected.erase(it);
      else ++it;
    }
    auto found = total.tables.find(t);
    std::map<std::string, RowChange> got;
    if (found != total.tables.end()) got = found->second.rows;
    ASSERT_EQ(got.size(), expected.size()) << t << "\n" << Describe(total);
    for (const auto& [k, c] : expected) {
      auto g = got.find(k);
      ASSERT_NE(g, got.end()) << t << ": missing change " << RowText(c.before) << " -> " << RowText(c.after);
      EXPECT_EQ(RowText(g->second.before), RowText(c.before)) << t;
      EXPECT_EQ(RowText(g->second.after), RowText(c.after)) << t;
      EXPECT_TRUE(g->second == c) << t;
    }
  }
  EXPECT_EQ(total.tables.count("pool"), 0u);

  // Applied to a copy of the start, the changes give the recorded state;
  // their inverse brings the copy back.
  Bytes encoded = total.Encode();
  auto decoded = ChangeSet::Decode(encoded, "total");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  {
    ContractEngine engine(start_db->get());
    ASSERT_TRUE(start_db->Exec("BEGIN").ok());
    Status st = ApplyChanges(start_db->get(), &engine, *decoded);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(start_db->Exec("COMMIT").ok());
    EXPECT_EQ(DumpText(FullDump(start_db->get())), DumpText(final_dump));
    EXPECT_TRUE(FullDump(start_db->get()) == final_dump);

    ASSERT_TRUE(start_db->Exec("BEGIN").ok());
    st = ApplyChanges(start_db->get(), &engine, decoded->Inverted());
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(start_db->Exec("COMMIT").ok());
    EXPECT_EQ(DumpText(FullDump(start_db->get())), DumpText(start));
    EXPECT_TRUE(FullDump(start_db->get()) == start);

    // Applying to a state the changes do not start from is refused.
    ASSERT_TRUE(start_db->Exec("BEGIN").ok());
    st = ApplyChanges(start_db->get(), &engine, decoded->Inverted());
    EXPECT_EQ(st.code(), Code::kCorrupt) << st.message();
    ASSERT_TRUE(start_db->Exec("ROLLBACK").ok());
  }
}

}  // namespace
}  // namespace aergo
