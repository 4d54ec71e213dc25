// aergo query [--at <rev>] "<SELECT ...>" [--json | --csv]: read-only SQL
// over the checked-out state, or over the state as of any block (an overlay
// of the rows that differ; core/state_at.h).
#include "cmd/commands.h"
#include "core/json.h"
#include "core/state_at.h"

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
      "at", po::value<std::string>(), "read the state as of this block (any revision)");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("sql", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  if (!vm->count("sql")) return UsageError(ctx, "missing SQL statement");
  if (vm->count("json") && vm->count("csv")) return UsageError(ctx, "choose --json or --csv");
  auto repo = ctx.OpenRepo(OpenMode::kRead);
  if (!repo.ok()) return Fail(ctx, repo.status());
  std::unique_ptr<BlockReader> reader;
  if (vm->count("at")) {
    auto id = (*repo)->Resolve((*vm)["at"].as<std::string>());
    if (!id.ok()) return Fail(ctx, id.status());
    auto r = (*repo)->ReadAt(*id);
    if (!r.ok()) return Fail(ctx, r.status());
    reader = std::move(*r);
  }
  std::string sql = (*vm)["sql"].as<std::string>();
  auto res = reader ? reader->Query(sql) : (*repo)->engine().Query(sql);
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
