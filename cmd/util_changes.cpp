#include "cmd/util_changes.h"

#include "cmd/cli.h"
#include "core/json.h"

namespace aergo::cli {

namespace {

struct Counts {
  size_t insert = 0, del = 0, update = 0;
};

Counts Count(const TableChanges& t) {
  Counts n;
  for (const auto& [k, c] : t.rows) {
    if (c.before == c.after) continue;
    switch (OpOf(c)) {
      case ChangeOp::kInsert: ++n.insert; break;
      case ChangeOp::kDelete: ++n.del; break;
      case ChangeOp::kUpdate: ++n.update; break;
    }
  }
  return n;
}

std::string Pairs(const std::vector<std::string>& cols, const Row& row) {
  std::vector<std::string> out;
  for (size_t i = 0; i < cols.size() && i < row.size(); ++i) out.push_back(cols[i] + "=" + ValueToDisplay(row[i]));
  return Join(out, ", ");
}

std::string JsonObject(const std::vector<std::string>& cols, const Row& row, const std::vector<uint32_t>* only) {
  std::vector<std::string> out;
  auto add = [&](size_t i) {
    if (i < cols.size() && i < row.size()) out.push_back(JsonString(cols[i]) + ": " + ValueToJson(row[i]));
  };
  if (only) for (uint32_t k : *only) add(k);
  else for (size_t i = 0; i < cols.size(); ++i) add(i);
  return "{" + Join(out, ", ") + "}";
}

}  // namespace

std::string ChangesText(const ChangeSet& changes) {
  std::string out;
  for (const auto& [name, t] : changes.tables) {
    std::string body;
    for (const auto& [k, c] : t.rows) {
      if (c.before == c.after) continue;
      switch (OpOf(c)) {
        case ChangeOp::kInsert:
          body += "+ " + Pairs(t.columns, *c.after) + "\n";
          break;
        case ChangeOp::kDelete:
          body += "- " + Pairs(t.old_columns, *c.before) + "\n";
          break;
        case ChangeOp::kUpdate: {
          std::vector<std::string> diffs;
          bool same_shape = t.columns == t.old_columns;
          for (size_t i = 0; i < t.columns.size() && i < c.after->size(); ++i) {
            if (same_shape && i < c.before->size() && (*c.before)[i] == (*c.after)[i]) continue;
            std::string old = same_shape && i < c.before->size() ? ValueToDisplay((*c.before)[i]) : "?";
            diffs.push_back(t.columns[i] + " " + old + " -> " + ValueToDisplay((*c.after)[i]));
          }
          std::vector<std::string> key;
          for (uint32_t i : t.key) key.push_back(t.columns[i] + "=" + ValueToDisplay((*c.after)[i]));
          body += "~ " + Join(key, ", ") + ": " + Join(diffs, ", ") + "\n";
          break;
        }
      }
    }
    if (!body.empty()) out += "table " + name + "\n" + body;
  }
  return out;
}

std::string ChangesJson(const ChangeSet& changes) {
  std::vector<std::string> items;
  for (const auto& [name, t] : changes.tables) {
    for (const auto& [k, c] : t.rows) {
      if (c.before == c.after) continue;
      const Row& keyed = c.after ? *c.after : *c.before;
      const auto& key_cols = c.after ? t.columns : t.old_columns;
      items.push_back("{\"table\": " + JsonString(name) + ", \"op\": " + JsonString(OpName(OpOf(c))) +
                      ", \"key\": " + JsonObject(key_cols, keyed, &t.key) + ", \"old\": " +
                      (c.before ? JsonObject(t.old_columns, *c.before, nullptr) : "null") +
                      ", \"new\": " + (c.after ? JsonObject(t.columns, *c.after, nullptr) : "null") + "}");
    }
  }
  return "[" + Join(items, ", ") + "]\n";
}

std::string ChangesStatText(const ChangeSet& changes) {
  std::string out;
  size_t tables = 0, rows = 0;
  for (const auto& [name, t] : changes.tables) {
    Counts n = Count(t);
    if (n.insert + n.del + n.update == 0) continue;
    ++tables;
    rows += n.insert + n.del + n.update;
    out += name + "  +" + std::to_string(n.insert) + " -" + std::to_string(n.del) + " ~" +
           std::to_string(n.update) + "\n";
  }
  out += std::to_string(tables) + (tables == 1 ? " table, " : " tables, ") + std::to_string(rows) +
         (rows == 1 ? " row changed\n" : " rows changed\n");
  return out;
}

std::string ChangesStatJson(const ChangeSet& changes) {
  std::vector<std::string> items;
  for (const auto& [name, t] : changes.tables) {
    Counts n = Count(t);
    if (n.insert + n.del + n.update == 0) continue;
    items.push_back("{\"table\": " + JsonString(name) + ", \"insert\": " + std::to_string(n.insert) +
                    ", \"delete\": " + std::to_string(n.del) + ", \"update\": " + std::to_string(n.update) + "}");
  }
  return "[" + Join(items, ", ") + "]\n";
}

}  // namespace aergo::cli
