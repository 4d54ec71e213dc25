#include "core/state_cache.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>

namespace aergo {

namespace fs = std::filesystem;

namespace {

std::optional<uint64_t> ParseCount(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Result<StateCacheLimits> StateCacheLimitsFrom(const Config& config) {
  StateCacheLimits out;
  for (auto [key, field] : {std::pair{"state.cache-size", &out.files}, std::pair{"state.cache-rows", &out.rows}}) {
    auto v = config.Get(key);
    if (!v) continue;
    auto n = ParseCount(*v);
    if (!n) return Invalid(std::string("config ") + key + " must be a non-negative integer, got '" + *v + "'");
    *field = *n;
  }
  return out;
}

std::string StateCache::PathFor(const Hash32& block) const { return dir_ + "/" + ToHex(block) + ".db"; }

std::vector<Hash32> StateCache::List() const {
  std::vector<std::pair<fs::file_time_type, Hash32>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    Hash32 id;
    if (name.size() != 67 || name.substr(64) != ".db" || !FromHex(name.substr(0, 64), &id)) continue;
    std::error_code tec;
    auto t = fs::last_write_time(e.path(), tec);
    if (!tec) found.emplace_back(t, id);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Hash32> out;
  for (const auto& [t, id] : found) out.push_back(id);
  return out;
}

void StateCache::Touch(const Hash32& block) const {
  std::error_code ec;
  fs::last_write_time(PathFor(block), fs::file_time_type::clock::now(), ec);
}

Result<std::string> StateCache::TempPath() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return IoError("cannot create '" + dir_ + "': " + ec.message());
  auto n = std::chrono::steady_clock::now().time_since_epoch().count();
  return dir_ + "/building-" + std::to_string(getpid()) + "-" + std::to_string(n) + ".tmp";
}

Status StateCache::Install(const std::string& temp, const Hash32& block, uint64_t keep) const {
  std::error_code ec;
  fs::rename(temp, PathFor(block), ec);
  if (ec) return IoError("cannot install cached state '" + PathFor(block) + "': " + ec.message());
  Touch(block);
  Trim(keep);
  return Status::Ok();
}

void StateCache::Trim(uint64_t keep) const {
  std::error_code ec;
  std::vector<Hash32> all = List();
  for (size_t i = keep; i < all.size(); ++i) fs::remove(PathFor(all[i]), ec);
  // Temporary files of builders that died (older than an hour).
  auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".tmp") continue;
    std::error_code tec;
    if (fs::last_write_time(e.path(), tec) < cutoff && !tec) fs::remove(e.path(), tec);
  }
}

}  // namespace aergo
