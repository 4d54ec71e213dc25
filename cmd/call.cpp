// aergo call <contract> <function> [<arg>...] [--remote <remote>] [--key <name>] [--json]
// aergo call --batch <file|-> [--remote <remote>] [--key <name>] [--json]
// Signs, pre-executes on the branch's pool state and keeps successful calls
// in the merge pool. Batch: one call per line, one receipt per line. With
// --remote the txs go to the remote's checked-out branch instead (in
// aergo-net); the local repository still types the arguments and names
// the chain.
#include <fstream>
#include <iostream>

#include "cmd/commands.h"
#include "cmd/util_receipts.h"
#include "core/parallel.h"

namespace aergo::cli {

namespace {

// Splits a batch line into words; '...' and "..." group, no escapes.
Result<std::vector<std::string>> SplitLine(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
      continue;
    }
    if (c == '\'' || c == '"') { quote = c; in_word = true; continue; }
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) { words.push_back(cur); cur.clear(); in_word = false; }
      continue;
    }
    cur += c;
    in_word = true;
  }
  if (quote) return Invalid("unterminated quote");
  if (in_word) words.push_back(cur);
  return words;
}

}  // namespace

int CmdCall(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("batch", po::value<std::string>(), "read calls from a file, or - for stdin")(
      "key", po::value<std::string>(), "signing key")(
      "remote", po::value<std::string>(), "submit to this remote (name or URL) instead of the local merge pool");
  AddCommon(opts, true);
  po::positional_options_description pos;
  // Words (contract, function, arguments) are split off by hand: arguments
  // may be empty or start with '-' (negative numbers, text). Only the
  // command's own options are options; after `--` nothing is.
  std::vector<std::string> option_args, words;
  bool only_words = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto is = [&](const char* name) { return a == name || a.rfind(std::string(name) + "=", 0) == 0; };
    if (!only_words && a == "--") { only_words = true; continue; }
    bool option = !only_words && (is("--key") || is("--batch") || is("--remote") || a == "--json" ||
                                  a == "--help" || a == "-h");
    // Before the function name, any other dash word is an unknown option.
    if (!only_words && !option && words.size() < 2 && a.size() > 1 && a[0] == '-' &&
        !std::isdigit(static_cast<unsigned char>(a[1])))
      option = true;
    if (!option) { words.push_back(a); continue; }
    option_args.push_back(a);
    if ((a == "--key" || a == "--batch" || a == "--remote") && i + 1 < args.size())
      option_args.push_back(args[++i]);
  }
  int code = 0;
  auto vm = Parse(ctx, option_args, opts, pos, &code);
  if (!vm) return code;
  bool json = vm->count("json");
  bool batch = vm->count("batch");
  if (batch && !words.empty()) return UsageError(ctx, "--batch takes no contract or function");
  if (!batch && words.size() < 2) return UsageError(ctx, "missing contract or function");

  std::optional<std::string> remote;
  if (vm->count("remote")) remote = (*vm)["remote"].as<std::string>();
  auto repo_r = ctx.OpenRepo(remote ? OpenMode::kRead : OpenMode::kWrite);
  if (!repo_r.ok()) {
    Status st = repo_r.status();
    if (remote && st.code() == Code::kNotFound)
      st = st.Context("call --remote types the arguments with the contracts of a local clone of the ledger");
    return Fail(ctx, st);
  }
  Repository& repo = **repo_r;
  if (!remote) {
    auto branch = repo.CheckedOutBranch("check out a branch first (a tag or block is read-only)");
    if (!branch.ok()) return Fail(ctx, branch.status());
  }
  // The key (perhaps a passphrase prompt) is loaded once the arguments are
  // known to be good.
  std::optional<std::string> key_flag;
  if (vm->count("key")) key_flag = (*vm)["key"].as<std::string>();

  if (!batch) {
    std::vector<std::string> text_args(words.begin() + 2, words.end());
    auto values = repo.engine().ConvertArgs(words[0], words[1], text_args);
    if (!values.ok()) return Fail(ctx, values.status());
    auto key = ctx.SigningKey(key_flag, &repo);
    if (!key.ok()) return Fail(ctx, key.status());
    Tx tx = repo.MakeTx(TxKind::kCall, key.value(), words[0], words[1], std::move(*values), "");
    auto res = SubmitTo(ctx, repo, remote, {tx}, key.value());
    if (!res.ok()) return Fail(ctx, res.status());
    return ReportOne(ctx, res->front(), "call " + words[0] + "." + words[1], json);
  }

  // Batch: parse every line first; lines that do not parse are reported
  // as failed without a tx.
  std::string file = (*vm)["batch"].as<std::string>();
  std::ifstream fin;
  std::istream* in = &std::cin;
  if (file != "-") {
    fin.open(file[0] == '/' ? file : ctx.cwd + "/" + file);
    if (!fin) return Fail(ctx, NotFound("cannot read batch file '" + file + "'"));
    in = &fin;
  }
  struct Line { std::optional<size_t> tx; std::string error; };
  std::vector<Line> lines;
  struct Call {
    std::string contract, function;
    std::vector<Value> args;
  };
  std::vector<Call> calls;
  std::string text;
  size_t lineno = 0;
  while (std::getline(*in, text)) {
    ++lineno;
    auto w = SplitLine(text);
    if (w.ok() && (w->empty() || (*w)[0][0] == '#')) continue;
    std::string where = "line " + std::to_string(lineno) + ": ";
    if (!w.ok()) { lines.push_back({std::nullopt, where + w.status().message()}); continue; }
    if (w->size() < 2) { lines.push_back({std::nullopt, where + "expected <contract> <function> <arg>..."}); continue; }
    std::vector<std::string> text_args(w->begin() + 2, w->end());
    auto values = repo.engine().ConvertArgs((*w)[0], (*w)[1], text_args);
    if (!values.ok()) { lines.push_back({std::nullopt, where + values.status().message()}); continue; }
    lines.push_back({calls.size(), ""});
    calls.push_back({(*w)[0], (*w)[1], std::move(*values)});
  }
  auto key = ctx.SigningKey(key_flag, &repo);
  if (!key.ok()) return Fail(ctx, key.status());
  // Sign on every core: signing dominates building a large batch.
  std::vector<Tx> txs(calls.size());
  ParallelFor(calls.size(), 0, [&](size_t i) {
    txs[i] = repo.MakeTx(TxKind::kCall, key.value(), calls[i].contract, calls[i].function,
                         std::move(calls[i].args), "");
  });
  auto res = SubmitTo(ctx, repo, remote, txs, key.value());
  if (!res.ok()) return Fail(ctx, res.status());
  bool all_ok = true;
  std::string out = json ? "[" : "";
  for (size_t i = 0; i < lines.size(); ++i) {
    Submitted s;
    if (lines[i].tx) s = (*res)[*lines[i].tx];
    else s.outcome = CallOutcome{false, lines[i].error, 0};
    all_ok = all_ok && s.outcome.ok;
    if (json) out += (i ? ", " : "") + SubmittedJson(s);
    else if (lines[i].tx) out += SubmittedText(s) + "\n";
    else out += "- failed: " + lines[i].error + "\n";
  }
  if (json) out += "]\n";
  if (!ctx.quiet || json) *ctx.out << out;
  if (!all_ok) {
    *ctx.err << "aergo: error: some calls in the batch failed; they were not kept (the others are in the "
             << (remote ? "remote's " : "") << "merge pool)\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace aergo::cli
