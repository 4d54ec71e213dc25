// Bench helper: the cost of recording state changes. Executes <txs> token
// transfers among 1,000 accounts (the same signed txs, the same engine, one
// SQLite transaction) once without and once with a ChangeRecorder bracketing
// each tx as Submit does, alternating <rounds> times; prints the best time
// of each in ms: "<plain_ms> <recorded_ms>".
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/crypto.h"
#include "core/executor.h"
#include "core/recorder.h"
#include "core/sqlite.h"
#include "tests/test_common.h"

using namespace aergo;

static void Die(const std::string& m) {
  std::fprintf(stderr, "record_bench: %s\n", m.c_str());
  std::exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: record_bench <txs> <rounds>\n");
    return 2;
  }
  long n = std::atol(argv[1]), rounds = std::atol(argv[2]);
  if (!CryptoInit().ok()) return 1;
  SecretKey key = SecretKey::Generate();
  std::string owner = AddressFromKey(key.public_key());
  auto db = Db::Open("", true);
  if (!db.ok()) Die(db.status().message());
  if (!db->Exec("PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF").ok()) Die("pragma");
  ContractEngine engine(db->get());
  if (!engine.InitSystemTables().ok()) Die("system tables");
  CallEnv env{owner, 1, 0, std::string(64, '0')};
  CallOutcome d = engine.Deploy("token", testcommon::TokenContractSql(), env);
  if (!d.ok) Die(d.error);
  for (int a = 0; a <= 1000; ++a) {
    std::string who = a == 0 ? owner : "acct" + std::to_string(a);
    CallOutcome m = engine.Call("token", "mint", {Value::Text(who), Value::Integer(1000000000)}, env);
    if (!m.ok) Die(m.error);
  }
  std::vector<Tx> txs;
  std::vector<Hash32> ids;
  for (long i = 0; i < n; ++i) {
    Tx tx;
    tx.kind = TxKind::kCall;
    tx.sender = key.public_key();
    tx.contract = "token";
    tx.function = "transfer";
    tx.args = {Value::Text("acct" + std::to_string(i % 1000 + 1)), Value::Integer(1)};
    tx.time_ms = static_cast<uint64_t>(i);
    txs.push_back(tx);
    ids.push_back(tx.Id());
  }
  // Without: no pre-update hook installed at all. With: a recorder
  // installed for the round, bracketing every tx as Submit does.
  auto run = [&](bool record) {
    std::unique_ptr<ChangeRecorder> rec;
    if (record) rec = std::make_unique<ChangeRecorder>(db->get());
    Txn txn(&*db);
    if (!txn.status().ok()) Die(txn.status().message());
    AddressCache addresses;
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      if (record) rec->Begin();
      CallOutcome out = ExecuteTx(&engine, db->get(), txs[i], ids[i], 2, 0, &addresses);
      if (!out.ok) Die(out.error);
      if (record && !rec->Keep().ok()) Die("keep");
    }
    if (record) {
      ChangeSet net = rec->Take();
      Bytes encoded = net.Encode();  // what Submit stores for the pool
      if (encoded.empty()) Die("no changes");
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // ~Txn rolls back: every round starts from the same state.
    return ms;
  };
  double best_plain = 1e18, best_rec = 1e18;
  for (long r = 0; r < rounds; ++r) {
    best_plain = std::min(best_plain, run(false));
    best_rec = std::min(best_rec, run(true));
  }
  std::printf("%.1f %.1f\n", best_plain, best_rec);
  return 0;
}
