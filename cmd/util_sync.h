// Plumbing shared by clone, fetch, pull and push: the remote's URL from
// config, the key that signs requests, progress on a terminal, and the
// fetch report's output.
#pragma once

#include <chrono>

#include "cmd/cli.h"
#include "remote/sync.h"

namespace aergo::cli {

// remote.<name>.url, or NotFound "no such remote '<name>'".
Result<std::string> RemoteUrl(Repository& repo, const std::string& name);
// Splits "<remote>:<branch>"; Usage error if malformed.
Result<std::pair<std::string, std::string>> ParseRemoteBranch(const std::string& spec);
// The upstream of `branch` (branch.<b>.remote and .merge), if configured.
std::optional<std::pair<std::string, std::string>> Upstream(Repository& repo, const std::string& branch);

// The key that signs requests: --key, AERGO_KEY or user.key when one is
// configured (loaded now), else none (anonymous requests).
Result<std::optional<SecretKey>> OptionalKey(Context& ctx, const std::optional<std::string>& flag,
                                             Repository* repo);

// "Receiving blocks: objects 120/600 (20%), 1.2 MiB, 3.4 MiB/s" on stderr,
// rewritten in place at most ten times a second; only on a terminal and
// without --no-progress or -q.
class ProgressLine {
 public:
  ProgressLine(Context& ctx, bool enabled, std::string what);
  ~ProgressLine() { Done(); }
  void Pack(const PackProgress& p);
  void Upload(uint64_t sent, uint64_t total);
  void Done();

 private:
  void Show(const std::string& line, bool force);
  Context& ctx_;
  bool enabled_;
  std::string what_;
  std::chrono::steady_clock::time_point start_, last_;
  bool shown_ = false;
  std::string last_line_;
};

// A transport to a remote with the key that signs its requests (--key,
// else a configured key, else none: anonymous). The key lives as long as
// the transport, which borrows it.
struct RemoteSession {
  std::string url;  // remote.<name>.url
  std::unique_ptr<SecretKey> key;
  std::unique_ptr<Transport> transport;
};
// The remote named `remote` in repo's config (NotFound if none).
Result<RemoteSession> ConnectRemote(Context& ctx, Repository& repo, const std::string& remote,
                                    const po::variables_map& vm,
                                    std::function<void(uint64_t, uint64_t)> upload_progress = {});
// FetchFrom with the "Receiving blocks" progress line.
Result<FetchReport> FetchWithProgress(Context& ctx, Repository& repo, RemoteSession& session,
                                      const std::string& remote, const po::variables_map& vm);

// The start of fetch, pull and push: parses args (opts: the command's own
// options; `positional`: its one positional argument), adding the sync
// and common options, then opens the repository for writing. nullopt
// after help or an error, with *code the exit code.
struct SyncStart {
  po::variables_map vm;
  std::unique_ptr<Repository> repo;
};
std::optional<SyncStart> StartSync(Context& ctx, const std::vector<std::string>& args, po::options_description& opts,
                                   const char* positional, int* code);
// The RemoteLedgerOpener of aergo-net (util_remote_ledger.cpp).
Result<std::unique_ptr<RemoteLedger>> OpenTransportLedger(Context& ctx, Repository* repo, const std::string& remote,
                                                          const std::optional<std::string>& key_flag,
                                                          const SecretKey* key);
// --key, if given.
std::optional<std::string> KeyFlag(const po::variables_map& vm);

// Adds --no-progress and --key.
void AddSyncOptions(po::options_description& opts);
bool ProgressWanted(Context& ctx, const po::variables_map& vm);

std::string FetchReportJson(const std::string& remote, const std::string& url, const FetchReport& r);
std::string FetchReportText(const std::string& url, const FetchReport& r);

}  // namespace aergo::cli
