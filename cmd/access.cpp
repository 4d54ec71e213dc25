// aergo access grant <address> read|write|admin [--key <name>] [--json]
// aergo access revoke <address> [--key <name>] [--json]
// aergo access list [--json]
// Roles live in the ledger (table aergo.directory, docs/design.md §2): grant and
// revoke are system txs added to the merge pool like calls, so roles are
// signed, versioned, merged and pushed like everything else. Only an admin
// changes roles; the daemon enforces the roles of its checked-out state.
#include "cmd/commands.h"
#include "cmd/util_receipts.h"
#include "core/json.h"

namespace aergo::cli {

int CmdAccess(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("words", po::value<std::vector<std::string>>(), "grant <address> <role> | revoke <address> | list")(
      "key", po::value<std::string>(), "signing key");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("words", -1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  std::vector<std::string> words;
  if (vm->count("words")) words = (*vm)["words"].as<std::vector<std::string>>();
  if (words.empty()) return UsageError(ctx, "missing subcommand (grant, revoke or list)");
  const std::string& verb = words[0];
  bool json = vm->count("json") > 0;

  if (verb == "list") {
    if (words.size() != 1) return UsageError(ctx, "access list takes no arguments");
    auto repo = ctx.OpenRepo(OpenMode::kRead);
    if (!repo.ok()) return Fail(ctx, repo.status());
    auto stmt = (*repo)->db().Prepare("SELECT address, role FROM \"aergo.directory\" ORDER BY address");
    if (!stmt.ok()) return Fail(ctx, stmt.status());
    std::vector<std::string> items;
    int rc;
    while ((rc = stmt->Step()) == SQLITE_ROW) {
      if (json)
        items.push_back("{\"address\": " + JsonString(stmt->Text(0)) + ", \"role\": " + JsonString(stmt->Text(1)) + "}");
      else
        *ctx.out << stmt->Text(0) << "\t" << stmt->Text(1) << "\n";
    }
    if (rc != SQLITE_DONE) return Fail(ctx, IoError("cannot read the directory"));
    if (json) *ctx.out << "[" << Join(items, ", ") << "]\n";
    return kExitOk;
  }
  std::vector<Value> tx_args;
  if (verb == "grant") {
    if (words.size() != 3) return UsageError(ctx, "access grant needs <address> and a role (read, write or admin)");
    if (words[2] != "read" && words[2] != "write" && words[2] != "admin")
      return UsageError(ctx, "unknown role '" + words[2] + "' (read, write or admin)");
    tx_args = {Value::Text(words[1]), Value::Text(words[2])};
  } else if (verb == "revoke") {
    if (words.size() != 2) return UsageError(ctx, "access revoke needs <address>");
    tx_args = {Value::Text(words[1])};
  } else {
    return UsageError(ctx, "unknown access subcommand '" + verb + "' (grant, revoke, list)");
  }
  if (!KeyFromAddress(words[1]).ok()) return Fail(ctx, Invalid("invalid address '" + words[1] + "'"));
  auto repo_r = ctx.OpenRepo(OpenMode::kWrite);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;
  auto branch = repo.CheckedOutBranch("check out a branch first (a tag or block is read-only)");
  if (!branch.ok()) return Fail(ctx, branch.status());
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();
  auto key = ctx.SigningKey(key_flag, &repo);
  if (!key.ok()) return Fail(ctx, key.status());
  Tx tx = repo.MakeTx(TxKind::kAccess, *key, "aergo", verb, std::move(tx_args), "");
  return SubmitOne(ctx, repo, tx, "access " + verb, json);
}

}  // namespace aergo::cli
