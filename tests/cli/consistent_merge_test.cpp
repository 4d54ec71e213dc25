// Consistent merge through the CLI (docs/design.md §7): branches created with
// `--resolver=<contract>.<function>`, `branch --show`, merges whose failing
// replayed txs are handed to the resolver (receipts "resolved"), the
// resolver recorded in the merge block header, and merge --verify / fsck
// recomputing with it.
//
// Most tests start from the scenario (ConsScene): Alice holds 10 on
// master; a `merges` contract (kMergesContract) records what its resolver is
// handed. Branch `cons` (consistent merge) and `feature` fork there; feature
// sends Alice's 10 to Bob, master sends them to Carol and Dave opens an
// account. `cons` is fast-forwarded to master; merging feature into it then
// hands Bob's transfer to the resolver.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;

// The resolver contract: `resolve` records everything it is handed (and
// the :sender, :txid, :height and :block_time it sees); `refuse` fails; `bad` and `typed` have the
// wrong signature.
const char* kMergesContract =
    "CREATE TABLE conflicts (\n"
    "  txid TEXT PRIMARY KEY,\n"
    "  tx_contract TEXT NOT NULL,\n"
    "  tx_function TEXT NOT NULL,\n"
    "  args TEXT NOT NULL,\n"
    "  error TEXT NOT NULL,\n"
    "  sender TEXT NOT NULL,\n"
    "  env_txid TEXT NOT NULL,\n"
    "  height INTEGER NOT NULL,\n"
    "  block_time INTEGER NOT NULL\n"
    ");\n"
    "CREATE FUNCTION resolve(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS\n"
    "  INSERT INTO conflicts (txid, tx_contract, tx_function, args, error, sender, env_txid, height, block_time)\n"
    "    VALUES (:tx, :c, :f, :a, :e, :sender, :txid, :height, :block_time);\n"
    "END;\n"
    "CREATE FUNCTION refuse(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS\n"
    "  SELECT require(0, 'refused by resolver');\n"
    "END;\n"
    "CREATE FUNCTION bad(tx TEXT, c TEXT) AS\n"
    "  SELECT require(0, 'never');\n"
    "END;\n"
    "CREATE FUNCTION typed(tx TEXT, c TEXT, f TEXT, a TEXT, e INTEGER) AS\n"
    "  SELECT require(0, 'never');\n"
    "END;\n";

const char* kConflictsEnv = "SELECT height, block_time FROM merges.conflicts ORDER BY txid";
const char* kConflicts =
    "SELECT txid, tx_contract, tx_function, args, error, sender, env_txid FROM merges.conflicts ORDER BY txid";

// "YYYY-MM-DDTHH:MM:SSZ" (as show --json prints a block's time) in unix
// seconds, or -1.
long long UnixSeconds(const std::string& iso) {
  std::tm tm{};
  if (strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return -1;
  return static_cast<long long>(timegm(&tm));
}

// A sandbox with a token repository (see Init); commands run in the
// repository.
struct Repo : TokenSession {
  std::string alice, dave;  // addresses: alice is the signing key

  // alice deploys the token and the merges contract and holds
  // `alice_funds`; bob and carol have zero accounts; a second key "dave"
  // exists. Nothing committed.
  void Init(long long alice_funds) {
    alice = sb.InitTokenRepo();
    RunResult k = sb.Run({"key", "new", "dave", "--json"});
    EXPECT_EQ(k.code, 0) << k.err;
    dave = JStr(k.out, "address");
    sb.Write("repo/merges.sql", kMergesContract);
    Must({"deploy", "token", "token.sql"});
    Must({"deploy", "merges", "merges.sql"});
    Must({"call", "token", "open"});
    Must({"call", "token", "mint", alice, std::to_string(alice_funds)});
    Must({"call", "token", "mint", "bob", "0"});
    Must({"call", "token", "mint", "carol", "0"});
  }

  std::string Conflicts(const std::string& cwd = "") { return Out({"query", kConflicts, "--json"}, cwd); }
  // TokenSession's snapshot (status, history, balances, branches) and the
  // conflicts table.
  std::string Snapshot(const std::string& cwd = "") { return TokenSession::Snapshot(cwd) + Conflicts(cwd); }
  void ExpectVerified(const std::string& rev, const std::string& cwd = "") {
    RunResult v = cwd.empty() ? Run({"merge", "--verify", rev}) : sb.Run({"merge", "--verify", rev}, cwd);
    EXPECT_EQ(v.code, 0) << "merge --verify " << rev << ": " << v.out << v.err;
    EXPECT_TRUE(Has(v.out, "verified: tx list, receipts, changes and state root are identical")) << v.out;
  }
};

struct SceneIds {
  std::string base, f2, m2, to_bob, to_carol, dave_open;
};

// The scenario with consistent-merge branches, before the merge;
// `cons` is checked out, pools are empty.
//   base (h1: deploy token, deploy merges, alice 10, bob 0, carol 0)
//   feature: f2 = [to_bob: alice -> bob 10]
//   master:  m2 = [to_carol: alice -> carol 10, dave_open: dave opens]
//   cons   (resolver merges.resolve), fast-forwarded to m2
//   strict (resolver merges.refuse),  fast-forwarded to m2
// Built once, copied for each test.
struct ConsScene : Repo, SceneIds {
  ConsScene() {
    static const std::unique_ptr<ConsScene> tmpl(new ConsScene(Build{}));
    CopySandbox(tmpl->sb, sb);
    alice = tmpl->alice;
    dave = tmpl->dave;
    static_cast<SceneIds&>(*this) = *tmpl;
  }

  std::map<std::string, long long> Merged() const {
    return {{alice, 0}, {dave, 0}, {"bob", 0}, {"carol", 10}};
  }
  // The conflicts table after the resolver recorded Bob's transfer.
  std::string BobsConflict() const {
    return "[{\"txid\": \"" + to_bob +
           "\", \"tx_contract\": \"token\", \"tx_function\": \"transfer\", \"args\": \"[\\\"bob\\\",10]\", "
           "\"error\": \"" + kCheckError + "\", \"sender\": \"" + alice + "\", \"env_txid\": \"" + to_bob +
           "\"}]\n";
  }

 private:
  struct Build {};
  explicit ConsScene(Build) {
    Init(10);
    base = Commit("setup");
    Must({"branch", "cons", "--resolver=merges.resolve"});
    Must({"branch", "strict", "--resolver=merges.refuse"});
    Must({"branch", "feature"});
    Must({"checkout", "feature"});
    to_bob = Call({"transfer", "bob", "10"});
    f2 = Commit("to bob");
    Must({"checkout", "master"});
    to_carol = Call({"transfer", "carol", "10"});
    dave_open = Call({"open"}, {"--key", "dave"});
    m2 = Commit("to carol, dave opens");
    for (const char* b : {"strict", "cons"}) {
      Must({"checkout", b});
      RunResult ff = Run({"merge", "master", "--json"});
      EXPECT_EQ(ff.code, 0) << ff.err;
      EXPECT_EQ(JRaw(ff.out, "fast_forward"), "true") << ff.out;
      EXPECT_EQ(Head(), m2);
    }
  }
};

}  // namespace

// ---- the scenario, consistent ----

TEST(CliConsistentMerge, BobsTransferIsResolvedAndRecordedByTheResolver) {
  ConsScene s;
  EXPECT_EQ(s.Conflicts(), "[]\n");
  RunResult r = s.Run({"merge", "feature"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::string m = s.Head();
  ASSERT_TRUE(IsHex(m, 64)) << m;
  EXPECT_EQ(r.out, "Merged feature into 'cons': block " + m + "\nbase " + s.base +
                       "\nconsistent merge: failing txs go to resolver merges.resolve\n  resolved  " +
                       Short(s.to_bob) + "  " + kCheckError +
                       "\n0 applied, 0 excluded, 1 resolved\nmerges.conflicts  +1 -0 ~0\n1 table, 1 row changed\n");

  // The resolver was handed the tx id, the call, its args as canonical
  // JSON and the error, with the failed tx's sender and id.
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
  // :height and :block_time are the merge block's (height 3, the later
  // parent's time, in unix seconds).
  EXPECT_EQ(s.Out({"query", kConflictsEnv, "--csv"}),
            "height,block_time\n3," + std::to_string(UnixSeconds(JStr(s.Out({"show", "HEAD", "--json"}), "time"))) +
                "\n");
  // Balances are consistent: Bob's transfer did not apply.
  auto bal = s.Bal();
  EXPECT_EQ(bal, s.Merged());
  long long total = 0;
  for (const auto& [owner, b] : bal) total += b;
  EXPECT_EQ(total, 10);

  // The merge block records the resolver and the resolved receipt.
  std::string show = s.Out({"show", "HEAD", "--json"});
  EXPECT_EQ(JStr(show, "id"), m);
  EXPECT_EQ(JRaw(show, "resolver"), "\"merges.resolve\"");
  EXPECT_EQ(JRaw(show, "parents"), "[\"" + s.m2 + "\", \"" + s.f2 + "\"]");
  EXPECT_EQ(JNum(show, "height"), 3);
  EXPECT_EQ(JStr(show, "message"), "merge feature into cons");
  auto txs = Objects(JRaw(show, "txs"));
  ASSERT_EQ(txs.size(), 1u) << show;
  EXPECT_EQ(JStr(txs[0], "txid"), s.to_bob);
  EXPECT_EQ(JStr(txs[0], "status"), "resolved");
  EXPECT_EQ(JStr(txs[0], "error"), kCheckError);
  std::string text = s.Out({"show", "HEAD"});
  EXPECT_TRUE(Has(text, "\nResolver: merges.resolve\n")) << text;
  EXPECT_TRUE(Has(text, Short(s.to_bob) + " resolved  token.transfer(\"bob\", 10)  (" + kCheckError + ")"))
      << text;
  // The tx looked up by id is in two blocks: shown with one of them and
  // that block's receipt.
  std::string tx = s.Out({"show", s.to_bob, "--json"});
  if (JStr(tx, "block") == m) {
    EXPECT_EQ(JStr(tx, "status"), "resolved") << tx;
    EXPECT_EQ(JStr(tx, "error"), kCheckError) << tx;
  } else {
    EXPECT_EQ(JStr(tx, "block"), s.f2) << tx;
    EXPECT_EQ(JStr(tx, "status"), "applied") << tx;
  }
  // Non-merge blocks have no resolver.
  EXPECT_EQ(JRaw(s.Out({"show", s.m2, "--json"}), "resolver"), "null");
  EXPECT_FALSE(Has(s.Out({"show", s.m2}), "Resolver:"));
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD", "--stat", "--json"}),
            "[{\"table\": \"merges.conflicts\", \"insert\": 1, \"delete\": 0, \"update\": 0}]\n");

  s.ExpectFsckClean();
  s.ExpectVerified("HEAD");
  RunResult vj = s.Run({"merge", "--verify", "HEAD", "--json"});
  EXPECT_EQ(vj.code, 0) << vj.err;
  EXPECT_EQ(vj.out, "{\"block\": \"" + m + "\", \"identical\": true, \"differences\": []}\n");

  // master and feature are untouched; the branch keeps its policy.
  EXPECT_EQ(s.Bal("feature")["bob"], 10);
  EXPECT_EQ(s.Out({"query", kConflicts, "--json", "--at", "master"}), "[]\n");
  EXPECT_EQ(s.Out({"branch", "--show", "cons"}),
            "branch cons\nhead   " + m + "\nmerge  consistent, resolver merges.resolve\n");

  // The merged state survives leaving and coming back.
  s.Must({"checkout", "master"});
  s.Must({"checkout", "cons"});
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
  EXPECT_EQ(s.Bal(), s.Merged());
}

TEST(CliConsistentMerge, JsonReportAndAutomaticMergeOfTheSameHeads) {
  ConsScene s;
  // On master (automatic policy) the same merge excludes Bob's transfer.
  s.Must({"checkout", "master"});
  RunResult a = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(JRaw(a.out, "resolver"), "null");
  EXPECT_EQ(JRaw(a.out, "resolved"), "[]");
  EXPECT_EQ(JRaw(a.out, "excluded"), "[{\"txid\": \"" + s.to_bob + "\", \"error\": \"" + kCheckError + "\"}]");
  EXPECT_EQ(JRaw(s.Out({"show", "HEAD", "--json"}), "resolver"), "null");
  EXPECT_EQ(s.Conflicts(), "[]\n");

  s.Must({"checkout", "cons"});
  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string m = s.Head();
  EXPECT_EQ(r.out, "{\"block\": \"" + m +
                       "\", \"fast_forward\": false, \"up_to_date\": false, \"preview\": false, \"base\": \"" +
                       s.base + "\", \"resolver\": \"merges.resolve\", \"applied\": [], \"excluded\": [], "
                       "\"resolved\": [{\"txid\": \"" + s.to_bob + "\", \"error\": \"" + kCheckError +
                       "\"}], \"changes\": [{\"table\": \"merges.conflicts\", \"insert\": 1, \"delete\": 0, "
                       "\"update\": 0}]}\n");
  // Same parents and txs as master's merge block, different receipts and
  // state: the two merge blocks differ.
  std::string mm = JStr(s.Out({"show", "master", "--json"}), "id");
  EXPECT_NE(mm, m);
  EXPECT_NE(JStr(s.Out({"show", "master", "--json"}), "state_root"),
            JStr(s.Out({"show", "cons", "--json"}), "state_root"));
  s.ExpectFsckClean();
  s.ExpectVerified("master");
  s.ExpectVerified("cons");
}

// A copy of the repository merging the same heads with another key gets
// the same state root and receipts; both verify.
TEST(CliConsistentMerge, SecondCopyWithAnotherKeyGetsTheSameResult) {
  ConsScene s;
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
  EXPECT_EQ(ReplaceAll(r1.out, b1, "<block>"), ReplaceAll(r2.out, b2, "<block>"));
  EXPECT_EQ(JRaw(r2.out, "resolved"), "[{\"txid\": \"" + s.to_bob + "\", \"error\": \"" + kCheckError + "\"}]");

  std::string s1 = s.Out({"show", b1, "--json"});
  std::string s2 = s.Out({"show", b2, "--json"}, copy);
  for (const char* f : {"time", "tx_root", "receipt_root", "state_root", "message", "resolver"})
    EXPECT_EQ(JRaw(s1, f), JRaw(s2, f)) << f;
  EXPECT_EQ(JRaw(s1, "parents"), JRaw(s2, "parents"));
  EXPECT_EQ(ReplaceAll(JRaw(s1, "txs"), b1, "<block>"), ReplaceAll(JRaw(s2, "txs"), b2, "<block>"));
  EXPECT_EQ(JStr(s1, "producer"), s.alice);
  EXPECT_EQ(JStr(s2, "producer"), mallory);
  EXPECT_EQ(JRaw(s.Out({"show", b1, "--changes", "--json"}), "changes"),
            JRaw(s.Out({"show", b2, "--changes", "--json"}, copy), "changes"));
  // The resolver saw the failed tx's sender (alice), not the merger.
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
  EXPECT_EQ(s.Conflicts(copy), s.BobsConflict());
  EXPECT_EQ(s.Out({"query", kConflictsEnv, "--csv"}), s.Out({"query", kConflictsEnv, "--csv"}, copy));
  EXPECT_EQ(s.Bal(), s.Bal("", copy));

  s.ExpectVerified(b1);
  s.ExpectVerified(b2, copy);
  s.ExpectFsckClean();
  s.ExpectFsckClean(copy);
}

// A resolver that fails too: the tx is excluded with both errors.
TEST(CliConsistentMerge, FailingResolverExcludesTheTx) {
  ConsScene s;
  s.Must({"checkout", "strict"});
  std::string excl = std::string(kCheckError) + "; resolver merges.refuse failed: refused by resolver";
  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string m = s.Head();
  EXPECT_EQ(r.out, "{\"block\": \"" + m +
                       "\", \"fast_forward\": false, \"up_to_date\": false, \"preview\": false, \"base\": \"" +
                       s.base + "\", \"resolver\": \"merges.refuse\", \"applied\": [], \"excluded\": [{\"txid\": \"" +
                       s.to_bob + "\", \"error\": \"" + excl + "\"}], \"resolved\": [], \"changes\": []}\n");
  std::string show = s.Out({"show", "HEAD", "--json"});
  EXPECT_EQ(JRaw(show, "resolver"), "\"merges.refuse\"");
  auto txs = Objects(JRaw(show, "txs"));
  ASSERT_EQ(txs.size(), 1u) << show;
  EXPECT_EQ(JStr(txs[0], "status"), "excluded");
  EXPECT_EQ(JStr(txs[0], "error"), excl);
  EXPECT_EQ(s.Bal(), s.Merged());
  EXPECT_EQ(s.Conflicts(), "[]\n");
  EXPECT_EQ(s.Out({"diff", "HEAD~1", "HEAD"}), "");
  s.ExpectFsckClean();
  s.ExpectVerified("HEAD");
}

// Txs that apply are applied, whatever the policy; only the failing one
// reaches the resolver, in replay order.
TEST(CliConsistentMerge, OnlyFailingTxsReachTheResolver) {
  ConsScene s;
  s.Must({"checkout", "feature"});
  std::string erin = s.Call({"mint", "erin", "5"});
  s.Commit("erin");
  s.Must({"checkout", "cons"});
  EXPECT_EQ(s.Pool(), 0);
  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JRaw(r.out, "applied"), "[\"" + erin + "\"]");
  EXPECT_EQ(JRaw(r.out, "excluded"), "[]");
  EXPECT_EQ(JRaw(r.out, "resolved"), "[{\"txid\": \"" + s.to_bob + "\", \"error\": \"" + kCheckError + "\"}]");
  std::string show = s.Out({"show", "HEAD", "--json"});
  auto txs = Objects(JRaw(show, "txs"));
  ASSERT_EQ(txs.size(), 2u) << show;
  EXPECT_EQ(JStr(txs[0], "txid"), s.to_bob);
  EXPECT_EQ(JStr(txs[0], "status"), "resolved");
  EXPECT_EQ(JStr(txs[1], "txid"), erin);
  EXPECT_EQ(JStr(txs[1], "status"), "applied");
  EXPECT_EQ(JRaw(txs[1], "error"), "null") << txs[1];
  auto bal = s.Merged();
  bal["erin"] = 5;
  EXPECT_EQ(s.Bal(), bal);
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
  s.ExpectFsckClean();
  s.ExpectVerified("HEAD");
}

// --preview of a consistent merge reports the resolved tx and writes
// nothing: head, state and the conflicts table are unchanged.
TEST(CliConsistentMerge, PreviewReportsResolvedAndWritesNothing) {
  ConsScene s;
  std::string before = s.Snapshot();
  RunResult p = s.Run({"merge", "feature", "--preview"});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(p.out, "Would merge feature into 'cons' (nothing written)\nbase " + s.base +
                       "\nconsistent merge: failing txs go to resolver merges.resolve\n  resolved  " +
                       Short(s.to_bob) + "  " + kCheckError +
                       "\n0 applied, 0 excluded, 1 resolved\nmerges.conflicts  +1 -0 ~0\n1 table, 1 row changed\n");
  RunResult pj = s.Run({"merge", "feature", "--preview", "--json"});
  ASSERT_EQ(pj.code, 0) << pj.err;
  EXPECT_EQ(pj.out, "{\"block\": null, \"fast_forward\": false, \"up_to_date\": false, \"preview\": true, "
                    "\"base\": \"" + s.base + "\", \"resolver\": \"merges.resolve\", \"applied\": [], "
                    "\"excluded\": [], \"resolved\": [{\"txid\": \"" + s.to_bob + "\", \"error\": \"" +
                    kCheckError + "\"}], \"changes\": [{\"table\": \"merges.conflicts\", \"insert\": 1, "
                    "\"delete\": 0, \"update\": 0}]}\n");
  EXPECT_EQ(s.Snapshot(), before) << "--preview wrote something";
  EXPECT_EQ(s.Head(), s.m2);
  EXPECT_EQ(s.Conflicts(), "[]\n");
  EXPECT_EQ(s.Out({"diff"}), "");
  EXPECT_EQ(s.Pool(), 0);
  s.ExpectFsckClean();

  // The real merge does what the preview said.
  RunResult r = s.Run({"merge", "feature", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"base", "resolver", "applied", "excluded", "resolved", "changes"})
    EXPECT_EQ(JRaw(pj.out, f), JRaw(r.out, f)) << f;
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
}

// merge --verify and fsck use the resolver recorded in the block, not the
// branch's current policy: deleting the branch and recreating it without
// a resolver changes nothing for the sealed merge block.
TEST(CliConsistentMerge, VerifyUsesTheRecordedResolverAfterThePolicyIsGone) {
  ConsScene s;
  s.Must({"merge", "feature"});
  std::string m = s.Head();
  s.Must({"checkout", "master"});
  s.Must({"branch", "-d", "cons"});
  RunResult gone = s.Run({"branch", "--show", "cons"});
  EXPECT_EQ(gone.code, 1);
  EXPECT_EQ(gone.err, "aergo: error: branch 'cons' not found\n");
  s.Must({"branch", "cons", "--block=" + m});
  EXPECT_EQ(s.Out({"branch", "--show", "cons", "--json"}),
            "{\"name\": \"cons\", \"block\": \"" + m + "\", \"policy\": \"automatic\", \"resolver\": null, \"private\": false}\n");
  s.ExpectVerified(m);
  s.ExpectFsckClean();
  EXPECT_EQ(JRaw(s.Out({"show", m, "--json"}), "resolver"), "\"merges.resolve\"");
  EXPECT_EQ(s.Out({"query", kConflicts, "--json", "--at", m}), s.BobsConflict());
  // Checking the recreated branch out rebuilds the state with the
  // recorded resolver's writes.
  s.Must({"checkout", "cons"});
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
  // A merge into the recreated (automatic) branch excludes instead.
  s.Must({"branch", "other", "--block=" + s.base});
  s.Must({"checkout", "other"});
  s.Call({"transfer", "carol", "10"});
  s.Commit("other");
  s.Must({"checkout", "cons"});
  s.Must({"reset"});
  RunResult r = s.Run({"merge", "other", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JRaw(r.out, "resolver"), "null");
  EXPECT_EQ(JRaw(r.out, "resolved"), "[]");
  EXPECT_EQ(Objects(JRaw(r.out, "excluded")).size(), 1u) << r.out;
  EXPECT_EQ(s.Conflicts(), s.BobsConflict());
  s.ExpectVerified("HEAD");
}

// The resolver gets the args as canonical JSON: no spaces, text escaped,
// reals with a fraction (a whole REAL as 1.0), blobs as {"blob": hex}.
TEST(CliConsistentMerge, ResolverGetsCanonicalJsonArgs) {
  ConsScene s;
  s.sb.Write("repo/items.sql",
             "CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT, w REAL, b BLOB);\n"
             "CREATE FUNCTION put(id INTEGER, body TEXT, w REAL, b BLOB) AS\n"
             "  INSERT INTO items (id, body, w, b) VALUES (:id, :body, :w, :b);\nEND;\n");
  s.Must({"deploy", "items", "items.sql"});
  s.Commit("items");
  s.Must({"branch", "fi"});
  s.Must({"checkout", "fi"});
  s.Must({"call", "items", "put", "1", "say \"hi\", \\ \xc3\xa9", "2.5", "0x00ff"});
  s.Must({"call", "items", "put", "2", "x", "1", "x''"});
  s.Commit("fi");
  s.Must({"checkout", "cons"});
  s.Must({"call", "items", "put", "1", "mine", "0", "0x00"});
  s.Must({"call", "items", "put", "2", "mine", "0", "0x00"});
  s.Commit("cons");
  RunResult r = s.Run({"merge", "fi", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto resolved = Objects(JRaw(r.out, "resolved"));
  ASSERT_EQ(resolved.size(), 2u) << r.out;
  for (const auto& t : resolved) EXPECT_EQ(JStr(t, "error"), "UNIQUE constraint failed: items.items.id") << t;
  EXPECT_EQ(s.Out({"query", "SELECT args FROM merges.conflicts WHERE tx_contract = 'items' ORDER BY args", "--json"}),
            "[{\"args\": \"[1,\\\"say \\\\\\\"hi\\\\\\\", \\\\\\\\ \xc3\xa9\\\",2.5,{\\\"blob\\\":\\\"00ff\\\"}]\"}, "
            "{\"args\": \"[2,\\\"x\\\",1.0,{\\\"blob\\\":\\\"\\\"}]\"}]\n");
  EXPECT_EQ(s.Out({"query", "SELECT id, body FROM items.items ORDER BY id", "--csv"}), "id,body\n1,mine\n2,mine\n");
  s.ExpectVerified("HEAD");
  s.ExpectFsckClean();
}

// A tx that a consistent merge resolved stays resolved when the branch it
// was resolved on is merged elsewhere: the settlement travels with the
// history (the same resolver is called with the same error, the tx is not
// run again), even on a branch where the tx itself would succeed — and the
// target's own policy (automatic here) does not matter.
TEST(CliConsistentMerge, ResolutionTravelsWithTheHistory) {
  ConsScene s;
  s.Must({"merge", "feature"});
  std::string m = s.Head();
  std::string on_cons = s.Conflicts();
  s.Must({"branch", "rich", "--block=" + s.base});
  s.Must({"checkout", "rich"});
  s.Call({"mint", s.alice, "10"});  // alice 20 here: the transfer to bob would apply
  std::string r1 = s.Commit("more for alice");
  RunResult r = s.Run({"merge", "cons", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(JRaw(r.out, "resolver"), "null");
  EXPECT_EQ(JRaw(r.out, "applied"), "[\"" + s.to_carol + "\", \"" + s.dave_open + "\"]");
  EXPECT_EQ(JRaw(r.out, "excluded"), "[]");
  EXPECT_EQ(JRaw(r.out, "resolved"), "[{\"txid\": \"" + s.to_bob + "\", \"error\": \"" + kCheckError + "\"}]");
  std::string show = s.Out({"show", "HEAD", "--json"});
  EXPECT_EQ(JRaw(show, "parents"), "[\"" + r1 + "\", \"" + m + "\"]");
  EXPECT_EQ(JRaw(show, "resolver"), "null");  // the policy of this merge: automatic
  EXPECT_EQ(s.Bal(), (std::map<std::string, long long>{{s.alice, 10}, {s.dave, 0}, {"bob", 0}, {"carol", 10}}));
  // The resolver ran again here, with the same tx, call and error (only
  // the block it ran in differs).
  EXPECT_EQ(s.Conflicts(), on_cons);
  s.ExpectVerified("HEAD");
  s.ExpectFsckClean();
}

// ---- branch --resolver and branch --show ----

TEST(CliConsistentBranch, CreateShowAndJson) {
  ConsScene s;
  RunResult c = s.Run({"branch", "c1", "--resolver=merges.resolve"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out, "Created branch c1 at " + Short(s.m2) + " (consistent merge, resolver merges.resolve)\n");
  EXPECT_EQ(c.err, "");
  RunResult cj = s.Run({"branch", "c2", "--resolver", "merges.resolve", "--block", s.base, "--json"});
  ASSERT_EQ(cj.code, 0) << cj.err;
  EXPECT_EQ(cj.out, "{\"name\": \"c2\", \"block\": \"" + s.base + "\", \"resolver\": \"merges.resolve\", \"private\": false}\n");
  RunResult aj = s.Run({"branch", "plain", "--json"});
  ASSERT_EQ(aj.code, 0) << aj.err;
  EXPECT_EQ(aj.out, "{\"name\": \"plain\", \"block\": \"" + s.m2 + "\", \"resolver\": null, \"private\": false}\n");
  RunResult q = s.Run({"-q", "branch", "c3", "--resolver=merges.resolve"});
  EXPECT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(q.out, "");

  EXPECT_EQ(s.Out({"branch", "--show", "c1"}),
            "branch c1\nhead   " + s.m2 + "\nmerge  consistent, resolver merges.resolve\n");
  EXPECT_EQ(s.Out({"branch", "--show", "c2", "--json"}),
            "{\"name\": \"c2\", \"block\": \"" + s.base +
                "\", \"policy\": \"consistent\", \"resolver\": \"merges.resolve\", \"private\": false}\n");
  EXPECT_EQ(s.Out({"branch", "--show", "strict"}),
            "branch strict\nhead   " + s.m2 + "\nmerge  consistent, resolver merges.refuse\n");
  for (const auto& [b, head] : std::vector<std::pair<std::string, std::string>>{
           {"plain", s.m2}, {"master", s.m2}, {"feature", s.f2}}) {
    EXPECT_EQ(s.Out({"branch", "--show", b}), "branch " + b + "\nhead   " + head + "\nmerge  automatic\n");
    EXPECT_EQ(s.Out({"branch", "--show", b, "--json"}),
              "{\"name\": \"" + b + "\", \"block\": \"" + head + "\", \"policy\": \"automatic\", \"resolver\": null, \"private\": false}\n");
  }
  // The list does not change shape.
  EXPECT_TRUE(Has(s.Out({"branch"}), "  c1  " + Short(s.m2) + "\n")) << s.Out({"branch"});
  EXPECT_TRUE(Has(s.Out({"branch"}), "* cons  " + Short(s.m2) + "\n")) << s.Out({"branch"});

  // --show reads only: an unknown branch (or a tag) is an error.
  s.Must({"tag", "v1"});
  std::string before = s.Out({"branch", "--json"});
  for (const std::string& name : {std::string("nosuch"), std::string("v1")}) {
    for (std::vector<std::string> args : {std::vector<std::string>{"branch", "--show", name},
                                          {"branch", "--show", name, "--json"}}) {
      RunResult r = s.Run(args);
      EXPECT_EQ(r.code, 1) << Joined(args);
      EXPECT_EQ(r.err, "aergo: error: branch '" + name + "' not found\n");
      EXPECT_EQ(r.out, "");
    }
  }
  EXPECT_EQ(s.Out({"branch", "--json"}), before);

  // The checked-out branch cannot be deleted; its policy stays.
  RunResult d = s.Run({"branch", "-d", "cons"});
  EXPECT_EQ(d.code, 1);
  EXPECT_EQ(d.err, "aergo: error: cannot delete branch 'cons': it is checked out\n");
  EXPECT_EQ(JStr(s.Out({"branch", "--show", "cons", "--json"}), "policy"), "consistent");
  // Delete + recreate without --resolver: automatic (-d and -D alike).
  s.Must({"branch", "-d", "c1"});
  s.Must({"branch", "c1"});
  EXPECT_EQ(s.Out({"branch", "--show", "c1"}), "branch c1\nhead   " + s.m2 + "\nmerge  automatic\n");
  s.Must({"branch", "-D", "c2"});
  s.Must({"branch", "c2", "--block=" + s.base});
  EXPECT_EQ(s.Out({"branch", "--show", "c2", "--json"}),
            "{\"name\": \"c2\", \"block\": \"" + s.base + "\", \"policy\": \"automatic\", \"resolver\": null, \"private\": false}\n");
  // And recreating with a resolver gives it (another one) back.
  s.Must({"branch", "-d", "c2"});
  s.Must({"branch", "c2", "--resolver=merges.refuse"});
  EXPECT_EQ(JRaw(s.Out({"branch", "--show", "c2", "--json"}), "resolver"), "\"merges.refuse\"");
}

TEST(CliConsistentBranch, RefusalsCreateNothing) {
  ConsScene s;
  // A contract deployed only after m2: first pending (the merge pool plays
  // no part in the check), then committed.
  s.sb.Write("repo/late.sql",
             "CREATE TABLE seen (txid TEXT PRIMARY KEY);\n"
             "CREATE FUNCTION resolve(tx TEXT, c TEXT, f TEXT, a TEXT, e TEXT) AS\n"
             "  INSERT INTO seen (txid) VALUES (:tx);\nEND;\n");
  s.Must({"deploy", "late", "late.sql"});
  std::string before = s.Snapshot();
  RunResult pending = s.Run({"branch", "x", "--resolver=late.resolve"});
  EXPECT_EQ(pending.code, 1);
  EXPECT_EQ(pending.err,
            "aergo: error: resolver 'late.resolve': contract 'late' is not deployed at block " + Short(s.m2) + "\n");
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.Pool(), 1);
  std::string h3 = s.Commit("late");
  before = s.Snapshot();

  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  std::vector<Case> cases = {
      {{"branch", "x", "--resolver=Bad"}, "invalid resolver 'Bad': expected <contract>.<function>"},
      {{"branch", "x", "--resolver=merges"}, "invalid resolver 'merges': expected <contract>.<function>"},
      {{"branch", "x", "--resolver=merges.resolve.x"},
       "invalid resolver 'merges.resolve.x': expected <contract>.<function>"},
      {{"branch", "x", "--resolver=.resolve"}, "invalid resolver '.resolve': expected <contract>.<function>"},
      {{"branch", "x", "--resolver=merges."}, "invalid resolver 'merges.': expected <contract>.<function>"},
      {{"branch", "x", "--resolver=aergo.contracts"},
       "invalid resolver 'aergo.contracts': expected <contract>.<function>"},
      {{"branch", "x", "--resolver=merges.nope"}, "resolver 'merges.nope': contract 'merges' has no function 'nope'"},
      {{"branch", "x", "--resolver=nope.r"},
       "resolver 'nope.r': contract 'nope' is not deployed at block " + Short(h3)},
      {{"branch", "x", "--resolver=merges.bad"},
       "resolver 'merges.bad' must take (txid TEXT, contract TEXT, function TEXT, args TEXT, error TEXT); "
       "it is declared bad(tx TEXT, c TEXT)"},
      {{"branch", "x", "--resolver=merges.typed", "--json"},
       "resolver 'merges.typed' must take (txid TEXT, contract TEXT, function TEXT, args TEXT, error TEXT); "
       "it is declared typed(tx TEXT, c TEXT, f TEXT, a TEXT, e INTEGER)"},
      // Checked against the state at --block: late is not deployed there.
      {{"branch", "x", "--block=" + s.base, "--resolver=late.resolve"},
       "resolver 'late.resolve': contract 'late' is not deployed at block " + Short(s.base)},
      {{"branch", "x", "--block=master", "--resolver=late.resolve", "--json"},
       "resolver 'late.resolve': contract 'late' is not deployed at block " + Short(s.m2)},
      {{"branch", "x", "--block=HEAD~1", "--resolver=late.resolve"},
       "resolver 'late.resolve': contract 'late' is not deployed at block " + Short(s.m2)},
      // The branch name is checked first.
      {{"branch", "master", "--resolver=merges.resolve"}, "branch 'master' already exists"},
      {{"branch", "master", "--resolver=Bad"}, "branch 'master' already exists"},
      {{"branch", "Bad!", "--resolver=Bad"}, "invalid branch name 'Bad!'"},
  };
  for (const auto& c : cases) {
    RunResult r = s.Run(c.args);
    EXPECT_EQ(r.code, 1) << Joined(c.args) << r.out << r.err;
    EXPECT_EQ(r.err, "aergo: error: " + c.error + "\n") << Joined(c.args);
    EXPECT_EQ(r.out, "") << Joined(c.args);
  }
  RunResult show = s.Run({"branch", "--show", "x"});
  EXPECT_EQ(show.code, 1) << "branch x was created";
  EXPECT_EQ(s.Snapshot(), before);

  // Usage errors (exit 2): --resolver without a name, or without a branch
  // to create.
  std::vector<std::vector<std::string>> usage = {
      {"branch", "x", "--resolver"}, {"branch", "x", "--resolver="}, {"branch", "--resolver=merges.resolve"},
      {"branch", "-d", "x", "--resolver=merges.resolve"}, {"branch", "--show", "master", "--resolver=merges.resolve"},
      {"branch", "x", "--show", "master"}};
  for (const auto& args : usage) {
    RunResult r = s.Run(args);
    EXPECT_EQ(r.code, 2) << Joined(args) << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: ")) << Joined(args) << r.err;
    EXPECT_TRUE(Has(r.err, "usage: aergo branch")) << Joined(args) << r.err;
    EXPECT_EQ(r.out, "") << Joined(args);
  }
  // Tags have no merge policy.
  RunResult tag = s.Run({"tag", "v9", "--resolver=merges.resolve"});
  EXPECT_EQ(tag.code, 2) << tag.err;
  EXPECT_TRUE(Has(tag.err, "usage: aergo tag")) << tag.err;
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.Out({"tag", "--json"}), "[]\n");

  // At h3 (HEAD) late is deployed: accepted.
  RunResult ok = s.Run({"branch", "x", "--resolver=late.resolve", "--json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "{\"name\": \"x\", \"block\": \"" + h3 + "\", \"resolver\": \"late.resolve\", \"private\": false}\n");
}

}  // namespace aergo::clitest
