// aergo deploy <name> <file.sql> [--key <name>] [--json]
#include <fstream>
#include <sstream>

#include "cmd/commands.h"
#include "cmd/util_receipts.h"

namespace aergo::cli {

int CmdDeploy(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("name", po::value<std::string>(), "contract name")(
      "file", po::value<std::string>(), "contract source (.sql)")("key", po::value<std::string>(), "signing key");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("name", 1).add("file", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("name") || !vm->count("file")) return UsageError(ctx, "missing contract name or file");
  std::string name = (*vm)["name"].as<std::string>(), file = (*vm)["file"].as<std::string>();
  if (!IsValidContractName(name))
    return Fail(ctx, Invalid("invalid contract name '" + name + "': use [a-z_][a-z0-9_]*, not 'aergo'"));
  std::string path = !file.empty() && file[0] == '/' ? file : ctx.cwd + "/" + file;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ctx, NotFound("cannot read contract file '" + file + "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string source = ss.str();
  auto repo = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo.ok()) return Fail(ctx, repo.status());
  Status valid = (*repo)->engine().Validate(name, source, file);
  if (!valid.ok()) return Fail(ctx, valid);
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();
  auto key = ctx.SigningKey(key_flag, repo->get());
  if (!key.ok()) return Fail(ctx, key.status());
  Tx tx = (*repo)->MakeTx(TxKind::kDeploy, key.value(), name, "", {}, source);
  auto res = (*repo)->Submit({tx});
  if (!res.ok()) return Fail(ctx, res.status());
  const Submitted& s = res->front();
  if (vm->count("json")) *ctx.out << SubmittedJson(s) << "\n";
  else if (!ctx.quiet && s.outcome.ok) *ctx.out << "deployed " << name << " in tx " << ToHex(s.txid) << " (pending)\n";
  if (!s.outcome.ok) {
    *ctx.err << "aergo: error: deploy of '" << name << "' failed: " << s.outcome.error << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace aergo::cli
