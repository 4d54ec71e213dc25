// CLI test harness: runs the built `aergo` binary (AERGO_BIN) in a fresh
// temporary directory with its own AERGO_HOME, capturing exit code, stdout
// and stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aergo::clitest {

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

class Sandbox {
 public:
  Sandbox();   // creates a temp dir with home/ (AERGO_HOME) and work/
  ~Sandbox();  // removes it
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::string& root() const { return root_; }
  std::string home() const { return root_ + "/home"; }
  std::string work() const { return root_ + "/work"; }

  // Runs aergo with args in `cwd` (default work()). env entries override
  // the defaults (AERGO_HOME=home(), AERGO_PASSPHRASE="" unless unset by
  // mapping it to "\x01unset").
  RunResult Run(const std::vector<std::string>& args, const std::string& cwd = "",
                const std::map<std::string, std::string>& env = {},
                const std::string& stdin_data = "");

  void Write(const std::string& rel, const std::string& content);
  std::string Read(const std::string& rel) const;

  // Creates key `name` (unencrypted) and a repository in work()/repo with
  // user.key set; returns the key's address.
  std::string InitRepo(const std::string& key = "alice");
  std::string repo() const { return work() + "/repo"; }

 private:
  std::string root_;
};

// The DESIGN's example token contract.
extern const char* kTokenContract;

}  // namespace aergo::clitest
