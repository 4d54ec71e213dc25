// `aergo clone` from a hostile server (issue 13, finding 7): a raw-socket
// HTTP server inside the test answers /refs honestly enough (a real
// genesis block) and /fetch with crafted packs — an object declaring
// 4 GiB, a block whose txs blob is a 1 GiB zlib bomb, a delta whose result
// is 1 TiB. The clone runs with its address space limited (ulimit -v, as on
// a small machine), must exit 1 with a message saying what was refused and
// why — never abort (134) — and leave no directory behind.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/repo.h"
#include "core/transfer.h"
#include "tests/cli/harness.h"
#include "tests/pack_craft.h"

namespace aergo::clitest {
namespace {

namespace fs = std::filesystem;

// Pack crafting: tests/pack_craft.h (docs/formats/pack.md).
using namespace packcraft;

// ---- a hostile server ----

// Answers GET <path>/refs with `refs` and POST <path>/fetch with
// fetch(body), one request per connection, on 127.0.0.1:<port>.
class HostileServer {
 public:
  HostileServer(std::string refs, std::function<std::string(const std::string&)> fetch)
      : refs_(std::move(refs)), fetch_(std::move(fetch)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0) return;
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~HostileServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/repo"; }
  int port() const { return port_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Serve(c);
      close(c);
    }
  }
  void Serve(int c) {
    std::string in;
    char buf[65536];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    std::string head = in.substr(0, head_end);
    size_t want = 0;
    for (const char* key : {"Content-Length: ", "content-length: "})
      if (size_t at = head.find(key); at != std::string::npos) want = std::stoul(head.substr(at + std::strlen(key)));
    std::string body = in.substr(head_end + 4);
    while (body.size() < want) {
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      body.append(buf, static_cast<size_t>(n));
    }
    std::string answer, type = "application/json";
    if (head.rfind("GET /repo/refs ", 0) == 0) {
      answer = refs_;
    } else if (head.rfind("POST /repo/fetch ", 0) == 0) {
      answer = fetch_(body);
      type = "application/x-git-packfile";
    } else {
      std::string msg = "{\"error\":\"not found\"}";
      std::string r = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(msg.size()) + "\r\nConnection: close\r\n\r\n" + msg;
      SendAll(c, r);
      return;
    }
    SendAll(c, "HTTP/1.1 200 OK\r\nContent-Type: " + type + "\r\nContent-Length: " + std::to_string(answer.size()) +
                   "\r\nConnection: close\r\n\r\n");
    SendAll(c, answer);
  }
  static void SendAll(int c, const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      ssize_t n = send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client gave up: fine
      off += static_cast<size_t>(n);
    }
  }

  std::string refs_;
  std::function<std::string(const std::string&)> fetch_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// `aergo <args>` in sb.work() with its address space limited to `kib` KiB;
// the exit code (128 + signal if killed) and stderr.
RunResult RunLimited(const Sandbox& sb, const std::vector<std::string>& args, long kib) {
  std::string err_path = sb.root() + "/limited.err";
  std::vector<std::string> argv_s = {"/bin/sh", "-c",
                                     "ulimit -v " + std::to_string(kib) + " && exec \"$0\" \"$@\" 2>\"$AERGO_TEST_ERR\"",
                                     AERGO_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env = SandboxEnv(sb);
  env.push_back("AERGO_TEST_ERR=" + err_path);
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, sb.work().c_str());
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  RunResult r;
  int rc = posix_spawn(&pid, "/bin/sh", &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return r;
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream f(err_path);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  return r;
}

constexpr long kLimitKib = 1536L << 10;  // 1.5 GiB of address space

class HostilePackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CryptoInit().ok());
    GitGlobalInit();
    sb_.InitRepo("alice");
    FixedClock clock(1700000000000ull);
    auto repo = Repository::Open(sb_.repo() + "/.aergo", OpenMode::kRead, clock);
    ASSERT_TRUE(repo.ok()) << repo.status().message();
    chain_hex_ = ToHex((*repo)->chain_id());
    auto row = (*repo)->BlockInfo((*repo)->chain_id());
    ASSERT_TRUE(row.ok()) << row.status().message();
    genesis_oid_ = row->oid.Hex();
    auto written = WritePack((*repo)->git(), {row->oid}, {}, [&](const void* d, size_t n) {
      genesis_pack_.append(static_cast<const char*>(d), n);
      return true;
    });
    ASSERT_TRUE(written.ok()) << written.status().message();
  }

  // Refs naming a master branch at a block the server will "send".
  std::string Refs() const {
    return "{\"chain_id\":\"" + chain_hex_ + "\",\"head\":\"master\",\"public\":true,\"branches\":[{\"name\":"
           "\"master\",\"block\":\"" + std::string(64, 'a') + "\"}],\"tags\":[]}";
  }
  // The clone's first fetch asks for the genesis block alone (its chain id).
  bool AsksGenesis(const std::string& body) const {
    return body.find(chain_hex_) != std::string::npos && body.find(std::string(64, 'a')) == std::string::npos;
  }

  // Clones from `server` into work/c and checks the refusal: exit 1 (never
  // an abort), stderr naming `part`, no directory left.
  void ExpectCloneRefused(const HostileServer& server, const std::vector<std::string>& parts) {
    ASSERT_GT(server.port(), 0);
    RunResult r = RunLimited(sb_, {"clone", "--no-progress", server.Url(), "c"}, kLimitKib);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.code, 134) << "aergo clone aborted: " << r.err;
    for (const auto& part : parts) EXPECT_TRUE(Has(r.err, part)) << "stderr lacks '" << part << "': " << r.err;
    EXPECT_FALSE(fs::exists(sb_.work() + "/c")) << "the refused clone left its directory";
  }

  Sandbox sb_;
  std::string chain_hex_, genesis_oid_, genesis_pack_;
};

// The genesis pack (chain unknown yet) holds an entry declaring 4 GiB.
TEST_F(HostilePackTest, CloneRefusesAFourGiBObjectInTheGenesisPack) {
  std::string hostile = Pack({EntryHeader(3, uint64_t{4} << 30) + Deflate("tiny")});
  HostileServer server(Refs(), [&](const std::string&) { return hostile; });
  ExpectCloneRefused(server, {"pack refused", "4294967296", "over the bound", "127.0.0.1"});
}

// A well-formed block whose txs blob is 1 GiB of zeros (1 MiB on the wire):
// refused while it arrives, by the pack's inflate bound.
TEST_F(HostilePackTest, CloneRefusesABlockWhoseBlobIsAZlibBomb) {
  std::string bomb_id;
  std::string bomb = DeflateZeros(uint64_t{1} << 30, &bomb_id);
  std::string small = "x";
  std::string small_id = ObjectId("blob", small);
  // A tree of the block layout (entries sorted by name).
  std::string tree;
  for (const char* name : {"changes", "header", "receipts", "txs"})
    tree += std::string("100644 ") + name + std::string(1, '\0') + (std::string(name) == "txs" ? bomb_id : small_id);
  std::string commit = "tree " + Hex(ObjectId("tree", tree)) + "\nparent " + genesis_oid_ +
                       "\nauthor a <producer@aergo> 1700000000 +0000\ncommitter a <producer@aergo> 1700000000 "
                       "+0000\n\nbomb\n";
  std::string hostile = Pack({EntryHeader(1, commit.size()) + Deflate(commit), EntryHeader(2, tree.size()) + Deflate(tree),
                              EntryHeader(3, small.size()) + Deflate(small), EntryHeader(3, uint64_t{1} << 30) + bomb});
  ASSERT_LT(hostile.size(), 2u << 20);
  HostileServer server(Refs(), [&](const std::string& body) { return AsksGenesis(body) ? genesis_pack_ : hostile; });
  ExpectCloneRefused(server, {"pack refused", "zlib bomb"});
}

// A delta whose result is 1 TiB, after a good genesis block.
TEST_F(HostilePackTest, CloneRefusesADeltaWithAHugeResult) {
  std::string base = EntryHeader(3, 5) + Deflate("hello");
  std::string data = std::string("\x05", 1) + "\x80\x80\x80\x80\x80\x20" + "\x05hello";  // base 5, result 2^40
  std::string delta = EntryHeader(6, data.size()) + std::string(1, static_cast<char>(base.size())) + Deflate(data);
  std::string hostile = Pack({base, delta});
  HostileServer server(Refs(), [&](const std::string& body) { return AsksGenesis(body) ? genesis_pack_ : hostile; });
  ExpectCloneRefused(server, {"pack refused", "1099511627776"});
}

}  // namespace
}  // namespace aergo::clitest
