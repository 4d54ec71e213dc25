// call, show and query with --remote, against an `aergo daemon` child
// process on 127.0.0.1:0 and against a local path (no daemon); the daemon's
// ledger routes in raw HTTP (POST /<repo>/txs, GET /<repo>/txs/<id>,
// GET /<repo>/blocks/<rev>, POST /<repo>/query): roles, malformed bodies,
// refused txs, concurrent signed submissions on kept-alive connections,
// private branches, and the block producer (--block-interval).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/objects.h"
#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// The daemon's answers are compact JSON; nullptr-valued json if not JSON.
json Parse(const std::string& body) { return json::parse(body, nullptr, false); }

// The origin of OriginScene (private by default; alice admin, bob no
// role, block 1 `funded`), served by a daemon once Start()ed; developers
// clone it into work/<name>. Initializes the crypto library first, for
// the txs and signatures the tests make themselves.
struct LedgerScene : OriginScene {
  explicit LedgerScene(bool is_public = false) : OriginScene(CryptoReady(is_public)) {}

  // Initializes the crypto library (before the base's setup); returns
  // is_public.
  static bool CryptoReady(bool is_public) {
    EXPECT_TRUE(CryptoInit().ok());
    return is_public;
  }
  // Clones `url` (default: the daemon's) into work/<name>, signed by alice.
  void MustClone(const std::string& name, const std::string& url = "") {
    RunResult r = sb.Run({"clone", url.empty() ? Url() : url, name}, sb.work(), As("alice"));
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // The origin's chain id: its genesis block, the first parent of block 1.
  Hash32 ChainId() {
    std::string out = Out({"show", funded, "--json"});
    std::string parents = JRaw(out, "parents");
    Hash32 id{};
    EXPECT_TRUE(parents.size() > 66 && FromHex(parents.substr(2, 64), &id)) << out;
    return id;
  }
  // A signed call of token.<fn> on chain `chain`.
  static Tx MakeCall(const SecretKey& key, const Hash32& chain, const std::string& fn, std::vector<Value> args) {
    static std::atomic<uint64_t> salt{1};
    Tx tx;
    tx.kind = TxKind::kCall;
    tx.chain_id = chain;
    tx.sender = key.public_key();
    tx.time_ms = SystemClock().NowMs();
    uint64_t s = salt++;
    for (int i = 0; i < 8; ++i) tx.salt[i] = static_cast<uint8_t>(s >> (8 * i));
    tx.contract = "token";
    tx.function = fn;
    tx.args = std::move(args);
    tx.Sign(key);
    return tx;
  }
  // {"txs": [hex...]}
  static std::string Body(const std::vector<Tx>& txs) {
    json a = json::array();
    for (const auto& tx : txs) a.push_back(ToHex(tx.Encode()));
    return json{{"txs", a}}.dump();
  }
  HttpReply Signed(const SecretKey& key, const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return Http(Port(), method, target, body, Auth(key, method, target, body));
  }
  // Waits up to `limit` for `done`.
  static bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto deadline = SteadyClock::now() + limit;
    while (!done()) {
      if (SteadyClock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
};

// "<url> refused <what> (HTTP <status>): "
std::string Refused(const std::string& url, const std::string& what, int status) {
  return url + " refused " + what + " (HTTP " + std::to_string(status) + "): ";
}

TEST(LedgerRemote, CallOverHttpKeepsTheTxInTheDaemonsPool) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  std::string head = s.Head();
  ASSERT_EQ(s.Pool(), 0);

  // Text: the receipt line, as a local call prints it.
  RunResult r = s.In("dev", {"call", "token", "mint", s.bob, "7", "--remote", "origin"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  std::string tx1 = r.out.substr(0, 64);
  EXPECT_TRUE(IsHex(tx1, 64)) << r.out;
  EXPECT_EQ(r.out, tx1 + " ok\n");
  // --json: the receipt object. The tx is pre-executed on the daemon's
  // state, where bob now has an account (the clone's state has none).
  RunResult j = s.In("dev", {"call", "token", "transfer", s.bob, "5", "--remote", "origin", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  std::string tx2 = JStr(j.out, "txid");
  EXPECT_EQ(j.out, "{\"txid\": \"" + tx2 + "\", \"status\": \"ok\", \"error\": null}\n");

  // Both pending on the daemon's repository, none in the clone.
  EXPECT_EQ(s.Pool(), 2);
  EXPECT_EQ(s.Head(), head);
  RunResult dev_status = s.In("dev", {"status", "--json"});
  EXPECT_EQ(JNum(dev_status.out, "pool"), 0) << dev_status.out;
  std::string local = s.Out({"show", tx2});
  EXPECT_TRUE(Has(local, "Block:    (pending in the merge pool)")) << local;
  EXPECT_TRUE(Has(local, "Call:     token.transfer(\"" + s.bob + "\", 5)")) << local;
  EXPECT_TRUE(Has(s.Out({"show", tx1}), "Call:     token.mint(\"" + s.bob + "\", 7)"));
  // The live state of the origin has them applied.
  auto bal = s.Bal();
  EXPECT_EQ(bal[s.alice], 95);
  EXPECT_EQ(bal[s.bob], 12);

  // show --remote: the same text and JSON as show on the origin.
  RunResult shown = s.In("dev", {"show", "--remote", "origin", tx2});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(shown.out, local);
  RunResult shown_json = s.In("dev", {"show", "--remote", "origin", tx2.substr(0, 10), "--json"});
  ASSERT_EQ(shown_json.code, 0) << shown_json.err;
  EXPECT_EQ(shown_json.out, s.Out({"show", tx2, "--json"}));
  EXPECT_EQ(JRaw(shown_json.out, "block"), "null");
  EXPECT_EQ(JStr(shown_json.out, "sender"), s.alice);
  // The signed requests reached the daemon as alice's.
  EXPECT_TRUE(s.daemon->Logged("POST /repo/txs 200")) << s.daemon->Err();
  EXPECT_TRUE(s.daemon->Logged("GET /repo/txs/" + tx2.substr(0, 10) + " 200")) << s.daemon->Err();
}

TEST(LedgerRemote, FailingRemoteCallExitsOneAndKeepsNothing) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  std::string before = s.Snapshot();
  RunResult r = s.In("dev", {"call", "token", "transfer", s.alice, "1000", "--remote", "origin"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, std::string("aergo: error: call token.transfer failed: ") + kCheckError + "\n");
  // --json prints the failed receipt too.
  RunResult j = s.In("dev", {"call", "token", "transfer", s.alice, "0", "--remote", "origin", "--json"});
  EXPECT_EQ(j.code, 1);
  EXPECT_EQ(JStr(j.out, "status"), "failed") << j.out;
  EXPECT_EQ(JStr(j.out, "error"), "amount must be positive") << j.out;
  EXPECT_TRUE(Has(j.err, "aergo: error: call token.transfer failed: amount must be positive")) << j.err;
  // Nothing kept on the origin, nothing in the clone.
  EXPECT_EQ(s.Pool(), 0);
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(JNum(s.In("dev", {"status", "--json"}).out, "pool"), 0);
  // The failed tx is nowhere to be shown.
  RunResult gone = s.In("dev", {"show", "--remote", "origin", JStr(j.out, "txid")});
  EXPECT_EQ(gone.code, 1);
  EXPECT_TRUE(Has(gone.err, "unknown revision or tx '" + JStr(j.out, "txid") + "' on " + s.Url())) << gone.err;
}

TEST(LedgerRemote, BatchOverHttpPrintsOneReceiptPerLine) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  s.sb.Write("ok.txt", "token mint u1 1\ntoken mint u2 2\ntoken mint u3 3\n");
  RunResult ok = s.In("dev", {"call", "--batch", s.sb.work() + "/ok.txt", "--remote", "origin"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  std::vector<std::string> lines = Lines(ok.out);
  ASSERT_EQ(lines.size(), 3u) << ok.out;
  for (const auto& l : lines) {
    EXPECT_TRUE(IsHex(l.substr(0, 64), 64)) << l;
    EXPECT_EQ(l.substr(64), " ok");
  }
  EXPECT_EQ(s.Pool(), 3);
  // The first line's tx is the mint to u1.
  EXPECT_TRUE(Has(s.Out({"show", lines[0].substr(0, 64)}), "token.mint(\"u1\", 1)"));

  // A failing line: exit 1, the others are kept in the remote's pool.
  s.sb.Write("bad.txt", "token mint v1 1\ntoken transfer " + s.alice + " 5000\ntoken mint v2 2\n");
  RunResult bad = s.In("dev", {"call", "--batch", s.sb.work() + "/bad.txt", "--remote", "origin"});
  EXPECT_EQ(bad.code, 1);
  lines = Lines(bad.out);
  ASSERT_EQ(lines.size(), 3u) << bad.out;
  EXPECT_EQ(lines[0].substr(64), " ok");
  EXPECT_EQ(lines[1].substr(64), std::string(" failed: ") + kCheckError);
  EXPECT_EQ(lines[2].substr(64), " ok");
  EXPECT_EQ(bad.err,
            "aergo: error: some calls in the batch failed; they were not kept (the others are in the remote's "
            "merge pool)\n");
  EXPECT_EQ(s.Pool(), 5);
  auto bal = s.Bal();
  EXPECT_EQ(bal["v1"], 1);
  EXPECT_EQ(bal["v2"], 2);
  EXPECT_EQ(bal[s.alice], 100);
  // --json: an array of receipts.
  RunResult bj = s.In("dev", {"call", "--batch", s.sb.work() + "/bad.txt", "--remote", "origin", "--json"});
  EXPECT_EQ(bj.code, 1);
  std::vector<std::string> objs = Objects(bj.out);
  ASSERT_EQ(objs.size(), 3u) << bj.out;
  EXPECT_EQ(JStr(objs[1], "status"), "failed");
  EXPECT_EQ(JStr(objs[1], "error"), kCheckError);
  EXPECT_EQ(s.Pool(), 7);
  EXPECT_EQ(JNum(s.In("dev", {"status", "--json"}).out, "pool"), 0);
}

TEST(LedgerRemote, SubmissionRouteRolesBodiesAndRefusedTxs) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  SecretKey alice = s.Key("alice"), bob = s.Key("bob");
  Hash32 chain = s.ChainId();
  Tx mint = LedgerScene::MakeCall(alice, chain, "mint", {Value::Text("w1"), Value::Integer(3)});
  std::string body = LedgerScene::Body({mint});

  // Unsigned: 401, the role named.
  HttpReply anon = Http(s.Port(), "POST", "/repo/txs", body);
  EXPECT_EQ(anon.status, 401) << anon.body;
  json a = Parse(anon.body);
  EXPECT_EQ(a["role"], "write") << anon.body;
  EXPECT_TRUE(Has(a["error"].get<std::string>(), "write")) << anon.body;
  // Signed by a key without a role: 403.
  HttpReply none = s.Signed(bob, "POST", "/repo/txs", body);
  EXPECT_EQ(none.status, 403) << none.body;
  EXPECT_EQ(Parse(none.body)["role"], "write") << none.body;
  EXPECT_TRUE(Has(none.body, s.bob + " lacks the write role on repo (it has no role there)")) << none.body;
  // With read only: still 403.
  s.Must({"access", "grant", s.bob, "read"});
  s.Commit("bob reads");
  HttpReply ro = s.Signed(bob, "POST", "/repo/txs", body);
  EXPECT_EQ(ro.status, 403) << ro.body;
  EXPECT_EQ(Parse(ro.body)["role"], "write") << ro.body;
  EXPECT_TRUE(Has(ro.body, s.bob + " lacks the write role on repo (it has read)")) << ro.body;
  EXPECT_EQ(s.Pool(), 0);

  // Malformed bodies: 400, even from a writer.
  for (const std::string& b : {std::string("not json"), std::string("{\"txs\":[]}"), std::string("{\"txs\":[\"abc\"]}"),
                               std::string("{\"txs\":[7]}")}) {
    HttpReply bad = s.Signed(alice, "POST", "/repo/txs", b);
    EXPECT_EQ(bad.status, 400) << b << ": " << bad.body;
    EXPECT_TRUE(Has(bad.body, "tx submission")) << bad.body;
    EXPECT_TRUE(Parse(bad.body)["role"].is_null()) << bad.body;
  }

  // Accepted.
  HttpReply ok = s.Signed(alice, "POST", "/repo/txs", body);
  ASSERT_EQ(ok.status, 200) << ok.body;
  json o = Parse(ok.body);
  EXPECT_EQ(o["branch"], "master") << ok.body;
  ASSERT_EQ(o["receipts"].size(), 1u) << ok.body;
  EXPECT_EQ(o["receipts"][0]["txid"], ToHex(mint.Id()));
  EXPECT_EQ(o["receipts"][0]["status"], "ok");
  EXPECT_TRUE(o["receipts"][0]["error"].is_null());
  EXPECT_EQ(s.Pool(), 1);

  // Refused txs answer 200 with their receipt failed, in the order sent:
  // another chain, a flipped signature byte, a repeat, and a good one.
  Hash32 other_chain = chain;
  other_chain[5] ^= 0x40;
  Tx foreign = LedgerScene::MakeCall(alice, other_chain, "mint", {Value::Text("w2"), Value::Integer(1)});
  Tx forged = LedgerScene::MakeCall(alice, chain, "mint", {Value::Text("w3"), Value::Integer(1)});
  forged.signature[11] ^= 0x01;
  Tx good = LedgerScene::MakeCall(alice, chain, "mint", {Value::Text("w4"), Value::Integer(4)});
  HttpReply mixed = s.Signed(alice, "POST", "/repo/txs", LedgerScene::Body({foreign, forged, mint, good}));
  ASSERT_EQ(mixed.status, 200) << mixed.body;
  json m = Parse(mixed.body);
  ASSERT_EQ(m["receipts"].size(), 4u) << mixed.body;
  const std::vector<std::pair<Tx*, std::string>> want = {{&foreign, "tx belongs to another chain"},
                                                         {&forged, "tx signature is invalid"},
                                                         {&mint, "tx is already in the merge pool"},
                                                         {&good, ""}};
  for (size_t i = 0; i < want.size(); ++i) {
    const json& rc = m["receipts"][i];
    EXPECT_EQ(rc["txid"], ToHex(want[i].first->Id())) << i;
    if (want[i].second.empty()) {
      EXPECT_EQ(rc["status"], "ok") << rc.dump();
    } else {
      EXPECT_EQ(rc["status"], "failed") << rc.dump();
      EXPECT_EQ(rc["error"], want[i].second) << rc.dump();
    }
  }
  EXPECT_EQ(s.Pool(), 2);
  auto bal = s.Bal();
  EXPECT_EQ(bal["w1"], 3);
  EXPECT_EQ(bal["w4"], 4);
  EXPECT_EQ(bal.count("w2") + bal.count("w3"), 0u);

  // The served branch (master) not checked out on the server: no txs, 409.
  s.Commit("w");
  s.Must({"checkout", "v1"});
  Tx late = LedgerScene::MakeCall(alice, chain, "mint", {Value::Text("w5"), Value::Integer(5)});
  HttpReply detached = s.Signed(alice, "POST", "/repo/txs", LedgerScene::Body({late}));
  EXPECT_EQ(detached.status, 409) << detached.body;
  EXPECT_TRUE(Has(detached.body, "the served branch 'master' is not checked out on the server")) << detached.body;
  EXPECT_TRUE(Parse(detached.body)["role"].is_null()) << detached.body;
  s.Must({"checkout", "master"});
  EXPECT_EQ(s.Pool(), 0);
  EXPECT_EQ(s.Signed(alice, "POST", "/repo/txs", LedgerScene::Body({late})).status, 200);
  EXPECT_EQ(s.Pool(), 1);
}

TEST(LedgerRemote, ConcurrentSignedSubmissionsOnKeptAliveConnections) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  SecretKey alice = s.Key("alice");
  Hash32 chain = s.ChainId();
  constexpr int kThreads = 8, kEach = 6;
  std::vector<std::unique_ptr<Conn>> conns;
  for (int t = 0; t < kThreads; ++t) conns.push_back(std::make_unique<Conn>(s.Port()));
  std::atomic<int> answered_ok{0};
  std::vector<std::string> problems(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every other request carries two txs.
        std::vector<Tx> txs;
        for (int k = 0; k < 1 + i % 2; ++k)
          txs.push_back(LedgerScene::MakeCall(
              alice, chain, "mint",
              {Value::Text("c" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(k)),
               Value::Integer(t + 1)}));
        std::string body = LedgerScene::Body(txs);
        HttpReply r = conns[t]->Request("POST", "/repo/txs", body, LedgerScene::Auth(alice, "POST", "/repo/txs", body));
        json j = Parse(r.body);
        bool good = r.status == 200 && j.is_object() && j["receipts"].size() == txs.size();
        for (size_t k = 0; good && k < txs.size(); ++k)
          good = j["receipts"][k]["txid"] == ToHex(txs[k].Id()) && j["receipts"][k]["status"] == "ok";
        if (good) answered_ok += static_cast<int>(txs.size());
        else problems[t] += std::to_string(r.status) + " " + r.body + "\n";
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(problems[t], "") << "thread " << t;
  constexpr int kTxs = kThreads * (kEach / 2) * 3;  // per thread: kEach/2 requests of 1 tx and of 2
  EXPECT_EQ(answered_ok.load(), kTxs);
  EXPECT_EQ(s.Pool(), kTxs);
  auto bal = s.Bal();
  EXPECT_EQ(bal.size(), static_cast<size_t>(kTxs) + 1);  // and alice
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(bal["c" + std::to_string(t) + "-5-1"], t + 1);
  // The connections are still usable.
  for (auto& c : conns) EXPECT_EQ(c->Request("GET", "/healthz").status, 200);
  // What the daemon kept, it commits.
  s.Commit("all of them");
  s.ExpectFsckClean();
}

TEST(LedgerRemote, DaemonSealsSubmittedTxsAtTheBlockInterval) {
  LedgerScene s;
  ASSERT_TRUE(s.Start({"--block-interval", "200", "--key", "alice"}));
  s.MustClone("dev");
  std::string head = s.Head();
  RunResult r = s.In("dev", {"call", "token", "mint", s.bob, "9", "--remote", "origin", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string txid = JStr(r.out, "txid");

  // Within about a second the daemon seals it into a block on master.
  std::string block;
  bool sealed = LedgerScene::Eventually(
      [&] {
        RunResult shown = s.In("dev", {"show", "--remote", "origin", txid, "--json"});
        if (shown.code != 0 || JRaw(shown.out, "block") == "null") return false;
        block = JStr(shown.out, "block");
        return true;
      },
      std::chrono::seconds(5));
  ASSERT_TRUE(sealed) << s.daemon->Err();
  EXPECT_TRUE(IsHex(block, 64)) << block;
  EXPECT_TRUE(s.daemon->Logged("aergo daemon: sealed block " + block + " on repo with 1 txs")) << s.daemon->Err();
  EXPECT_EQ(s.Head(), block);
  EXPECT_EQ(s.Pool(), 0);
  // The block, read remotely: its parent is the old head, alice produced it.
  RunResult shown = s.In("dev", {"show", "--remote", "origin", block, "--json"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(shown.out, s.Out({"show", block, "--json"}));
  EXPECT_EQ(JRaw(shown.out, "parents"), "[\"" + head + "\"]");
  EXPECT_EQ(JStr(shown.out, "producer"), s.alice);
  EXPECT_TRUE(Has(shown.out, "\"txid\": \"" + txid + "\"")) << shown.out;
  // show of the tx, text: in that block.
  RunResult tx_text = s.In("dev", {"show", "--remote", "origin", txid});
  ASSERT_EQ(tx_text.code, 0) << tx_text.err;
  EXPECT_TRUE(Has(tx_text.out, "Block:    " + block)) << tx_text.out;
  // query --remote sees the new balance; the clone has not fetched it.
  RunResult q = s.In("dev", {"query", "--remote", "origin", kBalances, "--csv"});
  ASSERT_EQ(q.code, 0) << q.err;
  auto bal = BalanceMap(q.out);
  EXPECT_EQ(bal[s.bob], 9);
  EXPECT_EQ(bal[s.alice], 100);
  EXPECT_EQ(BalanceMap(s.In("dev", {"query", kBalances, "--csv"}).out).count(s.bob), 0u);
  // An empty pool seals nothing more.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(s.Head(), block);
  s.ExpectFsckClean();
}

TEST(LedgerRemote, ShowAndQueryRemoteAnswersAndErrors) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  s.Call({"transfer", s.alice, "1"});
  s.Call({"mint", "zed", "50"});
  std::string second = s.Commit("second");

  // A block by tag, branch, id and relative revision: as show prints it.
  // Characters outside [A-Za-z0-9._~-] travel percent-encoded (and the
  // signature covers the target as sent).
  s.Must({"branch", "feature/x", "--block", "v1"});
  for (const std::string& rev : {std::string("v1"), std::string("master"), second, std::string("master~1"),
                                 std::string("master^"), std::string("feature/x"), std::string("master@1"),
                                 second.substr(0, 9)}) {
    RunResult r = s.In("dev", {"show", "--remote", "origin", rev});
    ASSERT_EQ(r.code, 0) << rev << ": " << r.err;
    EXPECT_EQ(r.out, s.Out({"show", rev})) << rev;
  }
  RunResult with_changes = s.In("dev", {"show", "--remote", "origin", second, "--changes", "--json"});
  ASSERT_EQ(with_changes.code, 0) << with_changes.err;
  EXPECT_EQ(with_changes.out, s.Out({"show", second, "--changes", "--json"}));
  EXPECT_TRUE(Has(with_changes.out, "zed")) << with_changes.out;

  // Unknown revisions and txs: exit 1, "not found".
  RunResult unknown = s.In("dev", {"show", "--remote", "origin", "nosuchrev"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.out, "");
  EXPECT_TRUE(Has(unknown.err, "aergo: error: " + Refused(s.Url(), "GET blocks/nosuchrev", 404) +
                                   "revision 'nosuchrev' not found in repo"))
      << unknown.err;
  RunResult no_tx = s.In("dev", {"show", "--remote", "origin", "abcdef0123"});
  EXPECT_EQ(no_tx.code, 1);
  EXPECT_EQ(no_tx.err, "aergo: error: unknown revision or tx 'abcdef0123' on " + s.Url() + "\n");
  RunResult no_at = s.In("dev", {"query", "--remote", "origin", "--at", "v9", "SELECT 1"});
  EXPECT_EQ(no_at.code, 1);
  EXPECT_TRUE(Has(no_at.err, "revision 'v9' not found in repo")) << no_at.err;

  // query: live state, --at a tag, --json and --csv as a local query prints.
  RunResult live = s.In("dev", {"query", "--remote", "origin", kBalances, "--json"});
  ASSERT_EQ(live.code, 0) << live.err;
  EXPECT_EQ(live.out, s.Out({"query", kBalances, "--json"}));
  EXPECT_TRUE(Has(live.out, "\"zed\"")) << live.out;
  RunResult at = s.In("dev", {"query", "--remote", "origin", "--at", "v1", kBalances, "--json"});
  ASSERT_EQ(at.code, 0) << at.err;
  EXPECT_EQ(at.out, "[{\"owner\": \"" + s.alice + "\", \"balance\": 100}]\n");
  EXPECT_EQ(at.out, s.Out({"query", "--at", "v1", kBalances, "--json"}));
  RunResult csv = s.In("dev", {"query", "--remote", "origin", "--at", second, kBalances, "--csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out, s.Out({"query", "--at", second, kBalances, "--csv"}));
  // Values keep their types through the wire.
  const char* typed = "SELECT 1 AS i, 2.5 AS r, 'a\"b' AS t, x'00ff' AS b, NULL AS n";
  RunResult types = s.In("dev", {"query", "--remote", "origin", typed, "--json"});
  ASSERT_EQ(types.code, 0) << types.err;
  EXPECT_EQ(types.out, s.Out({"query", typed, "--json"}));
  RunResult types_text = s.In("dev", {"query", "--remote", "origin", typed});
  ASSERT_EQ(types_text.code, 0) << types_text.err;
  EXPECT_EQ(types_text.out, s.Out({"query", typed}));

  // A write statement is refused and changes nothing.
  std::string before = s.Snapshot();
  RunResult write = s.In("dev", {"query", "--remote", "origin", "DELETE FROM token.accounts"});
  EXPECT_EQ(write.code, 1);
  EXPECT_EQ(write.out, "");
  EXPECT_TRUE(Has(write.err, "only a single read-only statement (SELECT) is allowed")) << write.err;
  EXPECT_EQ(s.Snapshot(), before);
  RunResult bad_sql = s.In("dev", {"query", "--remote", "origin", "SELEC nothing"});
  EXPECT_EQ(bad_sql.code, 1);
  EXPECT_TRUE(Has(bad_sql.err, Refused(s.Url(), "POST query", 400))) << bad_sql.err;
}

TEST(LedgerRemote, ReadRoutesNeedTheReadRole) {
  LedgerScene s;  // private
  ASSERT_TRUE(s.Start());
  SecretKey alice = s.Key("alice"), bob = s.Key("bob");
  const std::string qbody = "{\"sql\":\"SELECT 1\",\"at\":null}";
  struct Route {
    std::string method, target, body;
  };
  for (const Route& r : {Route{"GET", "/repo/blocks/v1", ""}, Route{"GET", "/repo/txs/" + s.funded.substr(0, 8), ""},
                         Route{"POST", "/repo/query", qbody}}) {
    HttpReply anon = Http(s.Port(), r.method, r.target, r.body);
    EXPECT_EQ(anon.status, 401) << r.target << ": " << anon.body;
    EXPECT_EQ(Parse(anon.body)["role"], "read") << anon.body;
    HttpReply norole = s.Signed(bob, r.method, r.target, r.body);
    EXPECT_EQ(norole.status, 403) << r.target << ": " << norole.body;
    EXPECT_EQ(Parse(norole.body)["role"], "read") << norole.body;
  }
  // alice reads; the answers decode.
  HttpReply block = s.Signed(alice, "GET", "/repo/blocks/v1");
  ASSERT_EQ(block.status, 200) << block.body;
  EXPECT_EQ(Parse(block.body)["id"], s.funded);
  HttpReply q = s.Signed(alice, "POST", "/repo/query", qbody);
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(q.body, "{\"columns\":[\"1\"],\"rows\":[[1]]}");
  HttpReply bad_id = s.Signed(alice, "GET", "/repo/txs/xyz");
  EXPECT_EQ(bad_id.status, 400) << bad_id.body;
  HttpReply bad_query = s.Signed(alice, "POST", "/repo/query", "{\"sql\":1}");
  EXPECT_EQ(bad_query.status, 400) << bad_query.body;
  EXPECT_TRUE(Has(bad_query.body, "'sql' must be a string")) << bad_query.body;

  // The client says which role is missing.
  s.MustClone("dev");
  RunResult anon_q = s.sb.Run({"query", "--remote", s.Url(), "SELECT 1"}, s.sb.work(), {});
  EXPECT_EQ(anon_q.code, 1);
  EXPECT_TRUE(Has(anon_q.err, Refused(s.Url(), "POST query", 401) + "repo is private") &&
              Has(anon_q.err, "[needs role 'read']"))
      << anon_q.err;
  RunResult bob_show = s.In("dev", {"show", "--remote", "origin", "v1"}, "bob");
  EXPECT_EQ(bob_show.code, 1);
  EXPECT_TRUE(Has(bob_show.err, Refused(s.Url(), "GET blocks/v1", 403))) << bob_show.err;
  RunResult bob_call = s.In("dev", {"call", "token", "open", "--remote", "origin"}, "bob");
  EXPECT_EQ(bob_call.code, 1);
  EXPECT_TRUE(Has(bob_call.err, Refused(s.Url(), "POST txs", 403)) && Has(bob_call.err, "[needs role 'write']"))
      << bob_call.err;
  EXPECT_EQ(s.Pool(), 0);

  // A public repository serves reads to anyone, but not writes.
  LedgerScene pub(true);
  ASSERT_TRUE(pub.Start());
  EXPECT_EQ(Http(pub.Port(), "GET", "/repo/blocks/v1").status, 200);
  HttpReply pq = Http(pub.Port(), "POST", "/repo/query", qbody);
  EXPECT_EQ(pq.status, 200) << pq.body;
  Tx t = LedgerScene::MakeCall(pub.Key("alice"), pub.ChainId(), "open", {});
  HttpReply pw = Http(pub.Port(), "POST", "/repo/txs", LedgerScene::Body({t}));
  EXPECT_EQ(pw.status, 401) << pw.body;
  EXPECT_EQ(Parse(pw.body)["role"], "write") << pw.body;
}

TEST(LedgerRemote, PrivateBranchBlocksAndTxsAnswerLikeUnknownOnes) {
  LedgerScene s;
  // bob reads master; on the private branch "secret" his role is revoked.
  s.Must({"access", "grant", s.bob, "read"});
  s.Commit("bob reads");
  s.Must({"branch", "secret", "--private"});
  s.Must({"checkout", "secret"});
  s.Must({"access", "revoke", s.bob});
  std::string mint = s.Call({"mint", "hidden", "77"});
  std::string secret = s.Commit("secret work");
  s.Must({"checkout", "master"});
  ASSERT_TRUE(s.Start());
  SecretKey alice = s.Key("alice"), bob = s.Key("bob");

  std::string unknown_id(64, 'e');
  HttpReply unknown = s.Signed(bob, "GET", "/repo/blocks/" + unknown_id);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Parse(unknown.body)["error"], "revision '" + unknown_id + "' not found in repo") << unknown.body;
  for (const std::string& rev : {secret, std::string("secret")}) {
    HttpReply hidden = s.Signed(bob, "GET", "/repo/blocks/" + rev);
    EXPECT_EQ(hidden.status, 404) << rev << ": " << hidden.body;
    EXPECT_EQ(Parse(hidden.body)["error"], "revision '" + rev + "' not found in repo") << hidden.body;
  }
  HttpReply tx = s.Signed(bob, "GET", "/repo/txs/" + mint);
  EXPECT_EQ(tx.status, 404) << tx.body;
  EXPECT_EQ(Parse(tx.body)["error"], "tx " + mint + " not found in repo") << tx.body;
  HttpReply q = s.Signed(bob, "POST", "/repo/query", "{\"sql\":\"SELECT 1\",\"at\":\"secret\"}");
  EXPECT_EQ(q.status, 404) << q.body;
  EXPECT_TRUE(Has(q.body, "revision 'secret' not found in repo")) << q.body;
  // What bob may read, he reads.
  EXPECT_EQ(s.Signed(bob, "GET", "/repo/blocks/master").status, 200);
  EXPECT_EQ(s.Signed(bob, "GET", "/repo/blocks/v1").status, 200);
  // alice sees the private branch.
  HttpReply seen = s.Signed(alice, "GET", "/repo/blocks/secret");
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(Parse(seen.body)["id"], secret);
  HttpReply seen_tx = s.Signed(alice, "GET", "/repo/txs/" + mint);
  ASSERT_EQ(seen_tx.status, 200) << seen_tx.body;
  EXPECT_EQ(Parse(seen_tx.body)["block"], secret);
  HttpReply seen_q = s.Signed(alice, "POST", "/repo/query",
                              "{\"sql\":\"SELECT balance FROM token.accounts WHERE owner = 'hidden'\",\"at\":\"secret\"}");
  ASSERT_EQ(seen_q.status, 200) << seen_q.body;
  EXPECT_EQ(Parse(seen_q.body)["rows"], json::parse("[[77]]"));
}

TEST(LedgerRemote, LocalPathRemotesNeedNoDaemon) {
  LedgerScene s;
  s.MustClone("dev", s.sb.repo());  // origin is a path
  // call --remote origin (a path): the receipt, kept in the origin's pool.
  RunResult c = s.In("dev", {"call", "token", "mint", s.bob, "4", "--remote", "origin"});
  ASSERT_EQ(c.code, 0) << c.err;
  std::string txid = c.out.substr(0, 64);
  EXPECT_EQ(c.out, txid + " ok\n");
  EXPECT_EQ(s.Pool(), 1);
  EXPECT_EQ(JNum(s.In("dev", {"status", "--json"}).out, "pool"), 0);
  // A relative path works too, and a failing call keeps nothing.
  RunResult rel = s.In("dev", {"call", "token", "transfer", s.bob, "1000", "--remote", "../repo"});
  EXPECT_EQ(rel.code, 1);
  EXPECT_EQ(rel.err, std::string("aergo: error: call token.transfer failed: ") + kCheckError + "\n");
  EXPECT_EQ(s.Pool(), 1);
  // Batch.
  s.sb.Write("b.txt", "token mint p1 1\ntoken mint p2 2\n");
  RunResult b = s.In("dev", {"call", "--batch", s.sb.work() + "/b.txt", "--remote", "../repo", "--json"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(Objects(b.out).size(), 2u) << b.out;
  EXPECT_EQ(s.Pool(), 3);

  // show and query, from the clone and from outside any repository.
  std::string local_tx = s.Out({"show", txid});
  EXPECT_EQ(s.In("dev", {"show", "--remote", "origin", txid}).out, local_tx);
  RunResult outside = s.sb.Run({"show", "--remote", s.sb.repo(), txid}, s.sb.root(), {});
  ASSERT_EQ(outside.code, 0) << outside.err;
  EXPECT_EQ(outside.out, local_tx);
  RunResult block = s.sb.Run({"show", "--remote", s.sb.repo(), "v1", "--json"}, s.sb.root(), {});
  ASSERT_EQ(block.code, 0) << block.err;
  EXPECT_EQ(block.out, s.Out({"show", "v1", "--json"}));
  RunResult q = s.sb.Run({"query", "--remote", "work/repo", kBalances, "--csv"}, s.sb.root(), {});
  ASSERT_EQ(q.code, 0) << q.err;
  auto bal = BalanceMap(q.out);
  EXPECT_EQ(bal[s.bob], 4);
  EXPECT_EQ(bal["p2"], 2);
  RunResult at = s.In("dev", {"query", "--remote", "origin", "--at", "v1", kBalances, "--json"});
  ASSERT_EQ(at.code, 0) << at.err;
  EXPECT_EQ(at.out, "[{\"owner\": \"" + s.alice + "\", \"balance\": 100}]\n");
  // Errors.
  RunResult unknown = s.In("dev", {"show", "--remote", "origin", "nosuchrev"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.out, "");
  EXPECT_EQ(unknown.err, "aergo: error: unknown revision 'nosuchrev'\n");
  RunResult no_tx = s.In("dev", {"show", "--remote", "origin", "abcdef0123"});
  EXPECT_EQ(no_tx.code, 1);
  EXPECT_EQ(no_tx.err, "aergo: error: unknown revision or tx 'abcdef0123' on " + s.sb.repo() + "\n");
  RunResult no_at = s.In("dev", {"query", "--remote", "origin", "--at", "v9", "SELECT 1"});
  EXPECT_EQ(no_at.code, 1);
  EXPECT_TRUE(Has(no_at.err, "unknown revision 'v9'")) << no_at.err;
  RunResult write = s.In("dev", {"query", "--remote", "origin", "DELETE FROM token.accounts"});
  EXPECT_EQ(write.code, 1);
  EXPECT_TRUE(Has(write.err, "only a single read-only statement (SELECT) is allowed")) << write.err;
  EXPECT_EQ(s.Bal()[s.alice], 100);
  // A remote's name needs a repository to look it up in; call needs one to
  // type its arguments.
  RunResult named = s.sb.Run({"show", "--remote", "origin", "v1"}, s.sb.root(), {});
  EXPECT_EQ(named.code, 1);
  EXPECT_TRUE(Has(named.err, "no repository here to look up remote 'origin' in (give its URL instead)"))
      << named.err;
  RunResult no_clone = s.sb.Run({"call", "token", "open", "--remote", s.sb.repo()}, s.sb.root(), {{"AERGO_KEY", "bob"}});
  EXPECT_EQ(no_clone.code, 1);
  EXPECT_TRUE(Has(no_clone.err, "call --remote types the arguments with the contracts of a local clone")) << no_clone.err;
  // A ledger of another chain refuses the clone's txs.
  RunResult other = s.sb.Run({"init", "other", "--key", "bob"});
  ASSERT_EQ(other.code, 0) << other.err;
  RunResult foreign = s.In("dev", {"call", "token", "open", "--remote", s.sb.work() + "/other"});
  EXPECT_EQ(foreign.code, 1);
  EXPECT_EQ(foreign.err, "aergo: error: call token.open failed: tx belongs to another chain\n");
  RunResult no_remote = s.In("dev", {"call", "token", "open", "--remote", "nosuch"});
  EXPECT_EQ(no_remote.code, 1);
  EXPECT_TRUE(Has(no_remote.err, "nosuch")) << no_remote.err;
  EXPECT_EQ(s.Pool(), 3);
  s.ExpectFsckClean();
}

// A public repository whose checked-out branch is private: anonymous
// callers read the repository but not that branch (daemon/access.h), so
// neither its merge pool's txs nor its live state may be answered to them.
TEST(LedgerRemote, AnUnreadableCheckedOutBranchHidesItsPoolAndLiveState) {
  LedgerScene s(true);
  s.Must({"branch", "secret", "--private"});
  s.Must({"checkout", "secret"});
  std::string pending = s.Call({"mint", "hidden", "77"});
  ASSERT_TRUE(s.Start());
  HttpReply refs = Http(s.Port(), "GET", "/repo/refs");
  ASSERT_EQ(refs.status, 200) << refs.body;
  ASSERT_EQ(Parse(refs.body)["head"], "") << refs.body;  // the branch is hidden from them

  HttpReply tx = Http(s.Port(), "GET", "/repo/txs/" + pending);
  EXPECT_EQ(tx.status, 404) << tx.body;
  EXPECT_FALSE(Has(tx.body, "\"tx\"")) << tx.body;
  HttpReply q = Http(s.Port(), "POST", "/repo/query", "{\"sql\":\"SELECT owner, balance FROM token.accounts\"}");
  EXPECT_NE(q.status, 200) << q.body;
  EXPECT_FALSE(Has(q.body, "hidden")) << q.body;
  // alice, admin in that branch's directory, reads both.
  SecretKey alice = s.Key("alice");
  EXPECT_EQ(s.Signed(alice, "GET", "/repo/txs/" + pending).status, 200);
  HttpReply aq = s.Signed(alice, "POST", "/repo/query", "{\"sql\":\"SELECT balance FROM token.accounts WHERE owner = 'hidden'\"}");
  ASSERT_EQ(aq.status, 200) << aq.body;
  EXPECT_EQ(Parse(aq.body)["rows"], json::parse("[[77]]"));
}

// Values a query can produce that the canonical argument JSON writes in
// forms a JSON parser may balk at: infinities (9e999) and text that is not
// UTF-8. query --remote must print what query prints on the origin.
TEST(LedgerRemote, QueryRemoteCarriesInfinitiesAndNonUtf8Text) {
  LedgerScene s;
  ASSERT_TRUE(s.Start());
  s.MustClone("dev");
  for (const char* sql : {"SELECT 9e999 AS x, -9e999 AS y", "SELECT CAST(x'ff41' AS TEXT) AS t"}) {
    RunResult r = s.In("dev", {"query", "--remote", "origin", sql});
    EXPECT_EQ(r.code, 0) << sql << ": " << r.err;
    EXPECT_EQ(r.out, s.Out({"query", sql})) << sql;
  }
}

TEST(LedgerRemote, DaemonBlockIntervalOptions) {
  LedgerScene s;
  for (std::string bad : {"0", "abc", "-5", "1000000000", ""}) {
    RunResult r = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--block-interval", bad, "repo"});
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: invalid --block-interval '" + bad +
                               "': a number of milliseconds, 1 to 999999999"))
        << r.err;
  }
  // No key anywhere: a repository without user.key, no --key, no AERGO_KEY.
  RunResult init = s.sb.Run({"init", "keyless", "--key", "bob"});
  ASSERT_EQ(init.code, 0) << init.err;
  RunResult nokey = s.sb.Run({"daemon", "--listen", "127.0.0.1:0", "--block-interval", "100", "keyless"});
  EXPECT_EQ(nokey.code, 1) << nokey.err;
  EXPECT_EQ(nokey.err,
            "aergo: error: --block-interval needs a key to sign the blocks of keyless (--key, AERGO_KEY or user.key)\n");
  // With --key it starts.
  DaemonProcess d(s.sb, {"--listen", "127.0.0.1:0", "--block-interval", "100", "--key", "bob", "keyless"});
  EXPECT_GT(d.port(), 0) << d.Err();
}

}  // namespace
}  // namespace aergo::clitest
