// Packs and the quarantine import (core/transfer.h PackReceiver, core/
// import.h VerifyPack) on untrusted bytes: the input is received as a pack
// into the quarantine of a temporary repository of the seed chain (its
// genesis block is tests/fuzz/data/pack_genesis.bin, written by
// make_fuzz_corpus), then every block in it is verified as a fetch or push
// would, without storing anything.
// Properties: no crash; a refused or verified-but-not-stored pack leaves no
// quarantine directory behind and the repository's branches unchanged.
// The repository is reopened for every input, so no input sees another's
// leftovers (and a crash reproduces from its input alone).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/import.h"
#include "core/repo.h"
#include "core/transfer.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

aergo::fuzz::ProcessTempDir* g_dir = nullptr;
aergo::FixedClock g_clock(aergo::fuzz::kNowMs + 3600 * 1000);
std::string g_aergo_dir;
aergo::Hash32 g_genesis{};

aergo::Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return aergo::Bytes(s.begin(), s.end());
}

size_t CountQuarantines() {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(g_aergo_dir + "/git/objects/pack", ec))
    if (e.path().filename().string().rfind("incoming-", 0) == 0) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace aergo;
  FUZZ_CHECK(CryptoInit().ok(), "CryptoInit");
  GitGlobalInit();
  static fuzz::ProcessTempDir dir("pack");
  g_dir = &dir;
  const std::string genesis_path = std::string(AERGO_FUZZ_DATA_DIR) + "/pack_genesis.bin";
  Bytes framed = ReadAll(genesis_path);
  fuzz::Splitter in(framed.data(), framed.size());
  Bytes header = in.Next(), txs = in.Next(), receipts = in.Next();
  auto genesis = Block::Decode(header, txs, receipts);
  FUZZ_CHECK(genesis.ok(), genesis_path + ": " + genesis.status().message());
  genesis->changes = in.Rest();
  g_genesis = genesis->Id();
  auto repo = Repository::InitFromGenesis(dir.path() + "/repo", *genesis, g_clock);
  FUZZ_CHECK(repo.ok(), "InitFromGenesis: " + repo.status().message());
  g_aergo_dir = dir.path() + "/repo/.aergo";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  auto repo = Repository::Open(g_aergo_dir, OpenMode::kWrite, g_clock);
  FUZZ_CHECK(repo.ok(), "open: " + repo.status().message());
  {
    auto recv = PackReceiver::Create(&(*repo)->git(), 4 << 20);
    FUZZ_CHECK(recv.ok(), "PackReceiver::Create: " + recv.status().message());
    // Two chunks, so the indexer's streaming state is exercised.
    size_t half = size / 2;
    Status st = (*recv)->Append(data, half);
    if (st.ok()) st = (*recv)->Append(data + half, size - half);
    if (st.ok()) {
      ImportOptions opts;
      opts.threads = 1;
      auto in = VerifyPack(**repo, recv->get(), opts);
      if (in.ok()) {
        for (const auto& e : in->blocks) FUZZ_CHECK(e.block.CheckStructure().ok(), "verified a malformed block");
      }
    }
  }
  FUZZ_CHECK(CountQuarantines() == 0, "a quarantine directory was left behind");
  auto master = (*repo)->BranchHead("master");
  FUZZ_CHECK(master.ok() && master->has_value() && **master == g_genesis, "master moved");
  auto branches = (*repo)->Branches();
  FUZZ_CHECK(branches.ok() && branches->size() == 1, "a branch appeared");
  return 0;
}
