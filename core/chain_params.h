// Chain parameters: what a ledger's genesis tx fixes for its whole life —
// consensus, public read, the contract rules version (core/engine.h) and the
// bounds every node enforces identically (docs/formats/objects.md,
// "Genesis"; docs/determinism.md). Encoded as the genesis tx's arguments and
// copied by the genesis executor into the state table "aergo.settings", so
// every state of the chain carries them.
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/value.h"

namespace aergo {

struct ChainParams {
  std::string consensus = "solo";
  bool is_public = false;
  int64_t rules = 1;  // contract rules version (kContractRules when made by this build)
  // Bounds. A tx, call or block over one fails, naming the bound.
  int64_t max_tx_bytes = 2 << 20;           // a tx's encoding, signature included
  int64_t max_value_bytes = 1 << 20;        // any string, blob or row a call makes or stores
  int64_t max_call_write_bytes = 8 << 20;   // row bytes one call (or resolver call) writes
  int64_t max_call_steps = 10'000'000;      // SQLite VM steps per call
  int64_t max_block_txs = 1'000'000;        // txs in one block
  int64_t max_block_bytes = 512ll << 20;    // sum of a block's tx encodings

  // Genesis tx arguments: [consensus TEXT, public INTEGER, rules INTEGER,
  // then the six bounds in the order above, INTEGER each].
  std::vector<Value> ToGenesisArgs() const;
  // Parses and range-checks genesis args. Two args (consensus, public) are a
  // ledger from before rules were versioned: rules 0, default bounds.
  // Errors: Invalid naming the argument and its allowed range.
  static Result<ChainParams> FromGenesisArgs(const std::vector<Value>& args);

  // (name, value) of the rules version and each bound, in genesis order:
  // "rules", "max_tx_bytes", ... — the keys in "aergo.settings" and in
  // `aergo show --json` of the genesis block.
  std::vector<std::pair<std::string, int64_t>> Named() const;
  // Sets the named parameter; false when the name is unknown.
  bool Set(const std::string& name, int64_t value);
};

}  // namespace aergo
