// Config::Load (core/config.h: INI through Boost.Program_options) on
// untrusted bytes written to a temporary file.
// Properties: no exception escapes (a malformed file is a Status); when
// every key and value read is one Config::Set accepts, Save and a reload
// give back the same values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.h"
#include "tests/fuzz/fuzz_util.h"

namespace {
aergo::fuzz::ProcessTempDir* g_dir = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static aergo::fuzz::ProcessTempDir dir("config");
  g_dir = &dir;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  const std::string path = g_dir->path() + "/config";
  fuzz::WriteFileOrDie(path, data, size);
  auto cfg = Config::Load(path);
  if (!cfg.ok()) {
    FUZZ_CHECK(cfg.status().code() == Code::kInvalid, cfg.status().message());
    return 0;
  }
  bool settable = true;
  Config probe = *cfg;
  for (const auto& [k, v] : cfg->values()) {
    FUZZ_CHECK(cfg->Get(k) == v, "Get disagrees with values()");
    if (!probe.Set(k, v).ok()) settable = false;
  }
  if (settable) {
    Status st = cfg->Save();
    FUZZ_CHECK(st.ok(), st.message());
    auto again = Config::Load(path);
    FUZZ_CHECK(again.ok(), again.status().message());
    FUZZ_CHECK(again->values() == cfg->values(), "save -> load changed the values");
  }
  ::unlink(path.c_str());
  return 0;
}
