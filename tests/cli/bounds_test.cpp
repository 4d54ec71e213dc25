// Chain bounds and contract rules from the command line: init --limit, the
// genesis block's parameters in show, a call over a bound (refused, naming
// it, the pool untouched and still usable), and a repository from before
// rules were versioned.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

const char* const kBlobs =
    "CREATE TABLE b (k INTEGER PRIMARY KEY, v BLOB);\n"
    "CREATE FUNCTION put(k INTEGER, n INTEGER) AS\n"
    "  INSERT INTO b (k, v) VALUES (:k, zeroblob(:n));\n"
    "END;\n"
    "CREATE FUNCTION fill(n INTEGER, size INTEGER) AS\n"
    "  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n)\n"
    "  INSERT INTO b (k, v) SELECT i, zeroblob(:size) FROM c;\n"
    "END;\n";

TEST(CliBounds, GenesisShowsTheChainParameters) {
  Sandbox sb;
  sb.InitRepo();
  RunResult j = sb.Run({"show", "master@0", "--json"}, sb.repo());
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_TRUE(Has(j.out,
                  "\"chain\": {\"consensus\": \"solo\", \"public\": false, \"rules\": 1, \"max_tx_bytes\": "
                  "2097152, \"max_value_bytes\": 1048576, \"max_call_write_bytes\": 8388608, "
                  "\"max_call_steps\": 10000000, \"max_block_txs\": 1000000, \"max_block_bytes\": 536870912}"))
      << j.out;
  RunResult t = sb.Run({"show", "master@0"}, sb.repo());
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_TRUE(Has(t.out, "Chain:    consensus solo, private\n")) << t.out;
  EXPECT_TRUE(Has(t.out, "          rules:                1\n")) << t.out;
  EXPECT_TRUE(Has(t.out, "          max_call_steps:       10000000\n")) << t.out;
  // Other blocks carry no chain section.
  sb.Write("repo/blobs.sql", kBlobs);
  ASSERT_EQ(sb.Run({"deploy", "blobs", "blobs.sql"}, sb.repo()).code, 0);
  ASSERT_EQ(sb.Run({"commit", "-m", "deploy"}, sb.repo()).code, 0);
  RunResult h = sb.Run({"show", "HEAD", "--json"}, sb.repo());
  EXPECT_FALSE(Has(h.out, "\"chain\"")) << h.out;
}

TEST(CliBounds, InitLimitSetsABoundAndRefusesBadOnes) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  RunResult bad = sb.Run({"init", "x", "--key", "alice", "--limit", "max_cakes=3"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(Has(bad.err, "invalid --limit 'max_cakes=3': expected <name>=<integer>, name one of "
                           "max_tx_bytes, max_value_bytes,"))
      << bad.err;
  RunResult range = sb.Run({"init", "x", "--key", "alice", "--limit", "max_value_bytes=5000000"});
  EXPECT_EQ(range.code, 2);
  EXPECT_TRUE(Has(range.err, "genesis parameter max_value_bytes is 5000000, allowed 64..1048576")) << range.err;
  RunResult rules = sb.Run({"init", "x", "--key", "alice", "--limit", "rules=2"});
  EXPECT_EQ(rules.code, 2) << rules.err;
  EXPECT_FALSE(std::filesystem::exists(sb.work() + "/x/.aergo"));

  RunResult ok = sb.Run({"init", "x", "--key", "alice", "--limit", "max_value_bytes=1000", "--limit",
                         "max_call_steps=20000"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  std::string x = sb.work() + "/x";
  RunResult g = sb.Run({"show", "master@0", "--json"}, x);
  EXPECT_TRUE(Has(g.out, "\"max_value_bytes\": 1000,")) << g.out;
  EXPECT_TRUE(Has(g.out, "\"max_call_steps\": 20000,")) << g.out;
  sb.Write("x/blobs.sql", kBlobs);
  ASSERT_EQ(sb.Run({"config", "user.key", "alice"}, x).code, 0);
  ASSERT_EQ(sb.Run({"deploy", "blobs", "blobs.sql"}, x).code, 0);
  EXPECT_EQ(sb.Run({"call", "blobs", "put", "1", "900"}, x).code, 0);
  RunResult over = sb.Run({"call", "blobs", "put", "2", "1001"}, x);
  EXPECT_EQ(over.code, 1);
  EXPECT_TRUE(Has(over.err, "a value or row is over the chain's max_value_bytes (1000 bytes)")) << over.err;
  ASSERT_EQ(sb.Run({"commit", "-m", "small"}, x).code, 0);
  EXPECT_EQ(sb.Run({"fsck"}, x).code, 0);
}

// The jam: a 100-byte call inserting zeroblob(100000000) was kept,
// grew ledger.db by 300 MB and then no deploy or even reset worked.
TEST(CliBounds, AHugeValueIsRefusedAndTheBranchStaysUsable) {
  TokenSandbox t;
  t.sb.Write("repo/blobs.sql", kBlobs);
  t.Must({"deploy", "blobs", "blobs.sql"});
  t.Commit("deploy");
  auto db_size = [&] { return std::filesystem::file_size(t.sb.repo() + "/.aergo/ledger.db"); };
  auto before = db_size();
  RunResult big = t.Run({"call", "blobs", "put", "1", "100000000"});
  EXPECT_EQ(big.code, 1);
  EXPECT_EQ(big.err, "aergo: error: call blobs.put failed: a value or row is over the chain's "
                     "max_value_bytes (1048576 bytes)\n");
  // Many values within the bound, but together too much for one call: the
  // step budget or the write bound stops it; either way nothing is kept.
  RunResult many = t.Run({"call", "blobs", "fill", "100000", "1000000"});
  EXPECT_EQ(many.code, 1);
  EXPECT_EQ(t.Pool(), 0);
  EXPECT_LT(db_size(), before + (50u << 20));
  // The branch works: deploy, call, commit, reset.
  t.sb.Write("repo/token.sql", kTokenContract);
  t.Must({"deploy", "token", "token.sql"});
  t.Must({"call", "blobs", "put", "3", "1000"});
  t.Must({"reset"});
  EXPECT_EQ(t.Pool(), 0);
  t.Must({"call", "blobs", "put", "3", "1000"});
  t.Commit("small");
  t.ExpectFsckClean();
}

TEST(CliBounds, ALedgerFromBeforeRulesIsRefusedWithTheReason) {
  Sandbox sb;
  sb.InitRepo();
  // What an index of a ledger made before rules were versioned lacks.
  RunResult del = sb.Run({"query", "SELECT 1"}, sb.repo());  // the repository works
  ASSERT_EQ(del.code, 0) << del.err;
  std::string db = sb.repo() + "/.aergo/ledger.db";
  ASSERT_EQ(std::system(("sqlite3 '" + db + "' \"DELETE FROM meta WHERE key = 'rules'\"").c_str()), 0);
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"log"}, {"fsck"}, {"query", "SELECT 1"}, {"status"}}) {
    RunResult r = sb.Run(cmd, sb.repo());
    EXPECT_EQ(r.code, 1) << Joined(cmd);
    EXPECT_TRUE(Has(r.err, "ledger follows contract rules 0 (the host's SQLite, before rules were "
                           "versioned); this aergo implements contract rules 1 only"))
        << r.err;
  }
}

}  // namespace
}  // namespace aergo::clitest
