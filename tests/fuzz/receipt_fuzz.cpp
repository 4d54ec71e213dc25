// Receipt::Decode (one receipt of a block's receipts blob) on untrusted
// bytes, requiring the whole input to be one receipt. Property: canonical
// (re-encodes to exactly the input).
#include <cstddef>
#include <cstdint>

#include "core/objects.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  Reader r(data, size, "receipt");
  auto rc = Receipt::Decode(&r);
  if (!rc.ok()) return 0;
  r.ExpectEnd();
  if (!r.ok()) return 0;
  FUZZ_CHECK(rc->Encode() == Bytes(data, data + size), "decode -> encode changed the bytes");
  (void)ReceiptStatusName(rc->status);
  (void)rc->Hash();
  if (!rc->resolver.empty()) (void)IsValidResolverName(rc->resolver);
  return 0;
}
