#include "daemon/access.h"

#include "core/sqlite.h"

namespace aergo {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRead: return "read";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
    case Role::kNone: break;
  }
  return "none";
}

Role RoleFromName(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return Role::kNone;
}

bool IsPublic(Repository& repo) { return repo.config().Get("core.public") == "true"; }

Result<Role> DirectoryRole(Repository& repo, const std::string& address) {
  AERGO_ASSIGN_OR_RETURN(Stmt q, repo.db().Prepare("SELECT role FROM \"aergo.directory\" WHERE address = ?"));
  q.Bind(1, address);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return Role::kNone;
  if (rc != SQLITE_ROW) return repo.db().StepError(rc, "read the role of " + address + " from aergo.directory");
  return RoleFromName(q.Text(0));
}

Status CheckAccess(Repository& repo, const std::string& name, const std::optional<std::string>& caller,
                   Role needed) {
  if (needed == Role::kNone) return Status::Ok();
  if (needed == Role::kRead && IsPublic(repo)) return Status::Ok();
  std::string role = RoleName(needed);
  if (!caller) {
    if (needed == Role::kRead)
      return Denied(name + " is private: sign the request with a key that has the read role");
    return Denied(name + " needs the " + role + " role: sign the request with a key that has it");
  }
  AERGO_ASSIGN_OR_RETURN(Role has, DirectoryRole(repo, *caller));
  if (has >= needed) return Status::Ok();
  return Denied(*caller + " lacks the " + role + " role on " + name +
                (has == Role::kNone ? " (it has no role there)" : " (it has " + std::string(RoleName(has)) + ")"));
}

}  // namespace aergo
