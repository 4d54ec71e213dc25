// The HTTP API's JSON body decoders (remote/wire.h, remote/ledger_wire.h,
// over remote/json_body.h) on untrusted text. The first input byte selects
// the decoder (modulo the count below); the rest is the body.
// Properties: no exception escapes; what a decoder accepts re-encodes to a
// body that decodes again and re-encodes to the same text (the encoders'
// output is a fixed point).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "remote/ledger_wire.h"
#include "remote/wire.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace aergo;

// Decode, encode, decode the encoding, encode again: the two encodings
// must be equal.
template <typename Decode, typename Encode>
void FixedPoint(std::string_view body, Decode decode, Encode encode, const char* name) {
  auto first = decode(body);
  if (!first.ok()) return;
  std::string e1 = encode(*first);
  auto second = decode(e1);
  FUZZ_CHECK(second.ok(), std::string(name) + ": its own encoding does not decode: " + second.status().message() +
                              "\n" + e1);
  std::string e2 = encode(*second);
  FUZZ_CHECK(e1 == e2, std::string(name) + ": encoding is not stable:\n" + e1 + "\n" + e2);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)aergo::CryptoInit();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 11;
  std::string_view body = fuzz::AsView(data + 1, size - 1);
  switch (which) {
    case 0:
      FixedPoint(body, DecodeRefs, EncodeRefs, "refs");
      break;
    case 1:
      FixedPoint(body, DecodeFetchRequest, EncodeFetchRequest, "fetch request");
      break;
    case 2: {
      auto pb = DecodePushBody(body);
      if (!pb.ok()) break;
      FUZZ_CHECK(pb->pack.data() >= body.data() && pb->pack.data() + pb->pack.size() == body.data() + body.size(),
                 "push body: the pack is not the body's tail");
      std::string again = EncodePushHead(pb->request) + std::string(pb->pack);
      auto pb2 = DecodePushBody(again);
      FUZZ_CHECK(pb2.ok(), "push body: its own encoding does not decode: " + pb2.status().message());
      FUZZ_CHECK(EncodePushHead(pb2->request) == EncodePushHead(pb->request) && pb2->pack == pb->pack,
                 "push body: encoding is not stable");
      break;
    }
    case 3:
      FixedPoint(body, DecodePushOutcome, EncodePushOutcome, "push answer");
      break;
    case 4: {
      RemoteError e = DecodeError(body);
      FUZZ_CHECK(!e.message.empty(), "error body decoded to an empty message");
      break;
    }
    case 5:
      FixedPoint(body, DecodeTxSubmission, EncodeTxSubmission, "tx submission");
      break;
    case 6:
      FixedPoint(body, DecodeSubmitAnswer, EncodeSubmitAnswer, "submit answer");
      break;
    case 7:
      FixedPoint(body, DecodeBlockAnswer, EncodeBlockAnswer, "block answer");
      break;
    case 8:
      FixedPoint(body, DecodeTxAnswer, EncodeTxAnswer, "tx answer");
      break;
    case 9:
      FixedPoint(body, DecodeQueryRequest, EncodeQueryRequest, "query request");
      break;
    case 10:
      FixedPoint(body, DecodeQueryAnswer, EncodeQueryAnswer, "query answer");
      break;
  }
  return 0;
}
