// aergo cherry-pick through the CLI (docs/design.md §7): chosen txs (by id or
// unique prefix) or whole blocks (any revision) of other branches submitted
// to the current branch's merge pool exactly like `call` (signature, chain,
// not already in the branch's history or pool, pre-execution); failures
// reported and not kept; `commit` seals the picked txs; a later merge does
// not replay them again.
//
// Scene: Alice holds 100 at base; feature has two blocks
//   f1 = [t_erin: mint erin 5, t_bob30: alice -> bob 30]
//   f2 = [t_alice20: mint alice 20, t_carol60: alice -> carol 60, t_bob20: alice -> bob 20]
// and master one: m1 = [t_m: alice -> carol 50], so on master Alice holds
// 50 and f2's txs replayed in order there give 70, 10, then fail (10 < 20).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

std::string FailedStderr(size_t failed, size_t n) {
  return "aergo: error: " + std::to_string(failed) + " of " + std::to_string(n) +
         " tx(s) failed and were not kept (the others are in the merge pool)\n";
}

struct SceneIds {
  std::string alice;  // the address of alice, the repository's signing key
  std::string base, f1, f2, m1;
  std::string t_erin, t_bob30, t_alice20, t_carol60, t_bob20, t_m;
};

// The scene above, master checked out, pools empty; commands run in the
// repository. Built once per test binary; each test works on a copy.
struct Scene : SceneIds, TokenSession {
  Scene() {
    static const std::unique_ptr<Scene> tmpl(new Scene(Build{}));
    CopySandbox(tmpl->sb, sb);
    static_cast<SceneIds&>(*this) = *tmpl;
  }

  // TokenSession's snapshot (branch, head, pool, history, state and
  // branches) and the pending changes.
  std::string Snapshot() { return TokenSession::Snapshot() + Out({"diff"}); }
  // The txids (and statuses) of block `rev`, in order.
  std::vector<std::string> BlockTxs(const std::string& rev, std::vector<std::string>* statuses = nullptr) {
    std::vector<std::string> out;
    for (const auto& t : Objects(JRaw(Out({"show", rev, "--json"}), "txs"))) {
      out.push_back(JStr(t, "txid"));
      if (statuses) statuses->push_back(JStr(t, "status"));
    }
    return out;
  }

 private:
  struct Build {};
  explicit Scene(Build) {
    alice = sb.InitTokenRepo();
    Must({"deploy", "token", "token.sql"});
    Must({"call", "token", "open"});
    Must({"call", "token", "mint", alice, "100"});
    Must({"call", "token", "mint", "bob", "0"});
    Must({"call", "token", "mint", "carol", "0"});
    base = Commit("setup");
    Must({"branch", "feature"});
    Must({"checkout", "feature"});
    t_erin = Call({"mint", "erin", "5"});
    t_bob30 = Call({"transfer", "bob", "30"});
    f1 = Commit("f1");
    t_alice20 = Call({"mint", alice, "20"});
    t_carol60 = Call({"transfer", "carol", "60"});
    t_bob20 = Call({"transfer", "bob", "20"});
    f2 = Commit("f2");
    Must({"checkout", "master"});
    t_m = Call({"transfer", "carol", "50"});
    m1 = Commit("m1");
  }
};

}  // namespace

// ---- picking txs ----

TEST(CliCherryPick, TxByFullIdAndPrefixThenCommit) {
  Scene s;
  RunResult r = s.Run({"cherry-pick", s.t_erin});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "picked " + Short(s.t_erin) + "  token.mint\n1 of 1 tx(s) picked into the merge pool of 'master'\n");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(s.Pool(), 1);
  RunResult p = s.Run({"cherry-pick", s.t_bob30.substr(0, 8)});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(p.out,
            "picked " + Short(s.t_bob30) + "  token.transfer\n1 of 1 tx(s) picked into the merge pool of 'master'\n");
  EXPECT_EQ(s.Pool(), 2);
  EXPECT_EQ(s.Head(), s.m1);  // nothing sealed yet
  // Pre-executed: the pending state has them.
  auto expect = std::map<std::string, long long>{{s.alice, 20}, {"bob", 30}, {"carol", 50}, {"erin", 5}};
  EXPECT_EQ(s.Bal(), expect);
  EXPECT_EQ(s.Bal("HEAD"), (std::map<std::string, long long>{{s.alice, 50}, {"bob", 0}, {"carol", 50}}));

  std::string c = s.Commit("picked");
  EXPECT_EQ(s.Pool(), 0);
  std::vector<std::string> statuses;
  // The same txs (same ids: sender, signature and salt kept), applied.
  EXPECT_EQ(s.BlockTxs(c, &statuses), (std::vector<std::string>{s.t_erin, s.t_bob30}));
  EXPECT_EQ(statuses, (std::vector<std::string>{"applied", "applied"}));
  EXPECT_EQ(JRaw(s.Out({"show", c, "--json"}), "parents"), "[\"" + s.m1 + "\"]");
  EXPECT_EQ(s.Bal(), expect);
  // feature is untouched.
  EXPECT_EQ(s.Head(), c);
  EXPECT_EQ(s.Bal("feature"),
            (std::map<std::string, long long>{{s.alice, 10}, {"bob", 50}, {"carol", 60}, {"erin", 5}}));
  s.ExpectFsckClean();
}

// A picked tx keeps its signature: no signing key is needed to pick.
TEST(CliCherryPick, NeedsNoSigningKey) {
  Scene s;
  s.Must({"config", "--unset", "user.key"});
  RunResult r = s.Run({"cherry-pick", s.t_erin, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"branch\": \"master\", \"picked\": [\"" + s.t_erin + "\"], \"failed\": []}\n");
  EXPECT_EQ(s.Pool(), 1);
  s.Must({"config", "user.key", "alice"});
  s.Commit("erin");
  EXPECT_EQ(JStr(s.Out({"show", "HEAD", "--json"}), "sender"), s.alice);
  s.ExpectFsckClean();
}

// ---- picking blocks ----

TEST(CliCherryPick, BlockReplaysItsTxsInOrderAndDropsFailures) {
  Scene s;
  std::string before_bal = s.Out({"query", kBalances, "--csv"});
  RunResult r = s.Run({"cherry-pick", "feature"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out, "picked " + Short(s.t_alice20) + "  token.mint\npicked " + Short(s.t_carol60) +
                       "  token.transfer\nfailed " + Short(s.t_bob20) + "  token.transfer: " + kCheckError +
                       "\n2 of 3 tx(s) picked into the merge pool of 'master'\n");
  EXPECT_EQ(r.err, FailedStderr(1, 3));
  EXPECT_EQ(s.Pool(), 2);
  // The mint came first (Alice 50 -> 70), so the transfer of 60 applied.
  EXPECT_EQ(s.Bal(), (std::map<std::string, long long>{{s.alice, 10}, {"bob", 0}, {"carol", 110}}));
  s.Must({"reset"});
  EXPECT_EQ(s.Out({"query", kBalances, "--csv"}), before_bal);

  // Several picks, each block's txs in block order, each seeing the
  // previous ones' writes: 50 -> 20 (bob 30) -> 40 -> fails (60) -> 20.
  RunResult two = s.Run({"cherry-pick", "feature~1", Short(s.f2)});
  EXPECT_EQ(two.code, 1) << two.err;
  EXPECT_EQ(two.out, "picked " + Short(s.t_erin) + "  token.mint\npicked " + Short(s.t_bob30) +
                         "  token.transfer\npicked " + Short(s.t_alice20) + "  token.mint\nfailed " +
                         Short(s.t_carol60) + "  token.transfer: " + kCheckError + "\npicked " +
                         Short(s.t_bob20) + "  token.transfer\n4 of 5 tx(s) picked into the merge pool of 'master'\n");
  EXPECT_EQ(two.err, FailedStderr(1, 5));
  EXPECT_EQ(s.Pool(), 4);
  std::string c = s.Commit("picked");
  EXPECT_EQ(s.BlockTxs(c), (std::vector<std::string>{s.t_erin, s.t_bob30, s.t_alice20, s.t_bob20}));
  EXPECT_EQ(s.Bal(), (std::map<std::string, long long>{{s.alice, 20}, {"bob", 50}, {"carol", 50}, {"erin", 5}}));
  s.ExpectFsckClean();
}

// A merge block's txs are all picked, whatever their receipts there: one
// excluded in the merge applies where it succeeds.
TEST(CliCherryPick, MergeBlockTxsArePickedWhateverTheirReceipts) {
  Scene s;
  RunResult m = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(JRaw(m.out, "excluded"), "[{\"txid\": \"" + s.t_carol60 + "\", \"error\": \"" + kCheckError + "\"}]");
  // On master, the excluded tx occupies its id in the history.
  RunResult excl = s.Run({"cherry-pick", s.t_carol60});
  EXPECT_EQ(excl.code, 1);
  EXPECT_EQ(excl.out, "failed " + Short(s.t_carol60) + "  token.transfer: tx " + s.t_carol60 +
                          " is already in this branch's history\n0 of 1 tx(s) picked into the merge pool of 'master'\n");
  EXPECT_EQ(s.Pool(), 0);
  s.Must({"branch", "fresh", "--block=" + s.base});
  s.Must({"checkout", "fresh"});
  RunResult r = s.Run({"cherry-pick", "master", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"branch\": \"fresh\", \"picked\": [\"" + s.t_erin + "\", \"" + s.t_bob30 + "\", \"" +
                       s.t_alice20 + "\", \"" + s.t_carol60 + "\", \"" + s.t_bob20 + "\"], \"failed\": []}\n");
  EXPECT_EQ(s.Pool(), 5);
  s.Commit("all of feature");
  EXPECT_EQ(s.Bal(), s.Bal("feature"));
  s.ExpectFsckClean();
}

// A picked deploy creates the contract; a tx id is matched in any case.
TEST(CliCherryPick, DeployAndUpperCaseIds) {
  Scene s;
  s.Must({"branch", "empty", "--block=master@0"});
  s.Must({"checkout", "empty"});
  std::vector<std::string> base_txs = s.BlockTxs(s.base);
  ASSERT_EQ(base_txs.size(), 5u);
  RunResult r = s.Run({"cherry-pick", "master~1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0], "picked " + Short(base_txs[0]) + "  deploy token");
  for (size_t i = 1; i < 5; ++i) EXPECT_EQ(lines[i], "picked " + Short(base_txs[i]) + "  token." + (i == 1 ? "open" : "mint"));
  EXPECT_EQ(lines[5], "5 of 5 tx(s) picked into the merge pool of 'empty'");
  s.Commit("base again");
  EXPECT_EQ(s.Bal(), s.Bal(s.base));
  std::string upper = s.t_erin.substr(0, 9);
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  RunResult u = s.Run({"cherry-pick", upper, "--json"});
  EXPECT_EQ(u.code, 0) << u.err;
  EXPECT_EQ(u.out, "{\"branch\": \"empty\", \"picked\": [\"" + s.t_erin + "\"], \"failed\": []}\n");
  s.ExpectFsckClean();
}

// ---- refusals ----

TEST(CliCherryPickRefusals, AlreadyInHistoryOrPool) {
  Scene s;
  std::string before = s.Snapshot();
  // A tx of this branch's history.
  RunResult h = s.Run({"cherry-pick", s.t_m});
  EXPECT_EQ(h.code, 1);
  EXPECT_EQ(h.out, "failed " + Short(s.t_m) + "  token.transfer: tx " + s.t_m +
                       " is already in this branch's history\n0 of 1 tx(s) picked into the merge pool of 'master'\n");
  EXPECT_EQ(h.err, FailedStderr(1, 1));
  // A block of this branch's history: every tx refused (deploy included).
  RunResult b = s.Run({"cherry-pick", "master~1", "--json"});
  EXPECT_EQ(b.code, 1);
  auto failed = Objects(JRaw(b.out, "failed"));
  ASSERT_EQ(failed.size(), 5u) << b.out;
  EXPECT_EQ(JRaw(b.out, "picked"), "[]");
  for (const auto& f : failed)
    EXPECT_EQ(JStr(f, "error"), "tx " + JStr(f, "txid") + " is already in this branch's history") << f;
  EXPECT_EQ(b.err, FailedStderr(5, 5));
  RunResult bt = s.Run({"cherry-pick", s.base});
  EXPECT_EQ(bt.code, 1);
  EXPECT_TRUE(Has(bt.out, "  deploy token: tx ")) << bt.out;
  // The genesis block's tx cannot be submitted.
  RunResult g = s.Run({"cherry-pick", "master@0"});
  EXPECT_EQ(g.code, 1);
  EXPECT_TRUE(Has(g.out, "  genesis: a genesis tx cannot be submitted\n")) << g.out;
  EXPECT_TRUE(Has(g.out, "0 of 1 tx(s) picked into the merge pool of 'master'\n")) << g.out;
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.Pool(), 0);

  // The same tx twice in one command: the second is already in the pool.
  RunResult twice = s.Run({"cherry-pick", s.t_erin, s.t_erin.substr(0, 10)});
  EXPECT_EQ(twice.code, 1);
  EXPECT_EQ(twice.out, "picked " + Short(s.t_erin) + "  token.mint\nfailed " + Short(s.t_erin) +
                           "  token.mint: tx is already in the merge pool\n1 of 2 tx(s) picked into the merge pool of "
                           "'master'\n");
  EXPECT_EQ(twice.err, FailedStderr(1, 2));
  EXPECT_EQ(s.Pool(), 1);
  // And again in another command.
  RunResult again = s.Run({"cherry-pick", s.t_erin, "--json"});
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.out, "{\"branch\": \"master\", \"picked\": [], \"failed\": [{\"txid\": \"" + s.t_erin +
                           "\", \"error\": \"tx is already in the merge pool\"}]}\n");
  // A tx pending here (found in the pool by its id).
  std::string pending = s.Call({"mint", "zed", "1"});
  RunResult pend = s.Run({"cherry-pick", pending});
  EXPECT_EQ(pend.code, 1);
  EXPECT_EQ(pend.out, "failed " + Short(pending) +
                          "  token.mint: tx is already in the merge pool\n0 of 1 tx(s) picked into the merge pool of "
                          "'master'\n");
  EXPECT_EQ(s.Pool(), 2);
  // Committed, the picked tx is in the history.
  s.Commit("erin, zed");
  RunResult hist = s.Run({"cherry-pick", s.t_erin});
  EXPECT_EQ(hist.code, 1);
  EXPECT_TRUE(Has(hist.out, "tx " + s.t_erin + " is already in this branch's history")) << hist.out;
  EXPECT_EQ(s.Pool(), 0);
  s.ExpectFsckClean();
}

TEST(CliCherryPickRefusals, UnknownPickPicksNothing) {
  Scene s;
  std::string before = s.Snapshot();
  for (const std::string& unknown : {std::string("abcdef0123"), std::string("0000000"),
                                     std::string(64, 'e')}) {
    for (std::vector<std::string> args : {std::vector<std::string>{"cherry-pick", s.t_erin, unknown},
                                          {"cherry-pick", unknown, s.t_erin, "--json"}}) {
      RunResult r = s.Run(args);
      EXPECT_EQ(r.code, 1) << Joined(args);
      EXPECT_EQ(r.err, "aergo: error: unknown revision or tx '" + unknown + "'\n") << Joined(args);
      EXPECT_EQ(r.out, "") << Joined(args);
    }
  }
  // Not hex: only a revision could match.
  for (std::vector<std::string> args : {std::vector<std::string>{"cherry-pick", s.t_erin, "nosuch"},
                                        {"cherry-pick", "feature", "feature~9"}}) {
    RunResult r = s.Run(args);
    EXPECT_EQ(r.code, 1) << Joined(args);
    EXPECT_TRUE(Has(r.err, "aergo: error: ")) << r.err;
    EXPECT_TRUE(Has(r.err, "'" + args[2] + "'")) << r.err;
    EXPECT_EQ(r.out, "") << Joined(args);
  }
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.Pool(), 0);
}

TEST(CliCherryPickRefusals, DetachedHeadUsageAndNoRepository) {
  Scene s;
  s.Must({"tag", "v1", "--block", s.m1});
  for (const std::string& at : {std::string("v1"), s.m1}) {
    s.Must({"checkout", at});
    std::string before = s.Snapshot();
    for (std::vector<std::string> args : {std::vector<std::string>{"cherry-pick", s.t_erin},
                                          {"cherry-pick", "feature", "--json"}}) {
      RunResult r = s.Run(args);
      EXPECT_EQ(r.code, 1) << Joined(args);
      EXPECT_EQ(r.err, "aergo: error: HEAD is detached at " + Short(s.m1) + ": check out a branch to pick onto\n");
      EXPECT_EQ(r.out, "");
    }
    EXPECT_EQ(s.Snapshot(), before);
  }
  s.Must({"checkout", "master"});
  std::string before = s.Snapshot();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"cherry-pick"}, {"cherry-pick", "--json"}, {"cherry-pick", "--frob", s.t_erin}}) {
    RunResult r = s.Run(args);
    EXPECT_EQ(r.code, 2) << Joined(args) << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: ")) << r.err;
    EXPECT_TRUE(Has(r.err, "usage: aergo cherry-pick")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  RunResult none = s.Run({"cherry-pick"});
  EXPECT_TRUE(Has(none.err, "aergo: error: missing tx id or block to pick")) << none.err;
  EXPECT_EQ(s.Snapshot(), before);
  RunResult n = s.sb.Run({"cherry-pick", s.t_erin}, s.sb.work());
  EXPECT_EQ(n.code, 1);
  EXPECT_TRUE(Has(n.err, "aergo: error: not an aergo repository")) << n.err;
  RunResult help = s.Run({"cherry-pick", "--help"});
  EXPECT_EQ(help.code, 0) << help.err;
  EXPECT_TRUE(Has(help.out, "cherry-pick")) << help.out;
}

// ---- merging after a cherry-pick ----

TEST(CliCherryPick, LaterMergeDoesNotReplayAPickedTx) {
  Scene s;
  s.Must({"cherry-pick", s.t_erin});
  std::string c = s.Commit("erin");
  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  // Replayed on master (alice 50): bob 30 -> 20, mint -> 40, carol 60
  // fails, bob 20 -> 20. The picked mint is neither applied nor excluded.
  EXPECT_EQ(JRaw(r.out, "applied"), "[\"" + s.t_bob30 + "\", \"" + s.t_alice20 + "\", \"" + s.t_bob20 + "\"]");
  EXPECT_EQ(JRaw(r.out, "excluded"), "[{\"txid\": \"" + s.t_carol60 + "\", \"error\": \"" + kCheckError + "\"}]");
  EXPECT_EQ(JRaw(r.out, "resolved"), "[]");
  EXPECT_FALSE(Has(r.out, s.t_erin)) << r.out;
  std::string m = s.Head();
  EXPECT_EQ(JRaw(s.Out({"show", m, "--json"}), "parents"), "[\"" + c + "\", \"" + s.f2 + "\"]");
  EXPECT_EQ(s.BlockTxs(m), (std::vector<std::string>{s.t_bob30, s.t_alice20, s.t_carol60, s.t_bob20}));
  // Erin was minted once.
  EXPECT_EQ(s.Bal(), (std::map<std::string, long long>{{s.alice, 20}, {"bob", 50}, {"carol", 50}, {"erin", 5}}));
  RunResult v = s.Run({"merge", "--verify", "HEAD"});
  EXPECT_EQ(v.code, 0) << v.err;
  s.ExpectFsckClean();
}

// ---- output ----

TEST(CliCherryPick, JsonAndQuietOutput) {
  Scene s;
  RunResult j = s.Run({"cherry-pick", "feature", "--json"});
  EXPECT_EQ(j.code, 1);
  EXPECT_EQ(j.out, "{\"branch\": \"master\", \"picked\": [\"" + s.t_alice20 + "\", \"" + s.t_carol60 +
                       "\"], \"failed\": [{\"txid\": \"" + s.t_bob20 + "\", \"error\": \"" + kCheckError + "\"}]}\n");
  EXPECT_EQ(j.err, FailedStderr(1, 3));
  EXPECT_EQ(s.Pool(), 2);
  s.Must({"reset"});
  // All picked: exit 0, nothing on stderr.
  RunResult ok = s.Run({"cherry-pick", s.t_erin, s.t_bob30.substr(0, 7), "--json"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "{\"branch\": \"master\", \"picked\": [\"" + s.t_erin + "\", \"" + s.t_bob30 +
                        "\"], \"failed\": []}\n");
  EXPECT_EQ(ok.err, "");
  s.Must({"reset"});
  // -q: nothing on stdout; a failure still says so on stderr.
  RunResult q = s.Run({"-q", "cherry-pick", "feature"});
  EXPECT_EQ(q.code, 1);
  EXPECT_EQ(q.out, "");
  EXPECT_EQ(q.err, FailedStderr(1, 3));
  EXPECT_EQ(s.Pool(), 2);
  s.Must({"reset"});
  // -q with --json still prints the JSON.
  RunResult qj = s.Run({"-q", "cherry-pick", "feature", "--json"});
  EXPECT_EQ(qj.code, 1);
  EXPECT_EQ(qj.out, j.out);
  EXPECT_EQ(qj.err, FailedStderr(1, 3));
  s.Must({"reset"});
  RunResult q0 = s.Run({"-q", "cherry-pick", s.t_erin});
  EXPECT_EQ(q0.code, 0) << q0.err;
  EXPECT_EQ(q0.out, "");
  EXPECT_EQ(q0.err, "");
  EXPECT_EQ(s.Pool(), 1);
  // On another branch the report names it.
  s.Must({"reset"});
  s.Must({"branch", "side", "--block=" + s.base});
  s.Must({"checkout", "side"});
  RunResult side = s.Run({"cherry-pick", s.t_erin});
  EXPECT_EQ(side.code, 0) << side.err;
  EXPECT_EQ(side.out, "picked " + Short(s.t_erin) + "  token.mint\n1 of 1 tx(s) picked into the merge pool of 'side'\n");
}

}  // namespace aergo::clitest
