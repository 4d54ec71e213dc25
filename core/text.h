// Outside text made fit for a message or a log line. Stateless;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace aergo {

// Control bytes become '?'; past `max` bytes the text is cut and ends in
// "...".
inline std::string Printable(std::string_view s, size_t max) {
  std::string out(s.substr(0, max));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (s.size() > out.size()) out += "...";
  return out;
}

}  // namespace aergo
