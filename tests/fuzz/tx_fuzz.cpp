// Tx::Decode (the tx blob, docs/formats/objects.md) on untrusted bytes.
// Properties: decoding is canonical (a decoded tx re-encodes to exactly the
// input); id, signature check and display of the args never crash.
#include <cstddef>
#include <cstdint>

#include "core/objects.h"
#include "core/value.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)aergo::CryptoInit();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  auto tx = Tx::Decode(data, size);
  if (!tx.ok()) {
    FUZZ_CHECK(!tx.status().message().empty(), "error without a message");
    return 0;
  }
  Bytes again = tx->Encode();
  FUZZ_CHECK(again == Bytes(data, data + size), "decode -> encode changed the bytes");
  auto twice = Tx::Decode(again);
  FUZZ_CHECK(twice.ok(), twice.status().message());
  FUZZ_CHECK(twice->Id() == tx->Id(), "id changed after a round trip");
  (void)TxKindName(tx->kind);
  (void)tx->VerifySignature();
  (void)ArgsJson(tx->args);
  for (const auto& v : tx->args) {
    (void)ValueToDisplay(v);
    (void)ValueToJson(v);
  }
  return 0;
}
