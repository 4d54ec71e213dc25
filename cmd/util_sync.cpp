#include "cmd/util_sync.h"

#include <unistd.h>

#include <cstdio>

#include "core/json.h"

namespace aergo::cli {

Result<std::string> RemoteUrl(Repository& repo, const std::string& name) {
  auto url = repo.config().Get("remote." + name + ".url");
  if (!url) return NotFound("no such remote '" + name + "' (add it with 'aergo remote add " + name + " <url>')");
  return *url;
}

Result<std::pair<std::string, std::string>> ParseRemoteBranch(const std::string& spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= spec.size())
    return Usage("expected <remote>:<branch>, got '" + spec + "'");
  return std::make_pair(spec.substr(0, colon), spec.substr(colon + 1));
}

std::optional<std::pair<std::string, std::string>> Upstream(Repository& repo, const std::string& branch) {
  auto remote = repo.config().Get("branch." + branch + ".remote");
  auto merge = repo.config().Get("branch." + branch + ".merge");
  if (!remote || !merge) return std::nullopt;
  return std::make_pair(*remote, *merge);
}

Result<std::optional<SecretKey>> OptionalKey(Context& ctx, const std::optional<std::string>& flag,
                                             Repository* repo) {
  auto name = ctx.SigningKeyName(flag, repo);
  if (!name.ok()) return std::optional<SecretKey>();  // none configured: anonymous
  AERGO_ASSIGN_OR_RETURN(SecretKey key, ctx.SigningKey(flag, repo));
  return std::optional<SecretKey>(std::move(key));
}

std::optional<std::string> KeyFlag(const po::variables_map& vm) {
  if (vm.count("key")) return vm["key"].as<std::string>();
  return std::nullopt;
}

Result<RemoteSession> ConnectRemote(Context& ctx, Repository& repo, const std::string& remote,
                                    const po::variables_map& vm,
                                    std::function<void(uint64_t, uint64_t)> upload_progress) {
  RemoteSession s;
  AERGO_ASSIGN_OR_RETURN(s.url, RemoteUrl(repo, remote));
  AERGO_ASSIGN_OR_RETURN(auto key, OptionalKey(ctx, KeyFlag(vm), &repo));
  if (key) s.key = std::make_unique<SecretKey>(std::move(*key));
  TransportOptions topts;
  topts.key = s.key.get();
  topts.clock = &ctx.clock;
  topts.open = ctx.open_options;
  topts.upload_progress = std::move(upload_progress);
  AERGO_ASSIGN_OR_RETURN(s.transport, OpenTransport(s.url, topts));
  return s;
}

Result<FetchReport> FetchWithProgress(Context& ctx, Repository& repo, RemoteSession& session,
                                      const std::string& remote, const po::variables_map& vm) {
  ProgressLine progress(ctx, ProgressWanted(ctx, vm), "Receiving blocks");
  SyncOptions sopts;
  sopts.progress = [&](const PackProgress& p) { progress.Pack(p); };
  return FetchFrom(repo, *session.transport, remote, sopts);
}

std::optional<SyncStart> StartSync(Context& ctx, const std::vector<std::string>& args, po::options_description& opts,
                                   const char* positional, int* code) {
  AddSyncOptions(opts);
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add(positional, 1);
  auto vm = Parse(ctx, args, opts, pos, code);
  if (!vm) return std::nullopt;
  auto repo = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo.ok()) {
    *code = Fail(ctx, repo.status());
    return std::nullopt;
  }
  return SyncStart{std::move(*vm), std::move(*repo)};
}

ProgressLine::ProgressLine(Context& ctx, bool enabled, std::string what)
    : ctx_(ctx), enabled_(enabled), what_(std::move(what)), start_(std::chrono::steady_clock::now()) {}

namespace {
std::string Size(double bytes) {
  char buf[32];
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  else if (bytes < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024 * 1024));
  return buf;
}
}  // namespace

void ProgressLine::Show(const std::string& line, bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  last_line_ = line;
  *ctx_.err << "\r" << what_ << ": " << line << "\x1b[K" << std::flush;
}

void ProgressLine::Pack(const PackProgress& p) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string objects = "objects " + std::to_string(p.objects);
  if (p.total) objects += "/" + std::to_string(p.total) + " (" + std::to_string(p.objects * 100 / p.total) + "%)";
  Show(objects + ", " + Size(static_cast<double>(p.bytes)) + ", " +
           Size(secs > 0 ? static_cast<double>(p.bytes) / secs : 0) + "/s",
       p.total && p.objects == p.total);
}

void ProgressLine::Upload(uint64_t sent, uint64_t total) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  Show(Size(static_cast<double>(sent)) + " of " + Size(static_cast<double>(total)) + ", " +
           Size(secs > 0 ? static_cast<double>(sent) / secs : 0) + "/s",
       sent == total);
}

void ProgressLine::Done() {
  if (enabled_ && shown_) *ctx_.err << ", done.\n" << std::flush;
  shown_ = false;
}

void AddSyncOptions(po::options_description& opts) {
  opts.add_options()("no-progress", "do not show progress")("key", po::value<std::string>(),
                                                            "key that signs the requests");
}

bool ProgressWanted(Context& ctx, const po::variables_map& vm) {
  return !ctx.quiet && !vm.count("no-progress") && !vm.count("json") && isatty(STDERR_FILENO);
}

namespace {
std::string RefUpdatesJson(const std::vector<RefUpdate>& list) {
  std::vector<std::string> out;
  for (const auto& u : list)
    out.push_back("{\"name\": " + JsonString(u.name) + ", \"old\": " +
                  (u.old ? JsonString(ToHex(*u.old)) : std::string("null")) + ", \"new\": " +
                  JsonString(ToHex(u.now)) + "}");
  return "[" + Join(out, ", ") + "]";
}
}  // namespace

std::string FetchReportJson(const std::string& remote, const std::string& url, const FetchReport& r) {
  std::vector<std::string> conflicts;
  for (const auto& c : r.tag_conflicts) conflicts.push_back(JsonString(c));
  return "{\"remote\": " + JsonString(remote) + ", \"url\": " + JsonString(url) +
         ", \"blocks\": " + std::to_string(r.blocks) + ", \"txs\": " + std::to_string(r.txs) +
         ", \"bytes\": " + std::to_string(r.pack.bytes) + ", \"branches\": " + RefUpdatesJson(r.branches) +
         ", \"tags\": " + RefUpdatesJson(r.tags) + ", \"tag_conflicts\": [" + Join(conflicts, ", ") + "]}";
}

std::string FetchReportText(const std::string& url, const FetchReport& r) {
  if (r.branches.empty() && r.tags.empty() && r.tag_conflicts.empty()) return "";
  std::string out = "From " + url + "\n";
  if (r.blocks) out += "  " + std::to_string(r.blocks) + " blocks, " + std::to_string(r.txs) + " txs received\n";
  for (const auto& u : r.branches)
    out += u.old ? "  " + ShortId(*u.old) + ".." + ShortId(u.now) + "  " + u.name + "\n"
                 : "  * [new branch]      " + u.name + " -> " + ShortId(u.now) + "\n";
  for (const auto& u : r.tags) out += "  * [new tag]         " + u.name + " -> " + ShortId(u.now) + "\n";
  for (const auto& c : r.tag_conflicts) out += "  ! " + c + "\n";
  return out;
}

}  // namespace aergo::cli
