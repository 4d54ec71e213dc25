// CLI conventions (docs/design.md §10, issue 2): exit codes 0/1/2, usage lines,
// --help and man pages for every command, -C, AERGO_DIR, -q, "not an aergo
// repository", lowercase "aergo: error:" messages, well-formed --json.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// Every command of the table, as listed by `aergo --help`.
std::vector<std::string> ListedCommands(Sandbox& sb) {
  RunResult r = sb.Run({"--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<std::string> cmds;
  bool in_list = false;
  for (const auto& l : Lines(r.out)) {
    if (l == "commands:") { in_list = true; continue; }
    if (!in_list) continue;
    if (l.size() < 3 || l[0] != ' ' || l[1] != ' ' || l[2] == ' ') {
      if (!cmds.empty()) break;
      continue;
    }
    std::string name = l.substr(2, l.find(' ', 2) - 2);
    cmds.push_back(name);
  }
  return cmds;
}

const std::set<std::string> kExpectedCommands = {"init",   "status", "commit", "log",  "show",
                                                 "branch", "tag",    "checkout", "fsck", "config",
                                                 "key",    "deploy", "call",   "reset", "query",
                                                 "help"};

// A minimal strict JSON validator (RFC 8259 grammar, no extensions).
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& s) : s_(s) {}
  bool Valid() {
    Ws();
    if (!Value()) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool Lit(const char* w) {
    std::string x = w;
    if (s_.compare(i_, x.size(), x) != 0) return false;
    i_ += x.size();
    return true;
  }
  bool String() {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') { ++i_; return true; }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        char e = s_[i_];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k)
            if (i_ + k >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_ + k]))) return false;
          i_ += 4;
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          return false;
        }
      }
      ++i_;
    }
    return false;
  }
  bool Number() {
    size_t st = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
    if (s_[i_] == '0') ++i_;
    else while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return i_ > st;
  }
  bool Value() {
    if (++depth_ > 200) return false;
    Ws();
    bool ok = false;
    if (i_ >= s_.size()) ok = false;
    else if (s_[i_] == '{') {
      ++i_;
      Ws();
      if (i_ < s_.size() && s_[i_] == '}') { ++i_; ok = true; }
      else {
        for (;;) {
          Ws();
          if (!String()) break;
          Ws();
          if (i_ >= s_.size() || s_[i_] != ':') break;
          ++i_;
          if (!Value()) break;
          Ws();
          if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
          if (i_ < s_.size() && s_[i_] == '}') { ++i_; ok = true; }
          break;
        }
      }
    } else if (s_[i_] == '[') {
      ++i_;
      Ws();
      if (i_ < s_.size() && s_[i_] == ']') { ++i_; ok = true; }
      else {
        for (;;) {
          if (!Value()) break;
          Ws();
          if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
          if (i_ < s_.size() && s_[i_] == ']') { ++i_; ok = true; }
          break;
        }
      }
    } else if (s_[i_] == '"') ok = String();
    else if (s_[i_] == 't') ok = Lit("true");
    else if (s_[i_] == 'f') ok = Lit("false");
    else if (s_[i_] == 'n') ok = Lit("null");
    else ok = Number();
    --depth_;
    return ok;
  }
  const std::string& s_;
  size_t i_ = 0;
  int depth_ = 0;
};

bool IsJson(const std::string& s) { return JsonChecker(s).Valid(); }

// The text after "aergo: error: " on the first error line starts lowercase.
void ExpectLowercaseError(const RunResult& r, const std::string& what) {
  const std::string prefix = "aergo: error: ";
  ASSERT_EQ(r.err.rfind(prefix, 0), 0u) << what << ": stderr should start with '" << prefix
                                        << "':\n" << r.err;
  ASSERT_GT(r.err.size(), prefix.size()) << what;
  unsigned char c = static_cast<unsigned char>(r.err[prefix.size()]);
  EXPECT_FALSE(std::isupper(c)) << what << ": error message should start lowercase:\n" << r.err;
}

}  // namespace

TEST(CliConventions, CommandTableListsEveryExpectedCommand) {
  Sandbox sb;
  auto cmds = ListedCommands(sb);
  std::set<std::string> got(cmds.begin(), cmds.end());
  for (const auto& c : kExpectedCommands) EXPECT_TRUE(got.count(c)) << "missing command " << c;
}

TEST(CliConventions, UnknownCommandIsUsageError) {
  Sandbox sb;
  RunResult r = sb.Run({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "aergo: error: unknown command 'frobnicate'")) << r.err;
  EXPECT_TRUE(Has(r.err, "usage: aergo")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CliConventions, NoCommandIsUsageError) {
  Sandbox sb;
  RunResult r = sb.Run({});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "usage: aergo")) << r.err;
}

TEST(CliConventions, UnknownGlobalOptionIsUsageError) {
  Sandbox sb;
  RunResult r = sb.Run({"--frob", "status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "aergo: error: unknown option '--frob'")) << r.err;
  EXPECT_TRUE(Has(r.err, "usage: aergo")) << r.err;
}

TEST(CliConventions, GlobalHelpAndVersion) {
  Sandbox sb;
  RunResult h = sb.Run({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_EQ(h.out.rfind("usage: aergo", 0), 0u) << h.out;
  RunResult v = sb.Run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("aergo ", 0), 0u) << v.out;
}

TEST(CliConventions, UnknownFlagOnEveryCommandIsUsageErrorWithUsageLine) {
  Sandbox sb;
  sb.InitRepo();
  auto cmds = ListedCommands(sb);
  ASSERT_FALSE(cmds.empty());
  for (const auto& c : cmds) {
    RunResult r = sb.Run({c, "--no-such-flag"}, sb.repo());
    EXPECT_EQ(r.code, 2) << "aergo " << c << " --no-such-flag\n" << r.err;
    EXPECT_TRUE(Has(r.err, "aergo: error:")) << c << ": " << r.err;
    EXPECT_TRUE(Has(r.err, "usage: aergo " + c)) << c << ": " << r.err;
  }
}

TEST(CliConventions, HelpFlagOnEveryCommand) {
  Sandbox sb;
  auto cmds = ListedCommands(sb);
  ASSERT_FALSE(cmds.empty());
  for (const auto& c : cmds) {
    // Outside any repository: --help never needs one.
    RunResult r = sb.Run({c, "--help"});
    EXPECT_EQ(r.code, 0) << "aergo " << c << " --help\n" << r.err;
    EXPECT_EQ(r.out.rfind("usage: aergo " + c, 0), 0u) << "aergo " << c << " --help:\n" << r.out;
    EXPECT_TRUE(r.err.empty()) << c << ": " << r.err;
  }
}

TEST(CliConventions, ShortHelpFlag) {
  Sandbox sb;
  for (const char* c : {"status", "log", "commit", "query"}) {
    RunResult r = sb.Run({c, "-h"});
    EXPECT_EQ(r.code, 0) << c << ": " << r.err;
    EXPECT_EQ(r.out.rfind(std::string("usage: aergo ") + c, 0), 0u) << r.out;
  }
}

TEST(CliConventions, ManPageForEveryCommand) {
  Sandbox sb;
  auto cmds = ListedCommands(sb);
  ASSERT_FALSE(cmds.empty());
  for (const auto& c : cmds) {
    RunResult r = sb.Run({"help", c});
    if (r.code != 0) {
      ADD_FAILURE() << "aergo help " << c << " exited " << r.code << ": " << r.err;
      continue;
    }
    EXPECT_TRUE(Has(r.out, "aergo-" + c)) << "aergo help " << c << " should show its man page:\n"
                                          << r.out.substr(0, 400);
    EXPECT_TRUE(Has(r.out, "NAME")) << c;
    EXPECT_TRUE(Has(r.out, "SYNOPSIS")) << c;
  }
  RunResult top = sb.Run({"help"});
  EXPECT_EQ(top.code, 0) << top.err;
  EXPECT_TRUE(Has(top.out, "NAME")) << top.out;
}

TEST(CliConventions, HelpForUnknownCommandFails) {
  Sandbox sb;
  RunResult r = sb.Run({"help", "frobnicate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
  EXPECT_TRUE(Has(r.err, "frobnicate")) << r.err;
}

TEST(CliConventions, NoRepositoryIsExit1ForEveryRepoCommand) {
  Sandbox sb;
  RunResult k = sb.Run({"key", "new", "alice"});
  ASSERT_EQ(k.code, 0) << k.err;
  sb.Write("t.sql", kTokenContract);
  std::vector<std::vector<std::string>> cmds = {
      {"status"},          {"status", "--json"},     {"log"},
      {"show", "HEAD"},    {"commit", "-m", "x"},    {"call", "token", "open"},
      {"deploy", "token", "t.sql"}, {"branch"},      {"branch", "x"},
      {"tag"},             {"tag", "v1"},            {"checkout", "master"},
      {"fsck"},            {"config", "user.key"},   {"reset"},
      {"query", "SELECT 1"}};
  for (const auto& c : cmds) {
    RunResult r = sb.Run(c, sb.work(), {{"AERGO_KEY", "alice"}});
    std::string what = "aergo " + c[0];
    EXPECT_EQ(r.code, 1) << what << "\n" << r.err;
    EXPECT_TRUE(Has(r.err, "not an aergo repository")) << what << ": " << r.err;
    ExpectLowercaseError(r, what);
  }
}

TEST(CliConventions, DashCSelectsTheRepository) {
  Sandbox sb;
  sb.InitRepo();
  RunResult r = sb.Run({"-C", "repo", "status", "--json"}, sb.work());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "\"branch\": \"master\"")) << r.out;
  RunResult abs = sb.Run({"-C", sb.repo(), "log", "--oneline"}, sb.root());
  EXPECT_EQ(abs.code, 0) << abs.err;
  EXPECT_TRUE(Has(abs.out, "genesis")) << abs.out;
  // Without -C, the same directory is not a repository.
  RunResult none = sb.Run({"status"}, sb.work());
  EXPECT_EQ(none.code, 1);
}

TEST(CliConventions, DashCToMissingDirectoryFails) {
  Sandbox sb;
  RunResult r = sb.Run({"-C", "no/such/dir", "status"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
  EXPECT_TRUE(Has(r.err, "no/such/dir")) << r.err;
  RunResult missing = sb.Run({"-C"});
  EXPECT_EQ(missing.code, 2) << missing.err;
}

TEST(CliConventions, RepositoryIsFoundFromASubdirectory) {
  Sandbox sb;
  sb.InitRepo();
  sb.Write("repo/sub/deeper/file.txt", "x");
  RunResult r = sb.Run({"status", "--json"}, sb.repo() + "/sub/deeper");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "\"branch\": \"master\"")) << r.out;
}

TEST(CliConventions, AergoDirSelectsTheRepository) {
  Sandbox sb;
  sb.InitRepo();
  RunResult r = sb.Run({"status", "--json"}, sb.work(), {{"AERGO_DIR", sb.repo()}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(r.out, "\"height\": 0")) << r.out;
  // Also the .aergo directory itself.
  RunResult inner = sb.Run({"log", "--oneline"}, sb.work(), {{"AERGO_DIR", sb.repo() + "/.aergo"}});
  EXPECT_EQ(inner.code, 0) << inner.err;
  // A wrong AERGO_DIR is an error even inside a repository.
  RunResult bad = sb.Run({"status"}, sb.repo(), {{"AERGO_DIR", sb.work()}});
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "not an aergo repository")) << bad.err;
}

TEST(CliConventions, QuietSilencesWritingCommands) {
  Sandbox sb;
  std::string addr = sb.InitTokenRepo();
  std::vector<std::vector<std::string>> cmds = {
      {"-q", "deploy", "token", "token.sql"},
      {"-q", "call", "token", "open"},
      {"call", "token", "mint", addr, "5", "-q"},
      {"-q", "commit", "-m", "one"},
      {"-q", "branch", "feature"},
      {"-q", "tag", "v1"},
      {"-q", "checkout", "feature"},
      {"checkout", "master", "--quiet"},
      {"-q", "tag", "-d", "v1"},
      {"-q", "branch", "-d", "feature"},
      {"-q", "call", "token", "mint", "bob", "1"},
      {"-q", "reset"},
      {"-q", "fsck"},
      {"-q", "config", "core.x", "y"},
  };
  for (const auto& c : cmds) {
    RunResult r = sb.Run(c, sb.repo());
    std::string what = Joined(c);
    EXPECT_EQ(r.code, 0) << what << "\n" << r.err;
    EXPECT_EQ(r.out, "") << what << " should print nothing with -q";
  }
  RunResult batch = sb.Run({"-q", "call", "--batch", "-"}, sb.repo(), {}, "token mint bob 1\ntoken mint bob 2\n");
  EXPECT_EQ(batch.code, 0) << batch.err;
  EXPECT_EQ(batch.out, "");
  Sandbox sb2;
  ASSERT_EQ(sb2.Run({"-q", "key", "new", "k"}).code, 0);
  RunResult init = sb2.Run({"-q", "init", "r", "--key", "k"});
  EXPECT_EQ(init.code, 0) << init.err;
  EXPECT_EQ(init.out, "");
}

TEST(CliConventions, QuietDoesNotSilenceErrors) {
  Sandbox sb;
  sb.InitRepo();
  RunResult r = sb.Run({"-q", "commit"}, sb.repo());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "aergo: error:")) << r.err;
}

TEST(CliConventions, UsageErrorsShowTheCommandsUsageLine) {
  Sandbox sb;
  sb.InitRepo();
  struct Case { std::vector<std::string> args; std::string usage; };
  std::vector<Case> cases = {
      {{"show"}, "usage: aergo show"},
      {{"show", "a", "b"}, "usage: aergo show"},
      {{"checkout"}, "usage: aergo checkout"},
      {{"deploy", "x"}, "usage: aergo deploy"},
      {{"call", "token"}, "usage: aergo call"},
      {{"query"}, "usage: aergo query"},
      {{"query", "SELECT 1", "--json", "--csv"}, "usage: aergo query"},
      {{"key"}, "usage: aergo key"},
      {{"key", "frob"}, "usage: aergo key"},
      {{"log", "-n", "many"}, "usage: aergo log"},
      {{"status", "extra"}, "usage: aergo status"},
      {{"branch", "-d", "x", "y"}, "usage: aergo branch"},
      {{"config"}, "usage: aergo config"},
      {{"init", "--consensus=pbft"}, "usage: aergo init"},
  };
  for (const auto& c : cases) {
    RunResult r = sb.Run(c.args, sb.repo());
    std::string what = Joined(c.args);
    EXPECT_EQ(r.code, 2) << what << "\n" << r.err;
    EXPECT_TRUE(Has(r.err, c.usage)) << what << "\n" << r.err;
    ExpectLowercaseError(r, what);
  }
}

TEST(CliConventions, JsonOutputsAreWellFormed) {
  Sandbox sb;
  std::string addr = sb.InitTokenRepo();
  std::vector<std::vector<std::string>> cmds = {
      {"deploy", "token", "token.sql", "--json"},
      {"call", "token", "open", "--json"},
      {"call", "token", "mint", addr, "10", "--json"},
      {"status", "--json"},
      {"commit", "-m", "with \"quotes\" and \\ backslash\nand a newline\t", "--json"},
      {"log", "--json"},
      {"log", "-n", "1", "--json"},
      {"show", "HEAD", "--json"},
      {"show", "HEAD~1", "--json"},
      {"branch", "--json"},
      {"branch", "feature", "--json"},
      {"tag", "v1", "--json"},
      {"tag", "--json"},
      {"key", "show", "alice", "--json"},
      {"key", "list", "--json"},
      {"query", "SELECT owner, balance, NULL AS n, 1.5 AS f, 'a\"b' AS q FROM token.accounts", "--json"},
      {"query", "SELECT * FROM token.accounts WHERE 0", "--json"},
      {"fsck", "--json"},
  };
  for (const auto& c : cmds) {
    RunResult r = sb.Run(c, sb.repo());
    std::string what = Joined(c);
    EXPECT_EQ(r.code, 0) << what << "\n" << r.err;
    EXPECT_TRUE(IsJson(r.out)) << what << " printed invalid JSON:\n" << r.out;
  }
  // The txid of the last call, shown by prefix.
  RunResult call = sb.Run({"call", "token", "mint", "bob", "1", "--json"}, sb.repo());
  ASSERT_EQ(call.code, 0) << call.err;
  size_t a = call.out.find("\"txid\": \"");
  ASSERT_NE(a, std::string::npos);
  std::string txid = call.out.substr(a + 9, 64);
  RunResult tx = sb.Run({"show", txid.substr(0, 10), "--json"}, sb.repo());
  EXPECT_EQ(tx.code, 0) << tx.err;
  EXPECT_TRUE(IsJson(tx.out)) << tx.out;
  // A failed call still prints a well-formed receipt.
  RunResult failed = sb.Run({"call", "token", "transfer", "bob", "0", "--json"}, sb.repo());
  EXPECT_EQ(failed.code, 1);
  EXPECT_TRUE(IsJson(failed.out)) << failed.out;
}

TEST(CliConventions, ErrorsAreLowercaseWithPrefix) {
  Sandbox sb;
  sb.InitRepo();
  std::vector<std::vector<std::string>> cmds = {
      {"commit"},
      {"show", "nosuchrev"},
      {"checkout", "nosuchbranch"},
      {"branch", "-d", "nosuchbranch"},
      {"tag", "-d", "nosuchtag"},
      {"call", "nosuch", "f"},
      {"deploy", "x", "missing.sql"},
      {"key", "show", "nobody"},
      {"config", "no.such"},
      {"query", "DELETE FROM x.y"},
      {"init"},
  };
  for (const auto& c : cmds) {
    RunResult r = sb.Run(c, sb.repo());
    EXPECT_EQ(r.code, 1) << c[0] << ": " << r.err;
    ExpectLowercaseError(r, c[0]);
    EXPECT_EQ(Lines(r.err).size(), 1u) << c[0] << ": one error line expected:\n" << r.err;
  }
}

TEST(CliConventions, ConfigReadWrite) {
  Sandbox sb;
  sb.InitRepo();
  EXPECT_EQ(sb.Run({"config", "remote.origin-url", "http://x"}, sb.repo()).code, 0);
  RunResult g = sb.Run({"config", "remote.origin-url"}, sb.repo());
  EXPECT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(g.out, "http://x\n");
  RunResult l = sb.Run({"config", "--list"}, sb.repo());
  EXPECT_TRUE(Has(l.out, "remote.origin-url=http://x")) << l.out;
  EXPECT_TRUE(Has(l.out, "user.key=alice")) << l.out;
  EXPECT_EQ(sb.Run({"config", "--unset", "remote.origin-url"}, sb.repo()).code, 0);
  RunResult gone = sb.Run({"config", "remote.origin-url"}, sb.repo());
  EXPECT_EQ(gone.code, 1);
  EXPECT_TRUE(Has(gone.err, "not set")) << gone.err;
  RunResult bad = sb.Run({"config", "nodot", "v"}, sb.repo());
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "invalid config key 'nodot'")) << bad.err;
}

}  // namespace aergo::clitest
