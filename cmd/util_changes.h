// Rendering row changes (aergo diff, aergo show --changes).
//   text:  "table <name>" then one line per row: "+ key=.., col=.." (insert),
//          "- ..." (delete), "~ key: col old -> new, .." (update)
//   json:  [{"table", "op", "key": {..}, "old": {..}|null, "new": {..}|null}]
//   stat:  per table "<name>  +<inserted> -<deleted> ~<updated>", then totals;
//          JSON [{"table", "insert", "delete", "update"}]
// Rows whose before equals after (kept only for replaced contracts) are not shown.
#pragma once

#include <string>

#include "core/changes.h"

namespace aergo::cli {

std::string ChangesText(const ChangeSet& changes);
std::string ChangesJson(const ChangeSet& changes);
std::string ChangesStatText(const ChangeSet& changes);
std::string ChangesStatJson(const ChangeSet& changes);

}  // namespace aergo::cli
