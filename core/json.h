// Minimal JSON text output for --json (display only, never hashed).
#pragma once

#include <string>
#include <string_view>

namespace aergo {

// Returns s as a quoted JSON string with escapes.
std::string JsonString(std::string_view s);

}  // namespace aergo
