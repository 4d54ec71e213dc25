#include "cmd/util_refs.h"

#include <set>

#include "core/json.h"

namespace aergo::cli {

int RefCommand(Context& ctx, const std::vector<std::string>& args, RefKind kind) {
  const bool branch = kind == RefKind::kBranch;
  const char* noun = branch ? "branch" : "tag";
  po::options_description opts("options");
  opts.add_options()("name", po::value<std::string>(), "name")(
      "block", po::value<std::string>(), "revision to point at (default: HEAD)")(
      "delete,d", po::value<std::string>(), "delete the named ref");
  if (branch)
    opts.add_options()("force-delete,D", po::value<std::string>(),
                       "delete a branch even if its merge pool holds pending txs")(
        "resolver", po::value<std::string>(), "consistent merge policy: <contract>.<function>")(
        "private", "a private branch: a daemon serves it only to callers with a role in its own directory")(
        "show", po::value<std::string>(), "print a branch's head, merge policy and privacy");
  AddCommon(opts, true);
  po::positional_options_description pos;
  pos.add("name", 1);
  int code = 0;
  auto vm = Parse(ctx, args, opts, pos, &code);
  if (!vm) return code;
  bool force = vm->count("force-delete");
  bool create = vm->count("name"), del = vm->count("delete") || force;
  if (vm->count("delete") && force) return UsageError(ctx, "give -d or -D, not both");
  if (create && del) return UsageError(ctx, "give a name to create or -d <name>, not both");
  if (vm->count("block") && !create) return UsageError(ctx, "--block needs a name to create");
  if (vm->count("resolver") && !create) return UsageError(ctx, "--resolver needs a name to create");
  bool is_private = vm->count("private") > 0;
  if (is_private && !create) return UsageError(ctx, "--private needs a name to create");
  if (vm->count("show") && (create || del)) return UsageError(ctx, "--show takes a branch name alone");
  auto repo_r = ctx.OpenRepo(create || del ? OpenMode::kWrite : OpenMode::kRead);
  if (!repo_r.ok()) return Fail(ctx, repo_r.status());
  Repository& repo = **repo_r;

  if (del) {
    std::string name = (*vm)[force ? "force-delete" : "delete"].as<std::string>();
    auto target = branch ? repo.BranchHead(name) : repo.TagTarget(name);
    Status st = branch ? repo.DeleteBranch(name, force) : repo.DeleteTag(name);
    if (!st.ok()) return Fail(ctx, st);
    if (!ctx.quiet)
      *ctx.out << "Deleted " << noun << " " << name << " (was "
               << (target.ok() && *target ? ShortId(**target) : "?") << ")\n";
    return kExitOk;
  }
  if (create) {
    std::string name = (*vm)["name"].as<std::string>();
    std::string rev = vm->count("block") ? (*vm)["block"].as<std::string>() : "HEAD";
    auto at = repo.Resolve(rev);
    if (!at.ok()) return Fail(ctx, at.status());
    std::string resolver = vm->count("resolver") ? (*vm)["resolver"].as<std::string>() : "";
    if (vm->count("resolver") && resolver.empty()) return UsageError(ctx, "--resolver needs <contract>.<function>");
    Status st = branch ? repo.CreateBranch(name, *at, resolver, is_private) : repo.CreateTag(name, *at);
    if (!st.ok()) return Fail(ctx, st);
    if (!ctx.quiet && !vm->count("json")) {
      std::vector<std::string> notes;
      if (is_private) notes.push_back("private");
      if (!resolver.empty()) notes.push_back("consistent merge, resolver " + resolver);
      *ctx.out << "Created " << noun << " " << name << " at " << ShortId(*at)
               << (notes.empty() ? "" : " (" + Join(notes, "; ") + ")") << "\n";
    }
    if (vm->count("json")) {
      *ctx.out << "{\"name\": " << JsonString(name) << ", \"block\": " << JsonString(ToHex(*at));
      if (branch)
        *ctx.out << ", \"resolver\": " << (resolver.empty() ? "null" : JsonString(resolver))
                 << ", \"private\": " << (is_private ? "true" : "false");
      *ctx.out << "}\n";
    }
    return kExitOk;
  }
  if (vm->count("show")) {
    std::string name = (*vm)["show"].as<std::string>();
    auto head = repo.BranchHead(name);
    if (!head.ok()) return Fail(ctx, head.status());
    if (!*head) return Fail(ctx, NotFound("branch '" + name + "' not found"));
    auto resolver = repo.BranchResolver(name);
    if (!resolver.ok()) return Fail(ctx, resolver.status());
    auto is_priv = repo.BranchPrivate(name);
    if (!is_priv.ok()) return Fail(ctx, is_priv.status());
    const char* policy = resolver->empty() ? "automatic" : "consistent";
    if (vm->count("json")) {
      *ctx.out << "{\"name\": " << JsonString(name) << ", \"block\": " << JsonString(ToHex(**head))
               << ", \"policy\": \"" << policy << "\", \"resolver\": "
               << (resolver->empty() ? "null" : JsonString(*resolver))
               << ", \"private\": " << (*is_priv ? "true" : "false") << "}\n";
      return kExitOk;
    }
    *ctx.out << "branch " << name << "\nhead   " << ToHex(**head) << "\nmerge  " << policy;
    if (!resolver->empty()) *ctx.out << ", resolver " << *resolver;
    *ctx.out << "\n";
    if (*is_priv) *ctx.out << "access private\n";
    return kExitOk;
  }
  auto list = branch ? repo.Branches() : repo.Tags();
  if (!list.ok()) return Fail(ctx, list.status());
  std::optional<std::string> current;
  std::set<std::string> private_branches;
  if (branch) {
    auto head = repo.git().Head();
    if (head.ok()) current = head->branch;
    auto flagged = repo.index().PrivateBranches();
    if (!flagged.ok()) return Fail(ctx, flagged.status());
    private_branches = std::move(*flagged);
  }
  if (vm->count("json")) {
    std::vector<std::string> items;
    for (const auto& [name, id] : *list) {
      std::string item = "{\"name\": " + JsonString(name) + ", \"block\": " + JsonString(ToHex(id));
      if (branch) {
        item += std::string(", \"current\": ") + (current && *current == name ? "true" : "false");
        item += std::string(", \"private\": ") + (private_branches.count(name) ? "true" : "false");
      }
      items.push_back(item + "}");
    }
    *ctx.out << "[" << Join(items, ", ") << "]\n";
    return kExitOk;
  }
  for (const auto& [name, id] : *list) {
    if (branch) *ctx.out << (current && *current == name ? "* " : "  ");
    *ctx.out << name << "  " << ShortId(id) << (private_branches.count(name) ? "  (private)" : "") << "\n";
  }
  return kExitOk;
}

}  // namespace aergo::cli
