// Bounds on an incoming pack, checked on its bytes as they stream in,
// before libgit2's indexer sees them (docs/formats/pack.md).
//
// libgit2's indexer trusts the sizes a pack declares: it allocates a
// delta's result, and later every reader allocates a whole object, by the
// size in the entry's header. PackScanner parses each entry header (type
// and inflated size, an ofs/ref delta's base, and the base and result
// sizes at the start of a delta's data) and refuses an object larger than
// the bound for its type before any of it is inflated. It inflates every
// entry itself into a fixed scratch buffer (it must, to find where the
// next entry starts), refusing a stream that inflates past its declared
// size, and bounds the total a pack may inflate to relative to its
// compressed size (a zlib bomb).
//
// Ownership: value type. Thread-safety: one thread.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/chain_params.h"
#include "core/status.h"

namespace aergo {

struct PackLimits {
  // The largest inflated size of one object, by type. A delta's result is
  // bounded by its base's type (ofs delta) or by the largest (ref delta).
  uint64_t max_commit_bytes = 64u << 10;
  uint64_t max_tree_bytes = 4u << 10;
  uint64_t max_blob_bytes = 16u << 20;
  // Where the blob bound comes from, for messages ("the chain's
  // max_block_bytes and max_block_txs").
  std::string blob_reason = "the bound for a pack whose chain is not known yet";
  // The most objects a pack may declare in its header.
  uint64_t max_objects = uint64_t{1} << 26;
  // Everything the pack inflates to (objects and delta results) stays
  // within inflate_slack + inflate_ratio × compressed bytes read so far.
  uint64_t inflate_slack = 64u << 20;
  uint64_t inflate_ratio = 64;

  // A pack whose chain is not known yet (a clone's genesis block): small
  // fixed bounds.
  static PackLimits Genesis() { return PackLimits{}; }
  // Bounds no chain's parameters can exceed (ChainParams' ranges): what a
  // receiver applies while its chain's own bounds are not set.
  static PackLimits AnyChain();
  // The largest objects a block of this chain can hold: a commit and a
  // tree are fixed by the format; a blob (the largest of a block's four is
  // its txs or its receipts) follows from max_block_bytes and max_block_txs.
  static PackLimits ForChain(const ChainParams& params);
};

// What a scanned pack holds, for re-checking against other limits later.
struct PackScanStats {
  uint64_t objects = 0;          // entries seen
  uint64_t inflated = 0;         // bytes inflated plus delta results
  uint64_t max_commit = 0, max_tree = 0, max_blob = 0;
  uint64_t max_untyped = 0;      // largest ref-delta result (base type unknown)
};

class PackScanner {
 public:
  explicit PackScanner(PackLimits limits);
  ~PackScanner();
  PackScanner(const PackScanner&) = delete;
  PackScanner& operator=(const PackScanner&) = delete;

  // Tightens or loosens the bounds for the rest of the pack.
  void set_limits(PackLimits limits) { limits_ = std::move(limits); }
  const PackLimits& limits() const { return limits_; }

  // Scans more bytes. Invalid naming the object (its number and byte
  // offset), its declared size and the bound, at the first violation; every
  // later call fails the same way.
  Status Scan(const uint8_t* data, size_t size);
  // Every declared object and the trailing checksum have been seen.
  bool complete() const { return state_ == State::kDone; }
  // The scanned objects against `limits` (as they would have been checked
  // had these been the limits from the start).
  Status Recheck(const PackLimits& limits) const;
  const PackScanStats& stats() const { return stats_; }

 private:
  enum class State { kHeader, kEntryHeader, kOfs, kRef, kData, kTrailer, kDone, kFailed };
  struct Entry {
    uint64_t offset;
    uint64_t size;  // the object's (a delta's result's) size
    uint8_t type;   // 1 commit, 2 tree, 3 blob, 0 unknown (ref delta)
  };
  // Invalid: "pack refused: <why>" for a bound, else "malformed pack: <why>".
  Status Fail(std::string why, bool bound = false);
  Status StartEntryData();
  static Status CheckObject(const PackLimits& limits, uint8_t type, uint64_t size, const char* what);
  Status CheckInflated();
  std::string Where() const;

  PackLimits limits_;
  PackScanStats stats_;
  State state_ = State::kHeader;
  Status failed_;
  uint64_t offset_ = 0;    // bytes consumed so far
  uint64_t declared_ = 0;  // objects the header declares
  std::string head_;       // the header or an entry header being collected
  // The entry being read.
  uint64_t entry_offset_ = 0;
  uint8_t entry_type_ = 0;  // raw pack type (1-4, 6, 7)
  uint64_t entry_size_ = 0;
  uint64_t entry_inflated_ = 0;
  uint64_t ofs_ = 0;
  bool has_base_ = false;  // an ofs delta: its base's size and type
  uint64_t base_size_ = 0;
  uint8_t base_type_ = 0;
  std::string delta_head_;       // the start of a delta's data (two varints)
  bool delta_checked_ = false;
  std::vector<Entry> entries_;
  z_stream z_{};
  bool z_open_ = false;
  std::unique_ptr<uint8_t[]> scratch_;
};

}  // namespace aergo
