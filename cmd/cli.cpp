#include "cmd/cli.h"

#include <ctime>
#include <filesystem>

#include "cmd/util_passphrase.h"

namespace aergo::cli {

Result<std::unique_ptr<Repository>> Context::OpenRepo(OpenMode mode) const {
  AERGO_ASSIGN_OR_RETURN(std::string dir, Repository::Locate(cwd, aergo_dir));
  return Repository::Open(dir, mode, clock, open_options);
}

PassphraseSource Context::Passphrases() const { return DefaultPassphraseSource(passphrase); }

Result<std::string> Context::SigningKeyName(const std::optional<std::string>& flag,
                                            Repository* repo) const {
  if (flag) return *flag;
  if (const char* env = std::getenv("AERGO_KEY"); env && *env) return std::string(env);
  if (repo) {
    if (auto k = repo->config().Get("user.key")) return *k;
  }
  AERGO_ASSIGN_OR_RETURN(Config user, Config::Load(home + "/config"));
  if (auto k = user.Get("user.key")) return *k;
  return NotFound("no signing key: pass --key <name>, set AERGO_KEY, or run 'aergo config user.key <name>'");
}

Result<SecretKey> Context::SigningKey(const std::optional<std::string>& flag,
                                      Repository* repo) const {
  AERGO_ASSIGN_OR_RETURN(std::string name, SigningKeyName(flag, repo));
  return keys().Load(name, Passphrases());
}

int Fail(Context& ctx, const Status& st) {
  if (st.code() == Code::kUsage) return UsageError(ctx, st.message());
  *ctx.err << "aergo: error: " << st.message() << "\n";
  return kExitFailed;
}

int UsageError(Context& ctx, const std::string& message) {
  *ctx.err << "aergo: error: " << message << "\n";
  if (ctx.command) *ctx.err << "usage: " << ctx.command->usage << "\n";
  return kExitUsage;
}

void AddCommon(po::options_description& opts, bool json) {
  opts.add_options()("help,h", "show this help");
  if (json) opts.add_options()("json", "print JSON");
}

std::optional<po::variables_map> Parse(Context& ctx, const std::vector<std::string>& args,
                                       po::options_description& opts,
                                       const po::positional_options_description& pos,
                                       int* exit_code) {
  po::variables_map vm;
  try {
    auto parsed = po::command_line_parser(args)
                      .options(opts)
                      .positional(pos)
                      .style(po::command_line_style::unix_style)
                      .run();
    po::store(parsed, vm);
    if (vm.count("help")) {
      *ctx.out << "usage: " << ctx.command->usage << "\n\n" << ctx.command->summary << "\n\n"
               << opts << "\nSee 'aergo help " << ctx.command->name << "'.\n";
      *exit_code = kExitOk;
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::too_many_positional_options_error&) {
    *exit_code = UsageError(ctx, "too many arguments");
    return std::nullopt;
  } catch (const po::unknown_option& e) {
    *exit_code = UsageError(ctx, "unknown option '" + e.get_option_name() + "'");
    return std::nullopt;
  } catch (const po::error& e) {
    *exit_code = UsageError(ctx, e.what());
    return std::nullopt;
  }
  return vm;
}

std::string FormatTime(uint64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string o;
  for (size_t i = 0; i < parts.size(); ++i) o += (i ? sep : "") + parts[i];
  return o;
}

Result<std::vector<Hash32>> ResolveRevs(Repository& repo, const std::vector<std::string>& revs) {
  std::vector<Hash32> out;
  for (const auto& r : revs) {
    AERGO_ASSIGN_OR_RETURN(Hash32 id, repo.Resolve(r));
    out.push_back(id);
  }
  return out;
}

}  // namespace aergo::cli
