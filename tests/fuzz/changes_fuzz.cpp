// ChangeSet::Decode (core/changes.h, docs/formats/changes.md) on untrusted
// bytes. Properties: canonical (re-encodes to exactly the input); the
// inverse re-encodes and decodes to itself, and inverting twice gives the
// original; a change set chains with its own inverse.
#include <cstddef>
#include <cstdint>

#include "core/changes.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  Bytes in(data, data + size);
  auto cs = ChangeSet::Decode(in, "changes");
  if (!cs.ok()) return 0;
  FUZZ_CHECK(cs->Encode() == in, "decode -> encode changed the bytes");
  (void)cs->RowCount();
  (void)cs->ReplacedContracts();
  FUZZ_CHECK(FirstDifferentTable(*cs, *cs).empty(), "a change set differs from itself");
  ChangeSet inv = cs->Inverted();
  FUZZ_CHECK(inv.Inverted().tables == cs->tables, "inverting twice is not the identity");
  Bytes inv_bytes = inv.Encode();
  auto inv2 = ChangeSet::Decode(inv_bytes, "inverted changes");
  FUZZ_CHECK(inv2.ok(), "the inverse does not decode: " + inv2.status().message());
  FUZZ_CHECK(inv2->tables == inv.tables, "the inverse does not round-trip");
  for (const auto& [name, t] : cs->tables)
    for (const auto& [key, rc] : t.rows) (void)OpName(OpOf(rc));
  ChangeSet there_and_back = *cs;
  Status st = there_and_back.Then(inv);
  FUZZ_CHECK(st.ok(), "a change set does not chain with its inverse: " + st.message());
  there_and_back.Normalize();
  (void)there_and_back.Encode();
  return 0;
}
