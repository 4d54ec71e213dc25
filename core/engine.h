// The contract engine's identity: which contract rules this build
// implements, and the check that its SQLite computes them
// (docs/determinism.md).
//
// A ledger's genesis names the contract rules it follows (its `rules`
// parameter, docs/formats/objects.md). Rules version 1 is "what SQLite
// 3.46.1, as aergo compiles and configures it, computes": contract results
// are a function of the ledger and of that pinned engine only. Before any
// contract runs or any block is verified, the process checks once that its
// SQLite is that engine — version, source id, and known answers to the SQL
// whose results differ between SQLite versions and builds (REAL to text,
// printf, JSON, summation, rounding, date/time, new functions). A build that
// fails the check refuses, naming the first difference; it never computes a
// ledger differently and silently.
//
// Two levels, so that commands that execute nothing start fast:
//   CheckLedgerRules  at every repository open: the rules version, SQLite's
//                     version and source id, and the long double switch
//                     (microseconds);
//   CheckEngine       before anything executes or verifies contracts
//                     (submit, merge, replay, fsck, import, re-pooling):
//                     that, plus the known-answer probes (about 0.3 ms).
//
// Thread-safety: both may be called from any thread; each check runs once
// per process (the first also switches SQLite's REAL conversions off the
// platform's long double, a process-wide setting) and its verdict is cached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace aergo {

// The contract rules version this build implements.
inline constexpr int64_t kContractRules = 1;

// "SQLite 3.46.1 (2024-08-13 09:16:08 c9c2ab54ba1f)": the engine linked into
// this process.
std::string EngineName();

// Ok when this process's SQLite computes contract rules kContractRules;
// else kDenied naming the engine and the first probe that differs.
[[nodiscard]] const Status& CheckEngine();

// Ok when a ledger whose genesis names `rules` may be opened by this build:
// rules == kContractRules and SQLite's identity (not the probes) matches.
// Errors: "ledger follows contract rules <n>; this aergo implements
// contract rules 1 only, ..."
[[nodiscard]] Status CheckLedgerRules(int64_t rules);

// One known-answer check: SQL whose single result, as text, must equal
// `expected` under the rules.
struct EngineProbe {
  const char* sql;
  const char* expected;
};
// The probes of kContractRules.
const std::vector<EngineProbe>& EngineProbes();
// Runs probes on a fresh in-memory database of this process's SQLite; Ok or
// the first difference ("`<sql>` gives '<got>' here; contract rules 1 give
// '<expected>'"). Exposed for tests.
[[nodiscard]] Status RunEngineProbes(const std::vector<EngineProbe>& probes);

}  // namespace aergo
