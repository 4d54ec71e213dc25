// Minimal JSON text output for --json. JsonString's escaping is also part
// of consensus through ArgsJson (core/value.h): do not change it.
#pragma once

#include <string>
#include <string_view>

namespace aergo {

// Returns s as a quoted JSON string: " \\ \n \r \t escaped as such, other
// bytes below 0x20 as \u00xx, every other byte as it is.
std::string JsonString(std::string_view s);

}  // namespace aergo
