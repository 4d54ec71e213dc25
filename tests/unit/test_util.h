// Helpers shared by the unit tests: the token contract, deterministic keys,
// a temporary directory, and a fixture base with a fresh repository.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/git.h"
#include "core/repo.h"
#include "tests/test_common.h"

namespace aergo::testutil {

using testcommon::ReadWholeFile;
using testcommon::WriteWholeFile;

// The token contract of docs/design.md §6.
inline const char* const kTokenContract = testcommon::TokenContractSql();

// The key whose 32-byte seed is `fill` repeated.
inline SecretKey SeedKey(uint8_t fill) {
  std::array<uint8_t, 32> seed{};
  seed.fill(fill);
  return SecretKey::FromSeed(seed.data());
}

// A fresh directory /tmp/<prefix>-XXXXXX, removed with all it holds when
// this goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Fixture base: a repository initialised by admin_ in a temporary directory,
// with a fixed clock, three deterministic keys (seeds first_seed, +1, +2 for
// admin_, alice_, bob_) and helpers to submit, commit and build a short
// token history, and checks that a state is the one its block's chain of
// changes describes.
class RepoFixture : public ::testing::Test {
 protected:
  RepoFixture(const std::string& tmp_prefix, uint8_t first_seed)
      : tmp_(tmp_prefix),
        admin_(SeedKey(first_seed)),
        alice_(SeedKey(static_cast<uint8_t>(first_seed + 1))),
        bob_(SeedKey(static_cast<uint8_t>(first_seed + 2))) {}

  static void SetUpTestSuite() {
    ASSERT_TRUE(CryptoInit().ok());
    GitGlobalInit();
  }

  void SetUp() override {
    auto r = Repository::Init(dir_, admin_, InitParams{}, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    repo_ = std::move(r.value());
  }

  void TearDown() override { repo_.reset(); }  // before tmp_ goes

  // Submits txs and requires every one to be kept.
  void SubmitOk(const std::vector<Tx>& txs) {
    auto r = repo_->Submit(txs);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->size(), txs.size());
    for (const auto& s : *r) ASSERT_TRUE(s.outcome.ok) << s.outcome.error;
  }

  Block CommitOk(const std::string& message) {
    clock_.Advance(1000);
    auto b = repo_->Commit(admin_, message);
    EXPECT_TRUE(b.ok()) << b.status().message();
    return b.ok() ? b.value() : Block{};
  }

  // The admin's deploy of the token contract as "token".
  Tx DeployToken() { return repo_->MakeTx(TxKind::kDeploy, admin_, "token", "", {}, kTokenContract); }

  Tx Call(const SecretKey& key, const std::string& fn, std::vector<Value> args) {
    return repo_->MakeTx(TxKind::kCall, key, "token", fn, std::move(args), "");
  }

  // Block 1 (`message1`): deploy the token and mint 100 to alice.
  // Block 2 (`message2`): bob opens an account, alice sends bob 30.
  void BuildHistory(const std::string& message1 = "deploy and mint",
                    const std::string& message2 = "transfer") {
    SubmitOk({DeployToken(), Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(100)})});
    block1_ = CommitOk(message1);
    SubmitOk({Call(bob_, "open", {}),
              Call(alice_, "transfer", {Value::Text(Addr(bob_)), Value::Integer(30)})});
    block2_ = CommitOk(message2);
  }

  static std::string Addr(const SecretKey& k) { return AddressFromKey(k.public_key()); }

  // The digest of a scratch state built by executing `block`'s first-parent
  // chain from genesis (Repository::ReplayInto, every block's recorded
  // changes and state root checked): what a state at `block` must equal.
  Hash32 ReplayDigest(const Hash32& block) {
    auto scratch = Db::Open("", true);
    EXPECT_TRUE(scratch.ok()) << scratch.status().message();
    if (!scratch.ok()) return Hash32{};
    std::unique_ptr<ContractEngine> engine;  // destroyed before scratch
    Status st = repo_->ReplayInto(&scratch.value(), &engine, block, true);
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok()) return Hash32{};
    auto digest = engine->StateDigest();
    EXPECT_TRUE(digest.ok()) << digest.status().message();
    return digest.ok() ? *digest : Hash32{};
  }

  // The digest of the checked-out state (head plus merge pool).
  Hash32 LiveDigest() {
    auto digest = repo_->engine().StateDigest();
    EXPECT_TRUE(digest.ok()) << digest.status().message();
    return digest.ok() ? *digest : Hash32{};
  }

  // Whether b's header state root chains its first parent's root (zeros
  // for genesis) with the hash of its stored changes.
  ::testing::AssertionResult RootChains(const Block& b) {
    Hash32 parent_root{};
    if (!b.header.parents.empty()) {
      auto parent = repo_->BlockInfo(b.header.parents[0]);
      if (!parent.ok()) return ::testing::AssertionFailure() << parent.status().message();
      parent_root = parent->state_root;
    }
    if (ChainStateRoot(parent_root, b.changes) == b.header.state_root)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "state root of block " << ToHex(b.Id())
                                         << " does not chain its parent's root and its changes";
  }

  TempDir tmp_;
  const std::string& dir_ = tmp_.path();
  FixedClock clock_{1700000000000ull};
  SecretKey admin_, alice_, bob_;
  std::unique_ptr<Repository> repo_;
  Block block1_, block2_;
};

}  // namespace aergo::testutil
