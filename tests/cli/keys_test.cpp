// aergo key new/list/show, encrypted keys, and how the signing key is chosen
// (--key, AERGO_KEY, user.key in the repository, then in $AERGO_HOME/config).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

int FileMode(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

// InitRepo + the token contract deployed and committed.
std::string TokenRepo(Sandbox& sb) {
  std::string addr = sb.InitTokenRepo();
  RunResult d = sb.Run({"deploy", "token", "token.sql"}, sb.repo());
  EXPECT_EQ(d.code, 0) << d.err;
  RunResult c = sb.Run({"commit", "-m", "deploy"}, sb.repo());
  EXPECT_EQ(c.code, 0) << c.err;
  return addr;
}

long long Pool(Sandbox& sb) { return JNum(sb.Run({"status", "--json"}, sb.repo()).out, "pool"); }

// The sender of the tx whose --json receipt is `receipt`.
std::string SenderOf(Sandbox& sb, const std::string& receipt) {
  std::string txid = JStr(receipt, "txid");
  RunResult r = sb.Run({"show", txid, "--json"}, sb.repo());
  EXPECT_EQ(r.code, 0) << r.err;
  return JStr(r.out, "sender");
}

}  // namespace

TEST(CliKeys, NewListShowJsonFields) {
  Sandbox sb;
  RunResult n = sb.Run({"key", "new", "alice", "--json"});
  ASSERT_EQ(n.code, 0) << n.err;
  EXPECT_EQ(JStr(n.out, "name"), "alice");
  std::string addr = JStr(n.out, "address");
  std::string pub = JStr(n.out, "public_key");
  EXPECT_FALSE(addr.empty());
  EXPECT_FALSE(Has(addr, "missing")) << n.out;
  EXPECT_TRUE(IsHex(pub, 64)) << pub;
  EXPECT_TRUE(Has(n.out, "\"encrypted\": false")) << n.out;

  RunResult s = sb.Run({"key", "show", "alice", "--json"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(JStr(s.out, "name"), "alice");
  EXPECT_EQ(JStr(s.out, "address"), addr);
  EXPECT_EQ(JStr(s.out, "public_key"), pub);

  ASSERT_EQ(sb.Run({"key", "new", "bob"}).code, 0);
  RunResult l = sb.Run({"key", "list", "--json"});
  ASSERT_EQ(l.code, 0) << l.err;
  EXPECT_EQ(l.out.front(), '[') << l.out;
  EXPECT_TRUE(Has(l.out, "\"name\": \"alice\"")) << l.out;
  EXPECT_TRUE(Has(l.out, "\"name\": \"bob\"")) << l.out;
  EXPECT_TRUE(Has(l.out, addr)) << l.out;

  RunResult lt = sb.Run({"key", "list"});
  ASSERT_EQ(lt.code, 0) << lt.err;
  EXPECT_TRUE(Has(lt.out, "alice")) << lt.out;
  EXPECT_TRUE(Has(lt.out, "bob")) << lt.out;
  EXPECT_TRUE(Has(lt.out, addr)) << lt.out;
}

TEST(CliKeys, ShowTextAndNewText) {
  Sandbox sb;
  RunResult n = sb.Run({"key", "new", "carol"});
  ASSERT_EQ(n.code, 0) << n.err;
  EXPECT_TRUE(Has(n.out, "carol")) << n.out;
  RunResult j = sb.Run({"key", "show", "carol", "--json"});
  RunResult s = sb.Run({"key", "show", "carol"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_TRUE(Has(s.out, JStr(j.out, "address"))) << s.out;
  EXPECT_TRUE(Has(s.out, JStr(j.out, "public_key"))) << s.out;
}

TEST(CliKeys, EmptyListIsEmpty) {
  Sandbox sb;
  RunResult l = sb.Run({"key", "list", "--json"});
  EXPECT_EQ(l.code, 0) << l.err;
  EXPECT_EQ(l.out, "[]\n");
}

TEST(CliKeys, DistinctKeysHaveDistinctAddresses) {
  Sandbox sb;
  RunResult a = sb.Run({"key", "new", "a", "--json"});
  RunResult b = sb.Run({"key", "new", "b", "--json"});
  ASSERT_EQ(a.code, 0);
  ASSERT_EQ(b.code, 0);
  EXPECT_NE(JStr(a.out, "address"), JStr(b.out, "address"));
  EXPECT_NE(JStr(a.out, "public_key"), JStr(b.out, "public_key"));
}

TEST(CliKeys, NewOnExistingNameFailsAndKeepsTheKey) {
  Sandbox sb;
  RunResult a = sb.Run({"key", "new", "alice", "--json"});
  ASSERT_EQ(a.code, 0);
  RunResult again = sb.Run({"key", "new", "alice", "--json"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Has(again.err, "aergo: error: key 'alice' already exists")) << again.err;
  RunResult s = sb.Run({"key", "show", "alice", "--json"});
  EXPECT_EQ(JStr(s.out, "public_key"), JStr(a.out, "public_key"));
}

TEST(CliKeys, InvalidKeyNamesAreRefused) {
  Sandbox sb;
  for (const char* name : {"../evil", ".hidden", "a b", "sl/ash"}) {
    RunResult r = sb.Run({"key", "new", name});
    EXPECT_EQ(r.code, 1) << name << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error: invalid key name")) << name << ": " << r.err;
  }
  RunResult l = sb.Run({"key", "list", "--json"});
  EXPECT_EQ(l.out, "[]\n");
}

TEST(CliKeys, MissingKeyIsExit1) {
  Sandbox sb;
  RunResult s = sb.Run({"key", "show", "ghost"});
  EXPECT_EQ(s.code, 1);
  EXPECT_TRUE(Has(s.err, "aergo: error: key 'ghost' not found")) << s.err;

  TokenRepo(sb);
  long long before = Pool(sb);
  RunResult c = sb.Run({"call", "token", "open", "--key", "ghost"}, sb.repo());
  EXPECT_EQ(c.code, 1);
  EXPECT_TRUE(Has(c.err, "key 'ghost' not found")) << c.err;
  RunResult e = sb.Run({"call", "token", "open"}, sb.repo(), {{"AERGO_KEY", "ghost"}});
  EXPECT_EQ(e.code, 1);
  EXPECT_TRUE(Has(e.err, "key 'ghost' not found")) << e.err;
  EXPECT_EQ(Pool(sb), before);
}

TEST(CliKeys, KeyFilesAreMode0600) {
  Sandbox sb;
  ASSERT_EQ(sb.Run({"key", "new", "plain"}).code, 0);
  ASSERT_EQ(sb.Run({"key", "new", "enc"}, "", {{"AERGO_PASSPHRASE", "secret"}}).code, 0);
  EXPECT_EQ(FileMode(sb.home() + "/keys/plain.key"), 0600);
  EXPECT_EQ(FileMode(sb.home() + "/keys/enc.key"), 0600);
}

TEST(CliKeys, EncryptedKeyFileDoesNotStoreThePassphrase) {
  Sandbox sb;
  RunResult e = sb.Run({"key", "new", "enc", "--json"}, "", {{"AERGO_PASSPHRASE", "hunter2-secret"}});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_TRUE(Has(e.out, "\"encrypted\": true")) << e.out;
  std::ifstream in(sb.home() + "/keys/enc.key");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(text.empty());
  EXPECT_FALSE(Has(text, "hunter2-secret")) << "the passphrase must not be stored";
}

TEST(CliKeys, EncryptedKeyWithWrongPassphraseFails) {
  Sandbox sb;
  TokenRepo(sb);
  RunResult n = sb.Run({"key", "new", "enc", "--json"}, "", {{"AERGO_PASSPHRASE", "secret"}});
  ASSERT_EQ(n.code, 0) << n.err;
  EXPECT_TRUE(Has(n.out, "\"encrypted\": true")) << n.out;
  RunResult lt = sb.Run({"key", "list", "--json"});
  EXPECT_TRUE(Has(lt.out, "\"name\": \"enc\"")) << lt.out;

  long long before = Pool(sb);
  RunResult wrong = sb.Run({"call", "token", "open", "--key", "enc"}, sb.repo(),
                           {{"AERGO_PASSPHRASE", "wrong"}});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, "aergo: error: wrong passphrase for key 'enc'")) << wrong.err;
  EXPECT_EQ(Pool(sb), before) << "a call with a wrong passphrase must not reach the pool";

  RunResult empty = sb.Run({"call", "token", "open", "--key", "enc"}, sb.repo(),
                           {{"AERGO_PASSPHRASE", ""}});
  EXPECT_EQ(empty.code, 1);
  EXPECT_TRUE(Has(empty.err, "wrong passphrase for key 'enc'")) << empty.err;

  RunResult commit = sb.Run({"commit", "--key", "enc"}, sb.repo(), {{"AERGO_PASSPHRASE", "wrong"}});
  EXPECT_EQ(commit.code, 1);

  RunResult right = sb.Run({"call", "token", "open", "--key", "enc", "--json"}, sb.repo(),
                           {{"AERGO_PASSPHRASE", "secret"}});
  ASSERT_EQ(right.code, 0) << right.err;
  EXPECT_EQ(Pool(sb), before + 1);
  EXPECT_EQ(SenderOf(sb, right.out), JStr(n.out, "address"));
}

TEST(CliKeys, NoSigningKeyConfigured) {
  Sandbox sb;
  TokenRepo(sb);
  ASSERT_EQ(sb.Run({"config", "--unset", "user.key"}, sb.repo()).code, 0);
  auto expect_no_key = [&](const std::vector<std::string>& args) {
    RunResult r = sb.Run(args, sb.repo());
    EXPECT_EQ(r.code, 1) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err.rfind("aergo: error: ", 0), 0u) << r.err;
    EXPECT_TRUE(Has(r.err, "--key")) << r.err;
    EXPECT_TRUE(Has(r.err, "AERGO_KEY")) << r.err;
    EXPECT_TRUE(Has(r.err, "user.key")) << r.err;
  };
  expect_no_key({"call", "token", "open"});
  expect_no_key({"deploy", "t2", "token.sql"});
  EXPECT_EQ(Pool(sb), 0);
  // With nothing pending, commit says so before it asks for a key (as git).
  RunResult empty = sb.Run({"commit", "-m", "x"}, sb.repo());
  EXPECT_EQ(empty.code, 1);
  EXPECT_TRUE(Has(empty.err, "nothing to commit")) << empty.err;
  ASSERT_EQ(sb.Run({"call", "token", "open", "--key", "alice"}, sb.repo()).code, 0);
  expect_no_key({"commit", "-m", "x"});
  EXPECT_EQ(Pool(sb), 1);
}

TEST(CliKeys, UserKeyFromAergoHomeConfig) {
  Sandbox sb;
  TokenRepo(sb);
  RunResult bob = sb.Run({"key", "new", "bob", "--json"});
  ASSERT_EQ(bob.code, 0);
  ASSERT_EQ(sb.Run({"config", "--unset", "user.key"}, sb.repo()).code, 0);
  std::ofstream(sb.home() + "/config") << "[user]\nkey = bob\n";
  RunResult r = sb.Run({"call", "token", "open", "--json"}, sb.repo());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(SenderOf(sb, r.out), JStr(bob.out, "address"));
}

TEST(CliKeys, SigningKeyPrecedence) {
  Sandbox sb;
  std::string alice = TokenRepo(sb);  // user.key = alice
  RunResult bob = sb.Run({"key", "new", "bob", "--json"});
  RunResult carol = sb.Run({"key", "new", "carol", "--json"});
  ASSERT_EQ(bob.code, 0);
  ASSERT_EQ(carol.code, 0);

  // user.key
  RunResult a = sb.Run({"call", "token", "open", "--json"}, sb.repo());
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(SenderOf(sb, a.out), alice);
  // AERGO_KEY beats user.key
  RunResult b = sb.Run({"call", "token", "open", "--json"}, sb.repo(), {{"AERGO_KEY", "bob"}});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(SenderOf(sb, b.out), JStr(bob.out, "address"));
  // --key beats AERGO_KEY
  RunResult c = sb.Run({"call", "token", "open", "--key", "carol", "--json"}, sb.repo(),
                       {{"AERGO_KEY", "bob"}});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(SenderOf(sb, c.out), JStr(carol.out, "address"));

  // The block producer follows the same rule.
  RunResult commit = sb.Run({"commit", "-m", "by bob"}, sb.repo(), {{"AERGO_KEY", "bob"}});
  ASSERT_EQ(commit.code, 0) << commit.err;
  RunResult log = sb.Run({"log", "-n", "1", "--json"}, sb.repo());
  EXPECT_EQ(JStr(log.out, "producer"), JStr(bob.out, "address")) << log.out;
}

TEST(CliKeys, SecondOpenBySameKeyFailsButOtherKeySucceeds) {
  // The key really changes :sender: open() inserts the sender's account,
  // so a second open() by the same key violates the primary key.
  Sandbox sb;
  TokenRepo(sb);
  ASSERT_EQ(sb.Run({"key", "new", "bob"}).code, 0);
  EXPECT_EQ(sb.Run({"call", "token", "open"}, sb.repo()).code, 0);
  RunResult dup = sb.Run({"call", "token", "open"}, sb.repo());
  EXPECT_EQ(dup.code, 1);
  EXPECT_TRUE(Has(dup.err, "aergo: error: call token.open failed")) << dup.err;
  EXPECT_EQ(sb.Run({"call", "token", "open"}, sb.repo(), {{"AERGO_KEY", "bob"}}).code, 0);
  EXPECT_EQ(Pool(sb), 2);
}

TEST(CliKeys, KeyUsageErrors) {
  Sandbox sb;
  RunResult none = sb.Run({"key"});
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(Has(none.err, "usage: aergo key")) << none.err;
  RunResult noname = sb.Run({"key", "new"});
  EXPECT_EQ(noname.code, 2);
  EXPECT_TRUE(Has(noname.err, "usage: aergo key")) << noname.err;
  RunResult verb = sb.Run({"key", "delete", "x"});
  EXPECT_EQ(verb.code, 2);
}

}  // namespace aergo::clitest
