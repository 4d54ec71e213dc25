// aergo show <rev or txid> [--changes] [--remote <remote>] [--json]: a block
// (header, txs, receipts; with --changes the rows it changed) or one tx,
// from the local repository or (--remote, in aergo-net) a remote's.
#include <algorithm>
#include <optional>

#include "cmd/commands.h"
#include "cmd/util_changes.h"
#include "core/json.h"

namespace aergo::cli {

namespace {

std::string ArgsText(const Tx& tx) {
  std::vector<std::string> a;
  for (const auto& v : tx.args)
    a.push_back(v.type == Value::Type::kText ? JsonString(v.bytes) : ValueToDisplay(v));
  return Join(a, ", ");
}

std::string TxJson(const Tx& tx, const Receipt* rc, const std::optional<Hash32>& block) {
  std::vector<std::string> args;
  for (const auto& v : tx.args) args.push_back(ValueToJson(v));
  std::string s = "{\"txid\": " + JsonString(ToHex(tx.Id())) + ", \"kind\": " +
                  JsonString(TxKindName(tx.kind)) + ", \"sender\": " +
                  JsonString(AddressFromKey(tx.sender)) + ", \"contract\": " +
                  JsonString(tx.contract) + ", \"function\": " + JsonString(tx.function) +
                  ", \"args\": [" + Join(args, ", ") + "], \"time\": " +
                  JsonString(FormatTime(tx.time_ms)) + ", \"block\": " +
                  (block ? JsonString(ToHex(*block)) : "null");
  if (rc) {
    s += ", \"status\": " + JsonString(ReceiptStatusName(rc->status)) + ", \"error\": " +
         (rc->error.empty() ? "null" : JsonString(rc->error)) + ", \"resolver\": " +
         (rc->resolver.empty() ? "null" : JsonString(rc->resolver));
  }
  return s + "}";
}

std::string TxText(const Tx& tx, const Receipt* rc, const std::optional<Hash32>& block) {
  std::string s = "tx " + ToHex(tx.Id()) + "\n";
  s += "Kind:     " + std::string(TxKindName(tx.kind)) + "\n";
  s += "Sender:   " + AddressFromKey(tx.sender) + "\n";
  s += "Date:     " + FormatTime(tx.time_ms) + "\n";
  if (tx.kind == TxKind::kCall) s += "Call:     " + tx.contract + "." + tx.function + "(" + ArgsText(tx) + ")\n";
  if (tx.kind == TxKind::kDeploy) s += "Deploy:   " + tx.contract + " (" + std::to_string(tx.payload.size()) + " bytes of source)\n";
  if (tx.kind == TxKind::kAccess) s += "Access:   " + tx.function + "(" + ArgsText(tx) + ")\n";
  s += "Block:    " + (block ? ToHex(*block) : std::string("(pending in the merge pool)")) + "\n";
  if (rc) {
    s += "Status:   " + std::string(ReceiptStatusName(rc->status));
    if (!rc->error.empty()) s += " (" + rc->error + ")";
    if (!rc->resolver.empty()) s += " by resolver " + rc->resolver;
    s += "\n";
  }
  return s;
}

// The chain parameters a genesis block fixes, or nullopt for other blocks
// (and for a genesis whose arguments do not parse: show prints it as it is).
std::optional<ChainParams> GenesisParams(const Block& block) {
  if (block.header.height != 0 || block.txs.size() != 1 || block.txs[0].kind != TxKind::kGenesis)
    return std::nullopt;
  auto p = ChainParams::FromGenesisArgs(block.txs[0].args);
  if (!p.ok()) return std::nullopt;
  return *p;
}

std::string ChainJson(const ChainParams& p) {
  std::string s = "{\"consensus\": " + JsonString(p.consensus) + ", \"public\": " +
                  (p.is_public ? "true" : "false");
  for (const auto& [name, value] : p.Named()) s += ", " + JsonString(name) + ": " + std::to_string(value);
  return s + "}";
}

std::string ChainText(const ChainParams& p) {
  std::string s = "Chain:    consensus " + p.consensus + ", " + (p.is_public ? "public" : "private") + "\n";
  for (const auto& [name, value] : p.Named()) {
    std::string label = name + ":";
    s += "          " + label + std::string(label.size() < 22 ? 22 - label.size() : 1, ' ') +
         std::to_string(value) + "\n";
  }
  return s;
}

// Prints a block as `aergo show` does (with the rows it changed when asked).
int PrintBlock(Context& ctx, const Block& block, bool with_changes, bool json) {
  const auto& h = block.header;
  std::string id = ToHex(block.Id());
  std::optional<ChangeSet> changes;
  if (with_changes) {
    auto c = ChangeSet::Decode(block.changes, "changes of block " + id);
    if (!c.ok()) return Fail(ctx, c.status());
    changes = std::move(*c);
  }
  if (json) {
    std::vector<std::string> ps, txs;
    for (const auto& p : h.parents) ps.push_back(JsonString(ToHex(p)));
    for (size_t i = 0; i < block.txs.size(); ++i)
      txs.push_back(TxJson(block.txs[i], &block.receipts[i], block.Id()));
    *ctx.out << "{\"id\": " << JsonString(id) << ", \"height\": " << h.height << ", \"parents\": ["
             << Join(ps, ", ") << "], \"time\": " << JsonString(FormatTime(h.time_ms))
             << ", \"producer\": " << JsonString(AddressFromKey(h.producer))
             << ", \"tx_root\": " << JsonString(ToHex(h.tx_root)) << ", \"receipt_root\": "
             << JsonString(ToHex(h.receipt_root)) << ", \"state_root\": "
             << JsonString(ToHex(h.state_root)) << ", \"message\": " << JsonString(h.message)
             << ", \"resolver\": " << (h.resolver.empty() ? "null" : JsonString(h.resolver));
    if (auto chain = GenesisParams(block)) *ctx.out << ", \"chain\": " << ChainJson(*chain);
    *ctx.out << ", \"txs\": [" << Join(txs, ", ") << "]";
    if (changes) {
      std::string c = ChangesJson(*changes);
      *ctx.out << ", \"changes\": " << c.substr(0, c.size() - 1);
    }
    *ctx.out << "}\n";
    return kExitOk;
  }
  *ctx.out << "block " << id << "\n";
  for (size_t i = 0; i < h.parents.size(); ++i) *ctx.out << "Parent:   " << ToHex(h.parents[i]) << "\n";
  *ctx.out << "Height:   " << h.height << "\nProducer: " << AddressFromKey(h.producer)
           << "\nDate:     " << FormatTime(h.time_ms) << "\nTx root:  " << ToHex(h.tx_root)
           << "\nState:    " << ToHex(h.state_root) << "\n"
           << (h.resolver.empty() ? "" : "Resolver: " + h.resolver + "\n");
  if (auto chain = GenesisParams(block)) *ctx.out << ChainText(*chain);
  *ctx.out << "\n    "
           << (h.message.empty() ? "(no message)" : h.message) << "\n";
  for (size_t i = 0; i < block.txs.size(); ++i) {
    const Tx& tx = block.txs[i];
    const Receipt& rc = block.receipts[i];
    *ctx.out << "\n  " << ShortId(tx.Id()) << " " << ReceiptStatusName(rc.status) << "  ";
    if (tx.kind == TxKind::kCall) *ctx.out << tx.contract << "." << tx.function << "(" << ArgsText(tx) << ")";
    else if (tx.kind == TxKind::kDeploy) *ctx.out << "deploy " << tx.contract;
    else if (tx.kind == TxKind::kAccess) *ctx.out << "access " << tx.function << "(" << ArgsText(tx) << ")";
    else *ctx.out << "genesis";
    if (!rc.error.empty()) *ctx.out << "  (" << rc.error << ")";
    if (!rc.resolver.empty()) *ctx.out << " by resolver " << rc.resolver;
  }
  *ctx.out << "\n";
  if (changes) *ctx.out << "\nChanges:\n" << ChangesText(*changes);
  return kExitOk;
}

int PrintTx(Context& ctx, const FoundTx& found, bool json) {
  *ctx.out << (json ? TxJson(found.tx, &found.receipt, found.block) + "\n"
                    : TxText(found.tx, &found.receipt, found.block));
  return kExitOk;
}

// show --remote: the block a revision names on the remote, else the tx.
int ShowRemote(Context& ctx, const std::string& remote, const std::string& what, bool with_changes, bool json) {
  auto repo = ctx.OpenRepo(OpenMode::kRead);  // for a remote's name and a configured key; optional
  if (!repo.ok() && repo.status().code() != Code::kNotFound) return Fail(ctx, repo.status());
  auto ledger = OpenRemoteLedger(ctx, repo.ok() ? repo->get() : nullptr, remote, std::nullopt);
  if (!ledger.ok()) return Fail(ctx, ledger.status());
  auto block = (*ledger)->GetBlock(what);
  if (block.ok()) return PrintBlock(ctx, *block, with_changes, json);
  if (block.status().code() != Code::kNotFound || !Repository::IsTxIdPrefix(what)) return Fail(ctx, block.status());
  auto found = (*ledger)->GetTx(what);
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound)
      return Fail(ctx, NotFound("unknown revision or tx '" + what + "' on " + (*ledger)->url()));
    return Fail(ctx, found.status());
  }
  return PrintTx(ctx, *found, json);
}

}  // namespace

int CmdShow(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("object", po::value<std::string>(), "revision or tx id")(
      "changes", "also show the rows the block changed")(
      "remote", po::value<std::string>(), "read from this remote (name or URL) instead");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("object", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("object")) return UsageError(ctx, "missing revision or tx id");
  std::string what = (*vm)["object"].as<std::string>();
  bool json = vm->count("json");
  bool with_changes = vm->count("changes");
  if (vm->count("remote")) return ShowRemote(ctx, (*vm)["remote"].as<std::string>(), what, with_changes, json);
  auto repo_r = ctx.OpenRepo(OpenMode::kRead);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;

  auto rev = repo.Resolve(what);
  if (!rev.ok() && rev.status().code() != Code::kNotFound) return Fail(ctx, rev.status());
  if (rev.ok()) {
    auto block = repo.ReadBlock(*rev);
    if (!block.ok()) return Fail(ctx, block.status());
    return PrintBlock(ctx, *block, with_changes, json);
  }

  // Not a revision: try a tx id (prefix of 7+ hex digits).
  if (!Repository::IsTxIdPrefix(what)) return Fail(ctx, rev.status());
  auto found = repo.FindTx(what);
  if (!found.ok()) {
    if (found.status().code() == Code::kNotFound)
      return Fail(ctx, NotFound("unknown revision or tx '" + what + "'"));
    return Fail(ctx, found.status());
  }
  return PrintTx(ctx, *found, json);
}

}  // namespace aergo::cli
