#include "core/block_rules.h"

#include <algorithm>

namespace aergo {
namespace {

size_t ValueEncodedSize(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return 1;
    case Value::Type::kInteger:
    case Value::Type::kReal: return 1 + 8;
    case Value::Type::kText:
    case Value::Type::kBlob: return 1 + 4 + v.bytes.size();
  }
  return 1;
}

Status Broken(const Block& b, const std::string& why) { return Corrupt("block " + ToHex(b.Id()) + ": " + why); }

}  // namespace

size_t TxEncodedSize(const Tx& tx) {
  // docs/formats/objects.md: 90 fixed bytes, three length-prefixed texts,
  // the argument count and values, the 64-byte signature.
  size_t n = 90 + 4 + tx.contract.size() + 4 + tx.function.size() + 4 + 4 + tx.payload.size() + 64;
  for (const Value& v : tx.args) n += ValueEncodedSize(v);
  return n;
}

Status CheckBlockAlone(const Block& b, const Hash32& chain_id, const ChainParams& params,
                       std::vector<Hash32>* ids) {
  AERGO_RETURN_IF_ERROR(b.CheckStructure(ids));
  const BlockHeader& h = b.header;
  if (h.parents.empty()) {
    if (b.Id() != chain_id) return Broken(b, "a genesis block, but this chain's genesis is " + ToHex(chain_id));
  } else if (h.chain_id != chain_id) {
    return Broken(b, "belongs to chain " + ToHex(h.chain_id) + ", not " + ToHex(chain_id));
  }
  Status bounds = CheckBlockBounds(b, params);
  if (!bounds.ok()) return Broken(b, bounds.message());
  return Status::Ok();
}

Status CheckBlockBounds(const Block& b, const ChainParams& params) {
  if (static_cast<int64_t>(b.txs.size()) > params.max_block_txs)
    return Failed(std::to_string(b.txs.size()) + " txs, over the chain's max_block_txs (" +
                  std::to_string(params.max_block_txs) + ")");
  int64_t total = 0;
  for (const Tx& tx : b.txs) {
    int64_t size = static_cast<int64_t>(TxEncodedSize(tx));
    if (size > params.max_tx_bytes)
      return Failed("tx " + ShortId(tx.Id()) + " is " + std::to_string(size) +
                    " bytes, over the chain's max_tx_bytes (" + std::to_string(params.max_tx_bytes) + ")");
    total += size;
  }
  if (total > params.max_block_bytes)
    return Failed("its txs are " + std::to_string(total) + " bytes, over the chain's max_block_bytes (" +
                  std::to_string(params.max_block_bytes) + ")");
  return Status::Ok();
}

Status CheckBlockLinks(const Block& b, const std::vector<ParentFacts>& parents) {
  const BlockHeader& h = b.header;
  if (parents.size() != h.parents.size())
    return Broken(b, "has " + std::to_string(h.parents.size()) + " parents, " + std::to_string(parents.size()) +
                         " known");
  uint64_t want_height = 0;
  bool early = false;
  for (size_t i = 0; i < parents.size(); ++i) {
    if (parents[i].id != h.parents[i])
      return Broken(b, "its parent " + std::to_string(i + 1) + " is " + ToHex(parents[i].id) +
                           ", its header names " + ToHex(h.parents[i]));
    want_height = std::max(want_height, parents[i].height + 1);
    early = early || h.time_ms < parents[i].time_ms;
  }
  // Both link rules are reported when both fail (fsck lists every problem).
  std::string id = ToHex(b.Id()), why;
  if (h.height != want_height)
    why = "block " + id + ": height " + std::to_string(h.height) + ", expected " + std::to_string(want_height);
  if (early) why += (why.empty() ? "" : "; ") + ("block " + id + ": time is before its parent's");
  return why.empty() ? Status::Ok() : Corrupt(why);
}

Status CheckReplayedChanges(const Block& b, const ChangeSet& made, const Hash32& parent_root) {
  auto stored = ChangeSet::Decode(b.changes, "changes of block " + ShortId(b.Id()));
  if (!stored.ok()) return Broken(b, stored.status().message());
  std::string table = FirstDifferentTable(made, *stored);
  if (!table.empty()) return Broken(b, "stored changes differ from replay, first in table '" + table + "'");
  if (ChainStateRoot(parent_root, b.changes) != b.header.state_root)
    return Broken(b, "state root does not match its changes");
  return Status::Ok();
}

}  // namespace aergo
