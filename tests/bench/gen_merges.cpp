// Bench helper: a <blocks>-block ledger full of merges, with the merge
// scenario of tests/bench/merge_bench.sh on top. Same core code path as
// `aergo call` + `aergo commit` + `aergo merge` (minus process start-up and
// fsync). Every block but genesis is signed by one generated key K, which
// also owns contract `token` (examples/token.sql).
//
// Shape, oldest first (exactly <blocks> blocks in all):
//   genesis; "deploy token";
//   history, in cycles of 10 blocks: 5 blocks on master, branch `side` at
//     master's head, 3 blocks on side, 1 more on master, then side merged
//     into master (MergeInto: a real merge block; side is then deleted).
//     Every history block holds one `token mint hist<n> 1` (upserts, so
//     replaying side's txs on master always succeeds); the blocks left
//     over when <blocks> is not a multiple of 10 go on master before them.
//   "accounts": K gets exactly <transfers> tokens; acct1..acct1000 get 0.
//   branch `feature` at that block: <transfers> `token transfer acct<n> 1`
//     signed by K, in blocks of 1,000 (balance left on feature: 0).
//   master: "spend" holds `token transfer acct1 <transfers/10>` and two
//     mints, so merging feature into master applies the first 90% of the
//     transfers and excludes the last 10% (the CHECK on balance fails).
// HEAD is left on master with an empty merge pool. Prints the chain id.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "merge/merge.h"
#include "tests/bench/bench_repo.h"
#include "tests/test_common.h"

using namespace aergo;

static void Die(const Status& st) { bench::Die("gen_merges", st); }

// Submits txs to the checked-out branch's pool (each must succeed) and
// commits them as one block.
static void Seal(Repository& r, const SecretKey& key, const std::vector<Tx>& txs, const std::string& msg) {
  auto sub = r.Submit(txs);
  if (!sub.ok()) Die(sub.status());
  for (const auto& s : *sub)
    if (!s.outcome.ok) Die(Failed(msg + ": " + s.outcome.error));
  auto b = r.Commit(key, msg);
  if (!b.ok()) Die(b.status());
}

static Hash32 HeadId(Repository& r) {
  auto head = r.CurrentHead();
  if (!head.ok()) Die(head.status());
  return head->block.id;
}

static void Check(const Status& st) {
  if (!st.ok()) Die(st);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: gen_merges <dir> <blocks> <transfers>\n");
    return 2;
  }
  std::string dir = argv[1];
  long blocks = std::atol(argv[2]), transfers = std::atol(argv[3]);
  const long per_block = 1000;
  long feature_blocks = (transfers + per_block - 1) / per_block;
  // genesis, deploy, accounts, the feature blocks, spend.
  long fixed = 4 + feature_blocks;
  if (transfers < 10 || blocks < fixed) {
    std::fprintf(stderr, "gen_merges: need transfers >= 10 and blocks >= %ld\n", fixed);
    return 2;
  }
  SystemClock clock;
  SecretKey key = SecretKey::Generate();
  std::string me = AddressFromKey(key.public_key());
  std::unique_ptr<Repository> repo = bench::InitBenchRepo("gen_merges", dir, key, clock);
  Repository& r = *repo;
  auto token = [&](const std::string& fn, const std::string& who, long amount) {
    return r.MakeTx(TxKind::kCall, key, "token", fn, {Value::Text(who), Value::Integer(amount)}, "");
  };
  long made = 0;  // history blocks so far (names the minted account)
  auto history_block = [&](const std::string& where) {
    ++made;
    Seal(r, key, {token("mint", "hist" + std::to_string(made % 97), 1)}, where + " " + std::to_string(made));
  };

  Seal(r, key, {r.MakeTx(TxKind::kDeploy, key, "token", "", {}, testcommon::TokenContractSql())}, "deploy token");
  long history = blocks - fixed;
  for (long i = 0; i < history % 10; ++i) history_block("master");
  for (long c = 0; c < history / 10; ++c) {
    for (int i = 0; i < 5; ++i) history_block("master");
    Check(r.CreateBranch("side", HeadId(r)));
    Check(r.Checkout("side"));
    for (int i = 0; i < 3; ++i) history_block("side");
    Check(r.Checkout("master"));
    history_block("master");
    auto side = r.BranchHead("side");
    if (!side.ok()) Die(side.status());
    MergeOptions options;
    options.source_name = "side";
    auto merged = MergeInto(r, **side, &key, options);
    if (!merged.ok()) Die(merged.status());
    if (!merged->excluded.empty() || !merged->block) Die(Failed("history merge did not apply everything"));
    Check(r.DeleteBranch("side"));
    if ((c + 1) % 1000 == 0) std::fprintf(stderr, "gen_merges: %ld blocks\n", 2 + history % 10 + (c + 1) * 10);
  }

  std::vector<Tx> accounts{token("mint", me, transfers)};
  for (int a = 1; a <= 1000; ++a) accounts.push_back(token("mint", "acct" + std::to_string(a), 0));
  Seal(r, key, accounts, "accounts");
  Check(r.CreateBranch("feature", HeadId(r)));
  Check(r.Checkout("feature"));
  for (long b = 0; b < feature_blocks; ++b) {
    std::vector<Tx> txs;
    for (long i = b * per_block; i < std::min(transfers, (b + 1) * per_block); ++i)
      txs.push_back(token("transfer", "acct" + std::to_string(i % 1000 + 1), 1));
    Seal(r, key, txs, "transfers " + std::to_string(b + 1));
  }
  Check(r.Checkout("master"));
  Seal(r, key, {token("transfer", "acct1", transfers / 10), token("mint", "acct2", 5), token("mint", "hist0", 5)},
       "spend");
  std::printf("%s\n", ToHex(r.chain_id()).c_str());
  return 0;
}
