// Fuzzes the JWT verifier (auth::jwt::Verify) and the url-safe base64 it
// decodes with. Tokens arrive from anyone who can open a WebSocket (query
// parameter, header or subprotocol), so Verify must reject every malformed
// or forged token without crashing. Random bytes rarely get past the
// signature check, so most inputs are turned into correctly signed tokens
// whose header and claims are the fuzzer's bytes.
//
// Input: one control byte, then the rest.
//   bits 0-1: 0 = the rest is a token as received;
//             1 = the rest is "<header>\n<payload>", signed with the secret;
//             2 = the rest is the identifiers, encoded by Encode then verified;
//             3 = like 1, with a header naming the algorithm (only the claims vary).
//   bits 2-3: algorithm (HS256, HS384, HS512, HS256)
// Invariants: base64url decoding is the exact inverse of encoding, a token
// Encode made verifies back to its identifiers, and an accepted token
// carries the payload's `ext` claim verbatim.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/auth/base64.h"
#include "common/auth/hmac.h"
#include "common/auth/jwt.h"
#include "fuzz_check.h"

namespace auth = cable::auth;
namespace jwt = cable::auth::jwt;

namespace {

constexpr std::string_view kSecret = "fuzzing-secret-key-base";
constexpr int64_t kNow = 1700000000;  // fixed, so every run is reproducible

auth::HashAlgorithm HashFor(jwt::Algorithm a) {
  switch (a) {
    case jwt::Algorithm::kHS256:
      return auth::HashAlgorithm::kSha256;
    case jwt::Algorithm::kHS384:
      return auth::HashAlgorithm::kSha384;
    case jwt::Algorithm::kHS512:
      return auth::HashAlgorithm::kSha512;
  }
  return auth::HashAlgorithm::kSha256;
}

void CheckBase64Url(std::string_view bytes) {
  const std::string encoded = auth::Base64UrlEncode(bytes);
  auto decoded = auth::Base64UrlDecode(encoded);
  FUZZ_CHECK(decoded && *decoded == bytes, "base64url does not round-trip");
  // Strict decoding: whatever decodes has exactly one text.
  if (auto back = auth::Base64UrlDecode(bytes)) {
    FUZZ_CHECK(auth::Base64UrlEncode(*back) == bytes, "base64url accepted a non-canonical text");
  }
}

std::string Sign(std::string_view header, std::string_view payload, jwt::Algorithm alg) {
  std::string input = auth::Base64UrlEncode(header) + "." + auth::Base64UrlEncode(payload);
  return input + "." + auth::Base64UrlEncode(auth::Hmac(HashFor(alg), kSecret, input));
}

void CheckAccepted(const cable::Result<jwt::VerifiedToken>& verified, std::string_view payload) {
  if (!verified.ok()) {
    FUZZ_CHECK(!verified.error().code.empty() && !verified.error().message.empty(),
               "rejection without a code or a reason");
    return;
  }
  // Accepted: the payload is a JSON object whose ext is the identifiers.
  auto claims = nlohmann::json::parse(payload, nullptr, false);
  FUZZ_CHECK(claims.is_object(), "accepted a token whose payload is not a JSON object");
  auto ext = claims.find("ext");
  FUZZ_CHECK(ext != claims.end() && ext->is_string() &&
                 ext->get_ref<const std::string&>() == verified->identifiers,
             "identifiers differ from the ext claim");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  static constexpr jwt::Algorithm kAlgorithms[] = {jwt::Algorithm::kHS256, jwt::Algorithm::kHS384,
                                                   jwt::Algorithm::kHS512, jwt::Algorithm::kHS256};
  const jwt::Algorithm alg = kAlgorithms[(control >> 2) & 3];

  CheckBase64Url(rest);

  switch (control & 3) {
    case 0: {
      auto verified = jwt::Verify(rest, kSecret, kNow);
      if (verified.ok()) {
        // Only a token signed with the secret can pass; decode it to check.
        auto first = rest.find('.');
        auto second = rest.find('.', first + 1);
        auto payload = auth::Base64UrlDecode(rest.substr(first + 1, second - first - 1));
        FUZZ_CHECK(payload.has_value(), "accepted a token whose payload is not base64url");
        CheckAccepted(verified, *payload);
      }
      break;
    }
    case 1:
    case 3: {
      std::string_view header, payload;
      std::string fixed_header;
      if ((control & 3) == 1) {
        const size_t nl = rest.find('\n');
        header = rest.substr(0, nl);
        payload = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      } else {
        fixed_header = R"({"alg":")" + std::string(jwt::AlgorithmName(alg)) + R"(","typ":"JWT"})";
        header = fixed_header;
        payload = rest;
      }
      CheckAccepted(jwt::Verify(Sign(header, payload, alg), kSecret, kNow), payload);
      break;
    }
    case 2: {
      // exp from the first bytes: absent, in the past, or in the future.
      std::optional<int64_t> exp;
      if (!rest.empty()) exp = kNow + static_cast<int8_t>(rest[0]);
      auto token = jwt::Encode(rest, kSecret, alg, exp);
      if (!token.ok()) break;  // identifiers that are not valid UTF-8
      auto verified = jwt::Verify(*token, kSecret, kNow);
      if (exp && *exp <= kNow) {
        FUZZ_CHECK(!verified.ok() && verified.error().code == jwt::kTokenExpired,
                   "an expired token was not refused as expired");
      } else if (token->size() <= jwt::kMaxTokenSize) {
        FUZZ_CHECK(verified.ok(), "a token Encode made did not verify");
        FUZZ_CHECK(verified->identifiers == rest, "identifiers changed on the round trip");
        FUZZ_CHECK(verified->algorithm == alg, "algorithm changed on the round trip");
        FUZZ_CHECK(verified->exp == exp, "exp changed on the round trip");
      }
      break;
    }
  }
  return 0;
}
