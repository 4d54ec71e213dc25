// Regression tests for what the fuzz harnesses (tests/fuzz/) found. Each
// test replays the saved input from tests/fuzz/corpus/<harness>/regress-*
// (the same bytes the fuzzer keeps starting from) through the decoder it
// broke, and checks the answer the fix gives.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "core/config.h"
#include "core/crypto.h"
#include "core/repo.h"
#include "core/transfer.h"
#include "remote/ledger_wire.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

std::string Input(const std::string& harness, const std::string& name) {
  std::string path = std::string(AERGO_SOURCE_DIR) + "/tests/fuzz/corpus/" + harness + "/" + name;
  std::string bytes = testutil::ReadWholeFile(path);
  EXPECT_FALSE(bytes.empty()) << "missing " << path;
  return bytes;
}

// wire_json: ValueFrom (remote/ledger_wire.cpp) bound the key and value of a
// one-member object ({"blob": hex}, {"text_hex": hex}, {"real": "inf"}) to a
// temporary iteration proxy that died before they were read: ASan's
// stack-use-after-scope on every such value of a query answer.
TEST(FuzzRegressions, QueryAnswerObjectValuesDecode) {
  std::string input = Input("wire_json", "regress-query-object-values");
  ASSERT_FALSE(input.empty());
  ASSERT_EQ(input[0], 10) << "harness selector of DecodeQueryAnswer";
  auto r = DecodeQueryAnswer(std::string_view(input).substr(1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->rows.size(), 1u);
  ASSERT_EQ(r->rows[0].size(), 3u);
  EXPECT_EQ(r->rows[0][0], Value::Blob(std::string("\x00\xff", 2)));
  EXPECT_EQ(r->rows[0][1], Value::Text("\xff"));
  ASSERT_EQ(r->rows[0][2].type, Value::Type::kReal);
  EXPECT_TRUE(std::isinf(r->rows[0][2].real) && r->rows[0][2].real < 0);
  // And it re-encodes to what decodes to the same values.
  auto again = DecodeQueryAnswer(EncodeQueryAnswer(*r));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->rows, r->rows);
}

// pack: a pack header declaring 0xfefffffd objects made libgit2's indexer
// allocate an array for all of them (34 GB) before reading one; received
// packs now declare at most kMaxPackObjects (core/transfer.cpp).
class FuzzRegressionsPack : public testutil::RepoFixture {
 protected:
  FuzzRegressionsPack() : RepoFixture("aergo-fuzzreg", 0x61) {}

  Status Receive(const std::string& pack) {
    auto rx = PackReceiver::Create(&repo_->git(), 0);
    if (!rx.ok()) return rx.status();
    return (*rx)->Append(pack.data(), pack.size());
  }
};

TEST_F(FuzzRegressionsPack, PackDeclaringTooManyObjectsIsRefused) {
  std::string input = Input("pack", "regress-huge-object-count");
  ASSERT_GE(input.size(), 12u);
  Status st = Receive(input);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kInvalid) << st.message();
  EXPECT_NE(st.message().find("too many objects"), std::string::npos) << st.message();
}

TEST_F(FuzzRegressionsPack, ObjectCountJustOverTheBoundIsRefused) {
  const uint32_t n = (uint32_t{1} << 26) + 1;
  std::string header = std::string("PACK") + std::string("\x00\x00\x00\x02", 4) +
                       std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                   static_cast<char>(n >> 8), static_cast<char>(n)};
  Status st = Receive(header);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("too many objects"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace aergo

namespace aergo {
namespace {

// fuzz_config: a config line holding "%invalid_line%" made Boost's error
// message expand itself without end; Config::Load hung on 80 bytes.
TEST(FuzzRegressions, ConfigLineWithBoostPlaceholdersIsRefusedNotExpanded) {
  std::string dir = testing::TempDir() + "/aergo-fuzzreg-config";
  std::filesystem::create_directories(dir);
  std::string path = dir + "/config";
  {
    std::ofstream f(path, std::ios::binary);
    f << "[user]\nkke%%%%\x83\x83%invalid_line%\x83\x83%%\n";
  }
  auto cfg = Config::Load(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), Code::kInvalid);
  EXPECT_NE(cfg.status().message().find("invalid line 'kke%%%%"), std::string::npos) << cfg.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aergo
