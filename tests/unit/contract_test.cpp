// Tests for AERGOSQL contracts: parsing, name rewriting, the sandbox,
// calls, queries, the state root and argument conversion.
#include "core/contract.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <memory>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/sql_lexer.h"
#include "core/sqlite.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

using testutil::kTokenContract;

constexpr const char* kOwner = "Aowner";
constexpr const char* kAlice = "Aalice";
constexpr const char* kBob = "Abob";

// ---- parsing ----------------------------------------------------------------

TEST(ContractParse, DesignExample) {
  auto src = ParseContract(kTokenContract, "token.sql");
  ASSERT_TRUE(src.ok()) << src.status().message();
  EXPECT_EQ(src->tables, std::vector<std::string>{"accounts"});
  EXPECT_TRUE(src->indexes.empty());
  ASSERT_EQ(src->ddl.size(), 1u);
  EXPECT_EQ(src->ddl_lines[0], 1);
  EXPECT_EQ(src->ddl[0].substr(0, 22), "CREATE TABLE accounts ");
  ASSERT_EQ(src->functions.size(), 3u);
  EXPECT_EQ(src->functions[0].Signature(), "open()");
  EXPECT_EQ(src->functions[1].Signature(), "mint(recipient TEXT, amount INTEGER)");
  EXPECT_EQ(src->functions[2].Signature(), "transfer(recipient TEXT, amount INTEGER)");
  EXPECT_EQ(src->functions[0].line, 6);
  EXPECT_EQ(src->functions[1].statements.size(), 2u);
  const ContractFunction& transfer = src->functions[2];
  ASSERT_EQ(transfer.statements.size(), 5u);
  EXPECT_EQ(transfer.statement_lines, (std::vector<int>{17, 18, 19, 20, 21}));
  EXPECT_EQ(transfer.statements[1],
            "UPDATE accounts SET balance = balance - :amount WHERE owner = :sender");
  EXPECT_EQ(src->functions[1].statements[1],
            "INSERT INTO accounts (owner, balance) VALUES (:recipient, :amount)\n"
            "    ON CONFLICT (owner) DO UPDATE SET balance = balance + :amount");
}

TEST(ContractParse, CaseEndCommentsAndCase) {
  const char* text =
      "/* header; with END; inside */\n"
      "create table Notes (id INTEGER PRIMARY KEY, body TEXT); -- trailing; comment\n"
      "CREATE UNIQUE INDEX IF NOT EXISTS Notes_Body ON notes(body);\n"
      "Create Function Classify(X Real, b blob, n int) as\n"
      "  SELECT CASE WHEN :x > 0 THEN 'pos' ELSE 'neg' END;\n"
      "  SELECT 'end; END;', \"end\" FROM notes WHERE body = :B;\n"
      "end;\n"
      "CREATE FUNCTION two() AS SELECT 1; END";
  auto src = ParseContract(text, "n.sql");
  ASSERT_TRUE(src.ok()) << src.status().message();
  EXPECT_EQ(src->tables, std::vector<std::string>{"notes"});
  EXPECT_EQ(src->indexes, std::vector<std::string>{"notes_body"});
  EXPECT_EQ(src->ddl_lines, (std::vector<int>{2, 3}));
  ASSERT_EQ(src->functions.size(), 2u);
  const ContractFunction& f = src->functions[0];
  EXPECT_EQ(f.Signature(), "classify(x REAL, b BLOB, n INTEGER)");
  EXPECT_EQ(f.statements[0], "SELECT CASE WHEN :x > 0 THEN 'pos' ELSE 'neg' END");
  EXPECT_EQ(f.statement_lines, (std::vector<int>{5, 6}));
  EXPECT_EQ(src->functions[1].statements, std::vector<std::string>{"SELECT 1"});
}

TEST(ContractParse, ErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"CREATE TABLE t (x);\nCREATE FUNCTION f(a INTEGER)\n  SELECT 1;\nEND;",
       "token.sql:3: expected AS after function parameters"},
      {"CREATE TABLE t (x);\n\nINSERT INTO t VALUES (1);",
       "token.sql:3: unknown top-level statement 'INSERT' (only CREATE TABLE, CREATE INDEX and "
       "CREATE FUNCTION are allowed)"},
      {"CREATE VIEW v AS SELECT 1;",
       "token.sql:1: unknown top-level statement 'CREATE VIEW' (only CREATE TABLE, CREATE INDEX "
       "and CREATE FUNCTION are allowed)"},
      {"CREATE FUNCTION f() AS SELECT 1; END;\nCREATE FUNCTION F() AS SELECT 2; END;",
       "token.sql:2: duplicate function 'f'"},
      {"CREATE TABLE t (x);\nCREATE INDEX t ON t(x);",
       "token.sql:2: duplicate name 't' (already a table)"},
      {"CREATE FUNCTION f(a INTEGER, A TEXT) AS SELECT 1; END;",
       "token.sql:1: duplicate parameter 'a'"},
      {"CREATE FUNCTION f() AS\nEND;", "token.sql:1: function 'f' has no statements"},
      {"CREATE FUNCTION f() AS\n  SELECT 1;\n",
       "token.sql:2: missing END for function 'f' (started at line 1)"},
      {"CREATE FUNCTION f() AS\n  SELECT 1;\nCREATE FUNCTION g() AS SELECT 2; END;",
       "token.sql:3: missing END for function 'f' (started at line 1)"},
      {"CREATE FUNCTION f(a VARCHAR) AS SELECT 1; END;",
       "token.sql:1: unknown type 'VARCHAR' for parameter 'a' (use INTEGER, REAL, TEXT or BLOB)"},
      {"CREATE FUNCTION f(a INTEGER) AS\n  SELECT :a;\n  SELECT :amount;\nEND;",
       "token.sql:3: unknown parameter :amount in function 'f'"},
      {"CREATE FUNCTION f() AS SELECT ?1; END;",
       "token.sql:1: parameter '?1' is not allowed: name parameters as :name"},
      {"CREATE FUNCTION f(sender TEXT) AS SELECT 1; END;",
       "token.sql:1: parameter 'sender' shadows the built-in :sender"},
      {"CREATE TABLE aergo (x);",
       "token.sql:1: invalid table name 'aergo' (use letters, digits and _, not starting with a "
       "digit, at most 64 characters, not 'aergo')"},
      {"CREATE TABLE main.t (x);", "token.sql:1: table name must not be qualified: 'main.'"},
      {"CREATE TABLE t (\n  id INTEGER PRIMARY KEY AUTOINCREMENT);",
       "token.sql:2: AUTOINCREMENT is not allowed: its counter lives in sqlite_sequence, "
       "outside the ledger state"},
      {"CREATE TABLE t (x, at TEXT\n DEFAULT CURRENT_TIMESTAMP);",
       "token.sql:2: CURRENT_TIMESTAMP is not allowed in contracts: not deterministic (reads the "
       "clock; use :block_time)"},
      {"CREATE TABLE t (x DEFAULT (random()));",
       "token.sql:1: function random() is not allowed in contracts: not deterministic"},
      {"CREATE TABLE t (x);\nCREATE FUNCTION f() AS INSERT OR ROLLBACK INTO t VALUES (1); END;",
       "token.sql:2: ROLLBACK is not allowed in contracts (a failing statement already undoes the "
       "whole call)"},
      {"CREATE TABLE t (x);\nCREATE FUNCTION f() AS SELECT 'oops; END;",
       "token.sql:2: unterminated string"},
      {"CREATE TABLE t (x;", "token.sql:1: unbalanced parentheses in statement"},
      {"CREATE FUNCTION f() AS\n  VACUUM INTO 'x.db';\nEND;",
       "token.sql:2: VACUUM is not allowed in contracts"},
      {"CREATE FUNCTION f() AS SELECT @x; END;",
       "token.sql:1: parameter '@x' is not allowed: name parameters as :name"},
      // The file ends inside a CREATE (found by fuzz_contract).
      {"CREATE TABLE t (x);\nCREATE INDEX", "token.sql:2: expected index name"},
      {"CREATE TABLE t (x);\nCREATE UNIQUE INDEX", "token.sql:2: expected index name"},
  };
  for (const Case& c : cases) {
    auto src = ParseContract(c.text, "token.sql");
    ASSERT_FALSE(src.ok()) << c.text;
    EXPECT_EQ(src.status().code(), Code::kInvalid);
    EXPECT_EQ(src.status().message(), c.error) << c.text;
  }
}

TEST(ContractParse, ValidNames) {
  EXPECT_TRUE(IsValidContractName("token"));
  EXPECT_TRUE(IsValidContractName("_a9"));
  EXPECT_TRUE(IsValidContractName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidContractName(std::string(65, 'a')));
  EXPECT_FALSE(IsValidContractName("aergo"));
  EXPECT_FALSE(IsValidContractName("Token"));
  EXPECT_FALSE(IsValidContractName("9lives"));
  EXPECT_FALSE(IsValidContractName("a.b"));
  EXPECT_FALSE(IsValidContractName(""));
}

TEST(ContractRewrite, OwnAndQualifiedNames) {
  auto rewrite = [](const std::string& sql) {
    auto tokens = TokenizeSql(sql);
    EXPECT_TRUE(tokens.ok());
    return RewriteSqlNames(*tokens, {"accounts", "total", "idx"}, "token.",
                           {"aergo.directory", "other.t", "accounts.balance"});
  };
  EXPECT_EQ(rewrite("SELECT accounts.balance, max(balance) FROM Accounts WHERE owner = 'accounts'"),
            "SELECT \"token.accounts\".balance, max(balance) FROM \"token.accounts\" WHERE owner = "
            "'accounts'");
  EXPECT_EQ(rewrite("INSERT INTO accounts (owner) VALUES (total(1))"),
            "INSERT INTO \"token.accounts\" (owner) VALUES (total(1))");
  EXPECT_EQ(rewrite("CREATE INDEX idx ON accounts(x)"),
            "CREATE INDEX \"token.idx\" ON \"token.accounts\"(x)");
  EXPECT_EQ(rewrite("SELECT x.accounts, \"total\" FROM total"),
            "SELECT x.accounts, \"token.total\" FROM \"token.total\"");
  EXPECT_EQ(rewrite("SELECT role FROM AERGO . Directory, other.t -- accounts"),
            "SELECT role FROM \"aergo.directory\", \"other.t\" -- accounts");
  EXPECT_EQ(rewrite("SELECT other.u FROM other"), "SELECT other.u FROM other");
  EXPECT_EQ(rewrite("SELECT accounts.balance FROM accounts"),
            "SELECT \"token.accounts\".balance FROM \"token.accounts\"");
}

TEST(ContractLexer, TokensCoverInputAndTrackLines) {
  std::string sql = "SELECT x'0A', 'it''s', [a b], `q`, 1.5e3, :p, ?2, a->>'$'\n/* c\n */ -- d\n;";
  auto tokens = TokenizeSql(sql);
  ASSERT_TRUE(tokens.ok());
  std::string joined;
  for (const SqlToken& t : *tokens) joined += t.text;
  EXPECT_EQ(joined, sql);
  std::vector<std::string> sig;
  for (const SqlToken& t : *tokens) {
    if (t.significant()) sig.emplace_back(t.text);
  }
  EXPECT_EQ(sig, (std::vector<std::string>{"SELECT", "x'0A'", ",", "'it''s'", ",", "[a b]", ",",
                                           "`q`", ",", "1.5e3", ",", ":p", ",", "?2", ",", "a",
                                           "->>", "'$'", ";"}));
  EXPECT_EQ(tokens->back().line, 4);
  EXPECT_EQ(IdentValue((*tokens)[8]), "a b");
  EXPECT_TRUE(IsBlankSql(" ; -- x\n /* y */ ;"));
  EXPECT_FALSE(IsBlankSql("; SELECT 1"));
}

// ---- engine -----------------------------------------------------------------

std::string Txid(int n) {
  Hash32 h = Sha256("tx" + std::to_string(n));
  return ToHex(h);
}

// Rows of a query as display text "a|b;c|d", or "error: ...".
std::string QueryRows(ContractEngine& engine, const std::string& sql) {
  auto r = engine.Query(sql);
  if (!r.ok()) return "error: " + r.status().message();
  std::string out;
  for (const auto& row : r->rows) {
    if (!out.empty()) out += ";";
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "|" : "") + ValueToDisplay(row[i]);
  }
  return out;
}

class ContractEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CryptoInit().ok());
    auto db = Db::Open(":memory:", true);
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    engine_ = std::make_unique<ContractEngine>(db_.get());
    ASSERT_TRUE(engine_->InitSystemTables().ok());
  }

  CallEnv Env(const std::string& sender) {
    CallEnv env;
    env.sender = sender;
    env.height = ++height_;
    env.block_time = 1700000000 + height_;
    env.txid = Txid(height_);
    return env;
  }

  void DeployToken() {
    CallOutcome out = engine_->Deploy("token", kTokenContract, Env(kOwner));
    ASSERT_TRUE(out.ok) << out.error;
  }

  CallOutcome Call(const std::string& sender, const std::string& fn, std::vector<Value> args,
                   const std::string& contract = "token") {
    return engine_->Call(contract, fn, args, Env(sender));
  }

  // Rows of a query as display text "a|b;c|d".
  std::string Rows(const std::string& sql) { return QueryRows(*engine_, sql); }

  std::string Balances() {
    return Rows("SELECT owner, balance FROM token.accounts ORDER BY owner");
  }

  Db db_;
  std::unique_ptr<ContractEngine> engine_;
  int height_ = 0;
};

TEST_F(ContractEngineTest, OpenMintTransfer) {
  DeployToken();
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  ASSERT_TRUE(Call(kBob, "open", {}).ok);
  CallOutcome mint = Call(kOwner, "mint", {Value::Text(kAlice), Value::Integer(100)});
  ASSERT_TRUE(mint.ok) << mint.error;
  CallOutcome tr = Call(kAlice, "transfer", {Value::Text(kBob), Value::Integer(30)});
  ASSERT_TRUE(tr.ok) << tr.error;
  EXPECT_EQ(Balances(), "Aalice|70;Abob|30");
  EXPECT_EQ(*engine_->Contracts(), std::vector<std::string>{"token"});
  EXPECT_EQ(Rows("SELECT name, owner, txid = '" + Txid(1) + "' FROM aergo.contracts"),
            "token|Aowner|1");
  auto fn = engine_->Function("token", "transfer");
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(fn->Signature(), "transfer(recipient TEXT, amount INTEGER)");
}

TEST_F(ContractEngineTest, RequireMessagesSurfaceExactly) {
  DeployToken();
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  CallOutcome out = Call(kAlice, "mint", {Value::Text(kAlice), Value::Integer(5)});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "only the owner may mint");
  out = Call(kAlice, "transfer", {Value::Text(kBob), Value::Integer(0)});
  EXPECT_EQ(out.error, "amount must be positive");
  out = Call(kBob, "transfer", {Value::Text(kAlice), Value::Integer(1)});
  EXPECT_EQ(out.error, "sender has no account");
  EXPECT_EQ(Balances(), "Aalice|0");
}

TEST_F(ContractEngineTest, FailedCallUndoesEarlierStatements) {
  DeployToken();
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  ASSERT_TRUE(Call(kOwner, "mint", {Value::Text(kAlice), Value::Integer(50)}).ok);
  // The debit succeeds, then the recipient check fails: the debit is undone.
  CallOutcome out = Call(kAlice, "transfer", {Value::Text(kBob), Value::Integer(20)});
  EXPECT_EQ(out.error, "recipient has no account");
  EXPECT_EQ(Balances(), "Aalice|50");

  const char* ledger =
      "CREATE TABLE log (id INTEGER PRIMARY KEY, note TEXT);\n"
      "CREATE TABLE acct (owner TEXT PRIMARY KEY, balance INTEGER CHECK (balance >= 0));\n"
      "CREATE FUNCTION pay(amount INTEGER) AS\n"
      "  INSERT INTO log (note) VALUES ('paid');\n"
      "  INSERT INTO acct VALUES (:sender, 10) ON CONFLICT (owner) DO NOTHING;\n"
      "  UPDATE acct SET balance = balance - :amount WHERE owner = :sender;\n"
      "END;";
  CallOutcome deployed = engine_->Deploy("ledger", ledger, Env(kOwner));
  ASSERT_TRUE(deployed.ok) << deployed.error;
  ASSERT_TRUE(Call(kAlice, "pay", {Value::Integer(4)}, "ledger").ok);
  out = Call(kAlice, "pay", {Value::Integer(7)}, "ledger");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "CHECK constraint failed: balance >= 0");
  EXPECT_EQ(Rows("SELECT count(*) FROM ledger.log"), "1");
  EXPECT_EQ(Rows("SELECT balance FROM ledger.acct"), "6");
}

TEST_F(ContractEngineTest, SandboxRejectsAtDeployNamingTheLine) {
  DeployToken();
  ASSERT_TRUE(db_.Exec("CREATE TABLE blocks (id TEXT)").ok());
  struct Case {
    const char* statement;
    const char* error;
  };
  const Case cases[] = {
      {"SELECT random()", "function random() is not allowed in contracts: not deterministic"},
      {"SELECT datetime('now')",
       "function datetime() is not allowed in contracts: not deterministic ('now' reads the clock; "
       "use :block_time)"},
      {"SELECT total_changes()",
       "function total_changes() is not allowed in contracts: not deterministic (depends on the "
       "connection's history)"},
      {"PRAGMA table_info(t)", "PRAGMA is not allowed in contracts"},
      {"ATTACH ':memory:' AS x", "ATTACH and DETACH are not allowed in contracts"},
      {"SAVEPOINT s",
       "transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed in contracts: a "
       "call is already atomic"},
      {"CREATE TABLE extra (x)",
       "CREATE TABLE is not allowed in contract functions (declare tables and indexes at top "
       "level)"},
      {"DROP TABLE t", "DROP TABLE is not allowed in contracts"},
      {"UPDATE token.accounts SET balance = 0",
       "contract 'bad' may not write table 'token.accounts'"},
      {"INSERT INTO aergo.directory VALUES (:sender, 'admin')",
       "contract 'bad' may not write table 'aergo.directory'"},
      {"INSERT INTO sqlite_master VALUES ('table', 'x', 'x', 0, '')",
       "table sqlite_master may not be modified"},
      {"CREATE TEMP VIEW v AS SELECT 1", "CREATE TEMP VIEW is not allowed in contracts"},
      {"SELECT count(*) FROM t, blocks",
       "contract 'bad' may not read table 'blocks': only contract tables are readable"},
      {"SELECT name FROM sqlite_master",
       "contract 'bad' may not read table 'sqlite_master': only contract tables are readable"},
  };
  for (const Case& c : cases) {
    std::string source = "CREATE TABLE t (x INTEGER PRIMARY KEY);\nCREATE FUNCTION f() AS\n  SELECT 1;\n  " +
                         std::string(c.statement) + ";\nEND;";
    CallOutcome out = engine_->Deploy("bad", source, Env(kOwner));
    EXPECT_FALSE(out.ok) << c.statement;
    EXPECT_EQ(out.error, std::string("bad.sql:4: ") + c.error);
    Status st = engine_->Validate("bad", source, "bad.sql");
    EXPECT_EQ(st.message(), std::string("bad.sql:4: ") + c.error);
  }
  EXPECT_EQ(*engine_->Contracts(), std::vector<std::string>{"token"});
  EXPECT_EQ(Rows("SELECT count(*) FROM sqlite_master WHERE name LIKE 'bad.%'"),
            "error: table 'sqlite_master' is not readable from queries: only contract tables "
            "<contract>.<table> are");
  Stmt count =
      std::move(*db_.Prepare("SELECT count(*) FROM sqlite_master WHERE name LIKE 'bad.%'"));
  ASSERT_EQ(count.Step(), SQLITE_ROW);
  EXPECT_EQ(count.Int(0), 0);
}

TEST_F(ContractEngineTest, ContractsMayReadSystemAndOtherTables) {
  DeployToken();
  ASSERT_TRUE(db_.Exec("INSERT INTO \"aergo.directory\" VALUES ('Aalice', 'writer')").ok());
  const char* source =
      "CREATE TABLE seen (who TEXT PRIMARY KEY, balance INTEGER);\n"
      "CREATE FUNCTION look() AS\n"
      "  SELECT require((SELECT count(*) FROM aergo.directory WHERE address = :sender) = 1,\n"
      "                 'not in the directory');\n"
      "  INSERT INTO seen SELECT owner, balance FROM token.accounts WHERE owner = :sender;\n"
      "  SELECT value FROM json_each('[1,2]');\n"
      "END;";
  CallOutcome out = engine_->Deploy("watch", source, Env(kOwner));
  ASSERT_TRUE(out.ok) << out.error;
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  EXPECT_EQ(Call(kBob, "look", {}, "watch").error, "not in the directory");
  out = Call(kAlice, "look", {}, "watch");
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(Rows("SELECT * FROM watch.seen"), "Aalice|0");
}

TEST_F(ContractEngineTest, QueryRefusesAnythingButOneRead) {
  DeployToken();
  ASSERT_TRUE(db_.Exec("CREATE TABLE blocks (id TEXT)").ok());
  const char* kOnly = "only a single read-only statement (SELECT) is allowed";
  struct Case {
    const char* sql;
    const char* error;
  };
  const Case cases[] = {
      {"INSERT INTO token.accounts VALUES ('x', 1)", kOnly},
      {"DELETE FROM token.accounts", kOnly},
      {"SELECT 1; SELECT 2", kOnly},
      {"SELECT 1; DELETE FROM token.accounts", kOnly},
      {"SELECT count(*) FROM blocks",
       "table 'blocks' is not readable from queries: only contract tables <contract>.<table> are"},
      {"SELECT * FROM blocks",
       "table 'blocks' is not readable from queries: only contract tables <contract>.<table> are"},
      {"PRAGMA table_info(blocks)", "PRAGMA is not allowed in queries"},
      {"SELECT random()", "function random() is not allowed in queries: not deterministic"},
      {"BEGIN", kOnly},
  };
  for (const Case& c : cases) {
    auto r = engine_->Query(c.sql);
    ASSERT_FALSE(r.ok()) << c.sql;
    EXPECT_EQ(r.status().code(), Code::kDenied) << c.sql;
    EXPECT_EQ(r.status().message(), c.error) << c.sql;
  }
  auto bad = engine_->Query("SELECT * FROM nosuch.table1");
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
  auto ok = engine_->Query("select OWNER as o from TOKEN.Accounts; -- done\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->columns, std::vector<std::string>{"o"});
  EXPECT_TRUE(ok->rows.empty());
  EXPECT_EQ(Rows("SELECT x'00ff', 1.5, NULL, 'a'"), "x'00ff'|1.5|NULL|a");
  EXPECT_EQ(Rows("SELECT sum(value) FROM json_each('[1, 2, 3]')"), "6");
  EXPECT_EQ(Rows("WITH c(n) AS (SELECT 1 UNION ALL SELECT 2) SELECT count(*) FROM c"), "2");
  auto schema = engine_->Query("UPDATE sqlite_master SET sql = ''");
  EXPECT_FALSE(schema.ok());
  EXPECT_EQ(Rows("SELECT contract_owner()"),
            "error: query: contract_owner() is only available in contract functions");
}

TEST_F(ContractEngineTest, StepBudgetStopsRunawayCalls) {
  const char* source =
      "CREATE TABLE hits (n INTEGER PRIMARY KEY);\n"
      "CREATE FUNCTION spin() AS\n"
      "  INSERT INTO hits VALUES (1);\n"
      "  SELECT count(*) FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c\n"
      "    WHERE n < 1000000000) SELECT n FROM c);\n"
      "END;\n"
      "CREATE FUNCTION hit() AS INSERT INTO hits VALUES (2); END;";
  CallOutcome deployed = engine_->Deploy("loop", source, Env(kOwner));
  ASSERT_TRUE(deployed.ok) << deployed.error;
  engine_->set_step_budget(50000);
  CallOutcome out = Call(kAlice, "spin", {}, "loop");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "step budget exceeded (50000 steps)");
  EXPECT_GT(out.steps, 50000u);
  EXPECT_EQ(Rows("SELECT count(*) FROM loop.hits"), "0");
  out = Call(kAlice, "hit", {}, "loop");
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(Rows("SELECT n FROM loop.hits"), "2");
}

TEST_F(ContractEngineTest, CallsStartWithFreshChangeCounters) {
  DeployToken();
  const char* source =
      "CREATE TABLE seen (id INTEGER PRIMARY KEY, c INTEGER, r INTEGER);\n"
      "CREATE FUNCTION probe() AS INSERT INTO seen (c, r) VALUES (changes(), last_insert_rowid()); END;";
  ASSERT_TRUE(engine_->Deploy("probe", source, Env(kOwner)).ok);
  ASSERT_TRUE(
      db_.Exec("CREATE TABLE blocks (id TEXT); INSERT INTO blocks VALUES ('a'), ('b')").ok());
  ASSERT_TRUE(Call(kAlice, "probe", {}, "probe").ok);
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  ASSERT_TRUE(Call(kAlice, "probe", {}, "probe").ok);
  EXPECT_EQ(Rows("SELECT c, r FROM probe.seen"), "0|0;0|0");
}

TEST_F(ContractEngineTest, ContractOwnerIsTheDeployer) {
  const char* source =
      "CREATE TABLE seen (caller TEXT, owner TEXT, height INTEGER, at INTEGER, tx TEXT PRIMARY KEY);\n"
      "CREATE FUNCTION who() AS\n"
      "  INSERT INTO seen VALUES (:sender, contract_owner(), :height, :block_time, :txid);\n"
      "END;";
  ASSERT_TRUE(engine_->Deploy("who", source, Env(kOwner)).ok);
  CallEnv env = Env(kBob);
  ASSERT_TRUE(engine_->Call("who", "who", {}, env).ok);
  EXPECT_EQ(Rows("SELECT caller, owner, height, at, tx = '" + env.txid + "' FROM who.seen"),
            "Abob|Aowner|2|1700000002|1");
}

TEST_F(ContractEngineTest, DeployTwiceAndReservedNamesFail) {
  DeployToken();
  CallOutcome out = engine_->Deploy("token", kTokenContract, Env(kOwner));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "contract 'token' already exists");
  out = engine_->Deploy("aergo", kTokenContract, Env(kOwner));
  EXPECT_EQ(out.error, "contract name 'aergo' is reserved");
  out = engine_->Deploy("Token2", kTokenContract, Env(kOwner));
  EXPECT_EQ(out.error,
            "invalid contract name 'Token2' (use a-z, 0-9 and _, not starting with a digit, at "
            "most 64 characters)");
  EXPECT_EQ(*engine_->Contracts(), std::vector<std::string>{"token"});
}

TEST_F(ContractEngineTest, ColumnNamedLikeATableIsRejected) {
  const char* source =
      "CREATE TABLE accounts (owner TEXT PRIMARY KEY, ledger INTEGER);\n"
      "CREATE TABLE ledger (x INTEGER);";
  CallOutcome out = engine_->Deploy("c", source, Env(kOwner));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error,
            "c.sql:1: column 'ledger' of table 'accounts' has the same name as a table or index of "
            "the contract");
  EXPECT_TRUE(engine_->Contracts()->empty());
}

TEST_F(ContractEngineTest, ValidateChangesNothing) {
  Status st = engine_->Validate("token", kTokenContract, "token.sql");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(engine_->Contracts()->empty());
  EXPECT_EQ(Rows("SELECT count(*) FROM token.accounts"),
            "error: query: no such table: token.accounts");
  st = engine_->Validate("token", "CREATE TABLE t (x INTEGER CHECK (y > 0));", "t.sql");
  EXPECT_EQ(st.message(), "t.sql:1: no such column: y");
}

TEST_F(ContractEngineTest, StateRootIsCanonical) {
  // Empty system tables: the documented byte layout, computed by hand.
  Writer w;
  for (const char* t : {"aergo.contracts", "aergo.directory", "aergo.settings"}) {
    w.Text(t);
    w.U8(0);
  }
  Bytes expect = {'A', 'E', 'R', 'G', 'O', '-', 'S', 'T', 'A', 'T', 'E', '-', 'V', '1'};
  expect.insert(expect.end(), w.bytes().begin(), w.bytes().end());
  EXPECT_EQ(*engine_->StateDigest(), Sha256(expect));

  const char* kv =
      "CREATE TABLE kv (k TEXT PRIMARY KEY, v);\n"
      "CREATE TABLE bag (x, y TEXT PRIMARY KEY);\n"
      "CREATE FUNCTION put(k TEXT, v INTEGER) AS\n"
      "  INSERT INTO kv VALUES (:k, :v);\n"
      "  INSERT INTO bag VALUES (:v, :k);\n"
      "END;";
  auto db2 = Db::Open(":memory:", true);
  ASSERT_TRUE(db2.ok());
  ContractEngine other(db2->get());
  ASSERT_TRUE(other.InitSystemTables().ok());
  CallEnv env = Env(kOwner);
  ASSERT_TRUE(engine_->Deploy("kv", kv, env).ok);
  ASSERT_TRUE(other.Deploy("kv", kv, env).ok);
  EXPECT_EQ(*engine_->StateDigest(), *other.StateDigest());
  for (const char* k : {"b", "a", "c"}) {
    ASSERT_TRUE(engine_->Call("kv", "put", {Value::Text(k), Value::Integer(k[0])}, env).ok);
  }
  for (const char* k : {"c", "b", "a"}) {
    ASSERT_TRUE(other.Call("kv", "put", {Value::Text(k), Value::Integer(k[0])}, env).ok);
  }
  Hash32 root = *engine_->StateDigest();
  EXPECT_EQ(root, *other.StateDigest());
  ASSERT_TRUE(other.Call("kv", "put", {Value::Text("d"), Value::Integer(1)}, env).ok);
  EXPECT_NE(root, *other.StateDigest());
  ASSERT_TRUE(db2->Exec("DELETE FROM \"kv.kv\" WHERE k = 'd'").ok());
  EXPECT_NE(root, *other.StateDigest());  // bag still holds (1, 'd')
  ASSERT_TRUE(db2->Exec("DELETE FROM \"kv.bag\" WHERE y = 'd'").ok());
  EXPECT_EQ(root, *other.StateDigest());
  ASSERT_TRUE(db2->Exec("UPDATE \"kv.kv\" SET v = 98.0 WHERE k = 'b'").ok());
  EXPECT_NE(root, *other.StateDigest());  // 98 and 98.0 encode differently
  // Index tables (no dot) are not state.
  ASSERT_TRUE(db_.Exec("CREATE TABLE blocks (id TEXT); INSERT INTO blocks VALUES ('x')").ok());
  EXPECT_EQ(*engine_->StateDigest(), root);
}

TEST_F(ContractEngineTest, ConvertAndCheckArgs) {
  DeployToken();
  auto args = engine_->ConvertArgs("token", "transfer", {"Abob", "-42"});
  ASSERT_TRUE(args.ok()) << args.status().message();
  EXPECT_EQ((*args)[0], Value::Text("Abob"));
  EXPECT_EQ((*args)[1], Value::Integer(-42));

  auto bad = engine_->ConvertArgs("token", "transfer", {"Abob"});
  EXPECT_EQ(bad.status().code(), Code::kUsage);
  EXPECT_EQ(bad.status().message(),
            "contract 'token' function 'transfer' takes 2 arguments, got 1: transfer(recipient "
            "TEXT, amount INTEGER)");
  for (const char* v : {"abc", "1.5", "", "9223372036854775808", "+1", " 1"}) {
    bad = engine_->ConvertArgs("token", "transfer", {"Abob", v});
    EXPECT_EQ(bad.status().code(), Code::kUsage) << v;
    EXPECT_EQ(bad.status().message(),
              "argument 'amount' of transfer(recipient TEXT, amount "
              "INTEGER) must be INTEGER, got '" +
                  std::string(v) + "'");
  }
  bad = engine_->ConvertArgs("nope", "transfer", {});
  EXPECT_EQ(bad.status().code(), Code::kNotFound);
  EXPECT_EQ(bad.status().message(), "contract 'nope' not found");
  bad = engine_->ConvertArgs("token", "burn", {});
  EXPECT_EQ(bad.status().code(), Code::kNotFound);
  EXPECT_EQ(bad.status().message(), "function 'burn' not found in contract 'token'");
  EXPECT_EQ(Call(kAlice, "burn", {}).error, "function 'burn' not found in contract 'token'");

  const char* typed =
      "CREATE TABLE t (r REAL, b BLOB PRIMARY KEY);\n"
      "CREATE FUNCTION put(r REAL, b BLOB) AS INSERT INTO t VALUES (:r, :b); END;";
  ASSERT_TRUE(engine_->Deploy("typed", typed, Env(kOwner)).ok);
  args = engine_->ConvertArgs("typed", "put", {"2.5e1", "x'0aFF'"});
  ASSERT_TRUE(args.ok()) << args.status().message();
  EXPECT_EQ((*args)[0], Value::Real(25.0));
  EXPECT_EQ((*args)[1], Value::Blob("\x0a\xff"));
  EXPECT_EQ((*engine_->ConvertArgs("typed", "put", {"3", "0x"}))[1], Value::Blob(""));
  EXPECT_EQ(engine_->ConvertArgs("typed", "put", {"nan", "0x00"}).status().message(),
            "argument 'r' of put(r REAL, b BLOB) must be REAL, got 'nan'");
  EXPECT_EQ(engine_->ConvertArgs("typed", "put", {"1", "0x0"}).status().message(),
            "argument 'b' of put(r REAL, b BLOB) must be BLOB (x'..' or 0x..), got '0x0'");

  ContractFunction fn = *engine_->Function("typed", "put");
  EXPECT_TRUE(engine_->CheckArgs(fn, {Value::Integer(3), Value::Blob("x")}).ok());
  Status st = engine_->CheckArgs(fn, {Value::Text("3"), Value::Blob("x")});
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_EQ(st.message(), "argument 'r' of put(r REAL, b BLOB) must be REAL, got TEXT");
  st = engine_->CheckArgs(fn, {Value::Real(1)});
  EXPECT_EQ(st.message(), "function 'put' takes 2 arguments, got 1: put(r REAL, b BLOB)");
  CallOutcome out = Call(kAlice, "put", {Value::Integer(3), Value::Null()}, "typed");
  EXPECT_EQ(out.error, "argument 'b' of put(r REAL, b BLOB) must be BLOB, got NULL");
  out = Call(kAlice, "put", {Value::Integer(3), Value::Blob("z")}, "typed");
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(Rows("SELECT typeof(r), r, b FROM typed.t"), "real|3.0|x'7a'");
}

TEST_F(ContractEngineTest, StaleCacheIsNotUsedAfterRollback) {
  ASSERT_TRUE(db_.Exec("BEGIN").ok());
  DeployToken();
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  ASSERT_TRUE(db_.Exec("ROLLBACK").ok());
  EXPECT_EQ(Call(kAlice, "open", {}).error, "contract 'token' not found");
  const char* other =
      "CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INTEGER);\n"
      "CREATE FUNCTION open() AS INSERT INTO accounts VALUES (:sender, 7); END;";
  ASSERT_TRUE(engine_->Deploy("token", other, Env(kOwner)).ok);
  ASSERT_TRUE(Call(kAlice, "open", {}).ok);
  EXPECT_EQ(Balances(), "Aalice|7");
}

}  // namespace
}  // namespace aergo

namespace aergo {
namespace {

// A fresh in-memory state with the system tables, one engine on it.
class ContractRules : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::Open(":memory:", true);
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    engine_ = std::make_unique<ContractEngine>(db_.get());
    ASSERT_TRUE(engine_->InitSystemTables().ok());
  }
  Db db_;
  std::unique_ptr<ContractEngine> engine_;
};

TEST_F(ContractRules, TablesNeedAPrimaryKey) {
  ContractEngine& engine = *engine_;
  Status st = engine.Validate("c", "CREATE TABLE a (k TEXT PRIMARY KEY);\nCREATE TABLE bag (x, y);", "c.sql");
  EXPECT_EQ(st.message(), "c.sql:2: table 'bag' needs a PRIMARY KEY (state roots and changes are keyed by it)");
  EXPECT_TRUE(engine.Validate("c", "CREATE TABLE a (k TEXT PRIMARY KEY);\nCREATE INDEX ai ON a(k);", "c.sql").ok());
}

TEST_F(ContractRules, LibmFunctionsAreRejected) {
  ContractEngine& engine = *engine_;
  Status st = engine.Validate(
      "c", "CREATE TABLE a (k INTEGER PRIMARY KEY, r REAL);\nCREATE FUNCTION f() AS\n  INSERT INTO a VALUES (1, sin(1));\nEND;",
      "c.sql");
  EXPECT_NE(st.message().find("c.sql:3: function sin() is not allowed in contracts"), std::string::npos)
      << st.message();
  EXPECT_TRUE(engine.Validate("c", "CREATE TABLE a (k INTEGER PRIMARY KEY, r REAL);\nCREATE FUNCTION f() AS\n  INSERT INTO a VALUES (1, sqrt(2));\nEND;", "c.sql").ok());
}

// A NULL key is refused by SQLite itself: the table is stored WITHOUT ROWID.
TEST_F(ContractRules, NullKeysAreRefused) {
  const char* src =
      "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER);\n"
      "CREATE FUNCTION put(v INTEGER) AS INSERT INTO t VALUES (NULL, :v); END;";
  CallEnv env{"Aowner", 1, 1, std::string(64, 'a')};
  ASSERT_TRUE(engine_->Deploy("n", src, env).ok);
  CallOutcome out = engine_->Call("n", "put", {Value::Integer(1)}, env);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "NOT NULL constraint failed: n.t.k");
  auto rows = engine_->Query("SELECT count(*) FROM n.t");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ(rows->rows[0][0], Value::Integer(0));
}

// A runaway read stops at the query step budget instead of running forever.
TEST_F(ContractRules, RunawayQueryStopsAtItsBudget) {
  ContractEngine& engine = *engine_;
  engine.set_query_step_budget(100000);
  auto r = engine.Query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                        "SELECT count(*) FROM c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "query: step budget exceeded (100000 steps)");
  auto ok = engine.Query("SELECT count(*) FROM aergo.directory");
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}


TEST_F(ContractRules, AnalyzeAndReindexAreNamedWhenRefused) {
  ContractEngine& engine = *engine_;
  for (const char* stmt : {"ANALYZE", "REINDEX"}) {
    std::string src = std::string("CREATE TABLE a (k INTEGER PRIMARY KEY);\nCREATE FUNCTION f() AS\n  ") +
                      stmt + ";\nEND;";
    Status st = engine.Validate("c", src, "c.sql");
    EXPECT_EQ(st.message(), std::string("c.sql:3: ") + stmt + " is not allowed in contracts");
  }
}

}  // namespace
}  // namespace aergo

namespace aergo {
namespace {

// How contract tables are stored (docs/formats/state.md).
class ContractStorage : public ContractRules {
 protected:
  CallEnv env_{"Aowner", 1, 1, std::string(64, 'a')};

  // pragma_table_list.wr of the stored table, or -1 if it does not exist.
  int64_t WithoutRowid(const std::string& table) { return WithoutRowid(db_, table); }
  static int64_t WithoutRowid(Db& db, const std::string& table) {
    Stmt s = std::move(
        *db.Prepare("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1"));
    s.Bind(1, table);
    return s.Step() == SQLITE_ROW ? s.Int(0) : -1;
  }

  // "type|name|sql" of every schema entry of contract c's tables, sorted.
  static std::vector<std::string> Schema(Db& db, const std::string& c) {
    Stmt s = std::move(*db.Prepare(
        "SELECT type, name, sql FROM sqlite_master WHERE substr(tbl_name, 1, length(?1)) = ?1 "
        "ORDER BY type, name"));
    s.Bind(1, c + ".");
    std::vector<std::string> out;
    while (s.Step() == SQLITE_ROW) out.push_back(s.Text(0) + "|" + s.Text(1) + "|" + s.Text(2));
    return out;
  }

  std::string Rows(const std::string& sql) { return QueryRows(*engine_, sql); }
};

TEST_F(ContractStorage, TextKeysAreStoredWithoutRowid) {
  const char* src =
      "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);\n"
      "CREATE TABLE s (k TEXT NOT NULL PRIMARY KEY, v INTEGER) STRICT;\n"
      "CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID;\n"
      "CREATE FUNCTION put(k TEXT, v INTEGER) AS\n"
      "  INSERT INTO kv VALUES (:k, :v);\n"
      "  INSERT INTO s VALUES (:k, :v);\n"
      "END;";
  ASSERT_TRUE(engine_->Deploy("c", src, env_).ok);
  EXPECT_EQ(WithoutRowid("c.kv"), 1);
  EXPECT_EQ(WithoutRowid("c.s"), 1);
  EXPECT_EQ(WithoutRowid("c.w"), 1);
  EXPECT_EQ(Schema(db_, "c"),
            (std::vector<std::string>{
                "table|c.kv|CREATE TABLE \"c.kv\" (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID",
                "table|c.s|CREATE TABLE \"c.s\" (k TEXT NOT NULL PRIMARY KEY, v INTEGER) STRICT, "
                "WITHOUT ROWID",
                "table|c.w|CREATE TABLE \"c.w\" (k TEXT PRIMARY KEY, v) WITHOUT ROWID"}));
  for (const char* k : {"b", "c", "a"}) {
    CallOutcome out = engine_->Call("c", "put", {Value::Text(k), Value::Integer(k[0])}, env_);
    ASSERT_TRUE(out.ok) << out.error;
  }
  // A full scan follows the key, not the insertion order.
  EXPECT_EQ(Rows("SELECT k FROM c.kv"), "a;b;c");
  EXPECT_EQ(Rows("SELECT k FROM c.s"), "a;b;c");
  EXPECT_EQ(Rows("SELECT rowid FROM c.kv"), "error: query: no such column: rowid");
}

TEST_F(ContractStorage, IntegerPrimaryKeyStaysARowidTable) {
  const char* src =
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"
      "CREATE TABLE ints (n INT PRIMARY KEY);\n"
      "CREATE FUNCTION add(body TEXT) AS INSERT INTO notes (body) VALUES (:body); END;";
  ASSERT_TRUE(engine_->Deploy("c", src, env_).ok);
  EXPECT_EQ(WithoutRowid("c.notes"), 0);
  EXPECT_EQ(WithoutRowid("c.ints"), 1);  // INT is not the rowid alias
  EXPECT_EQ(Schema(db_, "c"),
            (std::vector<std::string>{
                "table|c.ints|CREATE TABLE \"c.ints\" (n INT PRIMARY KEY) WITHOUT ROWID",
                "table|c.notes|CREATE TABLE \"c.notes\" (id INTEGER PRIMARY KEY, body TEXT NOT "
                "NULL)"}));
  for (const char* b : {"x", "y"}) {
    CallOutcome out = engine_->Call("c", "add", {Value::Text(b)}, env_);
    ASSERT_TRUE(out.ok) << out.error;
  }
  EXPECT_EQ(Rows("SELECT id, body FROM c.notes ORDER BY id"), "1|x;2|y");
}

TEST_F(ContractStorage, CompositeKeys) {
  const char* src =
      "CREATE TABLE pairs (a INTEGER, b TEXT, v INTEGER, PRIMARY KEY (a, b));\n"
      "CREATE INDEX pairs_v ON pairs (v);\n"
      "CREATE FUNCTION put(a INTEGER, b TEXT, v INTEGER) AS\n"
      "  INSERT INTO pairs VALUES (:a, :b, :v);\n"
      "END;";
  ASSERT_TRUE(engine_->Deploy("c", src, env_).ok);
  EXPECT_EQ(WithoutRowid("c.pairs"), 1);
  auto put = [&](int64_t a, const char* b, int64_t v) {
    return engine_->Call("c", "put", {Value::Integer(a), Value::Text(b), Value::Integer(v)}, env_);
  };
  ASSERT_TRUE(put(2, "x", 1).ok);
  ASSERT_TRUE(put(1, "y", 2).ok);
  ASSERT_TRUE(put(1, "x", 3).ok);
  CallOutcome dup = put(1, "x", 4);
  EXPECT_FALSE(dup.ok);
  EXPECT_EQ(dup.error, "UNIQUE constraint failed: c.pairs.a, c.pairs.b");
  EXPECT_EQ(Rows("SELECT a, b, v FROM c.pairs ORDER BY a, b"), "1|x|3;1|y|2;2|x|1");
  EXPECT_EQ(Rows("SELECT a, b FROM c.pairs WHERE v = 2"), "1|y");
}

TEST_F(ContractStorage, AutoincrementIsRefusedNamingFileAndLine) {
  const char* src =
      "CREATE TABLE a (k TEXT PRIMARY KEY);\n"
      "CREATE TABLE log (\n"
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
      "  body TEXT);";
  CallOutcome out = engine_->Deploy("c", src, env_);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error,
            "c.sql:3: AUTOINCREMENT is not allowed: its counter lives in sqlite_sequence, outside "
            "the ledger state");
  Status st = engine_->Validate("c", src, "mine.sql");
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_EQ(st.message(),
            "mine.sql:3: AUTOINCREMENT is not allowed: its counter lives in sqlite_sequence, "
            "outside the ledger state");
  EXPECT_TRUE(engine_->Contracts()->empty());
  EXPECT_TRUE(Schema(db_, "c").empty());
}

constexpr const char* kMixedContract =
    "/* every kind of table */\n"
    "CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0,\n"
    "                       nick TEXT UNIQUE);\n"
    "CREATE UNIQUE INDEX accounts_balance ON accounts (balance, owner);\n"
    "create table if not exists Notes (id INTEGER PRIMARY KEY, body TEXT) ;\n"
    "CREATE TABLE strict_kv (k BLOB PRIMARY KEY, v ANY) STRICT;\n"
    "CREATE TABLE pairs (a INT, b TEXT, PRIMARY KEY (a, b)) -- trailing comment\n"
    ";\n"
    "CREATE INDEX notes_body ON notes (body);\n"
    "CREATE FUNCTION open() AS INSERT INTO accounts (owner) VALUES (:sender); END;";

TEST_F(ContractStorage, CreateTablesMatchesDeploy) {
  ASSERT_TRUE(engine_->Deploy("mixed", kMixedContract, env_).ok);
  std::vector<std::string> deployed = Schema(db_, "mixed");
  ASSERT_EQ(deployed.size(), 7u);  // 4 tables, 2 indexes, 1 autoindex (nick UNIQUE)

  auto db2 = Db::Open(":memory:", true);
  ASSERT_TRUE(db2.ok());
  ContractEngine other(db2->get());
  Status st = other.CreateTables("mixed", kMixedContract);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Schema(*db2, "mixed"), deployed);
  EXPECT_EQ(WithoutRowid(*db2, "mixed.accounts"), 1);
  EXPECT_EQ(WithoutRowid(*db2, "mixed.notes"), 0);
  // Nothing recorded, nothing compiled: the contract is not deployed there.
  ASSERT_TRUE(other.InitSystemTables().ok());
  EXPECT_TRUE(other.Contracts()->empty());
  EXPECT_EQ(other.Function("mixed", "open").status().code(), Code::kNotFound);

  // Errors name the contract and the reason.
  st = other.CreateTables("mixed", kMixedContract);
  EXPECT_EQ(st.message(),
            "create tables of contract 'mixed': mixed.sql:2: table \"mixed.accounts\" already "
            "exists");
  EXPECT_EQ(Schema(*db2, "mixed"), deployed);
  st = other.CreateTables("bad", "CREATE TABLE t (x INTEGER PRIMARY KEY AUTOINCREMENT);");
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_EQ(st.message(),
            "create tables of contract 'bad': bad.sql:1: AUTOINCREMENT is not allowed: its "
            "counter lives in sqlite_sequence, outside the ledger state");
  st = other.CreateTables("bad", "CREATE TABLE t (x TEXT PRIMARY KEY);\nCREATE TABLE u (y);");
  EXPECT_EQ(st.message(),
            "create tables of contract 'bad': bad.sql:2: table 'u' needs a PRIMARY KEY (state "
            "roots and changes are keyed by it)");
  EXPECT_TRUE(Schema(*db2, "bad").empty()) << "a failed CreateTables leaves nothing";
  EXPECT_EQ(other.CreateTables("aergo", "CREATE TABLE t (x TEXT PRIMARY KEY);").message(),
            "create tables of contract 'aergo': contract name 'aergo' is reserved");
}

// The caller may be in the middle of a scan (a replay reading its blocks):
// tables are created in their final form, never dropped and created again.
TEST_F(ContractStorage, TablesAreCreatedWhileAStatementIsActive) {
  ASSERT_TRUE(db_.Exec("INSERT INTO \"aergo.settings\" VALUES ('a', '1'), ('b', '2')").ok());
  Stmt scan = std::move(*db_.Prepare("SELECT key FROM \"aergo.settings\""));
  ASSERT_EQ(scan.Step(), SQLITE_ROW);
  CallOutcome out = engine_->Deploy("mixed", kMixedContract, env_);
  ASSERT_TRUE(out.ok) << out.error;
  Status st = engine_->CreateTables("mixed2", kMixedContract);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(WithoutRowid("mixed2.accounts"), 1);
  st = engine_->DropTables("mixed2");
  EXPECT_EQ(st.code(), Code::kIo);
  EXPECT_EQ(st.message(),
            "drop tables of contract 'mixed2': a statement of the connection is still active (not "
            "reset): SELECT key FROM \"aergo.settings\"");
  EXPECT_EQ(scan.Step(), SQLITE_ROW) << "the scan goes on";
  EXPECT_EQ(scan.Step(), SQLITE_DONE);
  scan.Reset();
  EXPECT_EQ(Schema(db_, "mixed2").size(), 7u);
  EXPECT_TRUE(engine_->DropTables("mixed2").ok());
  EXPECT_TRUE(Schema(db_, "mixed2").empty());
}

TEST_F(ContractStorage, DropTablesRemovesExactlyOneContract) {
  ASSERT_TRUE(engine_->Deploy("mixed", kMixedContract, env_).ok);
  ASSERT_TRUE(engine_->Deploy("mixed2", kMixedContract, env_).ok);
  ASSERT_TRUE(engine_->Call("mixed", "open", {}, env_).ok);  // cached and compiled
  std::vector<std::string> keep = Schema(db_, "mixed2");
  Stmt all = std::move(*db_.Prepare("SELECT count(*) FROM sqlite_master"));
  ASSERT_EQ(all.Step(), SQLITE_ROW);
  int64_t before = all.Int(0);
  all.Reset();

  Status st = engine_->DropTables("mixed");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(Schema(db_, "mixed").empty());
  EXPECT_EQ(Schema(db_, "mixed2"), keep);
  ASSERT_EQ(all.Step(), SQLITE_ROW);
  EXPECT_EQ(all.Int(0), before - 7);
  all.Reset();
  EXPECT_EQ(WithoutRowid("aergo.contracts"), 0) << "system tables stay";

  // The registry row is state like any other; with it gone the contract is unknown.
  ASSERT_TRUE(db_.Exec("DELETE FROM \"aergo.contracts\" WHERE name = 'mixed'").ok());
  CallOutcome out = engine_->Call("mixed", "open", {}, env_);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "contract 'mixed' not found");
  EXPECT_EQ(engine_->Function("mixed", "open").status().code(), Code::kNotFound);
  ASSERT_TRUE(engine_->Call("mixed2", "open", {}, env_).ok);
  EXPECT_EQ(Rows("SELECT owner FROM mixed2.accounts"), "Aowner");

  // Dropping again is a no-op; the system contract is refused.
  EXPECT_TRUE(engine_->DropTables("mixed").ok());
  st = engine_->DropTables("aergo");
  EXPECT_EQ(st.code(), Code::kDenied);
  EXPECT_EQ(WithoutRowid("aergo.contracts"), 0);
  EXPECT_EQ(engine_->DropTables("Bad").code(), Code::kInvalid);

  // Tables created again from the recorded source work like deployed ones.
  ASSERT_TRUE(engine_->CreateTables("mixed", kMixedContract).ok());
  EXPECT_EQ(Schema(db_, "mixed").size(), 7u);
}

// ---- deploy checks that agree with run time; date/time; the reserved rowid ----

class ContractDeterminism : public ContractStorage {
 protected:
  // Deploys `src` as contract `name`, expecting failure; returns the error
  // and checks that nothing of it was created.
  std::string DeployError(const std::string& name, const std::string& src) {
    CallOutcome out = engine_->Deploy(name, src, env_);
    EXPECT_FALSE(out.ok) << src;
    EXPECT_TRUE(Schema(db_, name).empty()) << src;
    Status st = engine_->Validate(name, src, name + ".sql");
    EXPECT_EQ(st.message(), out.error) << "Validate and Deploy agree";
    return out.error;
  }
  // The display text of `expr` evaluated by SQLite's own functions on a
  // connection without an engine: typeof and quote, so types and bytes
  // count.
  static std::string Plain(const std::string& expr) {
    auto db = Db::Open(":memory:", true);
    EXPECT_TRUE(db.ok());
    auto s = db->Prepare("SELECT typeof(" + expr + ") || ':' || quote(" + expr + ")");
    EXPECT_TRUE(s.ok()) << expr;
    if (!s.ok() || s->Step() != SQLITE_ROW) return "(failed)";
    return s->Text(0);
  }
};

// A deploy refuses each table feature that calls could not write, naming
// the file, the line and the reason; nothing of the contract is created.
TEST_F(ContractDeterminism, TableFeaturesCallsCannotWriteAreRefusedAtDeploy) {
  ASSERT_TRUE(engine_->Deploy("other", "CREATE TABLE t (k TEXT PRIMARY KEY);", env_).ok);
  struct Case {
    std::string ddl;  // line 2 of the contract
    std::string error;
  };
  const std::string generated =
      "' is a generated column, which contracts may not declare: blocks record and restore whole "
      "stored rows, and a generated column can be neither recorded nor written back";
  const std::string fk =
      ") is not allowed in contracts: the ledger state is written with foreign keys off, so it "
      "would never be checked";
  const Case cases[] = {
      {"CREATE TABLE t (v TEXT PRIMARY KEY, w AS (v || 'x'));",
       "c.sql:2: table 't': column 'w" + generated},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, w TEXT GENERATED ALWAYS AS (v || 'x') STORED);",
       "c.sql:2: table 't': column 'w" + generated},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, w GENERATED ALWAYS AS (upper(v)) VIRTUAL);",
       "c.sql:2: table 't': column 'w" + generated},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, o TEXT REFERENCES a(k));",
       "c.sql:2: table 't': a foreign key (REFERENCES 'a'" + fk},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, o TEXT REFERENCES \"other.t\"(k));",
       "c.sql:2: table 't': a foreign key (REFERENCES 'other.t'" + fk +
           ", and 'other.t' is not a table of contract 'c' (another contract's writes could "
           "never check it)"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, o TEXT, FOREIGN KEY (o) REFERENCES a(k));",
       "c.sql:2: table 't': a foreign key (REFERENCES 'a'" + fk},
      {"CREATE TABLE t (v TEXT PRIMARY KEY CHECK (nosuch(v)));", "c.sql:2: no such function: nosuch"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY CHECK (v <> contract_owner()));",
       "c.sql:2: function contract_owner() is not allowed in table and index definitions: only in "
       "contract functions"},
      {"CREATE TABLE t (v INTEGER PRIMARY KEY CHECK (v > changes()));",
       "c.sql:2: function changes() is not allowed in table and index definitions: not "
       "deterministic (it counts the rows of the statement before the write)"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, n DEFAULT (\"random\"()));",
       "c.sql:2: function random() is not allowed in contracts: not deterministic"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, n DEFAULT (nosuch()));",
       "c.sql:2: table 't': calls could not write it: unknown function: nosuch()"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY CHECK (v COLLATE nosuch = 'a'));",
       "c.sql:2: table 't': calls could not write it: no such collation sequence: nosuch"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY COLLATE nosuch);",
       "c.sql:2: no such collation sequence: nosuch"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY, at TEXT DEFAULT CURRENT_TIMESTAMP);",
       "c.sql:2: CURRENT_TIMESTAMP is not allowed in contracts: not deterministic (reads the "
       "clock; use :block_time)"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY CHECK (v < random()));",
       "c.sql:2: function random() is not allowed in contracts: not deterministic"},
      {"CREATE TABLE t (v TEXT PRIMARY KEY CHECK (\"sqlite_version\"() > v));",
       "c.sql:2: function sqlite_version() is not allowed in contracts: not deterministic "
       "(depends on the SQLite build)"},
  };
  for (const Case& c : cases) {
    std::string src = "CREATE TABLE a (k TEXT PRIMARY KEY);\n" + c.ddl +
                      "\nCREATE FUNCTION f() AS SELECT 1; END;";
    EXPECT_EQ(DeployError("c", src), c.error) << c.ddl;
  }
  // Index expressions: the index's line is named.
  const Case indexes[] = {
      {"CREATE INDEX ai ON a (nosuch(k));", "c.sql:2: no such function: nosuch"},
      {"CREATE INDEX ai ON a (\"randomblob\"(4));",
       "c.sql:2: function randomblob() is not allowed in contracts: not deterministic"},
      {"CREATE INDEX ai ON a (k) WHERE \"total_changes\"() > 0;",
       "c.sql:2: function total_changes() is not allowed in contracts: not deterministic "
       "(depends on the connection's history)"},
      {"CREATE INDEX ai ON a (k COLLATE nosuch);", "c.sql:2: no such collation sequence: nosuch"},
      {"CREATE INDEX ai ON a (date(k, 'localtime'));",
       "c.sql:2: function date() is not allowed in contracts: not deterministic (the modifier "
       "'localtime' depends on the host's time zone)"},
  };
  for (const Case& c : indexes) {
    std::string src = "CREATE TABLE a (k TEXT PRIMARY KEY);\n" + c.ddl;
    EXPECT_EQ(DeployError("c", src), c.error) << c.ddl;
  }
  EXPECT_EQ(*engine_->Contracts(), std::vector<std::string>{"other"});
  // What calls can write still deploys: CHECK and DEFAULT with allowed
  // functions, indexes on expressions, explicit collations.
  const char* fine =
      "CREATE TABLE a (k TEXT PRIMARY KEY COLLATE NOCASE, n INTEGER DEFAULT (abs(-3)) "
      "CHECK (n >= 0 AND require(length(k) > 0, 'empty key')), "
      "d TEXT DEFAULT (date(0, 'unixepoch')) CHECK (d IS NULL OR date(d) IS NOT NULL));\n"
      "CREATE INDEX ad ON a (lower(k), strftime('%Y', d));\n"
      "CREATE FUNCTION put(k TEXT) AS INSERT INTO a (k) VALUES (:k); END;";
  CallOutcome ok = engine_->Deploy("fine", fine, env_);
  ASSERT_TRUE(ok.ok) << ok.error;
  CallOutcome put = engine_->Call("fine", "put", {Value::Text("x")}, env_);
  ASSERT_TRUE(put.ok) << put.error;
  EXPECT_EQ(Rows("SELECT k, n, d FROM fine.a"), "x|3|1970-01-01");
}

// CreateTables (a state rebuilt from recorded changes) does not judge:
// it re-creates what a deploy once accepted.
TEST_F(ContractDeterminism, CreateTablesDoesNotApplyDeployChecks) {
  const char* src = "CREATE TABLE t (v TEXT PRIMARY KEY, o TEXT REFERENCES t(v));";
  EXPECT_FALSE(engine_->Deploy("c", src, env_).ok);
  EXPECT_TRUE(engine_->CreateTables("c", src).ok());
}

// Date/time functions on explicit arguments give exactly what SQLite's own
// give, in contracts and queries.
TEST_F(ContractDeterminism, DateTimeOnExplicitArgumentsMatchesSQLite) {
  const std::vector<std::string> exprs = {
      "strftime('%Y', 1700000000, 'unixepoch')",
      "strftime('%Y-%m-%d %H:%M:%f %j %w %s', 1700000000.123, 'unixepoch')",
      "strftime('now', 0)",
      "date(1700000000, 'unixepoch', '+1 month', 'start of month')",
      "time('12:34:56.789', '+90 minutes')",
      "datetime(1700000000.5, 'unixepoch', 'subsec')",
      "datetime('2024-02-31')",
      "julianday('2024-01-01')",
      "julianday(2460310.5, 'julianday')",
      "unixepoch('2024-01-01 00:00:00')",
      "unixepoch(1700000000, 'auto')",
      "timediff('2024-03-01', '2024-02-01 12:00:00')",
      "date('not a date')",
      "date(NULL)",
      "date('2024-01-01', 'nonsense')",
      "strftime(NULL, 0)",
      "datetime(CAST('2024-05-06' AS BLOB))",
  };
  std::string src = "CREATE TABLE r (i INTEGER PRIMARY KEY, v);\nCREATE FUNCTION f() AS\n";
  for (size_t i = 0; i < exprs.size(); ++i)
    src += "  INSERT INTO r VALUES (" + std::to_string(i) + ", " + exprs[i] + ");\n";
  src += "END;";
  ASSERT_TRUE(engine_->Deploy("d", src, env_).ok);
  CallOutcome out = engine_->Call("d", "f", {}, env_);
  ASSERT_TRUE(out.ok) << out.error;
  for (size_t i = 0; i < exprs.size(); ++i) {
    std::string want = Plain(exprs[i]);
    EXPECT_EQ(Rows("SELECT typeof(v) || ':' || quote(v) FROM d.r WHERE i = " + std::to_string(i)), want)
        << exprs[i];
    EXPECT_EQ(Rows("SELECT typeof(" + exprs[i] + ") || ':' || quote(" + exprs[i] + ")"), want)
        << "query: " << exprs[i];
  }
  EXPECT_EQ(Plain("strftime('%Y', 1700000000, 'unixepoch')"), "text:'2023'");
  // With :block_time, the way to read time (docs/design.md §6).
  const char* year =
      "CREATE TABLE y (k INTEGER PRIMARY KEY, year TEXT);\n"
      "CREATE FUNCTION f() AS INSERT INTO y VALUES (1, strftime('%Y', :block_time, 'unixepoch')); END;";
  ASSERT_TRUE(engine_->Deploy("y", year, env_).ok);
  CallEnv env = env_;
  env.block_time = 1700000000;
  out = engine_->Call("y", "f", {}, env);
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(Rows("SELECT year FROM y.y"), "2023");
}

// Literal arguments that read the clock or the host's time zone are
// refused at deploy, naming the line.
TEST_F(ContractDeterminism, DateTimeClockReadsAreRefusedAtDeploy) {
  const std::string clock = "reads the clock; use :block_time)";
  struct Case {
    const char* expr;
    std::string error;
  };
  const Case cases[] = {
      {"date()", "function date() is not allowed in contracts: not deterministic (without a time value it " + clock},
      {"julianday()", "function julianday() is not allowed in contracts: not deterministic (without a time value it " + clock},
      {"strftime('%Y')", "function strftime() is not allowed in contracts: not deterministic (without a time value it " + clock},
      {"datetime('now')", "function datetime() is not allowed in contracts: not deterministic ('now' " + clock},
      {"unixepoch('NoW', 'subsec')", "function unixepoch() is not allowed in contracts: not deterministic ('NoW' " + clock},
      {"time('subsec')", "function time() is not allowed in contracts: not deterministic ('subsec' " + clock},
      {"strftime('%s', 'subsecond')", "function strftime() is not allowed in contracts: not deterministic ('subsecond' " + clock},
      {"timediff('2024-01-01', 'now')", "function timediff() is not allowed in contracts: not deterministic ('now' " + clock},
      {"date(:block_time, 'unixepoch', 'localtime')",
       "function date() is not allowed in contracts: not deterministic (the modifier "
       "'localtime' depends on the host's time zone)"},
      {"DateTime(0, 'UTC')",
       "function datetime() is not allowed in contracts: not deterministic (the modifier 'UTC' "
       "depends on the host's time zone)"},
      {"upper(date(length(date('now'))))", "function date() is not allowed in contracts: not deterministic ('now' " + clock},
      {"CURRENT_DATE",
       "function current_date() is not allowed in contracts: not deterministic (reads the clock; "
       "use :block_time)"},
  };
  for (const Case& c : cases) {
    std::string src = "CREATE TABLE r (i INTEGER PRIMARY KEY, v);\nCREATE FUNCTION f() AS\n  SELECT 1;\n  "
                      "INSERT INTO r VALUES (1, " + std::string(c.expr) + ");\nEND;";
    EXPECT_EQ(DeployError("c", src), "c.sql:4: " + c.error) << c.expr;
  }
  const Case ddl[] = {
      {"CREATE TABLE t (k TEXT PRIMARY KEY, at TEXT DEFAULT (datetime('now')));",
       "function datetime() is not allowed in contracts: not deterministic ('now' " + clock},
      {"CREATE TABLE t (k TEXT PRIMARY KEY CHECK (k < date()));",
       "function date() is not allowed in contracts: not deterministic (without a time value it " + clock},
  };
  for (const Case& c : ddl) {
    std::string src = std::string("\n") + c.expr;
    EXPECT_EQ(DeployError("c", src), "c.sql:2: " + c.error) << c.expr;
  }
  // A literal 'now' that is no time value is harmless.
  EXPECT_TRUE(engine_->Validate("c", "CREATE FUNCTION f() AS SELECT strftime('now', 0), date(0, 'now'); END;", "c.sql").ok());
}

// Arguments computed at run time are checked when the call runs: the call
// fails with the function's reason and changes nothing.
TEST_F(ContractDeterminism, DateTimeClockReadsFailTheCall) {
  const char* src =
      "CREATE TABLE r (i INTEGER PRIMARY KEY, v);\n"
      "CREATE TABLE c (k TEXT PRIMARY KEY CHECK (date(k) IS NOT NULL OR k = 'x'));\n"
      "CREATE FUNCTION at(v TEXT) AS INSERT INTO r VALUES (1, date(:v)); END;\n"
      "CREATE FUNCTION mod(m TEXT) AS INSERT INTO r VALUES (2, datetime(0, 'unixepoch', :m)); END;\n"
      "CREATE FUNCTION blob(b BLOB) AS INSERT INTO r VALUES (3, julianday(:b)); END;\n"
      "CREATE FUNCTION spelled() AS INSERT INTO r VALUES (4, strftime('%Y', 'n' || 'ow')); END;\n"
      "CREATE FUNCTION checked(k TEXT) AS INSERT INTO c VALUES (:k); END;\n"
      "CREATE FUNCTION diff(a TEXT) AS INSERT INTO r VALUES (5, timediff('2024-01-01', :a)); END;";
  CallOutcome deployed = engine_->Deploy("d", src, env_);
  ASSERT_TRUE(deployed.ok) << deployed.error;
  const std::string clock = "reads the clock; use :block_time";
  struct Case {
    const char* fn;
    Value arg;
    std::string error;
  };
  const Case cases[] = {
      {"at", Value::Text("now"), "date(): 'now' " + clock},
      {"at", Value::Text("NOW"), "date(): 'NOW' " + clock},
      {"at", Value::Text("Subsec"), "date(): 'Subsec' " + clock},
      {"mod", Value::Text("localtime"), "datetime(): the modifier 'localtime' depends on the host's time zone"},
      {"mod", Value::Text("utc"), "datetime(): the modifier 'utc' depends on the host's time zone"},
      {"blob", Value::Blob("now"), "julianday(): 'now' " + clock},
      {"blob", Value::Blob(std::string("now\0tail", 8)), "julianday(): 'now' " + clock},
      {"spelled", Value::Null(), "strftime(): 'now' " + clock},
      {"checked", Value::Text("now"), "date(): 'now' " + clock},
      {"diff", Value::Text("now"), "timediff(): 'now' " + clock},
  };
  for (const Case& c : cases) {
    std::vector<Value> args;
    if (c.arg.type != Value::Type::kNull) args.push_back(c.arg);
    CallOutcome out = engine_->Call("d", c.fn, args, env_);
    EXPECT_FALSE(out.ok) << c.fn;
    EXPECT_EQ(out.error, c.error) << c.fn;
  }
  EXPECT_EQ(Rows("SELECT count(*) FROM d.r"), "0");
  EXPECT_EQ(Rows("SELECT count(*) FROM d.c"), "0");
  // The same functions on other values run.
  ASSERT_TRUE(engine_->Call("d", "at", {Value::Text("2024-02-30")}, env_).ok);
  ASSERT_TRUE(engine_->Call("d", "mod", {Value::Text("+1 day")}, env_).ok);
  ASSERT_TRUE(engine_->Call("d", "blob", {Value::Blob("now ")}, env_).ok);
  ASSERT_TRUE(engine_->Call("d", "checked", {Value::Text("x")}, env_).ok);
  EXPECT_EQ(Rows("SELECT i, v FROM d.r ORDER BY i"), "1|2024-03-01;2|1970-01-02 00:00:00;3|NULL");
  // Queries are checked the same way.
  EXPECT_EQ(Rows("SELECT date('now')"), "error: query: date(): 'now' " + clock);
  EXPECT_EQ(Rows("SELECT strftime('%Y', 'n' || 'ow')"), "error: query: strftime(): 'now' " + clock);
  EXPECT_EQ(Rows("SELECT datetime(0, 'unixepoch', 'local' || 'time')"),
            "error: query: datetime(): the modifier 'localtime' depends on the host's time zone");
  EXPECT_EQ(Rows("SELECT CURRENT_TIMESTAMP"),
            "error: function current_timestamp() is not allowed in queries: not deterministic "
            "(reads the clock; use :block_time)");
  EXPECT_EQ(Rows("SELECT date(0, 'unixepoch')"), "1970-01-01");
}

// A rowid table never gets rowid 9223372036854775807: a call that would
// store it fails, so SQLite never has to pick a random rowid.
TEST_F(ContractDeterminism, ReservedRowidFailsTheCall) {
  const char* src =
      "CREATE TABLE n (id INTEGER PRIMARY KEY, body TEXT);\n"
      "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);\n"
      "CREATE TABLE i (k INT PRIMARY KEY);\n"
      "CREATE FUNCTION put(id INTEGER) AS INSERT INTO n VALUES (:id, 'put'); END;\n"
      "CREATE FUNCTION add() AS INSERT INTO n (body) VALUES ('add'); END;\n"
      "CREATE FUNCTION move(a INTEGER, b INTEGER) AS UPDATE n SET id = :b WHERE id = :a; END;\n"
      "CREATE FUNCTION two(id INTEGER) AS\n"
      "  INSERT INTO n (body) VALUES ('first');\n"
      "  INSERT INTO n VALUES (:id, 'max'), (NULL, 'after');\n"
      "END;\n"
      "CREATE FUNCTION upsert(id INTEGER) AS\n"
      "  INSERT INTO n VALUES (1, 'u') ON CONFLICT (id) DO UPDATE SET id = :id;\n"
      "END;\n"
      "CREATE FUNCTION other(v INTEGER) AS INSERT INTO kv VALUES ('k', :v); INSERT INTO i VALUES (:v); END;";
  CallOutcome deployed = engine_->Deploy("r", src, env_);
  ASSERT_TRUE(deployed.ok) << deployed.error;
  const std::string reserved =
      "rowid 9223372036854775807 is reserved (table 'n'): after it SQLite picks rowids at random";
  const Value max = Value::Integer(9223372036854775807LL);
  const Value below = Value::Integer(9223372036854775806LL);
  auto call = [&](const char* fn, std::vector<Value> args) { return engine_->Call("r", fn, args, env_); };

  CallOutcome out = call("put", {max});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, reserved);
  EXPECT_EQ(Rows("SELECT count(*) FROM r.n"), "0");
  out = call("two", {max});
  EXPECT_EQ(out.error, reserved);
  EXPECT_EQ(Rows("SELECT count(*) FROM r.n"), "0") << "the whole call is undone";

  ASSERT_TRUE(call("put", {Value::Integer(1)}).ok);
  out = call("move", {Value::Integer(1), max});
  EXPECT_EQ(out.error, reserved);
  out = call("upsert", {max});
  EXPECT_EQ(out.error, reserved);
  EXPECT_EQ(Rows("SELECT id, body FROM r.n"), "1|put");

  // The largest other rowid is fine; the next automatic one would be the
  // reserved one, so that insert fails too (instead of a random rowid).
  ASSERT_TRUE(call("put", {below}).ok);
  out = call("add", {});
  EXPECT_EQ(out.error, reserved);
  EXPECT_EQ(Rows("SELECT id FROM r.n ORDER BY id"), "1;9223372036854775806");

  // The value itself is fine anywhere but in a rowid: a column, or an INT
  // PRIMARY KEY (stored WITHOUT ROWID).
  out = call("other", {max});
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(Rows("SELECT v FROM r.kv"), "9223372036854775807");
  EXPECT_EQ(Rows("SELECT k FROM r.i"), "9223372036854775807");
}

}  // namespace
}  // namespace aergo
