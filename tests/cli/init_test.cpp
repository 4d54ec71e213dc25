// aergo init: chain id, refusal over an existing repository, --public,
// --consensus, signing key requirements.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;

// The 64-hex word after "chain id " in init's text output.
std::string ChainIdFromText(const std::string& out) {
  size_t a = out.find("chain id ");
  if (a == std::string::npos) return "";
  return out.substr(a + 9, 64);
}

}  // namespace

TEST(CliInit, PrintsChainIdWhichIsTheGenesisId) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  RunResult r = sb.Run({"init", "repo", "--key", "alice"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string chain = ChainIdFromText(r.out);
  EXPECT_TRUE(IsHex(chain, 64)) << r.out;
  EXPECT_TRUE(Has(r.out, sb.repo() + "/.aergo")) << r.out;
  EXPECT_TRUE(fs::exists(sb.repo() + "/.aergo"));

  RunResult g = sb.Run({"show", "master@0", "--json"}, sb.repo());
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(JStr(g.out, "id"), chain);
  EXPECT_TRUE(Has(g.out, "\"height\": 0")) << g.out;
  EXPECT_TRUE(Has(g.out, "\"parents\": []")) << g.out;

  RunResult s = sb.Run({"status", "--json"}, sb.repo());
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(JStr(s.out, "head"), chain);
  EXPECT_TRUE(Has(s.out, "\"branch\": \"master\"")) << s.out;
  EXPECT_TRUE(Has(s.out, "\"pool\": 0")) << s.out;
}

TEST(CliInit, JsonOutput) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  RunResult r = sb.Run({"init", "repo", "--key", "alice", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(IsHex(JStr(r.out, "chain_id"), 64)) << r.out;
}

TEST(CliInit, InCurrentDirectoryAndWithDashC) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  fs::create_directories(sb.work() + "/here");
  RunResult a = sb.Run({"init", "--key", "alice"}, sb.work() + "/here");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_TRUE(fs::exists(sb.work() + "/here/.aergo"));
  fs::create_directories(sb.work() + "/there");
  RunResult b = sb.Run({"-C", "there", "init", "--key", "alice"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_TRUE(fs::exists(sb.work() + "/there/.aergo"));
  EXPECT_NE(ChainIdFromText(a.out), ChainIdFromText(b.out)) << "two repositories, two chain ids";
}

TEST(CliInit, GenesisRecordsTheKeyAsAdminAndProducer) {
  Sandbox sb;
  std::string addr = sb.InitRepo();
  RunResult log = sb.Run({"log", "--json"}, sb.repo());
  ASSERT_EQ(log.code, 0) << log.err;
  EXPECT_EQ(JStr(log.out, "producer"), addr);
  EXPECT_EQ(JStr(log.out, "message"), "genesis");
  RunResult dir = sb.Run({"query", "SELECT address, role FROM aergo.directory", "--json"}, sb.repo());
  ASSERT_EQ(dir.code, 0) << dir.err;
  EXPECT_TRUE(Has(dir.out, addr)) << dir.out;
  EXPECT_TRUE(Has(dir.out, "admin")) << dir.out;
}

TEST(CliInit, OverExistingRepositoryFailsAndChangesNothing) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  ASSERT_EQ(sb.Run({"key", "new", "bob"}).code, 0);
  RunResult first = sb.Run({"init", "repo", "--key", "alice"});
  ASSERT_EQ(first.code, 0) << first.err;
  std::string chain = ChainIdFromText(first.out);
  RunResult before = sb.Run({"log", "--json"}, sb.repo());

  RunResult again = sb.Run({"init", "repo", "--key", "bob"});
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err.rfind("aergo: error: ", 0), 0u) << again.err;
  EXPECT_TRUE(Has(again.err, "already exists")) << again.err;
  EXPECT_TRUE(Has(again.err, sb.repo())) << again.err;
  EXPECT_EQ(again.out, "");

  // From inside, without a directory argument, and with --public.
  RunResult inside = sb.Run({"init", "--key", "bob", "--public"}, sb.repo());
  EXPECT_EQ(inside.code, 1);
  EXPECT_TRUE(Has(inside.err, "already exists")) << inside.err;

  RunResult g = sb.Run({"show", "master@0", "--json"}, sb.repo());
  EXPECT_EQ(JStr(g.out, "id"), chain);
  EXPECT_EQ(sb.Run({"log", "--json"}, sb.repo()).out, before.out);
  RunResult pub = sb.Run({"config", "core.public"}, sb.repo());
  EXPECT_EQ(pub.out, "false\n");
  RunResult f = sb.Run({"fsck", "--json"}, sb.repo());
  EXPECT_EQ(f.code, 0) << f.out << f.err;
}

TEST(CliInit, Public) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  ASSERT_EQ(sb.Run({"init", "pub", "--public", "--key", "alice"}).code, 0);
  ASSERT_EQ(sb.Run({"init", "priv", "--key", "alice"}).code, 0);
  RunResult p = sb.Run({"config", "core.public"}, sb.work() + "/pub");
  EXPECT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(p.out, "true\n");
  RunResult q = sb.Run({"config", "core.public"}, sb.work() + "/priv");
  EXPECT_EQ(q.out, "false\n");
  // The setting is part of the signed genesis, not only of the config.
  RunResult gp = sb.Run({"query", "SELECT value FROM aergo.settings WHERE key = 'public'", "--csv"},
                        sb.work() + "/pub");
  RunResult gq = sb.Run({"query", "SELECT value FROM aergo.settings WHERE key = 'public'", "--csv"},
                        sb.work() + "/priv");
  EXPECT_EQ(gp.code, 0) << gp.err;
  EXPECT_NE(gp.out, gq.out);
}

TEST(CliInit, ConsensusSoloIsAcceptedOthersAreUsageErrors) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  RunResult solo = sb.Run({"init", "a", "--consensus=solo", "--key", "alice"});
  EXPECT_EQ(solo.code, 0) << solo.err;
  RunResult cfg = sb.Run({"config", "core.consensus"}, sb.work() + "/a");
  EXPECT_EQ(cfg.out, "solo\n");
  for (const char* c : {"--consensus=pbft", "--consensus=DPOS", "--consensus="}) {
    RunResult r = sb.Run({"init", "b", c, "--key", "alice"});
    EXPECT_EQ(r.code, 2) << c << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
    EXPECT_TRUE(Has(r.err, "usage: aergo init")) << r.err;
    EXPECT_FALSE(fs::exists(sb.work() + "/b/.aergo")) << c;
  }
  RunResult sep = sb.Run({"init", "b", "--consensus", "nonsense", "--key", "alice"});
  EXPECT_EQ(sep.code, 2);
  EXPECT_TRUE(Has(sep.err, "nonsense")) << sep.err;
}

TEST(CliInit, WithoutAnyKeyFailsAndLeavesNoRepository) {
  Sandbox sb;
  RunResult r = sb.Run({"init", "repo"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "--key")) << r.err;
  EXPECT_TRUE(Has(r.err, "AERGO_KEY")) << r.err;
  EXPECT_FALSE(fs::exists(sb.repo() + "/.aergo"));
  RunResult missing = sb.Run({"init", "repo", "--key", "ghost"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(Has(missing.err, "key 'ghost' not found")) << missing.err;
  EXPECT_FALSE(fs::exists(sb.repo() + "/.aergo"));
  // A later init with a key works.
  ASSERT_EQ(sb.Run({"key", "new", "alice"}).code, 0);
  EXPECT_EQ(sb.Run({"init", "repo"}, sb.work(), {{"AERGO_KEY", "alice"}}).code, 0);
}

TEST(CliInit, WrongPassphraseLeavesNoRepository) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "enc"}, "", {{"AERGO_PASSPHRASE", "secret"}}).code, 0);
  RunResult r = sb.Run({"init", "repo", "--key", "enc"}, "", {{"AERGO_PASSPHRASE", "nope"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "wrong passphrase for key 'enc'")) << r.err;
  EXPECT_FALSE(fs::exists(sb.repo() + "/.aergo"));
  RunResult ok = sb.Run({"init", "repo", "--key", "enc"}, "", {{"AERGO_PASSPHRASE", "secret"}});
  EXPECT_EQ(ok.code, 0) << ok.err;
}

}  // namespace aergo::clitest
