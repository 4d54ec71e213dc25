// Executor: applies transactions to a state database through the contract
// engine. The one place that maps a tx kind to what it does, so pool
// pre-execution, commit, checkout replay and fsck replay agree.
// Thread-safety: as the engine (one thread).
#pragma once

#include "core/contract.h"
#include "core/objects.h"

namespace aergo {

// Executes tx at (height, block time). Atomic: a failed tx changes nothing.
// Genesis args: [consensus TEXT, public INTEGER]; its sender becomes admin.
CallOutcome ExecuteTx(ContractEngine* engine, sqlite3* db, const Tx& tx, uint64_t height,
                      uint64_t block_time_ms);

// Replays a stored block's txs (applied and resolved receipts) and checks
// that each still succeeds; Corrupt naming the block and tx otherwise. Does
// not compare the state root (callers do, with engine->StateRoot()).
Status ReplayBlock(ContractEngine* engine, sqlite3* db, const Block& block);

// Drops every state table (names with a dot).
Status ClearState(sqlite3* db);

}  // namespace aergo
