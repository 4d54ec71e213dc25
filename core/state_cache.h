// Materialized states of other blocks (docs/design.md §4, `states/`), so
// repeated reads of a state far from the checked-out one do not rebuild a
// large overlay each time.
//
//   .aergo/states/<64-hex block id>.db   SQLite holding the state tables
//                                        (names with a dot) as of that block
//
// A block's state never changes, so a file is never stale; it is derived
// data and may be deleted at any time. Files are built under a temporary
// name and renamed, so readers never see half a file and two readers may
// build the same one. Bounded by config `state.cache-size` (files, default 4;
// 0 disables the cache); the least recently used go first. `query --at`
// uses the cache when the target differs from the checked-out state in more
// than `state.cache-rows` rows (default 100000): the first such read builds
// the file (cost: the state's size), later reads of that block or of blocks
// near it read the file (plus an overlay for the rows in between).
// Thread-safety: plain functions over the directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/config.h"
#include "core/status.h"

namespace aergo {

struct StateCacheLimits {
  uint64_t files = 4;        // state.cache-size
  uint64_t rows = 100000;    // state.cache-rows
};

// Reads the limits from config; Invalid naming the key if not a number.
Result<StateCacheLimits> StateCacheLimitsFrom(const Config& config);

class StateCache {
 public:
  explicit StateCache(std::string dir) : dir_(std::move(dir)) {}

  std::string PathFor(const Hash32& block) const;
  // Cached blocks, most recently used first.
  std::vector<Hash32> List() const;
  // Marks a file as just used.
  void Touch(const Hash32& block) const;
  // A fresh temporary path inside the cache directory (created if needed).
  Result<std::string> TempPath() const;
  // Moves a built temporary file into place for `block`, then Trim(keep).
  Status Install(const std::string& temp, const Hash32& block, uint64_t keep) const;
  // Removes the least recently used files beyond `keep`, and temporary
  // files left by builders that died.
  void Trim(uint64_t keep) const;

 private:
  std::string dir_;
};

}  // namespace aergo
