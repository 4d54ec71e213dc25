#include "core/config.h"

#include "core/text.h"

#include <boost/program_options.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace aergo {

namespace po = boost::program_options;

bool Config::IsValidKey(const std::string& key) {
  size_t dot = key.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return key.find("..") == std::string::npos;
}

Result<Config> Config::Load(const std::string& path) {
  Config cfg;
  cfg.path_ = path;
  std::ifstream in(path);
  if (!in) return cfg;
  try {
    po::options_description none;
    po::parsed_options parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
    for (const auto& opt : parsed.options) {
      if (opt.value.empty()) continue;
      cfg.values_[opt.string_key] = opt.value.front();
    }
  } catch (const po::invalid_config_file_syntax& e) {
    // Not e.what(): Boost expands %placeholders% that the offending line
    // itself may contain, and for some lines that never ends (found by
    // tests/fuzz/config_fuzz.cpp).
    return Invalid("config file '" + path + "' is malformed: invalid line '" + Printable(e.tokens(), 120) + "'");
  } catch (const po::error_with_option_name& e) {
    return Invalid("config file '" + path + "' is malformed at option '" + Printable(e.get_option_name(), 120) + "'");
  } catch (const std::exception& e) {
    return Invalid("config file '" + path + "' is malformed: " + e.what());
  }
  return cfg;
}

std::optional<std::string> Config::Get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Status Config::Set(const std::string& key, const std::string& value) {
  if (!IsValidKey(key))
    return Invalid("invalid config key '" + key + "': use section.name (lowercase letters, digits, '_', '-')");
  if (value.find('\n') != std::string::npos) return Invalid("config value for '" + key + "' contains a newline");
  // The INI parser treats '#' as a comment and trims surrounding blanks, so
  // such values would not read back as written.
  if (value.find('#') != std::string::npos)
    return Invalid("config value for '" + key + "' cannot contain '#' (it starts a comment in the config file)");
  if (!value.empty() && (std::isspace(static_cast<unsigned char>(value.front())) ||
                         std::isspace(static_cast<unsigned char>(value.back()))))
    return Invalid("config value for '" + key + "' cannot start or end with whitespace");
  values_[key] = value;
  return Status::Ok();
}

Status Config::Unset(const std::string& key) {
  if (values_.erase(key) == 0) return NotFound("config key '" + key + "' not set");
  return Status::Ok();
}

Status Config::Save() const {
  std::map<std::string, std::map<std::string, std::string>> sections;
  for (const auto& [k, v] : values_) {
    size_t dot = k.rfind('.');
    sections[k.substr(0, dot)][k.substr(dot + 1)] = v;
  }
  std::ostringstream out;
  for (const auto& [section, kv] : sections) {
    out << "[" << section << "]\n";
    for (const auto& [k, v] : kv) out << k << " = " << v << "\n";
  }
  std::string tmp = path_ + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out.str();
    f.flush();
    if (!f) return IoError("cannot write config '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) return IoError("cannot replace config '" + path_ + "'");
  return Status::Ok();
}

}  // namespace aergo
