// Unit tests for Repository::Resolve's <ref>@<height> on a first-parent
// chain that skips heights: a merge block's height is max(parents) + 1, so
// after merging a taller branch the heights between the target's old head
// and the merge block name no block of the target's chain.
#include <gtest/gtest.h>

#include "core/repo.h"
#include "merge/merge.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

class RevisionTest : public testutil::RepoFixture {
 protected:
  RevisionTest() : RepoFixture("aergo-revision-test", 0x51) {}

  // master: genesis (0), setup (1), m2 (2), merge of tall (6).
  // tall:   setup (1), t2 .. t5 (2 .. 5). Tag v6: the merge block.
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RepoFixture::SetUp());
    SubmitOk({DeployToken(), Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(100)})});
    setup_ = CommitOk("setup").Id();
    ASSERT_TRUE(repo_->CreateBranch("tall", setup_).ok());
    ASSERT_TRUE(repo_->Checkout("tall").ok());
    for (int h = 2; h <= 5; ++h) {
      SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(h)})});
      tall_[h] = CommitOk("t" + std::to_string(h)).Id();
    }
    ASSERT_TRUE(repo_->Checkout("master").ok());
    SubmitOk({Call(admin_, "mint", {Value::Text(Addr(alice_)), Value::Integer(1)})});
    m2_ = CommitOk("m2").Id();
    clock_.Advance(1000);
    MergeOptions options;
    options.source_name = "tall";
    auto merged = MergeInto(*repo_, tall_[5], &admin_, options);
    ASSERT_TRUE(merged.ok()) << merged.status().message();
    merge_ = repo_->CurrentHead()->block.id;
    ASSERT_TRUE(repo_->CreateTag("v6", merge_).ok());
    auto row = repo_->BlockInfo(merge_);
    ASSERT_TRUE(row.ok());
    ASSERT_EQ(row->height, 6u) << "the merge block is at max(2, 5) + 1";
  }

  Hash32 ResolveOk(const std::string& rev) {
    auto r = repo_->Resolve(rev);
    EXPECT_TRUE(r.ok()) << rev << ": " << r.status().message();
    return r.ok() ? r.value() : Hash32{};
  }

  Hash32 setup_, m2_, merge_;
  Hash32 tall_[6];
};

TEST_F(RevisionTest, HeightsOnTheChainResolve) {
  EXPECT_EQ(ResolveOk("master@6"), merge_);
  EXPECT_EQ(ResolveOk("master@2"), m2_);
  EXPECT_EQ(ResolveOk("master@1"), setup_);
  EXPECT_EQ(ResolveOk("master@0"), repo_->chain_id());
  EXPECT_EQ(ResolveOk("HEAD@2"), m2_);
  EXPECT_EQ(ResolveOk("v6@2"), m2_);
  EXPECT_EQ(ResolveOk("master@6^2"), tall_[5]);
  for (int h = 2; h <= 5; ++h) EXPECT_EQ(ResolveOk("tall@" + std::to_string(h)), tall_[h]);
}

TEST_F(RevisionTest, SkippedHeightsAreNotFoundLikePastTheHead) {
  auto past = repo_->Resolve("master@99");
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), Code::kNotFound);
  EXPECT_EQ(past.status().message(), "revision 'master@99': 'master' has no block at height 99 (its head is at 6)");
  for (const std::string ref : {"master", "HEAD", "v6"}) {
    for (int h : {3, 4, 5}) {
      std::string rev = ref + "@" + std::to_string(h);
      auto r = repo_->Resolve(rev);
      ASSERT_FALSE(r.ok()) << rev << " resolved to " << ToHex(*r);
      EXPECT_EQ(r.status().code(), Code::kNotFound) << rev;
      EXPECT_EQ(r.status().message(), "revision '" + rev + "': '" + ref + "' has no block at height " +
                                          std::to_string(h) + " (its first-parent chain goes from height 6 to 2)");
      // Suffixes after a missing height fail the same way.
      EXPECT_EQ(repo_->Resolve(rev + "~1").status().code(), Code::kNotFound) << rev;
    }
  }
  // @ after a suffix is no revision (it used to be read as ^).
  for (const std::string rev : {"master^2@3", "master~1@1", "HEAD~x", "HEAD^2a"}) {
    auto r = repo_->Resolve(rev);
    ASSERT_FALSE(r.ok()) << rev << " resolved to " << ToHex(*r);
    EXPECT_EQ(r.status().code(), Code::kInvalid) << rev;
    EXPECT_NE(r.status().message().find("invalid revision '" + rev + "': unexpected"), std::string::npos)
        << r.status().message();
  }
  // The blocks of the skipped heights are on the second parent's chain.
  EXPECT_EQ(ResolveOk("tall@4"), tall_[4]);
}

}  // namespace
}  // namespace aergo
