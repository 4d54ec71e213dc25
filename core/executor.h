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
// Genesis args: ChainParams::ToGenesisArgs (core/chain_params.h); its sender
// becomes admin and its parameters go to "aergo.settings". Calls, deploys
// and resolver calls run under the chain's bounds (the step budget
// max_call_steps; max_value_bytes on every string, blob and row a call
// makes), read from "aergo.settings" once per engine.
// Remembers sender addresses (base58 is not free) across many txs.
using AddressCache = std::map<PublicKey, std::string>;

CallOutcome ExecuteTx(ContractEngine* engine, sqlite3* db, const Tx& tx, const Hash32& txid,
                      uint64_t height, uint64_t block_time_ms, AddressCache* addresses = nullptr);

// Consistent merge (docs/design.md §7): calls `resolver` ("contract.function") for
// tx, which failed with `error`, as
//   resolver(txid TEXT, contract TEXT, function TEXT, args TEXT, error TEXT)
// with args the tx's arguments as canonical JSON (ArgsJson) and the tx's
// sender, id, height and block time as :sender, :txid, :height and
// :block_time. Atomic, like a call.
CallOutcome ResolveTx(ContractEngine* engine, const std::string& resolver, const Tx& tx,
                      const Hash32& txid, const std::string& error, uint64_t height,
                      uint64_t block_time_ms, AddressCache* addresses = nullptr);

// Replays a stored block's txs, checks that each applied tx still succeeds
// and that a resolved tx's resolver (its receipt's), called with the
// recorded error, succeeds (Corrupt naming the block and tx otherwise; that a
// resolved or excluded tx does fail is for `merge --verify`), and
// returns the changes they made, as recorded. Callers compare them with the
// block's stored changes. recorder: installed on db (it is cleared first).
// ids: the block's tx ids if the caller has them.
Result<ChangeSet> ReplayBlock(ContractEngine* engine, sqlite3* db, ChangeRecorder* recorder,
                              const Block& block, const std::vector<Hash32>* ids = nullptr);

// The chain parameters a state carries in "aergo.settings" (written by its
// genesis tx). Corrupt when it has none.
Result<ChainParams> ReadChainParams(sqlite3* db);

// Drops every state table (names with a dot).
Status ClearState(sqlite3* db);

}  // namespace aergo
