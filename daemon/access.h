// Who may do what on a served repository (DESIGN §8): the daemon's one
// access rule, kept here so it is easy to read and to change.
//
//   - A repository is public if its config says core.public = true.
//   - A caller's role is the `role` column of its row in the state table
//     "aergo.directory" (address TEXT PRIMARY KEY, role TEXT) of the
//     repository's live state: 'read', 'write' or 'admin', where
//     admin includes write and write includes read. No row: no role.
//   - refs and fetch need read; anonymous callers have it on a public
//     repository only. push needs write, whatever the repository.
//
// The caller is the address of a verified request signature
// (core/request_auth.h), or none for an unsigned request.
// Thread-safety: pure functions over a repository the caller holds open.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/repo.h"
#include "core/status.h"

namespace aergo {

enum class Role { kNone = 0, kRead = 1, kWrite = 2, kAdmin = 3 };

// "read", "write", "admin"; "none" for kNone.
const char* RoleName(Role role);
// The role a directory row names; kNone for anything else.
Role RoleFromName(std::string_view name);

// core.public = true in the repository's config.
bool IsPublic(Repository& repo);

// The caller's role from the repository's live state (kNone without a row).
Result<Role> DirectoryRole(Repository& repo, const std::string& address);

// Ok if the caller may act with `needed` on the repository served as
// `name`; Denied with a message for the caller otherwise (the daemon
// answers 401 to an unsigned request, 403 to a signed one).
Status CheckAccess(Repository& repo, const std::string& name, const std::optional<std::string>& caller,
                   Role needed);

}  // namespace aergo
