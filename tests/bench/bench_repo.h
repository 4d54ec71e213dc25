// Shared by the bench generators: failing loudly, and a fresh repository
// tuned for generation (fsync off: these ledgers are throwaway).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/crypto.h"
#include "core/repo.h"

namespace aergo::bench {

[[noreturn]] inline void Die(const char* tool, const Status& st) {
  std::fprintf(stderr, "%s: %s\n", tool, st.message().c_str());
  std::exit(1);
}

// Creates a repository at dir whose genesis `key` signs; exits on failure.
inline std::unique_ptr<Repository> InitBenchRepo(const char* tool, const std::string& dir,
                                                 const SecretKey& key, const Clock& clock,
                                                 const InitParams& params = InitParams{}) {
  if (Status st = CryptoInit(); !st.ok()) Die(tool, st);
  auto repo = Repository::Init(dir, key, params, clock);
  if (!repo.ok()) Die(tool, repo.status());
  if (Status st = (*repo)->db().Exec("PRAGMA synchronous=OFF"); !st.ok()) Die(tool, st);
  return std::move(*repo);
}

}  // namespace aergo::bench
