// Shared implementation of `aergo branch` and `aergo tag`: list, create at
// a revision, delete.
#pragma once

#include "cmd/cli.h"

namespace aergo::cli {

enum class RefKind { kBranch, kTag };
int RefCommand(Context& ctx, const std::vector<std::string>& args, RefKind kind);

}  // namespace aergo::cli
