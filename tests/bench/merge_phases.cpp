// Bench helper: where an automatic merge's time goes, in process. On the
// repository at <dir> (its checked-out branch is the target; the merge pool
// must be empty), for merging block <source rev>, measures <rounds> times
// and prints the median of each, in ms, on one line:
//   "<base_ms> <read_ms> <exec_ms> <exec_rec_ms> <preview_ms> <txs>"
//   base_ms      MergeBase(head, source): the painted walk alone
//   read_ms      reading and decoding the source's first-parent blocks above
//                the merge base (the blocks whose txs a merge replays)
//   exec_ms      ExecuteTx on each of their txs, in order, on the target's
//                state in one SQLite transaction (rolled back), no recording
//   exec_rec_ms  the same with the repository's ChangeRecorder bracketing
//                each tx and the net changes taken and encoded, as a merge does
//   preview_ms   MergeInto with preview: the whole merge computation,
//                nothing written
//   txs          how many txs those blocks hold (failures included)
// Opens the repository for writing (exclusive lock) but leaves it as it was.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/executor.h"
#include "merge/merge.h"
#include "tests/bench/bench_repo.h"

using namespace aergo;

static void Die(const Status& st) { bench::Die("merge_phases", st); }

template <typename T>
static T Must(Result<T> r) {
  if (!r.ok()) Die(r.status());
  return std::move(*r);
}

// The median wall time of `rounds` runs of f, in ms.
static double MedianMs(long rounds, const std::function<void()>& f) {
  std::vector<double> ms;
  for (long i = 0; i < rounds; ++i) {
    auto start = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: merge_phases <dir> <source rev> <rounds>\n");
    return 2;
  }
  std::string dir = argv[1], rev = argv[2];
  long rounds = std::atol(argv[3]);
  if (Status st = CryptoInit(); !st.ok()) Die(st);
  SystemClock clock;
  auto repo = Must(Repository::Open(dir + "/.aergo", OpenMode::kWrite, clock));
  Repository& r = *repo;
  Hash32 source = Must(r.Resolve(rev));
  BlockRow head = Must(r.CurrentHead()).block;
  Hash32 base = Must(MergeBase(r, head.id, source));

  // The source's first-parent chain above the base, oldest first (in the
  // scenario: the feature blocks; there is no merge on that chain).
  std::vector<BlockRow> chain;
  for (BlockRow row = Must(r.BlockInfo(source)); row.id != base; row = Must(r.BlockInfo(row.parents[0])))
    chain.push_back(row);
  std::reverse(chain.begin(), chain.end());
  std::vector<Block> blocks;
  std::vector<std::vector<Hash32>> ids;
  size_t txs = 0;
  for (const BlockRow& row : chain) {
    blocks.push_back(Must(r.ReadBlock(row)));
    ids.push_back(blocks.back().TxIds());
    txs += blocks.back().txs.size();
  }
  uint64_t height = std::max(head.height, chain.back().height) + 1;
  uint64_t time_ms = std::max(head.time_ms, chain.back().time_ms);

  double base_ms = MedianMs(rounds, [&] { Must(MergeBase(r, head.id, source)); });
  double read_ms = MedianMs(rounds, [&] {
    for (const BlockRow& row : chain) Must(r.ReadBlock(row)).TxIds();
  });
  // One pass over the txs in a transaction that is rolled back when it goes
  // away, so every round starts from the target's state.
  auto execute = [&](bool record) {
    ChangeRecorder& rec = r.recorder();
    rec.Clear();
    Txn txn(&r.db());
    if (!txn.status().ok()) Die(txn.status());
    AddressCache addresses;
    for (size_t b = 0; b < blocks.size(); ++b) {
      for (size_t i = 0; i < blocks[b].txs.size(); ++i) {
        if (record) rec.Begin();
        CallOutcome out = ExecuteTx(&r.engine(), r.db().get(), blocks[b].txs[i], ids[b][i], height, time_ms,
                                    &addresses);
        if (!record) continue;
        if (out.ok) {
          if (Status st = rec.Keep(); !st.ok()) Die(st);
        } else {
          rec.Drop();
        }
      }
    }
    if (record && rec.Take().Encode().empty()) Die(Failed("the txs changed nothing"));
  };
  double exec_ms = MedianMs(rounds, [&] { execute(false); });
  double exec_rec_ms = MedianMs(rounds, [&] { execute(true); });
  MergeOptions preview;
  preview.preview = true;
  double preview_ms = MedianMs(rounds, [&] { Must(MergeInto(r, source, nullptr, preview)); });
  std::printf("%.3f %.1f %.1f %.1f %.1f %zu\n", base_ms, read_ms, exec_ms, exec_rec_ms, preview_ms, txs);
  return 0;
}
