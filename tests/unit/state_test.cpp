// Unit tests for the versioned state (core/repo_state.cpp, core/state.h,
// core/state_at.h): the checked-out state moves along recorded changes
// (reset, checkout, reopen) and always equals what executing its block's
// history makes; a property test checks diffs, reads as of a block and
// checkouts against replayed ground truth over random branching histories.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/fsck.h"
#include "core/state_at.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

// ---- a second contract ----

// "shop": a composite key declared in another order than its columns, an
// INTEGER PRIMARY KEY (rowid) table, a REAL column, a UNIQUE column, and
// functions that insert, update (also a key), delete, upsert and replace.
const std::string kShopFunctions = R"sql(
CREATE FUNCTION put(a TEXT, b INTEGER, v BLOB) AS
  INSERT INTO pairs (a, b, v) VALUES (:a, :b, :v)
    ON CONFLICT (b, a) DO UPDATE SET v = :v;
END;
CREATE FUNCTION drop_b(b INTEGER) AS
  DELETE FROM pairs WHERE b = :b;
  SELECT require(changes() > 0, 'no pairs');
END;
CREATE FUNCTION add_item(name TEXT, price REAL) AS
  INSERT INTO items (name, price) VALUES (:name, :price);
END;
CREATE FUNCTION put_item(id INTEGER, name TEXT, price REAL, qty INTEGER) AS
  INSERT OR REPLACE INTO items (id, name, price, qty) VALUES (:id, :name, :price, :qty);
END;
CREATE FUNCTION bump(factor REAL) AS
  UPDATE items SET price = CASE WHEN price IS NULL THEN 1 ELSE price * :factor END,
                   qty = qty + 1;
END;
CREATE FUNCTION unprice(id INTEGER) AS
  UPDATE items SET price = NULL WHERE id = :id;
  SELECT require(changes() = 1, 'no such item');
END;
CREATE FUNCTION rename_item(id INTEGER, name TEXT) AS
  UPDATE items SET name = :name WHERE id = :id;
  SELECT require(changes() = 1, 'no such item');
END;
CREATE FUNCTION move_item(id INTEGER, to_id INTEGER) AS
  UPDATE items SET id = :to_id WHERE id = :id;
  SELECT require(changes() = 1, 'no such item');
END;
CREATE FUNCTION copy_names(b INTEGER) AS
  INSERT INTO pairs (a, b, v) SELECT name, :b, NULL FROM items WHERE true
    ON CONFLICT (b, a) DO NOTHING;
END;
CREATE FUNCTION wipe() AS
  DELETE FROM pairs;
  DELETE FROM items;
END;
)sql";

const std::string kShopV1 = R"sql(
CREATE TABLE pairs (
  a TEXT NOT NULL,
  b INTEGER NOT NULL,
  v BLOB,
  PRIMARY KEY (b, a)
);
CREATE TABLE items (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE,
  price REAL,
  qty   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX items_price ON items (price);
)sql" + kShopFunctions;

// Another contract of the same name: items has one more column and there
// is one more table; the functions are the same.
const std::string kShopV2 = R"sql(
CREATE TABLE pairs (
  a TEXT NOT NULL,
  b INTEGER NOT NULL,
  v BLOB,
  PRIMARY KEY (b, a)
);
CREATE TABLE items (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE,
  price REAL,
  qty   INTEGER NOT NULL DEFAULT 0,
  note  TEXT DEFAULT 'v2'
);
CREATE TABLE extra (k INTEGER PRIMARY KEY, s TEXT);
)sql" + kShopFunctions;

// ---- state dumps ----

// A value with its type: "INTEGER 3", "REAL 1.5", "TEXT 'a'", "BLOB x'00'", "NULL".
std::string Typed(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return "NULL";
    case Value::Type::kInteger: return "INTEGER " + std::to_string(v.integer);
    case Value::Type::kReal: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "REAL %.17g", v.real);
      return buf;
    }
    case Value::Type::kText: return "TEXT '" + v.bytes + "'";
    case Value::Type::kBlob:
      return "BLOB x'" + ToHex(reinterpret_cast<const uint8_t*>(v.bytes.data()), v.bytes.size()) + "'";
  }
  return "?";
}

// "col=<typed>, ..." over the given column indexes (all if empty).
std::string Render(const std::vector<std::string>& columns, const Row& row,
                   const std::vector<size_t>& which = {}) {
  std::string out;
  auto add = [&](size_t i) { out += (out.empty() ? "" : ", ") + columns.at(i) + "=" + Typed(row.at(i)); };
  if (which.empty()) for (size_t i = 0; i < row.size(); ++i) add(i);
  for (size_t i : which) add(i);
  return out;
}

// One state table: column names, key column names in key order, and its
// rows in key order as (rendered key, rendered row).
struct TableDump {
  std::vector<std::string> columns;
  std::vector<std::string> key;
  std::vector<std::pair<std::string, std::string>> rows;
  bool operator==(const TableDump&) const = default;
};
// Every state table ("c.t") by name.
using StateDump = std::map<std::string, TableDump>;

std::string Text(const StateDump& dump) {
  std::string out;
  for (const auto& [name, t] : dump) {
    out += "table " + name + "\n";
    for (const auto& [key, row] : t.rows) out += "  " + row + "\n";
  }
  return out;
}

// Rows a statement returns on a raw connection (ADD_FAILURE on error).
std::vector<Row> Rows(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  std::vector<Row> out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    return out;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Row row;
    for (int c = 0; c < sqlite3_column_count(s); ++c) row.push_back(ColumnValue(s, c));
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  sqlite3_finalize(s);
  return out;
}

// Fills t.rows from rows whose columns are t.columns.
void AddRows(TableDump* t, const std::vector<Row>& rows) {
  std::vector<size_t> key;
  for (const auto& k : t->key)
    for (size_t i = 0; i < t->columns.size(); ++i)
      if (t->columns[i] == k) key.push_back(i);
  for (const Row& r : rows) t->rows.emplace_back(Render(t->columns, r, key), Render(t->columns, r));
}

std::string KeyOrder(const TableDump& t) {
  std::string order;
  for (const auto& k : t.key) order += (order.empty() ? "" : ", ") + k;
  return order;
}

// Every row of every state table of a connection's main schema.
StateDump DumpState(sqlite3* db) {
  StateDump out;
  for (const Row& name : Rows(db, "SELECT name FROM main.sqlite_master WHERE type = 'table' AND "
                                  "instr(name, '.') > 0 ORDER BY name")) {
    const std::string& table = name[0].bytes;
    TableDump& t = out[table];
    std::map<int64_t, std::string> key;
    for (const Row& col : Rows(db, "SELECT name, pk FROM pragma_table_info('" + table + "') ORDER BY cid")) {
      t.columns.push_back(col[0].bytes);
      if (col[1].integer > 0) key[col[1].integer] = col[0].bytes;
    }
    for (const auto& [pos, col] : key) t.key.push_back(col);
    AddRows(&t, Rows(db, "SELECT * FROM main." + QuoteIdent(table) + " ORDER BY " + KeyOrder(t)));
  }
  return out;
}

// The state at `block` as ground truth: executed (not applied) from genesis
// in a scratch database, every block's changes and root verified.
StateDump ReplayDump(Repository* repo, const Hash32& block) {
  auto scratch = Db::Open("", true);
  EXPECT_TRUE(scratch.ok()) << scratch.status().message();
  if (!scratch.ok()) return {};
  std::unique_ptr<ContractEngine> engine;
  Status st = repo->ReplayInto(&scratch.value(), &engine, block, true);
  EXPECT_TRUE(st.ok()) << st.message();
  return DumpState(scratch->get());
}

// The tables of `want` as read through an overlay with engine.Query.
StateDump DumpOverlay(ContractEngine* engine, const StateOverlay& overlay, const StateDump& want) {
  StateDump out;
  for (const auto& [name, w] : want) {
    auto q = engine->Query("SELECT * FROM " + name + " ORDER BY " + KeyOrder(w), &overlay.view());
    EXPECT_TRUE(q.ok()) << name << ": " << q.status().message();
    if (!q.ok()) continue;
    TableDump& t = out[name];
    t.columns = q->columns;
    t.key = w.key;
    AddRows(&t, q->rows);
  }
  return out;
}

// ---- row-level differences ----

// (table, row before, row after), rendered; "" for an absent row.
using RowDiffs = std::set<std::tuple<std::string, std::string, std::string>>;

RowDiffs Diff(const StateDump& from, const StateDump& to) {
  std::map<std::string, std::map<std::string, std::pair<std::string, std::string>>> rows;
  for (const auto& [name, t] : from)
    for (const auto& [key, row] : t.rows) rows[name][key].first = row;
  for (const auto& [name, t] : to)
    for (const auto& [key, row] : t.rows) rows[name][key].second = row;
  RowDiffs out;
  for (const auto& [name, by_key] : rows)
    for (const auto& [key, ba] : by_key)
      if (ba.first != ba.second) out.emplace(name, ba.first, ba.second);
  return out;
}

// The rows a ChangeSet changes (rows of replaced contracts it keeps
// unchanged are left out, as a dump difference has none).
RowDiffs Diff(const ChangeSet& changes) {
  RowDiffs out;
  for (const auto& [name, t] : changes.tables) {
    for (const auto& [key, c] : t.rows) {
      std::string before = c.before ? Render(t.old_columns, *c.before) : "";
      std::string after = c.after ? Render(t.columns, *c.after) : "";
      if (before != after) out.emplace(name, before, after);
    }
  }
  return out;
}

// ---- fixture ----

class StateTest : public testutil::RepoFixture {
 protected:
  StateTest() : RepoFixture("aergo-state-test", 0x21) {}

  void Reopen() {
    std::string path = repo_->path();
    repo_.reset();  // releases the lock
    auto r = Repository::Open(path, OpenMode::kWrite, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    repo_ = std::move(r.value());
  }

  StateDump Live() { return DumpState(repo_->db().get()); }

  Tx Deploy(const std::string& name, const std::string& source) {
    return repo_->MakeTx(TxKind::kDeploy, admin_, name, "", {}, source);
  }
  Tx Shop(const SecretKey& key, const std::string& fn, std::vector<Value> args) {
    return repo_->MakeTx(TxKind::kCall, key, "shop", fn, std::move(args), "");
  }

  void CheckoutOk(const std::string& rev) {
    Status st = repo_->Checkout(rev);
    ASSERT_TRUE(st.ok()) << rev << ": " << st.message();
  }
};

TEST_F(StateTest, ResetPoolRestoresTheExactDigest) {
  BuildHistory();
  Hash32 before = LiveDigest();
  StateDump dump = Live();
  // A pool that deploys a contract (tables appear), inserts, updates,
  // replaces and deletes rows.
  SubmitOk({Deploy("shop", kShopV1), Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(5)}),
            Call(alice_, "transfer", {Value::Text(Addr(bob_)), Value::Integer(70)}),
            Shop(bob_, "add_item", {Value::Text("ant"), Value::Real(2.0)}),
            Shop(bob_, "put_item", {Value::Integer(7), Value::Text("ant"), Value::Real(0.5), Value::Integer(3)}),
            Shop(bob_, "put", {Value::Text("x"), Value::Integer(1), Value::Blob("")}),
            Shop(bob_, "drop_b", {Value::Integer(1)})});
  ASSERT_NE(LiveDigest(), before);
  auto n = repo_->ResetPool();
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 7u);
  EXPECT_EQ(LiveDigest(), before);
  EXPECT_EQ(Text(Live()), Text(dump));
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
  // And the state moves on from there as usual.
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(1)})});
  Block b3 = CommitOk("after reset");
  EXPECT_TRUE(RootChains(b3));
  EXPECT_EQ(LiveDigest(), ReplayDigest(b3.Id()));
}

TEST_F(StateTest, CheckoutAcrossAReplacedContract) {
  // master and dev each deploy a different contract named "shop" on block 1.
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  SubmitOk({Deploy("shop", kShopV1), Shop(alice_, "add_item", {Value::Text("ant"), Value::Real(1.5)}),
            Shop(alice_, "put", {Value::Text("x"), Value::Integer(2), Value::Blob("\x01")})});
  Block m3 = CommitOk("shop v1");
  CheckoutOk("dev");
  SubmitOk({Deploy("shop", kShopV2), Shop(bob_, "add_item", {Value::Text("ant"), Value::Real(1.5)}),
            Shop(bob_, "add_item", {Value::Text("bee"), Value::Real(3.0)}),
            Shop(bob_, "put", {Value::Text("x"), Value::Integer(2), Value::Blob("\x01")})});
  Block d2 = CommitOk("shop v2");
  Hash32 dev_digest = LiveDigest();
  EXPECT_EQ(dev_digest, ReplayDigest(d2.Id()));
  StateDump dev_dump = Live();
  ASSERT_TRUE(dev_dump.count("shop.extra"));

  CheckoutOk("master");
  Hash32 master_digest = LiveDigest();
  EXPECT_EQ(master_digest, ReplayDigest(m3.Id()));
  StateDump master_dump = Live();
  EXPECT_FALSE(master_dump.count("shop.extra"));
  EXPECT_EQ(master_dump.at("shop.items").columns.size(), 4u);

  CheckoutOk("dev");
  EXPECT_EQ(LiveDigest(), dev_digest);
  EXPECT_EQ(Text(Live()), Text(dev_dump));
  EXPECT_EQ(Live().at("shop.items").columns, dev_dump.at("shop.items").columns);
  CheckoutOk("master");
  EXPECT_EQ(LiveDigest(), master_digest);
  EXPECT_EQ(Text(Live()), Text(master_dump));

  // The net changes between the two tips are the dumps' difference.
  auto net = repo_->ChangesBetween(m3.Id(), d2.Id());
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_EQ(Diff(*net), Diff(master_dump, dev_dump));
}

TEST_F(StateTest, CheckoutRestoresAPendingPool) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  CheckoutOk("dev");
  SubmitOk({Deploy("shop", kShopV1), Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(9)}),
            Shop(alice_, "add_item", {Value::Text("ant"), Value::Real(0.25)})});
  Hash32 with_pool = LiveDigest();
  StateDump pool_dump = Live();

  CheckoutOk("master");
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
  EXPECT_EQ(*repo_->PoolCount(), 0u);
  CheckoutOk(ToHex(repo_->chain_id()));  // detached, by way of genesis
  CheckoutOk("dev");
  EXPECT_EQ(*repo_->PoolCount(), 3u);
  EXPECT_EQ(LiveDigest(), with_pool);
  EXPECT_EQ(Text(Live()), Text(pool_dump));

  // Committing the restored pool gives a block whose state is that state.
  Block d2 = CommitOk("dev pool");
  EXPECT_EQ(d2.txs.size(), 3u);
  EXPECT_TRUE(RootChains(d2));
  EXPECT_EQ(LiveDigest(), with_pool);
  EXPECT_EQ(ReplayDigest(d2.Id()), with_pool);
}

TEST_F(StateTest, EmptiedStateBlockRebuildsOnReopen) {
  BuildHistory();
  SubmitOk({Deploy("shop", kShopV2), Shop(bob_, "put_item", {Value::Integer(3), Value::Text("eel"),
                                                            Value::Real(-7.25), Value::Integer(1)})});
  Hash32 before = LiveDigest();
  StateDump dump = Live();
  // Damage the state and forget its position.
  ASSERT_TRUE(repo_->db().Exec("UPDATE \"token.accounts\" SET balance = 999").ok());
  ASSERT_TRUE(repo_->db().Exec("DELETE FROM \"shop.items\"").ok());
  ASSERT_TRUE(repo_->index().SetMeta("state_block", "").ok());
  Reopen();
  EXPECT_EQ(LiveDigest(), before);
  EXPECT_EQ(Text(Live()), Text(dump));
  EXPECT_EQ(*repo_->index().GetMeta("state_block"), ToHex(block2_.Id()));
  EXPECT_EQ(*repo_->PoolCount(), 2u);
  auto rep = RunFsck(repo_.get(), FsckOptions{2, false});
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << (rep->problems.empty() ? "" : rep->problems[0]);
}

// A state changed behind aergo's back no longer matches the changes that
// would move it; checkout then rebuilds it from the blocks' changes instead
// of failing, and lands on exactly the target's state.
TEST_F(StateTest, CheckoutRebuildsAStateDamagedBehindItsBack) {
  BuildHistory();
  ASSERT_TRUE(repo_->db().Exec("UPDATE \"token.accounts\" SET balance = 999").ok());
  ASSERT_TRUE(repo_->Checkout(ToHex(block1_.Id())).ok());
  EXPECT_EQ(LiveDigest(), ReplayDigest(block1_.Id()));
  ASSERT_TRUE(repo_->Checkout("master").ok());
  EXPECT_EQ(LiveDigest(), ReplayDigest(block2_.Id()));
  auto rep = RunFsck(repo_.get(), FsckOptions{2, true});
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << (rep->problems.empty() ? "" : rep->problems[0]);
}

TEST_F(StateTest, SubmitRecordsOnlyKeptTxs) {
  BuildHistory();  // alice 70, bob 30
  std::vector<Tx> batch = {
      Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(5)}),      // kept
      Call(alice_, "transfer", {Value::Text(Addr(admin_)), Value::Integer(10)}),  // debits alice, then fails
      Call(alice_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)}),      // not the owner
      Call(admin_, "open", {}),                                                  // kept
      Call(bob_, "transfer", {Value::Text(Addr(alice_)), Value::Integer(31)}),   // CHECK fails
      Call(alice_, "transfer", {Value::Text(Addr(admin_)), Value::Integer(4)}),  // kept
  };
  auto r = repo_->Submit(batch);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<bool> kept;
  for (const auto& s : *r) kept.push_back(s.outcome.ok);
  EXPECT_EQ(kept, (std::vector<bool>{true, false, false, true, false, true}));
  EXPECT_EQ(*repo_->PoolCount(), 3u);

  // The pool's changes are exactly the kept txs' net effect.
  auto pool = repo_->PoolChanges("master");
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  ASSERT_EQ(pool->tables.size(), 1u);
  const TableChanges& accounts = pool->tables.at("token.accounts");
  std::map<std::string, std::pair<int64_t, int64_t>> balances;  // owner -> (before, after), -1 absent
  for (const auto& [key, c] : accounts.rows)
    balances[(c.after ? *c.after : *c.before)[0].bytes] = {c.before ? (*c.before)[1].integer : -1,
                                                           c.after ? (*c.after)[1].integer : -1};
  std::map<std::string, std::pair<int64_t, int64_t>> want = {
      {Addr(alice_), {70, 71}}, {Addr(admin_), {-1, 4}}};
  EXPECT_EQ(balances, want);

  Block b = CommitOk("kept only");
  EXPECT_EQ(b.txs.size(), 3u);
  EXPECT_EQ(b.changes, pool->Encode());
  EXPECT_TRUE(RootChains(b));
  // Execution agrees with the recorded changes, for every block.
  auto scratch = Db::Open("", true);
  ASSERT_TRUE(scratch.ok());
  std::unique_ptr<ContractEngine> engine;
  Status st = repo_->ReplayInto(&scratch.value(), &engine, b.Id(), true);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(*engine->StateDigest(), LiveDigest());
}

TEST_F(StateTest, SubmitRestartedByAnAbortedTxRecordsOnlyKeptTxs) {
  // A write interrupted at its step budget makes SQLite roll back the whole
  // transaction; Submit re-runs the batch without it. Changes recorded in
  // the first attempt must not survive into the pool's.
  BuildHistory();
  const std::string spin = R"sql(
CREATE TABLE t (a INTEGER PRIMARY KEY);
CREATE FUNCTION spin() AS
  INSERT INTO t SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c);
END;
CREATE FUNCTION one() AS
  INSERT INTO t VALUES (1);
END;
)sql";
  SubmitOk({Deploy("spin", spin)});
  CommitOk("spin");
  auto call = [&](const std::string& fn) { return repo_->MakeTx(TxKind::kCall, bob_, "spin", fn, {}, ""); };
  auto r = repo_->Submit({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(5)}), call("one"),
                          call("spin"), Call(admin_, "open", {})});
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<bool> kept;
  for (const auto& s : *r) kept.push_back(s.outcome.ok);
  EXPECT_EQ(kept, (std::vector<bool>{true, true, false, true}));
  EXPECT_NE((*r)[2].outcome.error.find("step budget exceeded"), std::string::npos) << (*r)[2].outcome.error;
  auto pool = repo_->PoolChanges("master");
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  EXPECT_EQ(pool->RowCount(), 3u);  // alice's balance, spin.t row 1, admin's account
  EXPECT_EQ(pool->tables.at("spin.t").rows.size(), 1u);
  Block b = CommitOk("after a restart");
  EXPECT_EQ(b.txs.size(), 3u);
  EXPECT_EQ(LiveDigest(), ReplayDigest(b.Id()));
}

TEST_F(StateTest, ColumnAffinitiesSurviveCheckout) {
  // Values SQLite converts on the way in (REAL and NUMERIC affinity, whole
  // reals stored as integers) or keeps as given (text that is no number, a
  // blob, an untyped column): the changes must record what the state holds,
  // so a state rebuilt from them equals the executed one.
  const std::string source = R"sql(
CREATE TABLE v (k INTEGER PRIMARY KEY, r REAL, n NUMERIC, f FLOATING POINT, u);
CREATE FUNCTION put(k INTEGER, x TEXT) AS
  INSERT INTO v (k, r, n, f, u) VALUES (:k, :x, :x, :x, :x)
    ON CONFLICT (k) DO UPDATE SET r = :x, n = :x, f = :x, u = :x;
END;
CREATE FUNCTION put_blob(k INTEGER, x BLOB) AS
  INSERT OR REPLACE INTO v (k, r, n, f, u) VALUES (:k, :x, :x, :x, :x);
END;
CREATE FUNCTION put_real(k INTEGER, x REAL) AS
  INSERT OR REPLACE INTO v (k, r, n, f, u) VALUES (:k, :x, :x, :x, :x);
END;
)sql";
  auto call = [&](const std::string& fn, std::vector<Value> args) {
    return repo_->MakeTx(TxKind::kCall, alice_, "aff", fn, std::move(args), "");
  };
  std::vector<Tx> txs = {Deploy("aff", source)};
  int64_t k = 0;
  for (const char* x : {"12", "1.5", "n/a", "-0", "1e3", " 7 ", "0x10", ""})
    txs.push_back(call("put", {Value::Integer(++k), Value::Text(x)}));
  txs.push_back(call("put_blob", {Value::Integer(++k), Value::Blob("12")}));
  for (double x : {2.0, -0.0, 0.1, 1e300})
    txs.push_back(call("put_real", {Value::Integer(++k), Value::Real(x)}));
  txs.push_back(call("put", {Value::Integer(1), Value::Text("3.0")}));  // an update
  SubmitOk(txs);
  StateDump pool = Live();
  Block b = CommitOk("affinities");
  EXPECT_EQ(Text(Live()), Text(pool));
  EXPECT_EQ(Text(ReplayDump(repo_.get(), b.Id())), Text(pool));
  CheckoutOk(ToHex(repo_->chain_id()));
  CheckoutOk("master");
  EXPECT_EQ(Text(Live()), Text(pool));
  EXPECT_EQ(LiveDigest(), ReplayDigest(b.Id()));
  auto rep = RunFsck(repo_.get(), FsckOptions{2, true});
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << (rep->problems.empty() ? "" : rep->problems[0]);
}

// Regression: a read as of a block across a replaced contract once failed
// when the path changed no row of the target's version of a table: the net
// changes carried the live version's columns and the overlay prepared an
// INSERT with that column count for the target's table ("has 4 columns but
// 5 values were supplied").
TEST_F(StateTest, ReadAcrossAReplacedContractWhoseTableTheTargetLeftEmpty) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("dev", block2_.Id()).ok());
  // master: shop v2 with one item; dev: shop v1 with no items.
  SubmitOk({Deploy("shop", kShopV2), Shop(alice_, "add_item", {Value::Text("ant"), Value::Real(1.5)})});
  Block m3 = CommitOk("shop v2");
  CheckoutOk("dev");
  SubmitOk({Deploy("shop", kShopV1)});
  Block d3 = CommitOk("shop v1");
  StateDump dev = Live();
  CheckoutOk("master");
  auto net = repo_->ChangesFromLive(d3.Id());
  ASSERT_TRUE(net.ok()) << net.status().message();
  auto overlay = StateOverlay::Create(repo_->db().get(), *net);
  ASSERT_TRUE(overlay.ok()) << overlay.status().message();
  EXPECT_EQ(Text(DumpOverlay(&repo_->engine(), **overlay, dev)), Text(dev));
}

// ---- property test ----

// Random calls (many failing) on random branches of one repository, with
// ground truth for every block from execution; then, for random pairs of
// blocks, diffs, reads as of a block and checkouts must agree with it.
class StatePropertyTest : public StateTest {
 protected:
  // mt19937_64's output is fixed by the standard, so a seed gives the same
  // history everywhere (distributions are not).
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  Value Int(size_t below) { return Value::Integer(static_cast<int64_t>(Pick(below))); }
  const SecretKey& AnyKey() { return *std::vector<const SecretKey*>{&admin_, &alice_, &bob_}[Pick(3)]; }
  Value AnyName() { return Value::Text(std::vector<std::string>{"ant", "bee", "cat", "dog"}[Pick(4)]); }
  Value AnyPrice() { return Value::Real(std::vector<double>{2.0, 0.5, -7.25, 1e-3, 1e20, 0.0}[Pick(6)]); }
  Value AnyId() { return Value::Integer(static_cast<int64_t>(1 + Pick(6))); }
  Value AnyBlob() { return Value::Blob(std::string(Pick(3), '\x07')); }  // also empty

  // A random deploy or call; many fail (no such contract or row, not the
  // owner, a CHECK or UNIQUE constraint, a require()).
  Tx RandomTx() {
    const SecretKey& key = AnyKey();
    Value to = Value::Text(Addr(AnyKey()));
    switch (Pick(16)) {
      case 0: return DeployToken();
      case 1: return Deploy("shop", Pick(2) ? kShopV1 : kShopV2);
      case 2: return Call(Pick(3) ? admin_ : key, "mint", {to, Value::Integer(1 + Pick(50))});
      case 3: return Call(key, "open", {});
      case 4: return Call(key, "transfer", {to, Int(40)});
      case 5:
      case 6: return Shop(key, "put", {Value::Text(Pick(2) ? "x" : "y"), Int(4), AnyBlob()});
      case 7: return Shop(key, "drop_b", {Int(4)});
      case 8:
      case 9: return Shop(key, "add_item", {AnyName(), AnyPrice()});
      case 10: return Shop(key, "put_item", {AnyId(), AnyName(), AnyPrice(), Int(3)});
      case 11: return Shop(key, "bump", {Value::Real(Pick(2) ? 1.25 : 3.0)});
      case 12: return Pick(2) ? Shop(key, "unprice", {AnyId()}) : Shop(key, "rename_item", {AnyId(), AnyName()});
      case 13: return Shop(key, "move_item", {AnyId(), AnyId()});
      case 14: return Shop(key, "copy_names", {Int(4)});
      default: return Pick(3) ? Call(admin_, "mint", {to, Value::Integer(1)}) : Shop(key, "wipe", {});
    }
  }

  Hash32 Head() { return repo_->CurrentHead()->block.id; }
  std::string Branch() { return repo_->CurrentHead()->branch.value_or(""); }

  // Submits 1-3 random txs; now and then one kept earlier (perhaps on
  // another branch), so sibling branches also hold the very same tx.
  void SubmitRandom() {
    std::vector<Tx> txs;
    for (size_t i = 0, n = 1 + Pick(3); i < n; ++i)
      txs.push_back(!kept_.empty() && Pick(8) == 0 ? kept_[Pick(kept_.size())] : RandomTx());
    auto r = repo_->Submit(txs);
    ASSERT_TRUE(r.ok()) << r.status().message();
    for (size_t i = 0; i < txs.size(); ++i)
      if ((*r)[i].outcome.ok) kept_.push_back(txs[i]);
  }

  // Commits the pool if any and records the block's ground truth, which the
  // state the commit leaves must equal.
  void CommitRandom() {
    if (*repo_->PoolCount() == 0) return SubmitRandom();
    Block b = CommitOk("random");
    ASSERT_TRUE(RootChains(b));
    blocks_.push_back(b.Id());
    truth_[b.Id()] = ReplayDump(repo_.get(), b.Id());
    ASSERT_EQ(Text(Live()), Text(truth_[b.Id()])) << "after commit of " << ToHex(b.Id());
  }

  void NewBranch() {
    std::string name = "b" + std::to_string(branches_.size());
    ASSERT_TRUE(repo_->CreateBranch(name, blocks_[Pick(blocks_.size())]).ok());
    branches_.push_back(name);
  }

  // Checks out a random branch; returning to a branch restores the state
  // (its head plus its pending pool) it had when it was left.
  void CheckoutRandom() {
    std::string from = Branch();
    left_[from] = Text(Live());
    std::string to = branches_[Pick(branches_.size())];
    ASSERT_NO_FATAL_FAILURE(CheckoutOk(to));
    if (*repo_->PoolCount() == 0) {
      ASSERT_EQ(Text(Live()), Text(truth_.at(Head()))) << "checkout " << to;
    }
    if (left_.count(to)) {
      ASSERT_EQ(Text(Live()), left_[to]) << "back to " << to;
    }
  }

  void ResetRandom() {
    ASSERT_TRUE(repo_->ResetPool().ok());
    ASSERT_EQ(Text(Live()), Text(truth_.at(Head())));
  }

  void ReopenRandom() {
    std::string before = Text(Live());
    ASSERT_NO_FATAL_FAILURE(Reopen());
    ASSERT_EQ(Text(Live()), before);
  }

  void RandomHistory(int ops) {
    blocks_ = {repo_->chain_id()};
    truth_[repo_->chain_id()] = ReplayDump(repo_.get(), repo_->chain_id());
    branches_ = {"master"};
    for (int i = 0; i < ops; ++i) {
      size_t r = Pick(100);
      if (r < 42) ASSERT_NO_FATAL_FAILURE(SubmitRandom());
      else if (r < 67) ASSERT_NO_FATAL_FAILURE(CommitRandom());
      else if (r < 75) ASSERT_NO_FATAL_FAILURE(NewBranch());
      else if (r < 91) ASSERT_NO_FATAL_FAILURE(CheckoutRandom());
      else if (r < 95) ASSERT_NO_FATAL_FAILURE(ResetRandom());
      else ASSERT_NO_FATAL_FAILURE(ReopenRandom());
    }
  }

  // (b): the state at `at` read through an overlay on the live state.
  void CheckOverlay(const Hash32& at) {
    auto net = repo_->ChangesFromLive(at);
    ASSERT_TRUE(net.ok()) << net.status().message();
    auto overlay = StateOverlay::Create(repo_->db().get(), *net);
    ASSERT_TRUE(overlay.ok()) << overlay.status().message();
    const StateDump& want = truth_.at(at);
    std::set<std::string> names;
    for (const auto& [name, t] : want) names.insert(name);
    EXPECT_EQ((*overlay)->view().tables, names) << "tables at " << ToHex(at);
    EXPECT_EQ(Text(DumpOverlay(&repo_->engine(), **overlay, want)), Text(want)) << "overlay at " << ToHex(at);
  }

  void CheckPair(const Hash32& a, const Hash32& b) {
    SCOPED_TRACE("A " + ToHex(a) + ", B " + ToHex(b));
    // (a) net changes = dump difference (also from the empty state).
    auto net = repo_->ChangesBetween(a, b);
    ASSERT_TRUE(net.ok()) << net.status().message();
    EXPECT_EQ(Diff(*net), Diff(truth_.at(a), truth_.at(b)));
    auto from_empty = repo_->ChangesBetween(std::nullopt, b);
    ASSERT_TRUE(from_empty.ok()) << from_empty.status().message();
    EXPECT_EQ(Diff(*from_empty), Diff(StateDump{}, truth_.at(b)));
    // (b) reads as of A, from wherever the state is now.
    EXPECT_NO_FATAL_FAILURE(CheckOverlay(a));
    // (c) checkout A, B, A.
    ASSERT_NO_FATAL_FAILURE(CheckoutOk(ToHex(a)));
    std::string first = Text(Live());
    Hash32 first_digest = LiveDigest();
    EXPECT_EQ(first, Text(truth_.at(a)));
    EXPECT_NO_FATAL_FAILURE(CheckOverlay(b));
    ASSERT_NO_FATAL_FAILURE(CheckoutOk(ToHex(b)));
    EXPECT_EQ(Text(Live()), Text(truth_.at(b)));
    ASSERT_NO_FATAL_FAILURE(CheckoutOk(ToHex(a)));
    EXPECT_EQ(Text(Live()), first);
    EXPECT_EQ(LiveDigest(), first_digest);
  }

  void Run(uint64_t seed, int ops, int pairs) {
    rng_.seed(seed);
    ASSERT_NO_FATAL_FAILURE(RandomHistory(ops));
    ASSERT_GE(blocks_.size(), 3u) << "too few blocks for seed " << seed;
    for (int i = 0; i < pairs; ++i)
      ASSERT_NO_FATAL_FAILURE(CheckPair(blocks_[Pick(blocks_.size())], blocks_[Pick(blocks_.size())]));
    // (d) back on a branch (its pool, if any, applied): fsck finds nothing.
    ASSERT_NO_FATAL_FAILURE(CheckoutOk(branches_[Pick(branches_.size())]));
    for (bool fast : {false, true}) {
      auto rep = RunFsck(repo_.get(), FsckOptions{2, fast});
      ASSERT_TRUE(rep.ok()) << rep.status().message();
      std::string all;
      for (const auto& p : rep->problems) all += "  " + p + "\n";
      EXPECT_TRUE(rep->ok()) << (fast ? "fast" : "full") << " fsck:\n" << all;
    }
  }

  std::mt19937_64 rng_;
  std::vector<Hash32> blocks_;             // genesis and every committed block
  std::map<Hash32, StateDump> truth_;      // by block: replayed from genesis
  std::vector<std::string> branches_;
  std::vector<Tx> kept_;                   // every tx a pool kept
  std::map<std::string, std::string> left_;  // by branch: its state when last left
};

// Fixed seeds: 120 operations, then 12 random pairs of blocks each.
TEST_F(StatePropertyTest, Seed1) { Run(1, 120, 12); }
TEST_F(StatePropertyTest, Seed2) { Run(2, 120, 12); }
TEST_F(StatePropertyTest, Seed3) { Run(3, 120, 12); }
// Seed 13 reads across a replaced contract whose table the target left
// empty (ReadAcrossAReplacedContractWhoseTableTheTargetLeftEmpty).
TEST_F(StatePropertyTest, Seed13) { Run(13, 120, 12); }

}  // namespace
}  // namespace aergo
