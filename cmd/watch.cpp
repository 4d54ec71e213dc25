// aergo watch [<remote>] [--json] [--count <n>] [--branch <b>] [--key <name>]
// Prints a daemon's events (GET /<name>/events, docs/api.md "Events") as
// they arrive: new blocks, their receipts, branch moves. Runs until --count
// events were printed (exit 0), SIGINT (exit 0) or the daemon ends the
// stream (exit 1).
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "cmd/commands.h"
#include "cmd/util_sync.h"

namespace aergo::cli {

namespace {

volatile sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) { g_interrupted = 1; }

// A URL or a path rather than a remote's name.
bool LooksLikeUrl(const std::string& s) {
  return s.find("://") != std::string::npos || s.find('/') != std::string::npos || s == "." || s == "..";
}

std::string Short(const nlohmann::json& j, const char* key, const char* if_null) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return if_null;
  return it->get<std::string>().substr(0, 12);
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "?";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// One line for an event: "block master 5 <id12> 3 txs",
// "receipt <txid12> <status> in <block12>", "branch master <old12>..<new12>",
// "gap master <old12>..<new12> (...)", "dropped <txid12> from master: <error>".
std::string TextLine(const StreamEvent& e, const nlohmann::json& d) {
  if (e.event == "block")
    return "block " + Str(d, "branch") + " " + Str(d, "height") + " " + Short(d, "id", "?") + " " + Str(d, "txs") +
           " txs";
  if (e.event == "receipt") {
    std::string line = "receipt " + Short(d, "tx", "?") + " " + Str(d, "status") + " in " + Short(d, "block", "?");
    auto err = d.find("error");
    if (err != d.end() && err->is_string()) line += ": " + err->get<std::string>();
    return line;
  }
  if (e.event == "branch") {
    std::string line =
        "branch " + Str(d, "branch") + " " + Short(d, "old", "(new)") + ".." + Short(d, "new", "(deleted)");
    auto t = d.find("truncated");
    if (t != d.end() && t->is_boolean() && t->get<bool>()) line += " (too many blocks to list)";
    return line;
  }
  if (e.event == "gap")
    return "gap " + Str(d, "branch") + " " + Short(d, "from", "(new)") + ".." + Short(d, "to", "(deleted)") +
           " (blocks not listed: fetch them)";
  if (e.event == "dropped")
    return "dropped " + Short(d, "txid", "?") + " from " + Str(d, "branch") + ": " + Str(d, "error");
  return e.event + " " + e.data;
}

}  // namespace

int CmdWatch(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("remote", po::value<std::string>(), "remote (name or URL) to watch (default: origin)")(
      "count", po::value<long long>(), "exit after printing this many events")(
      "branch", po::value<std::string>(), "print only the events of this branch")(
      "key", po::value<std::string>(), "key that signs the request");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("remote", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  long long count = -1;
  if (vm->count("count")) {
    count = (*vm)["count"].as<long long>();
    if (count < 1) return UsageError(ctx, "--count takes a number of events, at least 1");
  }
  std::optional<std::string> branch;
  if (vm->count("branch")) branch = (*vm)["branch"].as<std::string>();
  bool json = vm->count("json") > 0;
  std::string remote = vm->count("remote") ? (*vm)["remote"].as<std::string>() : "origin";

  // The remote's URL and the key come from the repository here, if any,
  // which is closed before watching: a watch holds no lock.
  std::string url = remote;
  std::unique_ptr<SecretKey> key;
  {
    auto repo = ctx.OpenRepo(OpenMode::kRead);
    if (!repo.ok() && (repo.status().code() != Code::kNotFound || !LooksLikeUrl(remote)))
      return Fail(ctx, repo.status());
    Repository* r = repo.ok() ? repo->get() : nullptr;
    if (!LooksLikeUrl(remote)) {
      auto u = RemoteUrl(*r, remote);
      if (!u.ok()) return Fail(ctx, u.status());
      url = *u;
    }
    auto k = OptionalKey(ctx, KeyFlag(*vm), r);
    if (!k.ok()) return Fail(ctx, k.status());
    if (*k) key = std::make_unique<SecretKey>(std::move(**k));
  }
  if (!IsHttpUrl(url))
    return Fail(ctx, Invalid("cannot watch '" + url + "': events are served by 'aergo daemon' only (an http:// or "
                             "https:// remote)"));
  TransportOptions topts;
  topts.key = key.get();
  topts.clock = &ctx.clock;
  topts.open = ctx.open_options;
  auto transport = OpenTransport(url, topts);
  if (!transport.ok()) return Fail(ctx, transport.status());

  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);

  long long printed = 0;
  WatchOptions w;
  w.on_open = [&] {
    if (!ctx.quiet) *ctx.err << "aergo: watching " << url << "\n" << std::flush;
  };
  w.should_stop = [] { return g_interrupted != 0; };
  w.on_event = [&](const StreamEvent& e) {
    if (g_interrupted) return false;
    nlohmann::json d = nlohmann::json::parse(e.data, nullptr, false);
    if (!d.is_object()) d = nlohmann::json::object({{"data", e.data}});
    if (branch && Str(d, "branch") != *branch) return true;
    if (json) {
      d["event"] = e.event;
      *ctx.out << d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
    } else {
      *ctx.out << TextLine(e, d) << "\n" << std::flush;
    }
    return count < 0 || ++printed < count;
  };
  Status st = (*transport)->Watch(w);
  signal(SIGINT, SIG_DFL);
  if (!st.ok()) return Fail(ctx, st);
  return kExitOk;
}

}  // namespace aergo::cli
