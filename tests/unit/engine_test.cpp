// The contract engine's identity (core/engine.h), the chain parameters of
// genesis (core/chain_params.h) and the bounds the executor applies.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/chain_params.h"
#include "core/engine.h"
#include "core/index.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

using testutil::RepoFixture;
using testutil::SeedKey;
using testutil::TempDir;

TEST(Engine, ThisBuildComputesItsOwnRules) {
  Status st = CheckEngine();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(CheckLedgerRules(kContractRules).ok());
  EXPECT_EQ(std::string(sqlite3_libversion()), "3.46.1");
  EXPECT_NE(EngineName().find("SQLite 3.46.1 (2024-08-13"), std::string::npos) << EngineName();
}

TEST(Engine, LongDoubleIsOffAfterTheCheck) {
  ASSERT_TRUE(CheckEngine().ok());
  EXPECT_EQ(sqlite3_test_control(34 /* SQLITE_TESTCTRL_USELONGDOUBLE */, -1), 0);
}

TEST(Engine, ProbesCoverWhatChangedBetweenVersions) {
  // The differences found between SQLite 3.40.1 (Debian 12) and 3.46.1 must
  // each be probed, with 3.46.1's answer.
  std::string all;
  for (const EngineProbe& p : EngineProbes()) all += std::string(p.sql) + " => " + p.expected + "\n";
  EXPECT_NE(all.find("0.1000000000000000055|"), std::string::npos);    // printf %!.20f, long double off
  EXPECT_NE(all.find("=> 0.6|0.6|0.12"), std::string::npos);           // KBN summation
  EXPECT_NE(all.find("=> 2.67|"), std::string::npos);                  // round(2.675, 2)
  EXPECT_NE(all.find("concat_ws"), std::string::npos);                 // new functions
  EXPECT_GE(EngineProbes().size(), 20u);
}

TEST(Engine, AProbeThatDiffersIsRefusedNamingIt) {
  std::vector<EngineProbe> probes = {{"SELECT 1 + 1", "2"}, {"SELECT round(2.675, 2)", "2.68"}};
  Status st = RunEngineProbes(probes);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kDenied);
  EXPECT_NE(st.message().find("`SELECT round(2.675, 2)` gives '2.67' here; contract rules 1 give '2.68'"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("SQLite 3.46.1"), std::string::npos) << st.message();
}

TEST(Engine, AProbeThatFailsToRunIsADifference) {
  Status st = RunEngineProbes({{"SELECT no_such_function(1)", "1"}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("gives 'error: no such function: no_such_function'"), std::string::npos)
      << st.message();
}

TEST(Engine, OtherRulesAreRefused) {
  Status zero = CheckLedgerRules(0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.message(),
            "ledger follows contract rules 0 (the host's SQLite, before rules were versioned); this "
            "aergo implements contract rules 1 only, and would compute it differently");
  Status two = CheckLedgerRules(2);
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.message().find("ledger follows contract rules 2;"), std::string::npos);
}

TEST(ChainParams, GenesisArgsRoundTrip) {
  ChainParams p;
  p.consensus = "solo";
  p.is_public = true;
  p.max_call_steps = 123456;
  p.max_value_bytes = 4096;
  auto back = ChainParams::FromGenesisArgs(p.ToGenesisArgs());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Named(), p.Named());
  EXPECT_TRUE(back->is_public);
  EXPECT_EQ(p.ToGenesisArgs().size(), 9u);
  EXPECT_EQ(p.Named().front().first, "rules");
  EXPECT_EQ(p.Named().front().second, kContractRules);
}

TEST(ChainParams, TwoArgsAreRulesZero) {
  auto p = ChainParams::FromGenesisArgs({Value::Text("solo"), Value::Integer(0)});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->rules, 0);
}

TEST(ChainParams, OutOfRangeOrMistypedIsInvalid) {
  std::vector<Value> args = ChainParams().ToGenesisArgs();
  args[4] = Value::Integer(2 << 20);  // max_value_bytes over the decoders' 1 MiB
  auto p = ChainParams::FromGenesisArgs(args);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "genesis parameter max_value_bytes is 2097152, allowed 64..1048576");
  args = ChainParams().ToGenesisArgs();
  args[6] = Value::Text("10");
  EXPECT_EQ(ChainParams::FromGenesisArgs(args).status().message(),
            "genesis parameter max_call_steps must be an INTEGER");
  args.pop_back();
  EXPECT_FALSE(ChainParams::FromGenesisArgs(args).ok());
}

class BoundsTest : public RepoFixture {
 protected:
  BoundsTest() : RepoFixture("aergo-bounds", 0x61) {}

  void InitWith(const ChainParams& params) {
    repo_.reset();
    std::filesystem::remove_all(dir_ + "/.aergo");
    auto r = Repository::Init(dir_, admin_, params, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    repo_ = std::move(r.value());
  }

  Tx Deploy(const std::string& name, const std::string& source) {
    return repo_->MakeTx(TxKind::kDeploy, admin_, name, "", {}, source);
  }
  Tx CallOf(const std::string& contract, const std::string& fn, std::vector<Value> args) {
    return repo_->MakeTx(TxKind::kCall, admin_, contract, fn, std::move(args), "");
  }
  CallOutcome SubmitOne(const Tx& tx) {
    auto r = repo_->Submit({tx});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && !r->empty() ? (*r)[0].outcome : CallOutcome{};
  }

  static constexpr const char* kBlobs =
      "CREATE TABLE b (k INTEGER PRIMARY KEY, v BLOB);\n"
      "CREATE FUNCTION put(k INTEGER, n INTEGER) AS\n"
      "  INSERT INTO b (k, v) VALUES (:k, zeroblob(:n));\n"
      "END;\n"
      "CREATE FUNCTION fill(n INTEGER, size INTEGER) AS\n"
      "  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n)\n"
      "  INSERT INTO b (k, v) SELECT i, zeroblob(:size) FROM c;\n"
      "END;\n"
      "CREATE FUNCTION spin(n INTEGER) AS\n"
      "  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n)\n"
      "  SELECT count(*) FROM c;\n"
      "END;\n";
};

TEST_F(BoundsTest, GenesisRecordsTheParametersInStateAndIndex) {
  ChainParams p;
  p.max_call_steps = 50'000;
  InitWith(p);
  auto rows = repo_->engine().Query("SELECT key, value FROM aergo.settings ORDER BY key");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  std::map<std::string, std::string> settings;
  for (const auto& row : rows->rows) settings[row[0].bytes] = row[1].bytes;
  EXPECT_EQ(settings["rules"], "1");
  EXPECT_EQ(settings["max_call_steps"], "50000");
  EXPECT_EQ(settings["max_value_bytes"], "1048576");
  EXPECT_EQ(settings["consensus"], "solo");
}

TEST_F(BoundsTest, AValueOverTheBoundFailsTheCallNamingItAndTheBranchStaysUsable) {
  SubmitOk({Deploy("blobs", kBlobs)});
  CallOutcome big = SubmitOne(CallOf("blobs", "put", {Value::Integer(1), Value::Integer(100'000'000)}));
  EXPECT_FALSE(big.ok);
  EXPECT_EQ(big.error, "a value or row is over the chain's max_value_bytes (1048576 bytes)");
  // At the bound it is fine, and the pool still works: another call, a commit.
  CallOutcome fits = SubmitOne(CallOf("blobs", "put", {Value::Integer(2), Value::Integer(1'000'000)}));
  EXPECT_TRUE(fits.ok) << fits.error;
  CommitOk("blobs");
  auto n = repo_->engine().Query("SELECT count(*), max(length(v)) FROM blobs.b");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->rows[0][0].integer, 1);
  EXPECT_EQ(n->rows[0][1].integer, 1'000'000);
}

TEST_F(BoundsTest, TheStepBudgetIsTheChains) {
  ChainParams p;
  p.max_call_steps = 20'000;
  InitWith(p);
  SubmitOk({Deploy("blobs", kBlobs)});
  EXPECT_TRUE(SubmitOne(CallOf("blobs", "spin", {Value::Integer(100)})).ok);
  CallOutcome out = SubmitOne(CallOf("blobs", "spin", {Value::Integer(1'000'000)}));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "step budget exceeded (20000 steps)");
}

TEST_F(BoundsTest, TheWriteBoundHoldsForASingleRowAndForMany) {
  ChainParams p;
  p.max_call_write_bytes = 4096;
  InitWith(p);
  SubmitOk({Deploy("blobs", kBlobs)});
  const char* over = "the call writes more than the chain's max_call_write_bytes (4096 bytes)";
  CallOutcome one = SubmitOne(CallOf("blobs", "put", {Value::Integer(1), Value::Integer(5000)}));
  EXPECT_FALSE(one.ok);
  EXPECT_EQ(one.error, over);
  CallOutcome many = SubmitOne(CallOf("blobs", "fill", {Value::Integer(100), Value::Integer(100)}));
  EXPECT_FALSE(many.ok);
  EXPECT_EQ(many.error, over);
  CallOutcome fits = SubmitOne(CallOf("blobs", "put", {Value::Integer(2), Value::Integer(4000)}));
  EXPECT_TRUE(fits.ok) << fits.error;
  CommitOk("one row");
  auto n = repo_->engine().Query("SELECT count(*) FROM blobs.b");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->rows[0][0].integer, 1);
}

// Found by the determinism fuzzer (tests/det/known/invalid-utf8-text): SQLite
// lets a call store TEXT that is not UTF-8, which no block may hold.
TEST_F(BoundsTest, TextThatIsNotUtf8IsRefusedAndNothingIsKept) {
  SubmitOk({Deploy("texts", "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);\n"
                            "CREATE FUNCTION put(k INTEGER, v BLOB) AS\n"
                            "  INSERT INTO t (k, v) VALUES (:k, CAST(:v AS TEXT));\n"
                            "END;\n")});
  for (const std::string& bad : {std::string("\xff"), std::string("ab\xc3"), std::string("\xed\xa0\x80")}) {
    CallOutcome out = SubmitOne(CallOf("texts", "put", {Value::Integer(1), Value::Blob(bad)}));
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.error, "the call writes TEXT that is not valid UTF-8 (store such bytes as a BLOB)");
  }
  CallOutcome good = SubmitOne(CallOf("texts", "put", {Value::Integer(2), Value::Blob("h\xc3\xa9")}));
  EXPECT_TRUE(good.ok) << good.error;
  CommitOk("texts");
  auto rows = repo_->engine().Query("SELECT k, v FROM texts.t");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][1].bytes, "h\xc3\xa9");
  EXPECT_EQ(ReplayDigest(repo_->CurrentHead().value().block.id), LiveDigest());
}

TEST_F(BoundsTest, QueriesHaveAResultBound) {
  SubmitOk({Deploy("blobs", kBlobs)});
  SubmitOk({CallOf("blobs", "fill", {Value::Integer(5), Value::Integer(1000)})});
  ContractEngine& engine = repo_->engine();
  engine.set_query_result_limit(4000);
  auto fits = engine.Query("SELECT k, v FROM blobs.b WHERE k <= 3");
  EXPECT_TRUE(fits.ok()) << fits.status().message();
  const std::string over = "query: the result is over 4000 bytes (add a LIMIT or select fewer columns)";
  auto rows = engine.Query("SELECT k, v FROM blobs.b");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), over);
  auto value = engine.Query("SELECT zeroblob(900000000)");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().message(), over);
  engine.set_query_result_limit(kDefaultQueryResultBytes);
  EXPECT_TRUE(engine.Query("SELECT count(*) FROM blobs.b").ok());
}

TEST_F(BoundsTest, ACloneOfAnotherRulesVersionIsRefused) {
  // A genesis signed like aergo init's, but naming rules 2.
  ChainParams p;
  p.rules = 2;
  TempDir other("aergo-rules");
  auto r = Repository::Init(other.path(), admin_, p, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ledger follows contract rules 2;"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(other.path() + "/.aergo"));
}

TEST_F(BoundsTest, AnIndexWithoutRulesIsALedgerFromBeforeRulesAndIsRefused) {
  std::string aergo_dir = repo_->path();
  repo_.reset();
  {
    auto db = Db::Open(aergo_dir + "/ledger.db", true);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DELETE FROM meta WHERE key = 'rules'").ok());
  }
  auto r = Repository::Open(aergo_dir, OpenMode::kRead, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ledger follows contract rules 0"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace aergo
