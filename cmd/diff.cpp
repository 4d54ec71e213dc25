// aergo diff [<rev1> [<rev2>]] [--table <contract>.<table>] [--stat] [--json]:
// row-level differences between two states. No revision: HEAD against its
// merge pool's pending state; one: <rev1> against the checked-out state
// (head plus pending txs); two: <rev1> against <rev2>.
#include <cctype>

#include "cmd/commands.h"
#include "cmd/util_changes.h"
#include "core/state_at.h"

namespace aergo::cli {

int CmdDiff(Context& ctx, const std::vector<std::string>& args) {
  po::options_description opts("options");
  opts.add_options()("revs", po::value<std::vector<std::string>>(), "revisions")(
      "table", po::value<std::string>(), "only this table (<contract>.<table>)")(
      "stat", "per-table counts only");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("revs", -1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  std::vector<std::string> revs;
  if (vm->count("revs")) revs = (*vm)["revs"].as<std::vector<std::string>>();
  if (revs.size() > 2) return UsageError(ctx, "at most two revisions");
  std::optional<std::string> table;
  if (vm->count("table")) {
    table = (*vm)["table"].as<std::string>();
    for (char& c : *table) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (table->find('.') == std::string::npos)
      return UsageError(ctx, "--table takes <contract>.<table>, got '" + *table + "'");
  }
  auto repo_r = ctx.OpenRepo(OpenMode::kRead);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;

  // Each end as the changes from the checked-out state to it (nullopt: the
  // checked-out state itself); the diff is from_live(a)^-1 then from_live(b).
  std::vector<std::optional<Hash32>> ends;
  if (revs.empty()) {
    auto head = repo.CurrentHead();
    if (!head.ok()) return Fail(ctx, head.status());
    ends = {head->block.id, std::nullopt};
  } else {
    auto ids = ResolveRevs(repo, revs);
    if (!ids.ok()) return Fail(ctx, ids.status());
    ends.assign(ids->begin(), ids->end());
    if (ends.size() == 1) ends.push_back(std::nullopt);
  }
  Result<ChangeSet> diff = [&]() -> Result<ChangeSet> {
    if (ends[0] && ends[1]) return repo.ChangesBetween(*ends[0], *ends[1]);
    AERGO_ASSIGN_OR_RETURN(ChangeSet to_a, repo.ChangesFromLive(*ends[0]));
    return to_a.Inverted();
  }();
  if (!diff.ok()) return Fail(ctx, diff.status());
  if (table) {
    // The table must exist at one end or the other.
    bool exists = false;
    for (const auto& end : ends) {
      ChangeSet from_live;
      if (end) {
        auto c = repo.ChangesFromLive(*end);
        if (!c.ok()) return Fail(ctx, c.status());
        from_live = std::move(*c);
      }
      auto tables = TablesAfter(repo.db().get(), from_live);
      if (!tables.ok()) return Fail(ctx, tables.status());
      exists = exists || tables->count(*table) > 0;
    }
    if (!exists) return Fail(ctx, NotFound("table '" + *table + "' does not exist at either end of the diff"));
    ChangeSet only;
    if (auto it = diff->tables.find(*table); it != diff->tables.end()) only.tables.insert(*it);
    *diff = std::move(only);
  }
  bool json = vm->count("json") > 0;
  if (vm->count("stat")) *ctx.out << (json ? ChangesStatJson(*diff) : ChangesStatText(*diff));
  else *ctx.out << (json ? ChangesJson(*diff) : ChangesText(*diff));
  return kExitOk;
}

}  // namespace aergo::cli
