// Moving blocks between repositories as git packfiles (docs/design.md §8,
// docs/api.md, docs/formats/transfer.md).
//
// The sender packs the commits (with trees and blobs) of the blocks the
// receiver wants, minus everything reachable from what it has (WritePack).
// The receiver indexes the pack into a quarantine directory inside its
// object store (PackReceiver), verifies every new block there
// (core/import.h), and only then moves the pack into the object store and
// indexes the blocks. A refused or interrupted transfer leaves at most a
// quarantine directory, which the next receiver removes.
//
// Ownership: PackReceiver borrows the GitRepo. Thread-safety: one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/git.h"
#include "core/index.h"
#include "core/pack_scan.h"

namespace aergo {

struct PackStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// Receives chunks of pack bytes; returning false aborts (Failed).
using PackSink = std::function<bool(const void* data, size_t size)>;

// Streams a pack of the commits reachable from wants and not from haves,
// with their trees and blobs: whole objects (no deltas), deflated on every
// core, in chunks as they are ready. Haves the object store lacks are
// ignored. NotFound if a want is missing.
Result<PackStats> WritePack(GitRepo& git, const std::vector<Oid>& wants,
                            const std::vector<Oid>& haves, const PackSink& sink);

// Progress of an incoming pack: objects indexed so far, of `total` (0 while
// unknown), and bytes received.
struct PackProgress {
  uint64_t objects = 0, total = 0, bytes = 0;
};

class PackReceiver {
 public:
  // Opens a fresh quarantine directory under objects/pack/ and removes
  // those left by processes that died. max_bytes bounds the pack (0: none)
  // and, with it, the objects it may declare. Every entry is checked as it
  // arrives against PackLimits::AnyChain() until set_limits says otherwise
  // (docs/formats/pack.md). The GitRepo must outlive the receiver.
  static Result<std::unique_ptr<PackReceiver>> Create(GitRepo* git, uint64_t max_bytes);
  // Unless accepted: drops the quarantined objects from the GitRepo's view
  // and removes the quarantine directory.
  ~PackReceiver();
  PackReceiver(const PackReceiver&) = delete;
  PackReceiver& operator=(const PackReceiver&) = delete;

  void set_progress(std::function<void(const PackProgress&)> cb) { progress_ = std::move(cb); }
  // The bounds on the pack's objects (the chain's, once known: core/
  // import.h ReceiverFor, VerifyPack). Bytes already appended are checked
  // against them again by Finish. The object bound never exceeds what
  // max_bytes allows.
  void set_limits(PackLimits limits);
  // Checks more pack bytes (every entry's declared size before it is
  // inflated, then its inflated size, and the pack's total), then indexes
  // them. Invalid if they are not a well-formed pack, exceed max_bytes or
  // break a bound; nothing of a refused chunk reaches the indexer.
  Status Append(const void* data, size_t size);
  // Checks what arrived against the current limits, completes the pack
  // (checks its trailing checksum, resolves deltas) and makes its objects
  // readable through the GitRepo, below the object store's own.
  Status Finish();
  // Invalid naming the first object in the finished pack that no commit in
  // it uses (as the commit itself, its tree, or an entry of its tree): a
  // pack carries its blocks and nothing else. Commits and trees that cannot
  // be read are left to block verification (VerifyIncoming) to report.
  Status CheckReferenced() const;
  // The commits in the finished pack.
  Result<std::vector<Oid>> Commits() const;
  // Moves the pack into the object store (index file last) and refreshes
  // the GitRepo's view. Nothing is left in quarantine.
  Status Accept();

  const PackProgress& progress() const { return stats_; }

 private:
  PackReceiver() = default;
  // Every object in the finished pack, with its type: read from the pack
  // once (CheckReferenced, Commits and a push's own look all ask), then
  // remembered, as a finished pack does not change.
  Result<std::vector<std::pair<Oid, git_object_t>>> Objects() const;
  mutable std::optional<std::vector<std::pair<Oid, git_object_t>>> objects_;
  GitRepo* git_ = nullptr;
  std::string dir_;
  git_indexer* indexer_ = nullptr;
  uint64_t max_bytes_ = 0;
  PackLimits limits_;
  std::unique_ptr<PackScanner> scanner_;
  PackProgress stats_;
  git_indexer_progress raw_{};  // libgit2 counts into the same struct across calls
  std::function<void(const PackProgress&)> progress_;
  std::string pack_name_;  // "pack-<hash>" after Finish
  bool finished_ = false;
};

// Block ids the receiver of a fetch already has, for the sender to leave
// out: for each ref tip (branches, tags, remote-tracking refs), the tip and
// first-parent ancestors 1, 2, 4, 8... blocks below it (walking at most
// 4096 blocks per tip, and the genesis block when reached), so a sender that
// knows none of the tips still finds a nearby common block. Deduplicated;
// at most `limit` ids.
Result<std::vector<Hash32>> HavesFor(GitRepo& git, Index& index, size_t limit = 2048);

}  // namespace aergo
