// Merging through the CLI (docs/design.md §7, issue 4): aergo merge (fast-forward,
// automatic merge, --preview, --verify) and aergo merge-base.
//
// Most tests start from the scenario (Scene): Alice holds 10 on
// master; feature, branched there, sends her 10 to Bob; master sends them
// to Carol and Dave opens an account. Bob and Carol get their (zero)
// accounts from `mint <name> 0` (mint is owner-only: Alice deployed the
// token); Dave opens his with `call token open --key dave`, the contract's
// own way for a key to open an account. Consistent merge (resolvers) and
// cherry-pick are not built yet and not tested here.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;

// A token repository: alice (the signing key) deployed the token and holds
// `alice_funds`; bob and carol have zero accounts; a second key "dave"
// exists. Commands run in the repository (TokenSession's helpers).
struct TokenRepo : TokenSandbox {
  std::string dave;  // dave's address

  explicit TokenRepo(long long alice_funds) {
    RunResult k = sb.Run({"key", "new", "dave", "--json"});
    EXPECT_EQ(k.code, 0) << k.err;
    dave = JStr(k.out, "address");
    Must({"deploy", "token", "token.sql"});
    Must({"call", "token", "open"});
    Must({"call", "token", "mint", alice, std::to_string(alice_funds)});
    Must({"call", "token", "mint", "bob", "0"});
    Must({"call", "token", "mint", "carol", "0"});
  }
};

// The scenario, before the merge; master is checked out, pools
// empty.
//   base (h1: deploy, alice 10, bob 0, carol 0)
//   feature: f2 = [to_bob: alice -> bob 10]
//   master:  m2 = [to_carol: alice -> carol 10, dave_open: dave opens]
struct Scene : TokenRepo {
  std::string base, f2, m2, to_bob, to_carol, dave_open;

  Scene() : TokenRepo(10) {
    base = Commit("setup");
    Must({"branch", "feature"});
    Must({"checkout", "feature"});
    to_bob = Call({"transfer", "bob", "10"});
    f2 = Commit("to bob");
    Must({"checkout", "master"});
    to_carol = Call({"transfer", "carol", "10"});
    dave_open = Call({"open"}, {"--key", "dave"});
    m2 = Commit("to carol, dave opens");
  }

  // The balances after the merge: Bob's transfer excluded.
  std::map<std::string, long long> Merged() const {
    return {{alice, 0}, {dave, 0}, {"bob", 0}, {"carol", 10}};
  }
};

}  // namespace

// ---- the scenario ----

TEST(CliMergeScenario, BobsTransferIsExcludedAndEverythingElseApplied) {
  Scene s;
  EXPECT_EQ(s.Bal(), s.Merged()) << "master before the merge";
  RunResult r = s.Run({"merge", "feature"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string m = s.Head();
  ASSERT_TRUE(IsHex(m, 64)) << m;
  EXPECT_EQ(r.out, "Merged feature into 'master': block " + m + "\nbase " + s.base + "\n  excluded  " +
                       Short(s.to_bob) + "  " + kCheckError +
                       "\n0 applied, 1 excluded, 0 resolved\n0 tables, 0 rows changed\n");
  EXPECT_EQ(r.err, "");

  // Balances are consistent: the 10 minted are Carol's; Dave's account and
  // Carol's transfer (master's own txs) are kept; Bob has nothing.
  auto bal = s.Bal();
  EXPECT_EQ(bal, s.Merged());
  long long total = 0;
  for (const auto& [owner, b] : bal) total += b;
  EXPECT_EQ(total, 10);

  // The merge block: parents master's head then feature's, height 3, the
  // excluded tx with the contract's reason, the default message, signed by
  // the current key.
  std::string show = s.Out({"show", "HEAD", "--json"});
  EXPECT_EQ(JStr(show, "id"), m);
  EXPECT_EQ(JRaw(show, "parents"), "[\"" + s.m2 + "\", \"" + s.f2 + "\"]");
  EXPECT_EQ(JNum(show, "height"), 3);
  EXPECT_EQ(JStr(show, "producer"), s.alice);
  EXPECT_EQ(JStr(show, "message"), "merge feature into master");
  auto txs = Objects(JRaw(show, "txs"));
  ASSERT_EQ(txs.size(), 1u) << show;
  EXPECT_EQ(JStr(txs[0], "txid"), s.to_bob);
  EXPECT_EQ(JStr(txs[0], "status"), "excluded");
  EXPECT_EQ(JStr(txs[0], "error"), kCheckError);
  std::string show_text = s.Out({"show", "HEAD"});
  EXPECT_TRUE(Has(show_text, Short(s.to_bob) + " excluded  token.transfer(\"bob\", 10)  (" +
                                 std::string(kCheckError) + ")"))
      << show_text;
  // The merge block's time is the later parent's.
  std::string t_m2 = JStr(s.Out({"show", s.m2, "--json"}), "time");
  std::string t_f2 = JStr(s.Out({"show", s.f2, "--json"}), "time");
  EXPECT_EQ(JStr(show, "time"), std::max(t_m2, t_f2));

  // master's own txs stay applied where they were sealed.
  for (const std::string& tx : {s.to_carol, s.dave_open}) {
    std::string t = s.Out({"show", tx, "--json"});
    EXPECT_EQ(JStr(t, "block"), s.m2) << t;
    EXPECT_EQ(JStr(t, "status"), "applied") << t;
  }
  EXPECT_EQ(JStr(s.Out({"show", s.dave_open, "--json"}), "sender"), s.dave);

  // The branch moved to the merge block; master's own blocks stay below it.
  std::string status = s.Out({"status", "--json"});
  EXPECT_EQ(JStr(status, "branch"), "master");
  EXPECT_EQ(JNum(status, "pool"), 0);
  EXPECT_EQ(JNum(status, "height"), 3);
  EXPECT_EQ(Lines(s.Out({"log", "--oneline"})).size(), 5u);  // genesis, setup, f2, m2, merge
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD"}), "");         // nothing applied

  s.ExpectFsckClean();
  RunResult v = s.Run({"merge", "--verify", "master"});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(v.out, "merge block " + m + " verified: tx list, receipts, changes and state root are identical\n");
  EXPECT_EQ(v.err, "");
  RunResult vj = s.Run({"merge", "--verify", "HEAD", "--json"});
  EXPECT_EQ(vj.code, 0) << vj.err;
  EXPECT_EQ(vj.out, "{\"block\": \"" + m + "\", \"identical\": true, \"differences\": []}\n");

  // feature itself is untouched: Bob got the 10 there.
  EXPECT_EQ(s.Bal("feature"), (std::map<std::string, long long>{{s.alice, 0}, {"bob", 10}, {"carol", 0}}));
  EXPECT_EQ(s.Field({"branch", "--json"}, "block"), s.f2);  // "feature" lists first
}

TEST(CliMergeScenario, JsonReportNamesTheExcludedTxAndItsError) {
  Scene s;
  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string m = s.Head();
  EXPECT_EQ(r.out, "{\"block\": \"" + m +
                       "\", \"fast_forward\": false, \"up_to_date\": false, \"preview\": false, "
                       "\"base\": \"" + s.base + "\", \"resolver\": null, \"applied\": [], \"excluded\": [{\"txid\": \"" +
                       s.to_bob + "\", \"error\": \"" + kCheckError +
                       "\"}], \"resolved\": [], \"changes\": []}\n");
  EXPECT_EQ(s.Bal(), s.Merged());
  s.ExpectFsckClean();
}

TEST(CliMergeScenario, MessageAndQuiet) {
  Scene s;
  RunResult r = s.Run({"-q", "merge", "feature", "-m", "bring in feature"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(s.Field({"show", "HEAD", "--json"}, "message"), "bring in feature");
  RunResult v = s.Run({"-q", "merge", "--verify", "HEAD"});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(v.out, "");
  // The merge block is part of the history everywhere revisions are read.
  EXPECT_EQ(s.Out({"merge-base", "HEAD^2", "feature"}), s.f2 + "\n");
  EXPECT_EQ(s.Bal("HEAD^1"), s.Merged());
}

// A second copy of the repository merging the same two heads with another
// key gets the same block content; only producer, signature and id differ.
TEST(CliMergeDeterminism, SecondCopyWithAnotherKeyGetsTheSameBlock) {
  Scene s;
  // One more feature block whose tx applies on master, so the merge
  // changes rows too.
  s.Must({"checkout", "feature"});
  std::string erin = s.Call({"mint", "erin", "5"});
  s.Commit("erin");
  s.Must({"checkout", "master"});
  std::string copy = s.sb.work() + "/copy";
  fs::copy(s.sb.repo(), copy, fs::copy_options::recursive);
  RunResult k = s.sb.Run({"key", "new", "mallory", "--json"});
  ASSERT_EQ(k.code, 0) << k.err;
  std::string mallory = JStr(k.out, "address");

  RunResult r1 = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r1.code, 0) << r1.err;
  RunResult r2 = s.sb.Run({"merge", "feature", "--key", "mallory", "--json"}, copy);
  ASSERT_EQ(r2.code, 0) << r2.err;
  std::string b1 = JStr(r1.out, "block"), b2 = JStr(r2.out, "block");
  ASSERT_TRUE(IsHex(b1, 64) && IsHex(b2, 64)) << r1.out << r2.out;
  EXPECT_NE(b1, b2);
  // The reports differ only in the block id.
  EXPECT_EQ(ReplaceAll(r1.out, b1, "<block>"), ReplaceAll(r2.out, b2, "<block>"));

  std::string s1 = s.Out({"show", b1, "--json"});
  std::string s2 = s.Out({"show", b2, "--json"}, copy);
  for (const char* f : {"time", "tx_root", "receipt_root", "state_root", "message"})
    EXPECT_EQ(JStr(s1, f), JStr(s2, f)) << f;
  EXPECT_EQ(JRaw(s1, "parents"), JRaw(s2, "parents"));
  EXPECT_EQ(JNum(s1, "height"), JNum(s2, "height"));
  // Same txs and receipts (each tx names its block, which differs).
  EXPECT_EQ(ReplaceAll(JRaw(s1, "txs"), b1, "<block>"), ReplaceAll(JRaw(s2, "txs"), b2, "<block>"));
  EXPECT_EQ(JStr(s1, "producer"), s.alice);
  EXPECT_EQ(JStr(s2, "producer"), mallory);
  EXPECT_EQ(JRaw(r1.out, "applied"), "[\"" + erin + "\"]");
  // Same row changes.
  std::string c1 = JRaw(s.Out({"show", b1, "--changes", "--json"}), "changes");
  EXPECT_TRUE(Has(c1, "\"erin\"")) << c1;
  EXPECT_EQ(c1, JRaw(s.Out({"show", b2, "--changes", "--json"}, copy), "changes"));
  EXPECT_EQ(s.Out({"query", kBalances, "--csv"}), s.Out({"query", kBalances, "--csv"}, copy));

  // Each repository verifies its own merge block.
  RunResult v1 = s.Run({"merge", "--verify", b1});
  EXPECT_EQ(v1.code, 0) << v1.err;
  RunResult v2 = s.sb.Run({"merge", "--verify", b2}, copy);
  EXPECT_EQ(v2.code, 0) << v2.err;
  RunResult v2j = s.sb.Run({"merge", "--verify", "HEAD", "--json"}, copy);
  EXPECT_EQ(v2j.out, "{\"block\": \"" + b2 + "\", \"identical\": true, \"differences\": []}\n") << v2j.err;
  s.ExpectFsckClean();
  s.ExpectFsckClean(copy);
}

// ---- --preview ----

TEST(CliMergePreview, SameReportAsTheMergeAndWritesNothing) {
  Scene s;
  std::string before = s.Snapshot();
  RunResult p = s.Run({"merge", "feature", "--preview"});
  ASSERT_EQ(p.code, 0) << p.err;
  RunResult pj = s.Run({"merge", "feature", "--preview", "--json"});
  ASSERT_EQ(pj.code, 0) << pj.err;
  EXPECT_EQ(s.Snapshot(), before) << "--preview wrote something";
  EXPECT_EQ(s.Out({"diff"}), "");
  s.ExpectFsckClean();

  EXPECT_EQ(p.out, "Would merge feature into 'master' (nothing written)\nbase " + s.base + "\n  excluded  " +
                       Short(s.to_bob) + "  " + kCheckError +
                       "\n0 applied, 1 excluded, 0 resolved\n0 tables, 0 rows changed\n");
  EXPECT_EQ(JRaw(pj.out, "preview"), "true");
  EXPECT_EQ(JRaw(pj.out, "block"), "null");
  EXPECT_EQ(JRaw(pj.out, "fast_forward"), "false");

  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The real merge reports exactly what the preview said.
  for (const char* f : {"base", "applied", "excluded", "resolved", "changes", "up_to_date", "fast_forward"})
    EXPECT_EQ(JRaw(pj.out, f), JRaw(r.out, f)) << f;
  EXPECT_EQ(JRaw(r.out, "preview"), "false");
}

TEST(CliMergePreview, AppliedTxsAndChangesMatchTheMerge) {
  // A merge that applies txs and changes rows: the preview's lists and
  // change counts are the merge's, and the preview leaves no trace.
  TokenRepo t(100);
  std::string base = t.Commit("setup");
  t.Must({"branch", "src"});
  t.Must({"checkout", "src"});
  std::string a = t.Call({"transfer", "bob", "30"});
  std::string b = t.Call({"mint", "zed", "4"});
  t.Commit("src");
  t.Must({"checkout", "master"});
  t.Call({"transfer", "carol", "80"});
  t.Commit("master");
  std::string before = t.Snapshot();
  RunResult p = t.Run({"merge", "src", "--preview", "--json"});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(t.Snapshot(), before);
  EXPECT_EQ(JRaw(p.out, "applied"), "[\"" + b + "\"]");
  EXPECT_EQ(Objects(JRaw(p.out, "excluded")).size(), 1u);
  EXPECT_EQ(JStr(JRaw(p.out, "excluded"), "txid"), a);
  EXPECT_EQ(JRaw(p.out, "changes"), "[{\"table\": \"token.accounts\", \"insert\": 1, \"delete\": 0, \"update\": 0}]");
  RunResult r = t.Run({"merge", "src", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"base", "applied", "excluded", "changes"}) EXPECT_EQ(JRaw(p.out, f), JRaw(r.out, f)) << f;
  EXPECT_EQ(JStr(r.out, "base"), base);
  EXPECT_EQ(t.Bal(), (std::map<std::string, long long>{{t.alice, 20}, {"bob", 0}, {"carol", 80}, {"zed", 4}}));
  // The merge's changes are what diff shows across the merge block.
  EXPECT_EQ(t.Out({"diff", "HEAD~1", "HEAD", "--stat", "--json"}), JRaw(r.out, "changes") + "\n");
  t.ExpectFsckClean();
}

// ---- fast-forward and up to date ----

TEST(CliMergeFastForward, BranchBehindMasterMovesToMastersHead) {
  Scene s;
  s.Must({"branch", "behind", "--block=" + s.base});
  s.Must({"checkout", "behind"});
  std::string log_before = s.Out({"log", "--json", "master"});

  RunResult p = s.Run({"merge", "master", "--preview", "--json"});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(JRaw(p.out, "fast_forward"), "true");
  EXPECT_EQ(JRaw(p.out, "block"), "null");
  EXPECT_EQ(JRaw(p.out, "preview"), "true");
  EXPECT_EQ(s.Head(), s.base) << "a fast-forward preview moved the branch";

  RunResult r = s.Run({"merge", "master", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JRaw(r.out, "fast_forward"), "true");
  EXPECT_EQ(JRaw(r.out, "up_to_date"), "false");
  EXPECT_EQ(JStr(r.out, "block"), s.m2);
  EXPECT_EQ(JStr(r.out, "base"), s.base);
  EXPECT_EQ(JRaw(r.out, "applied"), "[]");
  EXPECT_EQ(JRaw(r.out, "changes"), JRaw(p.out, "changes"));
  std::string status = s.Out({"status", "--json"});
  EXPECT_EQ(JStr(status, "branch"), "behind");
  EXPECT_EQ(JStr(status, "head"), s.m2);
  EXPECT_EQ(s.Bal(), s.Merged());  // master's state
  EXPECT_EQ(s.Out({"log", "--json", "master"}), log_before) << "a fast-forward wrote a block";
  EXPECT_EQ(s.Out({"log", "--json"}), log_before);
  s.ExpectFsckClean();
}

TEST(CliMergeFastForward, TextOutputAndNoKeyNeeded) {
  Scene s;
  s.Must({"branch", "behind", "--block=" + s.base});
  s.Must({"checkout", "behind"});
  // No signing key at all: a fast-forward writes no block.
  s.Must({"config", "--unset", "user.key"});
  RunResult r = s.Run({"merge", "feature"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Fast-forwarded 'behind' to " + s.f2 + "\ntoken.accounts  +0 -0 ~2\n1 table, 2 rows changed\n");
  EXPECT_EQ(s.Head(), s.f2);
  EXPECT_EQ(s.Bal(), s.Bal("feature"));
}

TEST(CliMergeUpToDate, AncestorOrItselfChangesNothing) {
  Scene s;
  std::string before = s.Snapshot();
  for (const std::string& rev : {std::string("master"), s.base, std::string("HEAD~1"), std::string("HEAD")}) {
    RunResult r = s.Run({"merge", rev});
    EXPECT_EQ(r.code, 0) << rev << ": " << r.err;
    EXPECT_EQ(r.out, "Already up to date: " + rev + " is in the history of 'master'\n") << rev;
    RunResult j = s.Run({"merge", rev, "--json"});
    EXPECT_EQ(j.code, 0) << rev << ": " << j.err;
    EXPECT_EQ(JRaw(j.out, "up_to_date"), "true") << j.out;
    EXPECT_EQ(JRaw(j.out, "block"), "null") << j.out;
    EXPECT_EQ(JRaw(j.out, "fast_forward"), "false") << j.out;
    EXPECT_EQ(JRaw(j.out, "applied"), "[]") << j.out;
  }
  EXPECT_EQ(s.Snapshot(), before);
  // After a merge, the source is up to date too.
  s.Must({"merge", "feature"});
  RunResult again = s.Run({"merge", "feature"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, "Already up to date: feature is in the history of 'master'\n");
  // And merging the merged branch back into feature is a fast-forward.
  std::string m = s.Head();
  s.Must({"checkout", "feature"});
  RunResult back = s.Run({"merge", "master", "--json"});
  EXPECT_EQ(back.code, 0) << back.err;
  EXPECT_EQ(JRaw(back.out, "fast_forward"), "true");
  EXPECT_EQ(JStr(back.out, "block"), m);
  EXPECT_EQ(s.Bal(), s.Merged());
  s.ExpectFsckClean();
}

// ---- refusals and usage errors ----

TEST(CliMergeRefusals, DetachedHead) {
  Scene s;
  s.Must({"tag", "v1", "--block", s.m2});
  for (const std::string& at : {std::string("v1"), s.m2}) {
    s.Must({"checkout", at});
    std::string before = s.Snapshot();
    for (std::vector<std::string> args : {std::vector<std::string>{"merge", "feature"},
                                          {"merge", "feature", "--preview"},
                                          {"merge", "feature", "--json"}}) {
      RunResult r = s.Run(args);
      EXPECT_EQ(r.code, 1) << Joined(args) << r.out;
      EXPECT_EQ(r.err, "aergo: error: HEAD is detached at " + Short(s.m2) +
                           ": check out the branch to merge into\n");
      EXPECT_EQ(r.out, "");
    }
    EXPECT_EQ(s.Snapshot(), before);
  }
}

TEST(CliMergeRefusals, PendingMergePool) {
  Scene s;
  s.Call({"mint", "erin", "1"});
  std::string before = s.Snapshot();
  std::string diff = s.Out({"diff"});
  for (const std::string& rev : {std::string("feature"), s.base}) {
    for (std::vector<std::string> args : {std::vector<std::string>{"merge", rev},
                                          {"merge", rev, "--preview"}}) {
      RunResult r = s.Run(args);
      EXPECT_EQ(r.code, 1) << Joined(args);
      EXPECT_EQ(r.err, "aergo: error: the merge pool of branch 'master' holds 1 pending tx(s): "
                       "commit or reset them before merging\n");
      EXPECT_EQ(r.out, "");
    }
  }
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.Out({"diff"}), diff);
  EXPECT_EQ(s.Pool(), 1);
  // After a reset the merge goes through.
  s.Must({"reset"});
  s.Must({"merge", "feature"});
  EXPECT_EQ(s.Bal(), s.Merged());
}

TEST(CliMergeRefusals, UnknownRevisionAndNoRepository) {
  Scene s;
  std::string before = s.Snapshot();
  RunResult r = s.Run({"merge", "nosuch"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "aergo: error: unknown revision 'nosuch'\n");
  RunResult v = s.Run({"merge", "--verify", "nosuch"});
  EXPECT_EQ(v.code, 1);
  EXPECT_TRUE(Has(v.err, "'nosuch'")) << v.err;
  RunResult b = s.Run({"merge-base", "master", "nosuch"});
  EXPECT_EQ(b.code, 1);
  EXPECT_EQ(b.err, "aergo: error: unknown revision 'nosuch'\n");
  EXPECT_EQ(s.Snapshot(), before);
  for (std::vector<std::string> args : {std::vector<std::string>{"merge", "feature"},
                                        {"merge", "--verify", "HEAD"},
                                        {"merge-base", "a", "b"}}) {
    RunResult n = s.sb.Run(args, s.sb.work());
    EXPECT_EQ(n.code, 1) << Joined(args);
    EXPECT_TRUE(Has(n.err, "aergo: error: not an aergo repository")) << n.err;
  }
}

TEST(CliMergeRefusals, UsageErrors) {
  Scene s;
  std::string before = s.Snapshot();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"merge"}, "missing revision to merge"},
      {{"merge", "--preview"}, "missing revision to merge"},
      {{"merge", "--verify"}, "missing revision to merge"},
      {{"merge", "feature", "--preview", "--verify"}, "choose --preview or --verify"},
      {{"merge", "feature", "master"}, ""},
      {{"merge", "feature", "--frob"}, ""},
      {{"merge-base"}, "merge-base takes exactly two revisions"},
      {{"merge-base", "master"}, "merge-base takes exactly two revisions"},
      {{"merge-base", "master", "feature", "HEAD"}, "merge-base takes exactly two revisions"},
  };
  for (const auto& c : cases) {
    RunResult r = s.Run(c.args);
    EXPECT_EQ(r.code, 2) << Joined(c.args) << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: " + c.message)) << Joined(c.args) << r.err;
    EXPECT_TRUE(Has(r.err, "usage: aergo " + c.args[0] + " ")) << Joined(c.args) << r.err;
    EXPECT_EQ(r.out, "") << Joined(c.args);
  }
  EXPECT_EQ(s.Snapshot(), before);
}

TEST(CliMergeRefusals, AutomaticMergeNeedsASigningKey) {
  Scene s;
  s.Must({"config", "--unset", "user.key"});
  std::string before = s.Snapshot();
  RunResult r = s.Run({"merge", "feature"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
  EXPECT_EQ(s.Snapshot(), before);
  // A preview needs none.
  RunResult p = s.Run({"merge", "feature", "--preview"});
  EXPECT_EQ(p.code, 0) << p.err;
  RunResult unknown = s.Run({"merge", "feature", "--key", "nobody"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(Has(unknown.err, "nobody")) << unknown.err;
  EXPECT_EQ(s.Snapshot(), before);
  s.Must({"merge", "feature", "--key", "dave"});
  EXPECT_EQ(s.Field({"show", "HEAD", "--json"}, "producer"), s.dave);
}

// ---- --verify ----

TEST(CliMergeVerify, NonMergeBlockIsRefused) {
  Scene s;
  for (const std::string& rev : {std::string("HEAD"), s.f2, std::string("master~1")}) {
    RunResult r = s.Run({"merge", "--verify", rev});
    EXPECT_EQ(r.code, 1) << rev;
    EXPECT_TRUE(Has(r.err, "is not a merge block (it has 1 parent(s))")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  RunResult g = s.Run({"merge", "--verify", "master@0", "--json"});
  EXPECT_EQ(g.code, 1);
  EXPECT_TRUE(Has(g.err, "is not a merge block (it has 0 parent(s))")) << g.err;
}

TEST(CliMergeVerify, WorksFromAnotherBranchAndReadsOnly) {
  Scene s;
  s.Must({"merge", "feature"});
  std::string m = s.Head();
  s.Must({"checkout", "feature"});
  s.Call({"mint", "erin", "1"});  // a pending tx on the checked-out branch
  std::string before = s.Snapshot();
  RunResult v = s.Run({"merge", "--verify", m});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.Pool(), 1);
}

// ---- merge-base ----

TEST(CliMergeBase, ForkBlockTextAndJson) {
  Scene s;
  EXPECT_EQ(s.Out({"merge-base", "master", "feature"}), s.base + "\n");
  EXPECT_EQ(s.Out({"merge-base", "feature", "master"}), s.base + "\n");
  EXPECT_EQ(s.Out({"merge-base", "master", "feature", "--json"}), "{\"base\": \"" + s.base + "\"}\n");
  // An ancestor is the base of itself and a descendant; a block its own.
  EXPECT_EQ(s.Out({"merge-base", "master~1", "feature"}), s.base + "\n");
  EXPECT_EQ(s.Out({"merge-base", "master", "master~1"}), s.base + "\n");
  EXPECT_EQ(s.Out({"merge-base", "master", "master"}), s.m2 + "\n");
  std::string genesis = JStr(s.Out({"show", "master@0", "--json"}), "id");
  EXPECT_EQ(s.Out({"merge-base", "master@0", "feature"}), genesis + "\n");
  // After the merge, the base of master and feature is feature's head.
  s.Must({"merge", "feature"});
  EXPECT_EQ(s.Out({"merge-base", "master", "feature"}), s.f2 + "\n");
}

// Criss-cross: a1 on master and b1 on b each merge the other's block, so
// master and b have two best common ancestors of equal height: the
// smallest id wins. Merging b into master then finds every source-only tx
// already in master's history (a1's tx was replayed into b's merge block):
// a merge block without txs, same state.
TEST(CliMergeBase, CrissCrossTieIsTheSmallestIdAndSharedTxsAreSkipped) {
  TokenRepo t(100);
  t.Commit("setup");
  t.Must({"branch", "b"});
  std::string tx_a = t.Call({"mint", "a1", "1"});
  std::string a1 = t.Commit("a1");
  t.Must({"checkout", "b"});
  std::string tx_b = t.Call({"mint", "b1", "1"});
  std::string b1 = t.Commit("b1");
  RunResult mb = t.Run({"merge", a1, "--json"});
  ASSERT_EQ(mb.code, 0) << mb.err;
  EXPECT_EQ(JRaw(mb.out, "applied"), "[\"" + tx_a + "\"]");
  t.Must({"checkout", "master"});
  RunResult ma = t.Run({"merge", b1, "--json"});
  ASSERT_EQ(ma.code, 0) << ma.err;
  EXPECT_EQ(JRaw(ma.out, "applied"), "[\"" + tx_b + "\"]");

  std::string smallest = std::min(a1, b1);
  EXPECT_EQ(t.Out({"merge-base", "master", "b"}), smallest + "\n");
  EXPECT_EQ(t.Out({"merge-base", "b", "master"}), smallest + "\n");

  auto before = t.Bal();
  EXPECT_EQ(before, t.Bal("b"));
  RunResult r = t.Run({"merge", "b", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JStr(r.out, "base"), smallest);
  EXPECT_EQ(JRaw(r.out, "applied"), "[]");
  EXPECT_EQ(JRaw(r.out, "excluded"), "[]");
  EXPECT_EQ(JRaw(r.out, "changes"), "[]");
  std::string show = t.Out({"show", "HEAD", "--json"});
  EXPECT_EQ(JRaw(show, "txs"), "[]");
  EXPECT_EQ(JNum(show, "height"), 4);
  EXPECT_EQ(t.Bal(), before);
  RunResult v = t.Run({"merge", "--verify", "HEAD"});
  EXPECT_EQ(v.code, 0) << v.err;
  t.ExpectFsckClean();
}

// ---- order of the replayed txs ----

// Several source-only blocks: their txs are replayed in block order, each
// seeing the previous ones' writes; one that fails on the target is
// excluded in place and the others still apply.
//   master: base (alice 100) -- m (alice -> carol 40)
//   src:    base -- s1 [mint x1 1, alice -> bob 30]
//                   -- s2 [alice -> bob 50 (fails on master: alice has 30), mint x2 2]
//                   -- s3 [alice -> carol 20, mint x3 3]
TEST(CliMergeOrder, SeveralSourceBlocksReplayInBlockOrder) {
  TokenRepo t(100);
  std::string base = t.Commit("setup");
  t.Must({"branch", "src"});
  t.Must({"checkout", "src"});
  std::vector<std::string> order;
  order.push_back(t.Call({"mint", "x1", "1"}));
  order.push_back(t.Call({"transfer", "bob", "30"}));
  std::string s1 = t.Commit("s1");
  order.push_back(t.Call({"transfer", "bob", "50"}));
  order.push_back(t.Call({"mint", "x2", "2"}));
  std::string s2 = t.Commit("s2");
  order.push_back(t.Call({"transfer", "carol", "20"}));
  order.push_back(t.Call({"mint", "x3", "3"}));
  std::string s3 = t.Commit("s3");
  t.Must({"checkout", "master"});
  t.Call({"transfer", "carol", "40"});
  std::string m = t.Commit("m");

  RunResult r = t.Run({"merge", "src"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string merged = t.Head();
  std::string expect = "Merged src into 'master': block " + merged + "\nbase " + base + "\n";
  for (size_t i : {0, 1, 3, 4, 5}) expect += "  applied   " + Short(order[i]) + "\n";
  expect += "  excluded  " + Short(order[2]) + "  " + kCheckError + "\n";
  expect += "5 applied, 1 excluded, 0 resolved\ntoken.accounts  +3 -0 ~3\n1 table, 6 rows changed\n";
  EXPECT_EQ(r.out, expect);

  std::string show = t.Out({"show", "HEAD", "--json"});
  auto txs = Objects(JRaw(show, "txs"));
  ASSERT_EQ(txs.size(), order.size()) << show;
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(JStr(txs[i], "txid"), order[i]) << "tx " << i;
    EXPECT_EQ(JStr(txs[i], "status"), i == 2 ? "excluded" : "applied") << "tx " << i;
  }
  EXPECT_EQ(JRaw(show, "parents"), "[\"" + m + "\", \"" + s3 + "\"]");
  EXPECT_EQ(JNum(show, "height"), 5);  // max(2, 4) + 1
  EXPECT_EQ(t.Bal(), (std::map<std::string, long long>{
                         {t.alice, 10}, {"bob", 30}, {"carol", 60}, {"x1", 1}, {"x2", 2}, {"x3", 3}}));
  // The source branch kept its own outcome (there, bob got 80).
  EXPECT_EQ(t.Bal("src")["bob"], 80);
  EXPECT_EQ(t.Out({"merge-base", "master~1", "src"}), base + "\n");
  EXPECT_EQ(t.Out({"merge-base", "HEAD^2", s2}), s2 + "\n");
  EXPECT_EQ(t.Out({"merge-base", "HEAD", s1}), s1 + "\n");

  // The merged state survives leaving and coming back (stored changes).
  std::string csv = t.Out({"query", kBalances, "--csv"});
  t.Must({"checkout", "src"});
  t.Must({"checkout", "master"});
  EXPECT_EQ(t.Out({"query", kBalances, "--csv"}), csv);
  EXPECT_EQ(t.Out({"query", kBalances, "--csv", "--at", merged}), csv);

  RunResult v = t.Run({"merge", "--verify", "HEAD"});
  EXPECT_EQ(v.code, 0) << v.err;
  t.ExpectFsckClean();

  // Work goes on after a merge: a new block on top of it.
  t.Call({"mint", "after", "1"});
  std::string next = t.Commit("after");
  EXPECT_EQ(JNum(t.Out({"show", next, "--json"}), "height"), 6);
  t.ExpectFsckClean();
}

// A source that deploys a contract: the deploy is replayed on the target
// and the contract's tables appear there; verify and fsck agree.
TEST(CliMergeOrder, SourceDeployIsReplayed) {
  TokenRepo t(10);
  t.Commit("setup");
  t.sb.Write("repo/notes.sql",
             "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"
             "CREATE FUNCTION put(id INTEGER, body TEXT) AS\n"
             "  INSERT INTO notes (id, body) VALUES (:id, :body);\nEND;\n");
  t.Must({"branch", "src"});
  t.Must({"checkout", "src"});
  t.Must({"deploy", "notes", "notes.sql"});
  t.Must({"call", "notes", "put", "1", "one"});
  t.Commit("notes");
  t.Must({"checkout", "master"});
  t.Call({"mint", "m", "1"});
  t.Commit("m");
  RunResult r = t.Run({"merge", "src", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Objects(JRaw(r.out, "excluded")).size(), 0u) << r.out;
  EXPECT_EQ(t.Out({"query", "SELECT id, body FROM notes.notes", "--csv"}), "id,body\n1,one\n");
  EXPECT_EQ(t.Bal()["m"], 1);
  RunResult v = t.Run({"merge", "--verify", "HEAD"});
  EXPECT_EQ(v.code, 0) << v.err;
  t.ExpectFsckClean();
}

// ---- message ----

// `merge -m` validates the message as commit does (at most 4096 bytes,
// valid UTF-8): a bad one is refused and nothing is written. (It was once
// cut at 4096 bytes inside a UTF-8 sequence, or taken invalid, and the
// merge block written could not be decoded.)
TEST(CliMergeMessage, ValidatedLikeCommits) {
  for (const std::string& msg : {std::string("bad\xff"), std::string(4095, 'a') + "\xc3\xa9"}) {
    Scene s;
    std::string before = s.Snapshot();
    RunResult r = s.Run({"merge", "feature", "-m", msg});
    if (r.code != 0) {
      EXPECT_EQ(r.code, 1) << r.err;
      EXPECT_EQ(s.Snapshot(), before);
    }
    RunResult show = s.Run({"show", "HEAD"});
    EXPECT_EQ(show.code, 0) << show.err;
    s.ExpectFsckClean();
  }
}

}  // namespace aergo::clitest
