// aergo query [--at <rev>] [--remote <remote>] "<SELECT ...>" [--json | --csv]:
// read-only SQL over the checked-out state, or over the state as of any
// block (an overlay of the rows that differ; core/state_at.h); with
// --remote (in aergo-net), over a remote's.
#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

int CmdQuery(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("sql", po::value<std::string>(), "SELECT statement")("csv", "print CSV")(
      "at", po::value<std::string>(), "read the state as of this block (any revision)")(
      "remote", po::value<std::string>(), "query this remote (name or URL) instead");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("sql", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("sql")) return UsageError(ctx, "missing SQL statement");
  if (vm->count("json") && vm->count("csv")) return UsageError(ctx, "choose --json or --csv");
  std::string sql = (*vm)["sql"].as<std::string>();
  std::optional<std::string> at_rev;
  if (vm->count("at")) at_rev = (*vm)["at"].as<std::string>();
  auto repo = ctx.OpenRepo(OpenMode::kRead);
  Result<QueryResult> res = QueryResult{};
  if (vm->count("remote")) {
    // The local repository, if any, names the remote and the key.
    if (!repo.ok() && repo.status().code() != Code::kNotFound) return Fail(ctx, repo.status());
    auto ledger = OpenRemoteLedger(ctx, repo.ok() ? repo->get() : nullptr, (*vm)["remote"].as<std::string>(),
                                   std::nullopt);
    if (!ledger.ok()) return Fail(ctx, ledger.status());
    res = (*ledger)->Query(sql, at_rev);
  } else {
    if (!repo.ok()) return Fail(ctx, repo.status());
    std::optional<Hash32> at;
    if (at_rev) {
      auto id = (*repo)->Resolve(*at_rev);
      if (!id.ok()) return Fail(ctx, id.status());
      at = *id;
    }
    res = (*repo)->Query(sql, at);
  }
  if (!res.ok()) return Fail(ctx, res.status());
  const auto& cols = res->columns;
  std::string out;
  if (vm->count("json")) {
    out = "[";
    for (size_t r = 0; r < res->rows.size(); ++r) {
      out += r ? ", {" : "{";
      for (size_t c = 0; c < cols.size(); ++c)
        out += (c ? ", " : "") + JsonString(cols[c]) + ": " + ValueToJson(res->rows[r][c]);
      out += "}";
    }
    out += "]\n";
  } else if (vm->count("csv")) {
    std::vector<std::string> f;
    for (const auto& c : cols) f.push_back(CsvField(c));
    out += Join(f, ",") + "\n";
    for (const auto& row : res->rows) {
      f.clear();
      for (const auto& v : row) f.push_back(v.type == Value::Type::kNull ? "" : CsvField(ValueToDisplay(v)));
      out += Join(f, ",") + "\n";
    }
  } else {
    std::vector<size_t> w(cols.size());
    for (size_t c = 0; c < cols.size(); ++c) w[c] = DisplayWidth(cols[c]);
    for (const auto& row : res->rows)
      for (size_t c = 0; c < cols.size(); ++c) w[c] = std::max(w[c], DisplayWidth(ValueToDisplay(row[c])));
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l;
      for (size_t c = 0; c < cells.size(); ++c) {
        l += cells[c];
        if (c + 1 < cells.size()) l += std::string(w[c] - DisplayWidth(cells[c]) + 2, ' ');
      }
      return l + "\n";
    };
    out += line(cols);
    std::vector<std::string> dashes;
    for (size_t c = 0; c < cols.size(); ++c) dashes.push_back(std::string(w[c], '-'));
    out += line(dashes);
    for (const auto& row : res->rows) {
      std::vector<std::string> cells;
      for (const auto& v : row) cells.push_back(ValueToDisplay(v));
      out += line(cells);
    }
    out += "(" + std::to_string(res->rows.size()) + " row" + (res->rows.size() == 1 ? "" : "s") + ")\n";
  }
  *ctx.out << out;
  return kExitOk;
}

}  // namespace aergo::cli
