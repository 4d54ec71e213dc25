// Config: an INI file like .git/config ("[section]" then "key = value"),
// read with Boost.Program_options' config-file parser. Keys are addressed as
// "section.key" (e.g. "user.key"). Writes replace the file atomically
// (temporary file + rename); comments are not preserved.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/status.h"

namespace aergo {

class Config {
 public:
  // Loads path; a missing file is an empty config.
  static Result<Config> Load(const std::string& path);
  Status Save() const;

  std::optional<std::string> Get(const std::string& key) const;
  // key must be "section.name" with [a-z0-9_-] parts (sub-sections such as
  // "remote.origin.url" are allowed: everything before the last dot).
  Status Set(const std::string& key, const std::string& value);
  Status Unset(const std::string& key);
  const std::map<std::string, std::string>& values() const { return values_; }

  static bool IsValidKey(const std::string& key);

 private:
  std::string path_;
  std::map<std::string, std::string> values_;
};

}  // namespace aergo
