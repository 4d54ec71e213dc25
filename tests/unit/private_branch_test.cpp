// Unit tests for private branches: the flag in the index (core/index.h
// BranchPolicy, Repository::CreateBranch/BranchPrivate, the format-3 -> 4
// migration), the visibility rule of daemon/access.h (ReadScope,
// BranchRole, CheckBlockReadable) and the wire fields that carry the flag
// (remote/wire.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/sqlite.h"
#include "daemon/access.h"
#include "remote/wire.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

class PrivateBranchTest : public testutil::RepoFixture {
 protected:
  PrivateBranchTest() : RepoFixture("aergo-private-test", 0x61) {}

  void Reopen(OpenMode mode) {
    repo_.reset();  // releases the lock
    auto r = Repository::Open(aergo_dir_, mode, clock_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    repo_ = std::move(r.value());
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(RepoFixture::SetUp());
    aergo_dir_ = repo_->path();
  }

  bool IsPrivate(const std::string& branch) {
    auto p = repo_->BranchPrivate(branch);
    EXPECT_TRUE(p.ok()) << branch << ": " << p.status().message();
    return p.ok() && *p;
  }

  // Runs SQL on the repository's database behind its back (repository
  // closed), as an older aergo would have left it.
  void RawSql(const std::string& sql) {
    repo_.reset();
    auto db = Db::Open(aergo_dir_ + "/ledger.db", true);
    ASSERT_TRUE(db.ok()) << db.status().message();
    Status st = db->Exec(sql);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::string Format() {
    auto f = repo_->index().GetMeta("format");
    return f.ok() && *f ? **f : "?";
  }

  // A grant or revoke by admin_ on the checked-out branch (pending).
  void Access(const std::string& verb, const SecretKey& who, const std::string& role = "") {
    std::vector<Value> args = {Value::Text(Addr(who))};
    if (!role.empty()) args.push_back(Value::Text(role));
    SubmitOk({repo_->MakeTx(TxKind::kAccess, admin_, "aergo", verb, std::move(args), "")});
  }
  void Checkout(const std::string& rev) {
    Status st = repo_->Checkout(rev);
    ASSERT_TRUE(st.ok()) << rev << ": " << st.message();
  }
  Hash32 Head(const std::string& branch) {
    auto h = repo_->BranchHead(branch);
    EXPECT_TRUE(h.ok() && *h) << branch;
    return h.ok() && *h ? **h : Hash32{};
  }

  // The names of the branches `caller` may read, and the private ones.
  std::pair<std::vector<std::string>, std::set<std::string>> Sees(const std::optional<std::string>& caller) {
    auto scope = ReadScope::Compute(*repo_, caller);
    EXPECT_TRUE(scope.ok()) << scope.status().message();
    if (!scope.ok()) return {};
    std::vector<std::string> names;
    for (const auto& b : scope->branches()) names.push_back(b.first);
    return {names, scope->private_branches()};
  }
  bool Readable(const std::optional<std::string>& caller, const Hash32& block) {
    auto scope = ReadScope::Compute(*repo_, caller);
    EXPECT_TRUE(scope.ok()) << scope.status().message();
    if (!scope.ok()) return false;
    auto r = scope->Readable(block);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && *r;
  }
  std::vector<std::string> Tags(const std::optional<std::string>& caller) {
    auto scope = ReadScope::Compute(*repo_, caller);
    EXPECT_TRUE(scope.ok()) << scope.status().message();
    if (!scope.ok()) return {};
    auto tags = scope->VisibleTags();
    EXPECT_TRUE(tags.ok()) << tags.status().message();
    std::vector<std::string> out;
    if (tags.ok())
      for (const auto& t : *tags) out.push_back(t.first);
    return out;
  }

  // master: block1, block2 (public). secret: private, from block1, one
  // block of its own ("s1") granting alice read in its directory. HEAD on
  // master.
  void BuildScene() {
    BuildHistory();
    ASSERT_TRUE(repo_->CreateBranch("secret", block1_.Id(), "", true).ok());
    Checkout("secret");
    Access("grant", alice_, "read");
    s1_ = CommitOk("alice may read secret");
    Checkout("master");
  }

  std::string aergo_dir_;
  Block s1_;
};

using Names = std::vector<std::string>;

// ---- the flag in the index ----

TEST_F(PrivateBranchTest, FlagIsStoredListedAndDroppedWithTheBranch) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("open", block1_.Id()).ok());
  ASSERT_TRUE(repo_->CreateBranch("hidden", block1_.Id(), "", true).ok());
  EXPECT_FALSE(IsPrivate("master"));
  EXPECT_FALSE(IsPrivate("open"));
  EXPECT_TRUE(IsPrivate("hidden"));
  EXPECT_EQ(repo_->BranchPrivate("nosuch").status().code(), Code::kNotFound);
  auto flagged = repo_->index().PrivateBranches();
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(*flagged, std::set<std::string>{"hidden"});
  // The flag survives a reopen, read-only too.
  Reopen(OpenMode::kRead);
  EXPECT_TRUE(IsPrivate("hidden"));
  EXPECT_FALSE(IsPrivate("open"));
  Reopen(OpenMode::kWrite);

  // Deleting drops the flag; the name created again is not private.
  ASSERT_TRUE(repo_->DeleteBranch("hidden").ok());
  EXPECT_TRUE(repo_->index().PrivateBranches()->empty());
  ASSERT_TRUE(repo_->CreateBranch("hidden", block2_.Id()).ok());
  EXPECT_FALSE(IsPrivate("hidden"));
  // ... and a public branch deleted and created private is private.
  ASSERT_TRUE(repo_->DeleteBranch("open").ok());
  ASSERT_TRUE(repo_->CreateBranch("open", block2_.Id(), "", true).ok());
  EXPECT_TRUE(IsPrivate("open"));

  // A stale record (a crash between record and ref) is overwritten by the
  // next creation, whatever its flag.
  ASSERT_TRUE(repo_->index().SetBranchPolicy("ghost", BranchPolicy{"", true}).ok());
  ASSERT_TRUE(repo_->CreateBranch("ghost", block2_.Id()).ok());
  EXPECT_FALSE(IsPrivate("ghost"));
  // Creating over an existing name fails and leaves its flag alone.
  EXPECT_EQ(repo_->CreateBranch("open", block1_.Id()).code(), Code::kExists);
  EXPECT_TRUE(IsPrivate("open"));
}

TEST_F(PrivateBranchTest, FlagAndResolverAreKeptTogether) {
  BuildHistory();
  SubmitOk({repo_->MakeTx(TxKind::kDeploy, admin_, "merges", "", {},
                          "CREATE TABLE log(txid TEXT PRIMARY KEY);\n"
                          "CREATE FUNCTION record(id TEXT, contract TEXT, function TEXT, args TEXT, error TEXT) AS\n"
                          "  INSERT INTO log VALUES (:id);\nEND;\n")});
  Block b3 = CommitOk("merges");
  ASSERT_TRUE(repo_->CreateBranch("both", b3.Id(), "merges.record", true).ok());
  EXPECT_TRUE(IsPrivate("both"));
  EXPECT_EQ(*repo_->BranchResolver("both"), "merges.record");
  // Changing the flag keeps the resolver, and the reverse.
  ASSERT_TRUE(repo_->SetBranchPrivate("both", false).ok());
  EXPECT_FALSE(IsPrivate("both"));
  EXPECT_EQ(*repo_->BranchResolver("both"), "merges.record");
  ASSERT_TRUE(repo_->SetBranchPrivate("master", true).ok());
  EXPECT_TRUE(IsPrivate("master"));
  EXPECT_EQ(*repo_->BranchResolver("master"), "");
  ASSERT_TRUE(repo_->SetBranchPrivate("master", false).ok());
  EXPECT_TRUE(repo_->index().PrivateBranches()->empty());
  EXPECT_EQ(repo_->SetBranchPrivate("nosuch", true).code(), Code::kNotFound);
}

// A format-3 repository (branch_policies without the private column)
// still opens: read-only as it is, with no branch private; for writing it
// is migrated to format 5, its policies kept.
TEST_F(PrivateBranchTest, FormatThreeOpensAndIsMigrated) {
  BuildHistory();
  ASSERT_TRUE(repo_->CreateBranch("side", block1_.Id()).ok());
  EXPECT_EQ(Format(), "5");
  ASSERT_NO_FATAL_FAILURE(RawSql(
      "DROP TABLE branch_policies;"
      "CREATE TABLE branch_policies(branch TEXT PRIMARY KEY, resolver TEXT NOT NULL) WITHOUT ROWID;"
      "INSERT INTO branch_policies VALUES('side', 'merges.record');"
      "UPDATE meta SET value = '3' WHERE key = 'format';"));
  Reopen(OpenMode::kRead);
  EXPECT_EQ(Format(), "3");
  EXPECT_FALSE(IsPrivate("side"));
  EXPECT_EQ(*repo_->BranchResolver("side"), "merges.record");
  EXPECT_TRUE(repo_->index().PrivateBranches()->empty());
  auto scope = ReadScope::Compute(*repo_, std::nullopt);
  ASSERT_TRUE(scope.ok()) << scope.status().message();
  EXPECT_EQ(scope->branches().size(), 2u);

  Reopen(OpenMode::kWrite);
  EXPECT_EQ(Format(), "5");
  EXPECT_FALSE(IsPrivate("side"));
  EXPECT_EQ(*repo_->BranchResolver("side"), "merges.record");
  ASSERT_TRUE(repo_->CreateBranch("hidden", block2_.Id(), "", true).ok());
  EXPECT_TRUE(IsPrivate("hidden"));
  Reopen(OpenMode::kRead);
  EXPECT_TRUE(IsPrivate("hidden"));

  // Another format is still refused.
  ASSERT_NO_FATAL_FAILURE(RawSql("UPDATE meta SET value = '6' WHERE key = 'format'"));
  auto r = Repository::Open(aergo_dir_, OpenMode::kRead, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("has format 6; this aergo reads format 5 only"), std::string::npos)
      << r.status().message();
}

// ---- the visibility rule ----

TEST_F(PrivateBranchTest, PrivateBranchNeedsARoleInItsOwnDirectory) {
  ASSERT_NO_FATAL_FAILURE(BuildScene());
  // Anonymous, and bob (no role anywhere): master only.
  for (const auto& caller : {std::optional<std::string>(), std::optional<std::string>(Addr(bob_))}) {
    auto [names, priv] = Sees(caller);
    EXPECT_EQ(names, Names{"master"});
    EXPECT_TRUE(priv.empty());
    EXPECT_FALSE(Readable(caller, s1_.Id()));
    EXPECT_TRUE(Readable(caller, block2_.Id()));
    EXPECT_TRUE(Readable(caller, block1_.Id()));
    EXPECT_TRUE(Readable(caller, repo_->chain_id()));
  }
  // alice has read in secret's directory (not in master's: the scope does
  // not check the repository role).
  auto [a_names, a_priv] = Sees(Addr(alice_));
  EXPECT_EQ(a_names, (Names{"master", "secret"}));
  EXPECT_EQ(a_priv, std::set<std::string>{"secret"});
  EXPECT_TRUE(Readable(Addr(alice_), s1_.Id()));
  // The admin (from genesis, in both directories) too.
  EXPECT_EQ(Sees(Addr(admin_)).first, (Names{"master", "secret"}));

  // Anonymous never reads a private branch, even with the grant of an
  // anonymous-looking row: there is no address to look up.
  Hash32 unknown{};
  unknown.fill(0xab);
  EXPECT_FALSE(Readable(Addr(admin_), unknown));

  // CheckBlockReadable: the same answer as an unknown block.
  Status hidden = CheckBlockReadable(*repo_, Addr(bob_), s1_.Id());
  EXPECT_EQ(hidden.code(), Code::kNotFound);
  EXPECT_EQ(hidden.message(), "block " + ToHex(s1_.Id()) + " not found");
  Status missing = CheckBlockReadable(*repo_, Addr(bob_), unknown);
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message(), "block " + ToHex(unknown) + " not found");
  EXPECT_TRUE(CheckBlockReadable(*repo_, Addr(alice_), s1_.Id()).ok());
  EXPECT_TRUE(CheckBlockReadable(*repo_, std::nullopt, block2_.Id()).ok());
  EXPECT_TRUE(CheckBlockReadable(*repo_, std::nullopt, block1_.Id()).ok());
}

TEST_F(PrivateBranchTest, GrantsAndRevokesOnTheBranchDecide) {
  ASSERT_NO_FATAL_FAILURE(BuildScene());
  // A grant on master gives bob nothing on secret.
  Access("grant", bob_, "write");
  CommitOk("bob may write on master");
  EXPECT_EQ(Sees(Addr(bob_)).first, Names{"master"});

  // A pending grant counts for nothing (issue 13: roles come from sealed
  // heads, never a merge pool), checked out or not.
  Checkout("secret");
  Access("grant", bob_, "read");
  EXPECT_EQ(Sees(Addr(bob_)).first, Names{"master"});
  auto role = BranchRole(*repo_, "secret", Head("secret"), Addr(bob_));
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(*role, Role::kNone);
  Checkout("master");
  EXPECT_EQ(Sees(Addr(bob_)).first, Names{"master"});
  role = BranchRole(*repo_, "secret", Head("secret"), Addr(bob_));
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(*role, Role::kNone);
  // Committed there, it does.
  Checkout("secret");
  CommitOk("bob may read secret");
  Checkout("master");
  EXPECT_EQ(Sees(Addr(bob_)).first, (Names{"master", "secret"}));
  EXPECT_EQ(*BranchRole(*repo_, "secret", Head("secret"), Addr(bob_)), Role::kRead);
  EXPECT_EQ(*BranchRole(*repo_, "secret", Head("secret"), Addr(admin_)), Role::kAdmin);

  // Revoked there: hidden again (from a detached HEAD, too).
  Checkout("secret");
  Access("revoke", bob_);
  CommitOk("bob leaves secret");
  Checkout(ToHex(block1_.Id()));
  EXPECT_EQ(Sees(Addr(bob_)).first, Names{"master"});
  EXPECT_EQ(Sees(Addr(alice_)).first, (Names{"master", "secret"}));
}

TEST_F(PrivateBranchTest, TagsAndBlocksFollowTheReadableBranches) {
  ASSERT_NO_FATAL_FAILURE(BuildScene());
  ASSERT_TRUE(repo_->CreateTag("v1", block1_.Id()).ok());      // on both
  ASSERT_TRUE(repo_->CreateTag("v2", block2_.Id()).ok());      // master's head
  ASSERT_TRUE(repo_->CreateTag("s", s1_.Id()).ok());           // secret only
  EXPECT_EQ(Tags(std::nullopt), (Names{"v1", "v2"}));
  EXPECT_EQ(Tags(Addr(bob_)), (Names{"v1", "v2"}));
  EXPECT_EQ(Tags(Addr(alice_)), (Names{"s", "v1", "v2"}));

  // A block reachable from a private branch only, below its head.
  Checkout("secret");
  SubmitOk({Call(admin_, "mint", {Value::Text(Addr(bob_)), Value::Integer(5)})});
  Block s2 = CommitOk("s2");
  Checkout("master");
  EXPECT_FALSE(Readable(Addr(bob_), s1_.Id()));
  EXPECT_FALSE(Readable(Addr(bob_), s2.Id()));
  EXPECT_TRUE(Readable(Addr(alice_), s1_.Id()));

  // Once secret is merged into a public branch, its blocks are reachable
  // from that branch and readable by everyone who reads it.
  ASSERT_TRUE(repo_->CreateBranch("published", s2.Id()).ok());
  EXPECT_TRUE(Readable(std::nullopt, s1_.Id()));
  EXPECT_EQ(Tags(std::nullopt), (Names{"s", "v1", "v2"}));
  // A tag on a block no branch reaches (its branch deleted) is hidden.
  ASSERT_TRUE(repo_->DeleteBranch("published").ok());
  ASSERT_TRUE(repo_->DeleteBranch("secret", true).ok());
  EXPECT_EQ(Tags(Addr(admin_)), (Names{"v1", "v2"}));
  EXPECT_FALSE(Readable(Addr(admin_), s2.Id()));

  // One scope answers many questions in any order.
  auto scope = ReadScope::Compute(*repo_, std::nullopt);
  ASSERT_TRUE(scope.ok());
  for (const Hash32& id : {repo_->chain_id(), block2_.Id(), block1_.Id(), s2.Id(), block2_.Id()})
    EXPECT_EQ(*scope->Readable(id), id != s2.Id());
}

TEST_F(PrivateBranchTest, NothingPrivateWithoutASignedCaller) {
  BuildHistory();
  ASSERT_TRUE(repo_->SetBranchPrivate("master", true).ok());
  ASSERT_TRUE(repo_->CreateBranch("dev", block1_.Id()).ok());
  // The checked-out branch is private: its live directory decides.
  auto [names, priv] = Sees(std::nullopt);
  EXPECT_EQ(names, Names{"dev"});
  EXPECT_EQ(Sees(Addr(admin_)).first, (Names{"dev", "master"}));
  EXPECT_EQ(Sees(Addr(admin_)).second, std::set<std::string>{"master"});
  EXPECT_FALSE(Readable(std::nullopt, block2_.Id()));
  EXPECT_TRUE(Readable(std::nullopt, block1_.Id()));
  // Every branch private and the caller anonymous: nothing is readable,
  // not even the genesis block.
  ASSERT_TRUE(repo_->SetBranchPrivate("dev", true).ok());
  EXPECT_TRUE(Sees(std::nullopt).first.empty());
  EXPECT_FALSE(Readable(std::nullopt, repo_->chain_id()));
  EXPECT_TRUE(Tags(std::nullopt).empty());
}

// ---- the wire ----

TEST(PrivateBranchWire, RefsCarryTheFlagOnPrivateBranchesOnly) {
  RemoteRefs refs;
  refs.chain_id.fill(1);
  Hash32 a, b;
  a.fill(2);
  b.fill(3);
  refs.head = "master";
  refs.branches = {{"master", a}, {"secret", b}};
  refs.private_branches = {"secret"};
  std::string text = EncodeRefs(refs);
  EXPECT_NE(text.find("{\"block\":\"" + ToHex(a) + "\",\"name\":\"master\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("{\"block\":\"" + ToHex(b) + "\",\"name\":\"secret\",\"private\":true}"), std::string::npos)
      << text;
  auto back = DecodeRefs(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->private_branches, std::set<std::string>{"secret"});
  EXPECT_EQ(back->branches, refs.branches);

  // Older bodies (no field) and explicit false: not private.
  std::string id = ToHex(a);
  auto old = DecodeRefs(R"({"chain_id":")" + id + R"(","head":"","branches":[{"name":"x","block":")" + id +
                        R"("},{"name":"y","block":")" + id + R"(","private":false}]})");
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_TRUE(old->private_branches.empty());
  EXPECT_EQ(old->branches.size(), 2u);
  auto bad = DecodeRefs(R"({"chain_id":")" + id + R"(","head":"","branches":[{"name":"x","block":")" + id +
                        R"(","private":"yes"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
}

TEST(PrivateBranchWire, PushRequestCarriesTheFlag) {
  Hash32 h;
  h.fill(7);
  PushRequest r{"secret", h, {}};
  r.is_private = true;
  std::string head = EncodePushHead(r);
  EXPECT_NE(head.find("\"private\":true"), std::string::npos) << head;
  std::string body = head + "PACK";  // the decoded pack is a view into it
  auto back = DecodePushBody(body);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->request.is_private);
  EXPECT_EQ(back->pack, "PACK");

  PushRequest plain{"master", h, {}};
  std::string plain_head = EncodePushHead(plain);
  EXPECT_EQ(plain_head.find("private"), std::string::npos) << plain_head;  // what older clients send
  auto p = DecodePushBody(plain_head);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->request.is_private);

  std::string json = R"({"branch":"x","block":")" + ToHex(h) + R"(","private":1})";
  auto bad = DecodePushBody(std::to_string(json.size()) + "\n" + json);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
}

}  // namespace
}  // namespace aergo
