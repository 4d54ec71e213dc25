// Block::Decode over the three stored blobs (header, txs, receipts) and
// the changes blob, on untrusted bytes. Input framing (tests/fuzz/
// fuzz_util.h Splitter): u32 length + header, u32 length + txs, u32 length
// + receipts, then the changes blob (the rest).
// Properties: each blob re-encodes to exactly its input; the structural
// check, roots and tx ids never crash; a block that passes CheckStructure
// has roots equal to its header's.
#include <cstddef>
#include <cstdint>

#include "core/changes.h"
#include "core/objects.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)aergo::CryptoInit();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aergo;
  fuzz::Splitter in(data, size);
  Bytes header = in.Next(), txs = in.Next(), receipts = in.Next(), changes = in.Rest();
  auto b = Block::Decode(header, txs, receipts);
  if (!b.ok()) return 0;
  FUZZ_CHECK(b->header.Encode() == header, "header: decode -> encode changed the bytes");
  FUZZ_CHECK(b->EncodeTxs() == txs, "txs: decode -> encode changed the bytes");
  FUZZ_CHECK(b->EncodeReceipts() == receipts, "receipts: decode -> encode changed the bytes");
  FUZZ_CHECK(b->txs.size() == b->receipts.size() && b->txs.size() == b->header.tx_count,
             "counts disagree after a successful decode");
  b->changes = changes;
  std::vector<Hash32> ids;
  Status st = b->CheckStructure(&ids);
  if (st.ok()) {
    FUZZ_CHECK(b->ComputeTxRoot() == b->header.tx_root, "CheckStructure passed a wrong tx root");
    FUZZ_CHECK(b->ComputeReceiptRoot() == b->header.receipt_root, "CheckStructure passed a wrong receipt root");
    FUZZ_CHECK(ids.empty() || ids == b->TxIds(), "CheckStructure's ids differ from TxIds");
    (void)b->header.VerifySignature();
  }
  auto cs = ChangeSet::Decode(changes, "block changes");
  if (cs.ok()) (void)ChainStateRoot(Hash32{}, changes);
  return 0;
}
