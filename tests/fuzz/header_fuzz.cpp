// BlockHeader::Decode (the header blob) on untrusted bytes. Property:
// canonical (re-encodes to exactly the input); id and signature check never
// crash.
#include <cstddef>
#include <cstdint>

#include "core/objects.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)aergo::CryptoInit();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  auto h = BlockHeader::Decode(data, size);
  if (!h.ok()) return 0;
  Bytes again = h->Encode();
  FUZZ_CHECK(again == Bytes(data, data + size), "decode -> encode changed the bytes");
  auto twice = BlockHeader::Decode(again);
  FUZZ_CHECK(twice.ok(), twice.status().message());
  FUZZ_CHECK(twice->Id() == h->Id(), "id changed after a round trip");
  FUZZ_CHECK(h->parents.size() <= 2, "more than two parents accepted");
  (void)h->VerifySignature();
  (void)ShortId(h->Id());
  if (!h->resolver.empty()) (void)IsValidResolverName(h->resolver);
  return 0;
}
