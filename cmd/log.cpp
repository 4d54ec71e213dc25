// aergo log [<rev>] [-n N] [--oneline] [--graph] [--json]
// Walks the index (no block objects are read), newest first like git:
// highest height first, ties by time then id.
#include <map>
#include <queue>
#include <set>

#include "cmd/commands.h"
#include "core/json.h"

namespace aergo::cli {

namespace {

struct Newer {
  bool operator()(const BlockRow& a, const BlockRow& b) const {
    if (a.height != b.height) return a.height < b.height;
    if (a.time_ms != b.time_ms) return a.time_ms < b.time_ms;
    return a.id < b.id;
  }
};

// Draws one row of the lane graph for `row` and updates lanes: lines to
// print before the row (lanes waiting for this block converging into it),
// the row's prefix (returned), and lines after it (a merge opening a lane).
std::string GraphRow(std::vector<std::optional<Hash32>>* lanes, const BlockRow& row,
                     std::vector<std::string>* before, std::vector<std::string>* after) {
  auto& l = *lanes;
  int col = -1;
  for (size_t i = 0; i < l.size(); ++i)
    if (l[i] && *l[i] == row.id) { col = static_cast<int>(i); break; }
  if (col < 0) {
    l.push_back(row.id);
    col = static_cast<int>(l.size() - 1);
  }
  // Other lanes waiting for this block converge into col first ("|/").
  bool collapsed = false;
  std::string c(2 * l.size(), ' ');
  for (size_t i = 0; i < l.size(); ++i) {
    bool joins = static_cast<int>(i) != col && l[i] && *l[i] == row.id;
    if (joins) c[i > 0 ? 2 * i - 1 : 0] = '/';
    else if (l[i]) c[2 * i] = '|';
    if (joins) {
      l[i].reset();
      collapsed = true;
    }
  }
  if (collapsed) {
    while (!c.empty() && c.back() == ' ') c.pop_back();
    before->push_back(c);
    while (!l.empty() && !l.back()) l.pop_back();
  }
  std::string line;
  for (size_t i = 0; i < l.size(); ++i) line += (static_cast<int>(i) == col ? "* " : l[i] ? "| " : "  ");
  if (row.parents.empty()) l[static_cast<size_t>(col)].reset();
  else l[static_cast<size_t>(col)] = row.parents[0];
  if (row.parents.size() > 1) {
    bool present = false;
    for (const auto& x : l) if (x && *x == row.parents[1]) present = true;
    if (!present) {
      l.push_back(row.parents[1]);
      std::string m;
      for (size_t i = 0; i + 1 < l.size(); ++i) m += l[i] ? "| " : "  ";
      after->push_back(m.substr(0, m.size() - 1) + "\\");
    }
  }
  while (!l.empty() && !l.back()) l.pop_back();
  return line;
}

}  // namespace

int CmdLog(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("rev", po::value<std::string>()->default_value("HEAD"), "start revision")(
      "max-count,n", po::value<int64_t>()->default_value(-1), "show at most N blocks")(
      "oneline", "one line per block")("graph", "draw the history graph");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("rev", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  int64_t limit = (*vm)["max-count"].as<int64_t>();
  bool json = vm->count("json"), oneline = vm->count("oneline"), graph = vm->count("graph");
  auto repo_r = ctx.OpenRepo(OpenMode::kRead);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;
  auto start = repo.Resolve((*vm)["rev"].as<std::string>());
  if (!start.ok()) return Fail(ctx, start.status());

  std::priority_queue<BlockRow, std::vector<BlockRow>, Newer> todo;
  std::set<Hash32> queued;
  auto first = repo.BlockInfo(*start);
  if (!first.ok()) return Fail(ctx, first.status());
  todo.push(*first);
  queued.insert(*start);
  std::vector<std::optional<Hash32>> lanes;
  std::map<PublicKey, std::string> addresses;  // base58 is not free; producers repeat
  std::string out;
  int64_t shown = 0;
  if (json) out += "[";
  while (!todo.empty() && (limit < 0 || shown < limit)) {
    BlockRow row = todo.top();
    todo.pop();
    for (const auto& p : row.parents) {
      if (!queued.insert(p).second) continue;
      auto pr = repo.BlockInfo(p);
      if (!pr.ok()) return Fail(ctx, pr.status());
      todo.push(*pr);
    }
    std::string id = ToHex(row.id);
    auto known = addresses.find(row.producer);
    if (known == addresses.end()) known = addresses.emplace(row.producer, AddressFromKey(row.producer)).first;
    const std::string& producer = known->second;
    if (json) {
      std::vector<std::string> ps;
      for (const auto& p : row.parents) ps.push_back(JsonString(ToHex(p)));
      out += (shown ? ", " : "") + std::string("{\"id\": ") + JsonString(id) +
             ", \"height\": " + std::to_string(row.height) + ", \"parents\": [" + Join(ps, ", ") +
             "], \"time\": " + JsonString(FormatTime(row.time_ms)) + ", \"producer\": " +
             JsonString(producer) + ", \"txs\": " + std::to_string(row.txs) +
             ", \"message\": " + JsonString(row.message) + "}";
    } else {
      std::vector<std::string> before, extra;
      std::string prefix = graph ? GraphRow(&lanes, row, &before, &extra) : "";
      for (const auto& b : before) out += b + "\n";
      std::string subject = row.message.substr(0, row.message.find('\n'));
      if (oneline) {
        out += prefix + id.substr(0, 12) + " " + std::to_string(row.height) + " " + subject + "\n";
      } else {
        std::string bar = graph ? std::string(prefix.size(), ' ') : "";
        for (size_t i = 0; graph && i < lanes.size() && 2 * i < bar.size(); ++i) bar[2 * i] = lanes[i] ? '|' : ' ';
        out += prefix + "block " + id + "\n";
        if (row.parents.size() > 1)
          out += bar + "Merge: " + ShortId(row.parents[0]) + " " + ShortId(row.parents[1]) + "\n";
        out += bar + "Height:   " + std::to_string(row.height) + "\n" + bar + "Producer: " + producer +
               "\n" + bar + "Date:     " + FormatTime(row.time_ms) + "\n" + bar + "Txs:      " +
               std::to_string(row.txs) + "\n" + bar + "\n" + bar + "    " +
               (row.message.empty() ? "(no message)" : row.message) + "\n" + bar + "\n";
      }
      for (const auto& e : extra) out += e + "\n";
    }
    ++shown;
  }
  if (json) out += "]\n";
  *ctx.out << out;
  return kExitOk;
}

}  // namespace aergo::cli
