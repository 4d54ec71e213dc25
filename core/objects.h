// The ledger's object model: transaction, receipt, block header, block.
// One canonical binary encoding each (docs/formats/objects.md); ids are
// SHA-256 of the unsigned encoding; signatures are Ed25519 over a domain tag
// and the unsigned encoding. Decoders take untrusted bytes: they check every
// bound, reject trailing bytes, oversize fields and non-canonical forms, and
// never crash.
// Thread-safety: value types.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"
#include "core/crypto.h"
#include "core/value.h"

namespace aergo {

inline constexpr uint8_t kObjectVersion = 1;
inline constexpr size_t kMaxNameBytes = 64;
inline constexpr size_t kMaxArgs = 64;
inline constexpr size_t kMaxPayloadBytes = 1 << 20;
inline constexpr size_t kMaxMessageBytes = 4096;
inline constexpr size_t kMaxErrorBytes = 4096;
inline constexpr uint32_t kMaxBlockTxs = 2'000'000;

enum class TxKind : uint8_t {
  kGenesis = 0,  // creates the system tables; sender becomes admin
  kDeploy = 1,   // contract = name, payload = source
  kCall = 2,     // contract.function(args)
  kAccess = 3,   // "aergo".grant(address, role) or "aergo".revoke(address): the directory's roles
};

const char* TxKindName(TxKind k);

struct Tx {
  TxKind kind = TxKind::kCall;
  Hash32 chain_id{};  // zero only in the genesis tx
  PublicKey sender{};
  uint64_t time_ms = 0;
  std::array<uint8_t, 16> salt{};
  std::string contract;
  std::string function;
  std::vector<Value> args;
  std::string payload;
  Signature signature{};

  Bytes EncodeUnsigned() const;
  Bytes Encode() const;
  Hash32 Id() const;
  void Sign(const SecretKey& key);
  bool VerifySignature() const;
  static Result<Tx> Decode(const uint8_t* p, size_t n);
  static Result<Tx> Decode(const Bytes& b) { return Decode(b.data(), b.size()); }
};

enum class ReceiptStatus : uint8_t { kApplied = 0, kExcluded = 1, kResolved = 2 };
const char* ReceiptStatusName(ReceiptStatus s);

struct Receipt {
  Hash32 txid{};
  ReceiptStatus status = ReceiptStatus::kApplied;
  // VM steps are not recorded: they vary between SQLite builds, and receipts
  // must be identical on every machine (docs/design.md §7).
  std::string error;  // empty when applied
  // Resolved receipts only (encoded only for them): the resolver
  // "contract.function" that took the failed tx, called with `error`. Usually
  // the merge's own (the header's), or the one of the source's merge that
  // resolved it first (a resolution travels with the history).
  std::string resolver;

  Bytes Encode() const;
  Hash32 Hash() const { return Sha256(Encode()); }
  static Result<Receipt> Decode(Reader* r);
};

struct BlockHeader {
  Hash32 chain_id{};  // zero for genesis (whose id is the chain id)
  uint64_t height = 0;
  std::vector<Hash32> parents;  // 0 for genesis, 1, or 2 for a merge block
  uint64_t time_ms = 0;
  PublicKey producer{};
  Hash32 tx_root{};
  Hash32 receipt_root{};
  Hash32 state_root{};
  uint32_t tx_count = 0;
  std::string message;
  // Merge blocks only (encoded only when there are two parents): the
  // branch's resolver "contract.function" that the merge called for txs
  // failing on the target (consistent merge), or empty (automatic merge).
  std::string resolver;
  Signature signature{};

  Bytes EncodeUnsigned() const;
  Bytes Encode() const;
  Hash32 Id() const;
  void Sign(const SecretKey& key);
  bool VerifySignature() const;
  static Result<BlockHeader> Decode(const uint8_t* p, size_t n);
  static Result<BlockHeader> Decode(const Bytes& b) { return Decode(b.data(), b.size()); }
};

struct Block {
  BlockHeader header;
  std::vector<Tx> txs;
  std::vector<Receipt> receipts;
  // The state changes its txs made on the first parent's state, encoded
  // canonically (core/changes.h); the header's state root commits to them.
  // Decode leaves it empty; the repository fills it from the `changes` blob.
  Bytes changes;

  Hash32 Id() const { return header.Id(); }
  // Tx ids in block order (computed from the txs each call).
  std::vector<Hash32> TxIds() const;
  // Blob forms stored in the block's git tree.
  Bytes EncodeTxs() const;
  Bytes EncodeReceipts() const;
  static Result<Block> Decode(const Bytes& header, const Bytes& txs, const Bytes& receipts);

  // Roots computed from the contents.
  Hash32 ComputeTxRoot() const;
  Hash32 ComputeReceiptRoot() const;
  // Structural checks that need no other block: roots, counts, receipts
  // matching txs, chain ids, parent count. Signatures are checked apart.
  // When ids is given it receives the tx ids computed on the way.
  Status CheckStructure(std::vector<Hash32>* ids = nullptr) const;
};

// A resolver name: "<contract>.<function>", each part [a-z_][a-z0-9_]{0,63}
// (the contract part not "aergo").
bool IsValidResolverName(std::string_view name);
inline constexpr size_t kMaxResolverBytes = 2 * kMaxNameBytes + 1;

// Short display id: first 12 hex digits.
std::string ShortId(const Hash32& id);

}  // namespace aergo
