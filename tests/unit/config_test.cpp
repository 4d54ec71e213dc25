// Unit tests for core/config.h: the INI config file.
#include "core/config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/test_util.h"

namespace aergo {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  std::string ReadFile() const { return testutil::ReadWholeFile(path_); }
  void WriteFile(const std::string& text) const { testutil::WriteWholeFile(path_, text); }

  testutil::TempDir tmp_{"aergo-config-test"};
  const std::string& dir_ = tmp_.path();
  const std::string path_ = dir_ + "/config";
};

TEST_F(ConfigTest, MissingFileIsEmpty) {
  auto c = Config::Load(path_);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->values().empty());
  EXPECT_FALSE(c->Get("user.key").has_value());
  EXPECT_FALSE(fs::exists(path_));  // loading does not create it
}

TEST_F(ConfigTest, SetGetSaveLoad) {
  auto c = Config::Load(path_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->Set("user.key", "alice").ok());
  ASSERT_TRUE(c->Set("core.consensus", "solo").ok());
  ASSERT_TRUE(c->Set("core.public", "false").ok());
  EXPECT_EQ(c->Get("user.key"), "alice");
  ASSERT_TRUE(c->Save().ok());
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));  // replaced atomically

  std::string text = ReadFile();
  EXPECT_NE(text.find("[core]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("consensus = solo\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[user]\nkey = alice\n"), std::string::npos) << text;

  auto back = Config::Load(path_);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->values(), c->values());
  EXPECT_EQ(back->Get("core.public"), "false");
  EXPECT_EQ(back->values().size(), 3u);
}

TEST_F(ConfigTest, SetOverwrites) {
  auto c = Config::Load(path_);
  ASSERT_TRUE(c->Set("user.key", "alice").ok());
  ASSERT_TRUE(c->Set("user.key", "bob").ok());
  EXPECT_EQ(c->Get("user.key"), "bob");
  ASSERT_TRUE(c->Save().ok());
  EXPECT_EQ(Config::Load(path_)->Get("user.key"), "bob");
}

TEST_F(ConfigTest, Unset) {
  auto c = Config::Load(path_);
  ASSERT_TRUE(c->Set("user.key", "alice").ok());
  ASSERT_TRUE(c->Set("user.name", "Alice").ok());
  ASSERT_TRUE(c->Unset("user.key").ok());
  EXPECT_FALSE(c->Get("user.key").has_value());
  Status st = c->Unset("user.key");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("user.key"), std::string::npos);
  ASSERT_TRUE(c->Save().ok());
  auto back = Config::Load(path_);
  EXPECT_FALSE(back->Get("user.key").has_value());
  EXPECT_EQ(back->Get("user.name"), "Alice");
}

TEST_F(ConfigTest, InvalidKeys) {
  auto c = Config::Load(path_);
  for (const char* key : {"", "nodot", ".key", "section.", "a..b", "User.key", "user.Key",
                          "user key.x", "user.k=y", "sec/tion.key", "user.k\xc3\xa9"}) {
    EXPECT_FALSE(Config::IsValidKey(key)) << key;
    Status st = c->Set(key, "v");
    EXPECT_EQ(st.code(), Code::kInvalid) << key;
    EXPECT_NE(st.message().find("invalid config key"), std::string::npos) << st.message();
  }
  EXPECT_TRUE(c->values().empty());
  for (const char* key : {"user.key", "a.b", "core.log_level", "x-1.y_2", "remote.origin.url"})
    EXPECT_TRUE(Config::IsValidKey(key)) << key;
}

TEST_F(ConfigTest, ValueWithNewlineRejected) {
  auto c = Config::Load(path_);
  Status st = c->Set("user.key", "a\nb");
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_FALSE(c->Get("user.key").has_value());
}

TEST_F(ConfigTest, SubsectionKeys) {
  auto c = Config::Load(path_);
  ASSERT_TRUE(c->Set("remote.origin.url", "http://example.org:7845/ledger").ok());
  ASSERT_TRUE(c->Set("remote.backup.url", "http://backup:7845/ledger").ok());
  ASSERT_TRUE(c->Set("branch.master.resolver", "token.resolve").ok());
  ASSERT_TRUE(c->Save().ok());
  std::string text = ReadFile();
  EXPECT_NE(text.find("[remote.origin]\nurl = http://example.org:7845/ledger\n"), std::string::npos)
      << text;
  auto back = Config::Load(path_);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Get("remote.origin.url"), "http://example.org:7845/ledger");
  EXPECT_EQ(back->Get("remote.backup.url"), "http://backup:7845/ledger");
  EXPECT_EQ(back->Get("branch.master.resolver"), "token.resolve");
  EXPECT_EQ(back->values().size(), 3u);
}

TEST_F(ConfigTest, ValuesWithSpaces) {
  auto c = Config::Load(path_);
  ASSERT_TRUE(c->Set("user.name", "Alice B. Carol").ok());
  ASSERT_TRUE(c->Set("user.note", "a = b = c").ok());
  ASSERT_TRUE(c->Set("user.utf8", "h\xc3\xa9llo w\xc3\xb6rld").ok());
  ASSERT_TRUE(c->Save().ok());
  auto back = Config::Load(path_);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Get("user.name"), "Alice B. Carol");
  EXPECT_EQ(back->Get("user.note"), "a = b = c");
  EXPECT_EQ(back->Get("user.utf8"), "h\xc3\xa9llo w\xc3\xb6rld");
}

TEST_F(ConfigTest, ValuesThatWouldNotReadBackAreRefused) {
  // Set accepts only what reads back unchanged after Save: the INI parser
  // treats '#' as a comment and trims blanks.
  auto c = Config::Load(path_);
  Status st = c->Set("remote.origin.url", "http://host/ledger#main");
  EXPECT_EQ(st.code(), Code::kInvalid);
  EXPECT_NE(st.message().find("cannot contain '#'"), std::string::npos) << st.message();
  EXPECT_EQ(c->Set("user.note", " padded").code(), Code::kInvalid);
  ASSERT_TRUE(c->Set("user.note", "a ; b = c").ok());
  ASSERT_TRUE(c->Save().ok());
  auto back = Config::Load(path_);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Get("user.note"), "a ; b = c");
  EXPECT_FALSE(back->Get("remote.origin.url").has_value());
}

TEST_F(ConfigTest, ReadsHandWrittenFile) {
  WriteFile("# a comment\n[core]\n  consensus   =   solo  \n\n[remote.origin]\nurl=http://h/x\n");
  auto c = Config::Load(path_);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->Get("core.consensus"), "solo");
  EXPECT_EQ(c->Get("remote.origin.url"), "http://h/x");
}

TEST_F(ConfigTest, MalformedFileIsInvalid) {
  WriteFile("[core\nthis is not ini\n");
  auto c = Config::Load(path_);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalid);
  EXPECT_NE(c.status().message().find("malformed"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find(path_), std::string::npos);
}

TEST_F(ConfigTest, SaveIntoMissingDirectoryFails) {
  auto c = Config::Load(dir_ + "/no/such/dir/config");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->Set("user.key", "x").ok());
  Status st = c->Save();
  EXPECT_EQ(st.code(), Code::kIo);
}

}  // namespace
}  // namespace aergo
