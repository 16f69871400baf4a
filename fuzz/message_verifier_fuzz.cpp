// Fuzzes the Rails MessageVerifier reader (auth::VerifyStream) and its
// standard base64 and hex codecs. Signed stream names arrive in subscribe
// commands from any client ($pubsub, Turbo Streams, CableReady), so every
// malformed or forged name must be refused without crashing. Random bytes
// never carry a valid digest, so most inputs are signed first to reach the
// decoding behind the digest check.
//
// Input: one control byte, then the rest.
//   bits 0-1: 0 = the rest is a signed name as received;
//             1 = the rest is the data part, signed with the secret (any bytes);
//             2 = the rest is a stream name, signed by SignStream, then verified;
//             3 = the rest is JSON, base64-encoded and signed.
// Invariants: base64 and hex decode exactly what they encode and accept one
// text per byte string, SignStream/VerifyStream round-trip every UTF-8 name,
// and RubyJsonString produces a JSON string holding the name.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/auth/base64.h"
#include "common/auth/hex.h"
#include "common/auth/hmac.h"
#include "common/auth/message_verifier.h"
#include "fuzz_check.h"

namespace auth = cable::auth;

namespace {

constexpr std::string_view kSecret = "fuzzing-streams-secret";

void CheckCodecs(std::string_view bytes) {
  auto b64 = auth::Base64Decode(auth::Base64Encode(bytes));
  FUZZ_CHECK(b64 && *b64 == bytes, "base64 does not round-trip");
  if (auto back = auth::Base64Decode(bytes)) {
    FUZZ_CHECK(auth::Base64Encode(*back) == bytes, "base64 accepted a non-canonical text");
  }
  const std::string hex = auth::HexEncode(bytes);
  FUZZ_CHECK(hex.size() == 2 * bytes.size(), "hex is not two characters per byte");
  auto unhex = auth::HexDecode(hex);
  FUZZ_CHECK(unhex && *unhex == bytes, "hex does not round-trip");
  if (auto back = auth::HexDecode(bytes)) {
    FUZZ_CHECK(back->size() * 2 == bytes.size(), "hex decoded to the wrong length");
  }
}

std::string SignData(std::string_view data) {
  return std::string(data) + "--" +
         auth::HexEncode(auth::Hmac(auth::HashAlgorithm::kSha256, kSecret, data));
}

void CheckResult(const cable::Result<std::string>& verified) {
  if (!verified.ok()) {
    FUZZ_CHECK(!verified.error().code.empty() && !verified.error().message.empty(),
               "rejection without a code or a reason");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  CheckCodecs(rest);

  switch (control & 3) {
    case 0:
      CheckResult(auth::VerifyStream(rest, kSecret));
      break;
    case 1:
      CheckResult(auth::VerifyStream(SignData(rest), kSecret));
      break;
    case 2: {
      auto json = auth::RubyJsonString(rest);
      if (json) {
        auto parsed = nlohmann::json::parse(*json, nullptr, false);
        FUZZ_CHECK(parsed.is_string() && parsed.get_ref<const std::string&>() == rest,
                   "RubyJsonString does not hold the name");
      }
      auto signed_name = auth::SignStream(rest, kSecret);
      FUZZ_CHECK(signed_name.ok() == json.has_value(), "SignStream and RubyJsonString disagree");
      if (!signed_name.ok()) break;
      auto verified = auth::VerifyStream(*signed_name, kSecret);
      if (signed_name->size() <= auth::kMaxSignedStreamSize) {
        FUZZ_CHECK(verified.ok() && *verified == rest, "a signed name did not verify back");
      }
      FUZZ_CHECK(!auth::VerifyStream(*signed_name, "another-secret").ok(),
                 "a name verified under the wrong secret");
      break;
    }
    case 3:
      CheckResult(auth::VerifyStream(SignData(auth::Base64Encode(rest)), kSecret));
      break;
  }
  return 0;
}
