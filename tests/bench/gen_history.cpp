// Bench helper: creates a ledger repository at <dir> with <blocks> blocks of
// one signed call each, through the same core code path as `aergo call` +
// `aergo commit` (minus process start-up and fsync). Prints the chain id.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/crypto.h"
#include "core/repo.h"

using namespace aergo;

static void Die(const Status& st) {
  std::fprintf(stderr, "gen_history: %s\n", st.message().c_str());
  std::exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gen_history <dir> <blocks>\n");
    return 2;
  }
  std::string dir = argv[1];
  long blocks = std::atol(argv[2]);
  if (!CryptoInit().ok()) return 1;
  SystemClock clock;
  SecretKey key = SecretKey::Generate();
  auto repo = Repository::Init(dir, key, InitParams{}, clock);
  if (!repo.ok()) Die(repo.status());
  Repository& r = **repo;
  if (auto st = r.db().Exec("PRAGMA synchronous=OFF"); !st.ok()) Die(st);
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
