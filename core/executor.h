// Executor: applies transactions to a state database through the contract
// engine. The one place that maps a tx kind to what it does, so pool
// pre-execution, commit, checkout replay and fsck replay agree.
// Thread-safety: as the engine (one thread).
#pragma once

#include <map>

#include "core/contract.h"
#include "core/objects.h"

namespace aergo {

// Executes tx at (height, block time). Atomic: a failed tx changes nothing.
// Genesis args: [consensus TEXT, public INTEGER]; its sender becomes admin.
// Remembers sender addresses (base58 is not free) across many txs.
using AddressCache = std::map<PublicKey, std::string>;

CallOutcome ExecuteTx(ContractEngine* engine, sqlite3* db, const Tx& tx, const Hash32& txid,
                      uint64_t height, uint64_t block_time_ms, AddressCache* addresses = nullptr);

// Replays a stored block's txs (applied and resolved receipts) and checks
// that each still succeeds; Corrupt naming the block and tx otherwise. Does
// not compare the state root (callers do, with engine->StateRoot()).
// ids: the block's tx ids if the caller has them (else computed).
Status ReplayBlock(ContractEngine* engine, sqlite3* db, const Block& block,
                   const std::vector<Hash32>* ids = nullptr);

// Drops every state table (names with a dot).
Status ClearState(sqlite3* db);

}  // namespace aergo
