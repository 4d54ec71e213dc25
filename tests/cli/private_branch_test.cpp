// Private branches over HTTP (daemon/access.h, docs/api.md "Private
// branches"), against an `aergo daemon` child process: a branch created
// with `aergo branch --private` and pushed by its owner is hidden from
// anonymous callers and from readers without a role in that branch's own
// directory (refs, clone, fetch, a fetch of its block by id); a grant
// committed on the branch and pushed shows it to the grantee, a revoke
// hides it again; a push to it without write there is refused and changes
// nothing. Also: clone and local-path remotes keep the flag.
#include <gtest/gtest.h>

#include "core/sqlite.h"
#include "tests/cli/harness.h"

namespace aergo::clitest {
namespace {

// A public origin work/repo (admin alice; token deployed and funded, tag
// v1), served by a daemon as /repo. alice clones it into work/adev,
// creates the private branch "secret" there with a block of its own (tag
// s1) and pushes it. Then bob gets write on the origin's master (so the
// repository lets him read and push; secret, forked before, has no role
// for him: roles are versioned); carol has no role at all.
struct PrivateScene : OriginScene {
  std::string carol;
  std::string secret_head;  // the head of secret as pushed

  // carol's key is created after the origin (OriginScene), not before its
  // init as alice's and bob's: nothing here depends on the order of keys.
  PrivateScene() : OriginScene(true) {
    carol = NewKey("carol");
    Start();
    EXPECT_GT(Port(), 0) << daemon->Err();

    EXPECT_EQ(Clone("adev", "alice").code, 0);
    MustIn("adev", {"branch", "secret", "--private"});
    MustIn("adev", {"checkout", "secret"});
    MustIn("adev", {"call", "token", "mint", alice, "7"});
    MustIn("adev", {"commit", "-m", "secret work"});
    MustIn("adev", {"tag", "s1"});
    secret_head = JStr(In("adev", {"status", "--json"}).out, "head");
    MustIn("adev", {"push", "origin:secret"});
    // After secret forked: a role on master, not in secret's directory.
    Must({"access", "grant", bob, "write"});
    Commit("bob may write");
  }

  RunResult Clone(const std::string& dev, const std::string& key, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"clone", Url(), dev, "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    return sb.Run(args, sb.work(), As(key));
  }

  // Raw requests, signed by `key` ("": anonymous).
  HttpReply Refs(const std::string& key) {
    return Http(Port(), "GET", "/repo/refs", "", Auth(key, "GET", "/repo/refs", ""));
  }
  HttpReply FetchBlock(const std::string& key, const std::string& id) {
    std::string body = "{\"wants\":[\"" + id + "\"],\"haves\":[]}";
    return Http(Port(), "POST", "/repo/fetch", body, Auth(key, "POST", "/repo/fetch", body));
  }
  // The origin's branches as `aergo branch --json` prints them.
  std::string OriginBranches() { return Out({"branch", "--json"}); }
};

std::string NotFoundBody(const std::string& id) {
  return "{\"error\":\"block " + id + " not found in repo\",\"role\":null}";
}

// Everything a caller without read on secret could see of it: the refs,
// a fetch of its head by id, a clone and a fetch.
void ExpectHidden(PrivateScene& s, const std::string& key, const std::string& dev) {
  SCOPED_TRACE("caller " + (key.empty() ? std::string("anonymous") : key));
  HttpReply refs = s.Refs(key);
  ASSERT_EQ(refs.status, 200) << refs.body;
  EXPECT_FALSE(Has(refs.body, "secret")) << refs.body;
  EXPECT_FALSE(Has(refs.body, s.secret_head)) << refs.body;
  EXPECT_FALSE(Has(refs.body, "\"s1\"")) << refs.body;  // its tag goes with it
  EXPECT_TRUE(Has(refs.body, "\"name\":\"master\"")) << refs.body;
  EXPECT_TRUE(Has(refs.body, "\"name\":\"v1\"")) << refs.body;
  EXPECT_FALSE(Has(refs.body, "\"private\"")) << refs.body;

  HttpReply fetch = s.FetchBlock(key, s.secret_head);
  EXPECT_EQ(fetch.status, 404) << fetch.body.substr(0, 200);
  EXPECT_EQ(fetch.body, NotFoundBody(s.secret_head));
  std::string unknown(64, 'c');
  HttpReply none = s.FetchBlock(key, unknown);  // the same answer as for a block that does not exist
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.body, NotFoundBody(unknown));

  RunResult clone = s.Clone(dev, key);
  ASSERT_EQ(clone.code, 0) << clone.err;
  RunResult branches = s.In(dev, {"branch", "--json"}, key);
  EXPECT_FALSE(Has(branches.out, "secret")) << branches.out;
  EXPECT_FALSE(Has(s.In(dev, {"tag"}, key).out, "s1"));
  EXPECT_EQ(s.In(dev, {"show", s.secret_head}, key).code, 1);  // not here
  RunResult fetched = s.In(dev, {"fetch", "--json"}, key);
  ASSERT_EQ(fetched.code, 0) << fetched.err;
  EXPECT_FALSE(Has(fetched.out, "secret")) << fetched.out;
  RunResult cb = s.Clone(dev + "-b", key, {"--branch", "secret"});
  EXPECT_EQ(cb.code, 1);
  EXPECT_TRUE(Has(cb.err, "aergo: error: " + s.Url() + " has no branch 'secret'")) << cb.err;
}

TEST(CliPrivateBranch, HiddenUntilGrantedOnTheBranchAndHiddenAgainWhenRevoked) {
  PrivateScene s;
  ASSERT_GT(s.Port(), 0);
  // On the daemon: created private by the push.
  std::string origin = s.OriginBranches();
  EXPECT_TRUE(Has(origin, "{\"name\": \"secret\", \"block\": \"" + s.secret_head +
                              "\", \"current\": false, \"private\": true}"))
      << origin;
  EXPECT_TRUE(Has(origin, "\"name\": \"master\", ")) << origin;
  EXPECT_TRUE(Has(s.Out({"branch"}), "  secret  " + Short(s.secret_head) + "  (private)\n"));

  // Its owner sees it, flagged.
  HttpReply own = s.Refs("alice");
  EXPECT_TRUE(Has(own.body, "{\"block\":\"" + s.secret_head + "\",\"name\":\"secret\",\"private\":true}"))
      << own.body;
  EXPECT_TRUE(Has(own.body, "\"name\":\"s1\"")) << own.body;

  // Hidden: anonymous (on a public repository), carol (no role), bob (write
  // on the repository's master, no role in secret's directory).
  ExpectHidden(s, "", "anon");
  ExpectHidden(s, "carol", "cdev");
  ExpectHidden(s, "bob", "bdev");

  // alice grants bob read on secret: on the branch, committed, pushed.
  s.MustIn("adev", {"access", "grant", s.bob, "read"});
  s.MustIn("adev", {"commit", "-m", "bob may read secret"});
  s.MustIn("adev", {"push"});  // no upstream: origin, the branch of the same name
  std::string granted = JStr(s.In("adev", {"status", "--json"}).out, "head");
  HttpReply refs = s.Refs("bob");
  EXPECT_TRUE(Has(refs.body, "{\"block\":\"" + granted + "\",\"name\":\"secret\",\"private\":true}")) << refs.body;
  EXPECT_TRUE(Has(refs.body, "\"name\":\"s1\"")) << refs.body;
  EXPECT_EQ(s.FetchBlock("bob", granted).status, 200);
  EXPECT_EQ(s.FetchBlock("bob", s.secret_head).status, 200);
  RunResult fetched = s.In("bdev", {"fetch", "--json"}, "bob");
  ASSERT_EQ(fetched.code, 0) << fetched.err;
  EXPECT_TRUE(Has(fetched.out, "origin/secret")) << fetched.out;
  EXPECT_TRUE(Has(s.In("bdev", {"tag"}, "bob").out, "s1"));
  // Still hidden from the others.
  EXPECT_FALSE(Has(s.Refs("").body, "secret"));
  EXPECT_FALSE(Has(s.Refs("carol").body, "secret"));
  EXPECT_EQ(s.FetchBlock("carol", granted).status, 404);

  // bob clones the branch: it is private in his clone too.
  RunResult clone = s.Clone("bsecret", "bob", {"--branch", "secret"});
  ASSERT_EQ(clone.code, 0) << clone.err;
  EXPECT_TRUE(Has(s.In("bsecret", {"branch", "--json"}, "bob").out,
                  "{\"name\": \"secret\", \"block\": \"" + granted + "\", \"current\": true, \"private\": true}"))
      << s.In("bsecret", {"branch", "--json"}, "bob").out;

  // He may read it, not write it: his push is refused and changes nothing.
  s.MustIn("bsecret", {"call", "token", "open"}, "bob");
  s.MustIn("bsecret", {"commit", "-m", "bob opens"}, "bob");
  std::string before = s.Snapshot();
  std::string before_branches = s.OriginBranches();
  RunResult push = s.In("bsecret", {"push"}, "bob");
  EXPECT_EQ(push.code, 1);
  EXPECT_EQ(push.out, "");
  EXPECT_TRUE(Has(push.err, "aergo: error: " + s.Url() + " refused POST push (HTTP 403): " + s.bob +
                                " lacks the write role on private branch 'secret' of repo (it has read in that "
                                "branch's directory) [needs role 'write']\n"))
      << push.err;
  EXPECT_EQ(s.Snapshot(), before);
  EXPECT_EQ(s.OriginBranches(), before_branches);
  s.ExpectFsckClean();

  // alice revokes bob's role on secret: hidden from him again.
  s.MustIn("adev", {"access", "revoke", s.bob});
  s.MustIn("adev", {"commit", "-m", "bob leaves secret"});
  s.MustIn("adev", {"push", "origin:secret"});
  std::string revoked = JStr(s.In("adev", {"status", "--json"}).out, "head");
  HttpReply after = s.Refs("bob");
  EXPECT_FALSE(Has(after.body, "secret")) << after.body;
  EXPECT_EQ(s.FetchBlock("bob", revoked).status, 404);
  EXPECT_EQ(s.FetchBlock("bob", granted).body, NotFoundBody(granted));
  // Still readable by its owner, and master still by everyone.
  EXPECT_TRUE(Has(s.Refs("alice").body, revoked));
  EXPECT_TRUE(Has(s.Refs("").body, "\"name\":\"master\""));
}

// Local-path remotes have no caller: everything is advertised, with the
// flag, and a clone of a private branch keeps it private.
TEST(CliPrivateBranch, LocalPathRemotesAdvertiseEverythingWithTheFlag) {
  TokenSandbox s;
  s.DeployAndFund();
  s.Commit("funded");
  s.Must({"branch", "hidden", "--private", "--json"});
  RunResult shown = s.Run({"branch", "--show", "hidden"});
  EXPECT_TRUE(Has(shown.out, "\naccess private\n")) << shown.out;
  RunResult clone = s.sb.Run({"clone", s.sb.repo(), "copy", "--branch", "hidden"});
  ASSERT_EQ(clone.code, 0) << clone.err;
  std::string copy = s.Out({"branch", "--json"}, s.sb.work() + "/copy");
  EXPECT_TRUE(Has(copy, "\"name\": \"hidden\", ")) << copy;
  EXPECT_TRUE(Has(copy, "\"current\": true, \"private\": true}")) << copy;
  // A new private branch pushed to the path is created private there.
  ASSERT_EQ(s.sb.Run({"branch", "side", "--private"}, s.sb.work() + "/copy").code, 0);
  RunResult push = s.sb.Run({"push", "origin:side"}, s.sb.work() + "/copy");
  ASSERT_EQ(push.code, 0) << push.err;
  EXPECT_TRUE(Has(s.Out({"branch"}), "  side  ")) << s.Out({"branch"});
  EXPECT_TRUE(Has(s.Out({"branch", "--json"}), "\"name\": \"side\", ")) << s.Out({"branch", "--json"});
  EXPECT_TRUE(Has(s.Out({"branch", "--show", "side", "--json"}), "\"private\": true}"))
      << s.Out({"branch", "--show", "side", "--json"});
}

// A repository an older aergo left (format 3: branch_policies without the
// private column) opens for reading as it is, and is migrated to format 5
// by the first command that writes; its policies are kept.
TEST(CliPrivateBranch, FormatThreeRepositoryStillOpens) {
  TokenSandbox s;
  s.Must({"branch", "side"});
  std::string db_path = s.sb.repo() + "/.aergo/ledger.db";
  auto sql = [&](const std::string& text) {
    auto db = Db::Open(db_path, false);
    ASSERT_TRUE(db.ok()) << db.status().message();
    Status st = db->Exec(text);
    ASSERT_TRUE(st.ok()) << st.message();
  };
  auto format = [&]() {
    auto db = Db::Open(db_path, false);
    if (!db.ok()) return std::string("?");
    auto q = db->Prepare("SELECT value FROM meta WHERE key = 'format'");
    if (!q.ok() || q->Step() != SQLITE_ROW) return std::string("?");
    return q->Text(0);
  };
  sql("DROP TABLE branch_policies;"
      "CREATE TABLE branch_policies(branch TEXT PRIMARY KEY, resolver TEXT NOT NULL) WITHOUT ROWID;"
      "UPDATE meta SET value = '3' WHERE key = 'format';");
  RunResult list = s.Run({"branch", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_TRUE(Has(list.out, "{\"name\": \"side\", ")) << list.out;
  EXPECT_EQ(Count(list.out, "\"private\": false"), 2u) << list.out;
  EXPECT_EQ(format(), "3");
  s.Must({"branch", "hidden", "--private"});
  EXPECT_EQ(format(), "5");
  EXPECT_TRUE(Has(s.Out({"branch"}), "  hidden  ")) << s.Out({"branch"});
  EXPECT_TRUE(Has(s.Out({"branch"}), "(private)\n")) << s.Out({"branch"});
  s.ExpectFsckClean();
}

}  // namespace
}  // namespace aergo::clitest
