// DecodeValue (core/value.h: one tagged SQL value) on untrusted bytes,
// requiring the whole input to be one value. Properties: canonical
// (re-encodes to exactly the input, NaN refused); display, JSON and the
// consensus ArgsJson never crash; ArgsJson is deterministic.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/value.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  Reader r(data, size, "value");
  Value v = DecodeValue(&r, "value");
  r.ExpectEnd();
  if (!r.ok()) return 0;
  Writer w;
  EncodeValue(&w, v);
  FUZZ_CHECK(w.bytes() == Bytes(data, data + size), "decode -> encode changed the bytes");
  FUZZ_CHECK(!(v.type == Value::Type::kReal && std::isnan(v.real)), "NaN accepted");
  FUZZ_CHECK(v == v, "a decoded value is not equal to itself");
  (void)ValueToDisplay(v);
  (void)ValueToJson(v);
  (void)ValueTypeName(v.type);
  std::string a = ArgsJson({v, v});
  FUZZ_CHECK(a == ArgsJson({v, v}), "ArgsJson is not deterministic");
  return 0;
}
