// Bench helper: a ledger whose state holds <rows> rows of contract `kv`,
// followed by <blocks> blocks of one single-row update each, then a branch
// `other` from the head with one block that updates <diff> rows; HEAD stays
// on master. Same core code path as `aergo call` + `aergo commit` (minus
// process start-up and fsync).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/bench/bench_repo.h"

using namespace aergo;

static void Die(const Status& st) { bench::Die("gen_state", st); }

static void Seal(Repository& r, const SecretKey& key, const std::vector<Tx>& txs, const std::string& msg) {
  auto sub = r.Submit(txs);
  if (!sub.ok()) Die(sub.status());
  for (const auto& s : *sub)
    if (!s.outcome.ok) Die(Failed(s.outcome.error));
  auto b = r.Commit(key, msg);
  if (!b.ok()) Die(b.status());
}

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: gen_state <dir> <rows> <blocks> <diff>\n");
    return 2;
  }
  std::string dir = argv[1];
  long rows = std::atol(argv[2]), blocks = std::atol(argv[3]), diff = std::atol(argv[4]);
  SystemClock clock;
  SecretKey key = SecretKey::Generate();
  std::unique_ptr<Repository> repo = bench::InitBenchRepo("gen_state", dir, key, clock);
  Repository& r = *repo;
  const char* src =
      "CREATE TABLE rows (k INTEGER PRIMARY KEY, v INTEGER NOT NULL);\n"
      "CREATE FUNCTION fill(start INTEGER, n INTEGER) AS\n"
      "  INSERT INTO rows (k, v) WITH RECURSIVE c(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM c\n"
      "    WHERE i < :start + :n - 1) SELECT i, i FROM c;\n"
      "END;\n"
      "CREATE FUNCTION set(k INTEGER, v INTEGER) AS\n"
      "  UPDATE rows SET v = :v WHERE k = :k;\n"
      "END;\n"
      "CREATE FUNCTION bump(start INTEGER, n INTEGER) AS\n"
      "  UPDATE rows SET v = v + 1 WHERE k >= :start AND k < :start + :n;\n"
      "END;\n";
  Seal(r, key, {r.MakeTx(TxKind::kDeploy, key, "kv", "", {}, src)}, "deploy kv");
  std::vector<Tx> fills;
  const long chunk = 100000;
  for (long s = 0; s < rows; s += chunk)
    fills.push_back(r.MakeTx(TxKind::kCall, key, "kv", "fill",
                             {Value::Integer(s), Value::Integer(std::min(chunk, rows - s))}, ""));
  Seal(r, key, fills, "fill");
  for (long i = 0; i < blocks; ++i) {
    long k = (i * 7919) % rows;
    Seal(r, key, {r.MakeTx(TxKind::kCall, key, "kv", "set", {Value::Integer(k), Value::Integer(-i)}, "")},
         "set " + std::to_string(k));
  }
  auto head = r.CurrentHead();
  if (!head.ok()) Die(head.status());
  if (auto st = r.CreateBranch("other", head->block.id); !st.ok()) Die(st);
  if (auto st = r.Checkout("other"); !st.ok()) Die(st);
  Seal(r, key, {r.MakeTx(TxKind::kCall, key, "kv", "bump", {Value::Integer(rows / 2), Value::Integer(diff)}, "")},
       "bump");
  if (auto st = r.Checkout("master"); !st.ok()) Die(st);
  std::printf("%s\n", ToHex(r.chain_id()).c_str());
  return 0;
}
