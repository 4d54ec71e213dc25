// Unit tests for core/request_auth.h: signed requests round trip; any
// change to what the signature covers, a clock too far off, or a malformed
// header is Denied; the replay guard takes each nonce once.
#include "core/request_auth.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "core/codec.h"
#include "tests/unit/test_util.h"

namespace aergo {
namespace {

constexpr uint64_t kNow = 1700000000000ull;

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> Fields(const std::string& header) {
  std::vector<std::string> out;
  std::istringstream in(header);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

std::string Join(const std::vector<std::string>& fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : " ") + f;
  return out;
}

class RequestAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(CryptoInit().ok()); }

  Result<SignedRequest> Check(const std::string& header, const std::string& method = "POST",
                              const std::string& path = "/ledger/push?x=1", const std::string& body = kBody,
                              uint64_t now = kNow) {
    return CheckRequestSignature(header, method, path, body, now);
  }
  void ExpectDenied(const Result<SignedRequest>& r, const std::string& part) {
    ASSERT_FALSE(r.ok()) << "accepted";
    EXPECT_EQ(r.status().code(), Code::kDenied) << r.status().message();
    EXPECT_TRUE(Has(r.status().message(), part)) << r.status().message();
  }
  std::string Signed(uint64_t time_ms = kNow) { return SignRequest(key_, "POST", "/ledger/push?x=1", kBody, time_ms); }

  // Binary, with a NUL and a byte that is not UTF-8.
  static inline const std::string kBody = [] {
    const char s[] = "12\n{\"branch\":1}\0PACK\xff";
    return std::string(s, sizeof s - 1);
  }();
  SecretKey key_ = testutil::SeedKey(0x61);
  SecretKey other_ = testutil::SeedKey(0x62);
};

TEST_F(RequestAuthTest, SignedRequestVerifies) {
  std::string header = Signed();
  auto f = Fields(header);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0], "Aergo");
  EXPECT_EQ(f[1], AddressFromKey(key_.public_key()));
  EXPECT_EQ(f[2], std::to_string(kNow));
  EXPECT_EQ(f[3].size(), 32u);
  EXPECT_EQ(f[4].size(), 128u);
  auto r = Check(header);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->key, key_.public_key());
  EXPECT_EQ(r->address, f[1]);
  EXPECT_EQ(r->time_ms, kNow);
  EXPECT_EQ(r->nonce, f[3]);
  // A fresh nonce each time.
  EXPECT_NE(Fields(Signed())[3], f[3]);
  // An empty body and a GET.
  auto get = CheckRequestSignature(SignRequest(key_, "GET", "/ledger/refs", "", kNow), "GET", "/ledger/refs", "", kNow);
  EXPECT_TRUE(get.ok()) << get.status().message();
}

TEST_F(RequestAuthTest, SigningBytesAreTheDocumentedLayout) {
  EXPECT_EQ(RequestSigningBytes("GET", "/r/refs", "", 5, "ab"),
            "GET\n/r/refs\n" + ToHex(Sha256(std::string_view(""))) + "\n5\nab");
}

TEST_F(RequestAuthTest, TamperedRequestIsDenied) {
  std::string header = Signed();
  ExpectDenied(Check(header, "GET"), "does not verify");
  ExpectDenied(Check(header, "POST", "/ledger/push?x=2"), "does not verify");
  ExpectDenied(Check(header, "POST", "/other/push?x=1"), "does not verify");
  ExpectDenied(Check(header, "POST", "/ledger/push?x=1", kBody + "x"), "does not verify");
  ExpectDenied(Check(header, "POST", "/ledger/push?x=1", ""), "does not verify");

  auto f = Fields(header);
  auto with = [&](size_t i, const std::string& v) {
    auto g = f;
    g[i] = v;
    return Join(g);
  };
  ExpectDenied(Check(with(2, std::to_string(kNow + 1))), "does not verify");  // time
  std::string nonce = f[3];
  nonce[0] = nonce[0] == '0' ? '1' : '0';
  ExpectDenied(Check(with(3, nonce)), "does not verify");
  std::string sig = f[4];
  sig[100] = sig[100] == '0' ? '1' : '0';
  ExpectDenied(Check(with(4, sig)), "does not verify");
  // Another key's address with this key's signature.
  ExpectDenied(Check(with(1, AddressFromKey(other_.public_key()))), "does not verify");
}

TEST_F(RequestAuthTest, ClockSkewBeyondTheWindowIsDenied) {
  // At the edge of the window, both ways: accepted.
  EXPECT_TRUE(Check(Signed(kNow - kRequestSkewMs)).ok());
  EXPECT_TRUE(Check(Signed(kNow + kRequestSkewMs)).ok());
  ExpectDenied(Check(Signed(kNow - kRequestSkewMs - 1)), "clock");
  ExpectDenied(Check(Signed(kNow + kRequestSkewMs + 1)), "clock");
  ExpectDenied(Check(Signed(0)), "clock");
}

TEST_F(RequestAuthTest, MalformedHeadersAreDenied) {
  auto f = Fields(Signed());
  auto with = [&](size_t i, const std::string& v) {
    auto g = f;
    g[i] = v;
    return Join(g);
  };
  ExpectDenied(Check(""), "malformed");
  ExpectDenied(Check("Aergo"), "malformed");
  ExpectDenied(Check(with(0, "Bearer")), "malformed");
  ExpectDenied(Check(with(0, "aergo")), "malformed");
  ExpectDenied(Check(Join({f[0], f[1], f[2], f[3]})), "malformed");        // a field missing
  ExpectDenied(Check(Join(f) + " extra"), "malformed");                      // a field too many
  ExpectDenied(Check(Join(f) + " a b c d e f g"), "malformed");
  ExpectDenied(Check(with(1, "not-an-address")), "invalid address");
  std::string addr = f[1];
  addr.back() = addr.back() == '1' ? '2' : '1';  // checksum broken
  ExpectDenied(Check(with(1, addr)), "invalid address");
  ExpectDenied(Check(with(2, "-5")), "invalid time");
  ExpectDenied(Check(with(2, "17e11")), "invalid time");
  ExpectDenied(Check(with(2, std::string(19, '9'))), "invalid time");
  ExpectDenied(Check(with(3, std::string(32, 'g'))), "nonce");
  ExpectDenied(Check(with(3, f[3].substr(2))), "nonce");
  ExpectDenied(Check(with(3, f[3] + "00")), "nonce");
  ExpectDenied(Check(with(4, f[4].substr(0, 126))), "signature");
  ExpectDenied(Check(with(4, f[4] + "00")), "signature");
  ExpectDenied(Check(with(4, std::string(128, 'z'))), "signature");
}

TEST_F(RequestAuthTest, ReplayGuardTakesEachNonceOnce) {
  RequestReplayGuard guard;
  auto first = Check(Signed());
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(guard.Check(*first, kNow).ok());
  Status again = guard.Check(*first, kNow + 10);
  EXPECT_EQ(again.code(), Code::kDenied) << again.message();
  EXPECT_TRUE(Has(again.message(), "replayed")) << again.message();

  auto second = Check(Signed());
  ASSERT_TRUE(second.ok()) << second.status().message();
  ASSERT_NE(second->nonce, first->nonce);
  EXPECT_TRUE(guard.Check(*second, kNow + 20).ok());

  // The same nonce from another address is another request.
  SignedRequest other = *first;
  other.address = AddressFromKey(other_.public_key());
  EXPECT_TRUE(guard.Check(other, kNow + 30).ok());

  // Still refused after a sweep inside the window.
  EXPECT_EQ(guard.Check(*first, kNow + kRequestSkewMs + 1).code(), Code::kDenied);
  EXPECT_EQ(guard.Check(*first, kNow + 2 * kRequestSkewMs).code(), Code::kDenied);
}

}  // namespace
}  // namespace aergo
