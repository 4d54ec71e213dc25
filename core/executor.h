// Executor: applies transactions to a state database through the contract
// engine. The one place that maps a tx kind to what it does, so pool
// pre-execution, commit, checkout replay and fsck replay agree.
// Thread-safety: as the engine (one thread).
#pragma once

#include <map>

#include "core/changes.h"
#include "core/contract.h"
#include "core/recorder.h"
#include "core/objects.h"

namespace aergo {

// Executes tx at (height, block time). Atomic: a failed tx changes nothing.
// Genesis args: [consensus TEXT, public INTEGER]; its sender becomes admin.
// Remembers sender addresses (base58 is not free) across many txs.
using AddressCache = std::map<PublicKey, std::string>;

CallOutcome ExecuteTx(ContractEngine* engine, sqlite3* db, const Tx& tx, const Hash32& txid,
                      uint64_t height, uint64_t block_time_ms, AddressCache* addresses = nullptr);

// Replays a stored block's txs (applied and resolved receipts), checks
// that each still succeeds (Corrupt naming the block and tx otherwise) and
// returns the changes they made, as recorded. Callers compare them with the
// block's stored changes. recorder: installed on db (it is cleared first).
// ids: the block's tx ids if the caller has them.
Result<ChangeSet> ReplayBlock(ContractEngine* engine, sqlite3* db, ChangeRecorder* recorder,
                              const Block& block, const std::vector<Hash32>* ids = nullptr);

// Drops every state table (names with a dot).
Status ClearState(sqlite3* db);

}  // namespace aergo
