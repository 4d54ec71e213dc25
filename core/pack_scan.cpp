#include "core/pack_scan.h"

#include <algorithm>
#include <cstring>

#include "core/objects.h"

namespace aergo {

namespace {

constexpr size_t kScratchBytes = 64u << 10;
// The longest varint the format needs for a 64-bit size (7 bits a byte).
constexpr size_t kMaxVarintBytes = 10;
// The most a receipt encodes to (docs/formats/objects.md, "Receipt"):
// txid, status, error (length + 4096), resolver (length + 129).
constexpr uint64_t kMaxReceiptBytes = 32 + 1 + 4 + kMaxErrorBytes + 4 + kMaxResolverBytes;

const char* TypeName(uint8_t type) {
  switch (type) {
    case 1: return "commit";
    case 2: return "tree";
    case 3: return "blob";
    default: return "delta result of unknown type";
  }
}

// The largest blob a block can hold: its txs (count, then a length and an
// encoding per tx) or its receipts (count, then one receipt per tx). A
// header is far smaller; a block's changes have no bound of their own and
// get the same.
uint64_t BlobBound(uint64_t max_block_bytes, uint64_t max_block_txs) {
  uint64_t txs = 4 + 4 * max_block_txs + max_block_bytes;
  uint64_t receipts = 4 + kMaxReceiptBytes * max_block_txs;
  return std::max<uint64_t>({txs, receipts, uint64_t{16} << 20});
}

}  // namespace

PackLimits PackLimits::AnyChain() {
  PackLimits l;
  // ChainParams' ranges (core/chain_params.cpp): max_block_bytes up to
  // 16 GiB, max_block_txs up to kMaxBlockTxs.
  l.max_blob_bytes = BlobBound(uint64_t{16} << 30, kMaxBlockTxs);
  l.blob_reason = "the bound no chain's parameters can exceed";
  return l;
}

PackLimits PackLimits::ForChain(const ChainParams& p) {
  PackLimits l;
  uint64_t txs = static_cast<uint64_t>(std::clamp<int64_t>(p.max_block_txs, 0, kMaxBlockTxs));
  uint64_t bytes = static_cast<uint64_t>(std::max<int64_t>(p.max_block_bytes, 0));
  l.max_blob_bytes = BlobBound(bytes, txs);
  l.blob_reason = "from this chain's max_block_bytes (" + std::to_string(bytes) + ") and max_block_txs (" +
                  std::to_string(txs) + ")";
  return l;
}

PackScanner::PackScanner(PackLimits limits)
    : limits_(std::move(limits)), scratch_(new uint8_t[kScratchBytes]) {}

PackScanner::~PackScanner() {
  if (z_open_) inflateEnd(&z_);
}

std::string PackScanner::Where() const {
  return "object " + std::to_string(stats_.objects + 1) + " of " + std::to_string(declared_) + " (at byte " +
         std::to_string(entry_offset_) + ")";
}

Status PackScanner::Fail(std::string why, bool bound) {
  state_ = State::kFailed;
  failed_ = Invalid((bound ? "pack refused: " : "malformed pack: ") + why);
  return failed_;
}

Status PackScanner::CheckObject(const PackLimits& limits, uint8_t type, uint64_t size, const char* what) {
  uint64_t bound = 0;
  std::string reason;
  switch (type) {
    case 1:
      bound = limits.max_commit_bytes;
      reason = "a block's commit: a header message, two parents and two signatures";
      break;
    case 2:
      bound = limits.max_tree_bytes;
      reason = "a block's tree: four entries";
      break;
    case 3:
      bound = limits.max_blob_bytes;
      reason = limits.blob_reason;
      break;
    default:
      bound = std::max({limits.max_commit_bytes, limits.max_tree_bytes, limits.max_blob_bytes});
      reason = limits.blob_reason;
      break;
  }
  if (size <= bound) return Status::Ok();
  return Invalid(std::string(what) + " " + TypeName(type) + " of " + std::to_string(size) +
                 " bytes, over the bound of " + std::to_string(bound) + " bytes (" + reason + ")");
}

Status PackScanner::CheckInflated() {
  // The bytes of the current chunk count as read: the bound is generous by
  // at most one chunk.
  long double allowed = static_cast<long double>(limits_.inflate_slack) +
                         static_cast<long double>(limits_.inflate_ratio) * static_cast<long double>(offset_);
  if (static_cast<long double>(stats_.inflated) <= allowed) return Status::Ok();
  return Fail(Where() + ": the pack inflates to more than " + std::to_string(stats_.inflated) + " bytes from " +
              std::to_string(offset_) + " compressed, over the bound of " + std::to_string(limits_.inflate_slack) +
              " + " + std::to_string(limits_.inflate_ratio) + " x its compressed size (a zlib bomb?)", true);
}

Status PackScanner::StartEntryData() {
  if (entry_type_ == 6 || entry_type_ == 7) {
    // A delta's data: instructions that copy from the base or insert up to
    // 127 bytes each, so little more than its result.
    uint64_t cap = std::max({limits_.max_commit_bytes, limits_.max_tree_bytes, limits_.max_blob_bytes});
    uint64_t data_cap = cap + cap / 64 + 64;
    if (entry_size_ > data_cap)
      return Fail(Where() + ": a delta declares " + std::to_string(entry_size_) +
                  " bytes of instructions, over the bound of " + std::to_string(data_cap) + " bytes", true);
  } else {
    Status st = CheckObject(limits_, entry_type_, entry_size_, "declares a");
    if (!st.ok()) return Fail(Where() + ": " + st.message(), true);
    uint64_t& m = entry_type_ == 1 ? stats_.max_commit : entry_type_ == 2 ? stats_.max_tree : stats_.max_blob;
    m = std::max(m, entry_size_);
  }
  entry_inflated_ = 0;
  delta_head_.clear();
  delta_checked_ = false;
  int rc = z_open_ ? inflateReset(&z_) : inflateInit(&z_);
  if (rc != Z_OK) return Fail("zlib failed to start (" + std::to_string(rc) + ")");
  z_open_ = true;
  state_ = State::kData;
  return Status::Ok();
}

Status PackScanner::Scan(const uint8_t* data, size_t size) {
  if (state_ == State::kFailed) return failed_;
  size_t i = 0;
  while (i < size) {
    switch (state_) {
      case State::kHeader: {
        size_t take = std::min(size - i, 12 - head_.size());
        head_.append(reinterpret_cast<const char*>(data + i), take);
        i += take;
        offset_ += take;
        if (head_.size() < 12) break;
        const auto* h = reinterpret_cast<const uint8_t*>(head_.data());
        if (std::memcmp(h, "PACK", 4) != 0) return Fail("not a git pack (no PACK signature)");
        uint32_t version = (uint32_t{h[4]} << 24) | (uint32_t{h[5]} << 16) | (uint32_t{h[6]} << 8) | h[7];
        if (version != 2 && version != 3) return Fail("pack version " + std::to_string(version) + ", not 2 or 3");
        declared_ = (uint64_t{h[8]} << 24) | (uint64_t{h[9]} << 16) | (uint64_t{h[10]} << 8) | h[11];
        if (declared_ > limits_.max_objects)
          return Fail("too many objects: the pack declares " + std::to_string(declared_) + ", over the bound of " +
                          std::to_string(limits_.max_objects),
                      true);
        head_.clear();
        state_ = declared_ == 0 ? State::kTrailer : State::kEntryHeader;
        entry_offset_ = offset_;
        break;
      }
      case State::kEntryHeader: {
        uint8_t c = data[i++];
        ++offset_;
        head_.push_back(static_cast<char>(c));
        if (c & 0x80) {
          if (head_.size() >= kMaxVarintBytes) return Fail(Where() + ": an entry header longer than 10 bytes");
          break;
        }
        const auto* h = reinterpret_cast<const uint8_t*>(head_.data());
        entry_type_ = (h[0] >> 4) & 7;
        uint64_t sz = h[0] & 0x0f;
        for (size_t k = 1; k < head_.size(); ++k) {
          uint64_t part = h[k] & 0x7f;
          unsigned shift = 4 + 7 * static_cast<unsigned>(k - 1);
          if (shift >= 64 || (part >> (64 - shift)) != 0) return Fail(Where() + ": a size over 64 bits");
          sz |= part << shift;
        }
        entry_size_ = sz;
        head_.clear();
        switch (entry_type_) {
          case 1:
          case 2:
          case 3: {
            Status st = StartEntryData();
            if (!st.ok()) return st;
            break;
          }
          case 4: return Fail(Where() + ": a tag object (no block holds one)");
          case 6:
            ofs_ = 0;
            state_ = State::kOfs;
            break;
          case 7: state_ = State::kRef; break;
          default: return Fail(Where() + ": unknown object type " + std::to_string(entry_type_));
        }
        break;
      }
      case State::kOfs: {
        uint8_t c = data[i++];
        ++offset_;
        head_.push_back(static_cast<char>(c));
        if (head_.size() == 1) {
          ofs_ = c & 0x7f;
        } else {
          if (ofs_ > (UINT64_MAX >> 8)) return Fail(Where() + ": a delta base offset over 64 bits");
          ofs_ = ((ofs_ + 1) << 7) | (c & 0x7f);
        }
        if (c & 0x80) {
          if (head_.size() >= kMaxVarintBytes) return Fail(Where() + ": a delta base offset longer than 10 bytes");
          break;
        }
        head_.clear();
        if (ofs_ == 0 || ofs_ > entry_offset_ - 12)
          return Fail(Where() + ": its delta base lies outside the pack (" + std::to_string(ofs_) + " bytes back)");
        uint64_t base_at = entry_offset_ - ofs_;
        auto it = std::lower_bound(entries_.begin(), entries_.end(), base_at,
                                   [](const Entry& e, uint64_t at) { return e.offset < at; });
        if (it == entries_.end() || it->offset != base_at)
          return Fail(Where() + ": its delta base offset " + std::to_string(base_at) + " is not an object's start");
        has_base_ = true;
        base_size_ = it->size;
        base_type_ = it->type;
        Status st = StartEntryData();
        if (!st.ok()) return st;
        break;
      }
      case State::kRef: {
        size_t take = std::min(size - i, 20 - head_.size());
        head_.append(reinterpret_cast<const char*>(data + i), take);
        i += take;
        offset_ += take;
        if (head_.size() < 20) break;
        head_.clear();
        has_base_ = false;
        Status st = StartEntryData();
        if (!st.ok()) return st;
        break;
      }
      case State::kData: {
        z_.next_in = const_cast<Bytef*>(data + i);
        size_t avail = std::min<size_t>(size - i, UINT32_MAX);
        z_.avail_in = static_cast<uInt>(avail);
        uint64_t chunk_end = offset_ + avail;
        bool ended = false;
        for (;;) {
          z_.next_out = scratch_.get();
          z_.avail_out = kScratchBytes;
          int rc = inflate(&z_, Z_NO_FLUSH);
          size_t out = kScratchBytes - z_.avail_out;
          if (out > 0) {
            bool is_delta = entry_type_ == 6 || entry_type_ == 7;
            if (is_delta && !delta_checked_) {
              size_t want = std::min<size_t>(out, 2 * kMaxVarintBytes - delta_head_.size());
              delta_head_.append(reinterpret_cast<const char*>(scratch_.get()), want);
              // Two little-endian base-128 varints: base size, result size.
              uint64_t v[2] = {0, 0};
              size_t at = 0;
              bool done = true;
              for (int k = 0; k < 2 && done; ++k) {
                unsigned shift = 0;
                done = false;
                while (at < delta_head_.size()) {
                  uint8_t c = static_cast<uint8_t>(delta_head_[at++]);
                  if (shift >= 64 || (shift > 0 && (uint64_t{c & 0x7fu} >> (64 - shift)) != 0))
                    return Fail(Where() + ": a delta size over 64 bits");
                  v[k] |= uint64_t{c & 0x7fu} << shift;
                  shift += 7;
                  if (!(c & 0x80)) {
                    done = true;
                    break;
                  }
                }
              }
              if (done) {
                delta_checked_ = true;
                uint8_t type = has_base_ ? base_type_ : 0;
                if (has_base_ && v[0] != base_size_)
                  return Fail(Where() + ": a delta for a base of " + std::to_string(v[0]) +
                              " bytes, but its base is " + std::to_string(base_size_) + " bytes");
                Status st = CheckObject(limits_, type, v[1], "a delta makes a");
                if (!st.ok()) return Fail(Where() + ": " + st.message(), true);
                uint64_t& m = type == 1   ? stats_.max_commit
                              : type == 2 ? stats_.max_tree
                              : type == 3 ? stats_.max_blob
                                          : stats_.max_untyped;
                m = std::max(m, v[1]);
                entries_.push_back({entry_offset_, v[1], type});
                stats_.inflated += v[1];
              } else if (delta_head_.size() >= 2 * kMaxVarintBytes) {
                return Fail(Where() + ": a delta header longer than 20 bytes");
              }
            }
            entry_inflated_ += out;
            stats_.inflated += out;
            if (entry_inflated_ > entry_size_)
              return Fail(Where() + ": it inflates past the " + std::to_string(entry_size_) + " bytes it declares");
            uint64_t consumed_so_far = offset_;
            offset_ = chunk_end;  // the chunk counts as read for the ratio
            Status st = CheckInflated();
            offset_ = consumed_so_far;
            if (!st.ok()) return st;
          }
          if (rc == Z_STREAM_END) {
            ended = true;
            break;
          }
          if (rc == Z_BUF_ERROR && z_.avail_in == 0) break;  // needs more input
          if (rc != Z_OK) return Fail(Where() + ": not a zlib stream (" + (z_.msg ? z_.msg : "error") + ")");
          if (z_.avail_in == 0 && z_.avail_out != 0) break;  // all input taken
        }
        size_t used = avail - z_.avail_in;
        i += used;
        offset_ += used;
        if (!ended) break;
        if (entry_inflated_ != entry_size_)
          return Fail(Where() + ": it inflates to " + std::to_string(entry_inflated_) + " bytes, not the " +
                      std::to_string(entry_size_) + " it declares");
        if (entry_type_ == 6 || entry_type_ == 7) {
          if (!delta_checked_) return Fail(Where() + ": a delta too short to name its sizes");
        } else {
          entries_.push_back({entry_offset_, entry_size_, entry_type_});
        }
        ++stats_.objects;
        entry_offset_ = offset_;
        state_ = stats_.objects == declared_ ? State::kTrailer : State::kEntryHeader;
        break;
      }
      case State::kTrailer: {
        size_t take = std::min(size - i, 20 - head_.size());
        head_.append(reinterpret_cast<const char*>(data + i), take);
        i += take;
        offset_ += take;
        if (head_.size() == 20) {
          head_.clear();
          state_ = State::kDone;
        }
        break;
      }
      case State::kDone: return Fail("data after the pack's trailing checksum");
      case State::kFailed: return failed_;
    }
  }
  return Status::Ok();
}

Status PackScanner::Recheck(const PackLimits& limits) const {
  if (state_ == State::kFailed) return failed_;
  if (declared_ > limits.max_objects)
    return Invalid("pack refused: too many objects: it declares " + std::to_string(declared_) + ", over the bound of " +
                   std::to_string(limits.max_objects));
  struct Largest {
    uint64_t size;
    uint8_t type;
  };
  for (Largest l : {Largest{stats_.max_commit, 1}, Largest{stats_.max_tree, 2}, Largest{stats_.max_blob, 3},
                    Largest{stats_.max_untyped, 0}}) {
    Status st = CheckObject(limits, l.type, l.size, "it holds a");
    if (!st.ok()) return Invalid("pack refused: " + st.message());
  }
  long double allowed = static_cast<long double>(limits.inflate_slack) +
                        static_cast<long double>(limits.inflate_ratio) * static_cast<long double>(offset_);
  if (static_cast<long double>(stats_.inflated) > allowed)
    return Invalid("pack refused: it inflates to " + std::to_string(stats_.inflated) + " bytes from " +
                   std::to_string(offset_) + " compressed, over the bound of " +
                   std::to_string(limits.inflate_slack) + " + " + std::to_string(limits.inflate_ratio) +
                   " x its compressed size");
  return Status::Ok();
}

}  // namespace aergo
