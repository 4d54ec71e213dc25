// Bench helper: creates a ledger repository at <dir> with <blocks> blocks of
// one signed call each, through the same core code path as `aergo call` +
// `aergo commit` (minus process start-up and fsync). Prints the chain id.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/bench/bench_repo.h"

using namespace aergo;

static void Die(const Status& st) { bench::Die("gen_history", st); }

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string(argv[3]) == "--public")) {
    std::fprintf(stderr, "usage: gen_history <dir> <blocks> [--public]\n");
    return 2;
  }
  std::string dir = argv[1];
  long blocks = std::atol(argv[2]);
  SystemClock clock;
  SecretKey key = SecretKey::Generate();
  InitParams params;
  params.is_public = argc == 4;  // readable by anyone (served to anonymous clones)
  std::unique_ptr<Repository> repo = bench::InitBenchRepo("gen_history", dir, key, clock, params);
  Repository& r = *repo;
  const char* src =
      "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);\n"
      "CREATE FUNCTION bump() AS\n"
      "  INSERT INTO counter (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;\n"
      "END;\n";
  for (long i = 1; i < blocks; ++i) {
    Tx tx = i == 1 ? r.MakeTx(TxKind::kDeploy, key, "c", "", {}, src)
                   : r.MakeTx(TxKind::kCall, key, "c", "bump", {}, "");
    auto sub = r.Submit({tx});
    if (!sub.ok()) Die(sub.status());
    if (!sub->front().outcome.ok) Die(Failed(sub->front().outcome.error));
    auto b = r.Commit(key, "block " + std::to_string(i));
    if (!b.ok()) Die(b.status());
    if (i % 10000 == 0) std::fprintf(stderr, "gen_history: %ld blocks\n", i);
  }
  std::printf("%s\n", ToHex(r.chain_id()).c_str());
  return 0;
}
