#include "common/auth/jwt.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "common/auth/base64.h"
#include "common/auth/constant_time.h"
#include "common/auth/hmac.h"
#include "common/json_depth.h"

namespace cable::auth::jwt {
namespace {

HashAlgorithm HashFor(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kHS256:
      return HashAlgorithm::kSha256;
    case Algorithm::kHS384:
      return HashAlgorithm::kSha384;
    case Algorithm::kHS512:
      return HashAlgorithm::kSha512;
  }
  return HashAlgorithm::kSha256;
}

Error Unauthorized(std::string message) {
  return Error{std::string(kUnauthorized), std::move(message)};
}

std::string FormatTime(double seconds) {
  // Beyond year ~30 million the value is not a date anyone meant; print it raw
  // rather than push it through time_t.
  if (std::fabs(seconds) < 1e15) {
    std::time_t t = static_cast<std::time_t>(std::floor(seconds));
    std::tm tm{};
    char buf[64];
    if (gmtime_r(&t, &tm) != nullptr &&
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) {
      return buf;
    }
  }
  return fmt::format("{}", seconds);
}

// A NumericDate claim (RFC 7519 §2): any JSON number, integral or not.
// Absent -> nullopt with ok; any other type is an error.
Result<std::optional<double>> NumericDate(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::optional<double>();
  if (!it->is_number()) return Unauthorized(fmt::format("the {} claim is not a number", name));
  double value = it->get<double>();
  if (!std::isfinite(value)) return Unauthorized(fmt::format("the {} claim is not finite", name));
  return std::optional<double>(value);
}

}  // namespace

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kHS256:
      return "HS256";
    case Algorithm::kHS384:
      return "HS384";
    case Algorithm::kHS512:
      return "HS512";
  }
  return "HS256";
}

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm a : {Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512}) {
    if (AlgorithmName(a) == name) return a;
  }
  return std::nullopt;
}

Result<std::string> EncodeClaims(const nlohmann::ordered_json& claims, std::string_view secret,
                                 Algorithm algorithm) {
  if (secret.empty()) return Error{"empty_secret", "cannot sign a token with an empty secret"};
  if (!claims.is_object()) return Error{"invalid_claims", "token claims must be a JSON object"};
  std::string payload;
  try {
    payload = claims.dump();
  } catch (const nlohmann::json::exception&) {
    return Error{"invalid_claims", "token claims contain invalid UTF-8"};
  }
  std::string input =
      Base64UrlEncode(fmt::format(R"({{"alg":"{}","typ":"JWT"}})", AlgorithmName(algorithm))) +
      "." + Base64UrlEncode(payload);
  std::string signature = Hmac(HashFor(algorithm), secret, input);
  return input + "." + Base64UrlEncode(signature);
}

Result<std::string> Encode(std::string_view identifiers, std::string_view secret,
                           Algorithm algorithm, std::optional<int64_t> exp) {
  nlohmann::ordered_json claims = nlohmann::ordered_json::object();
  claims["ext"] = std::string(identifiers);
  if (exp) claims["exp"] = *exp;
  return EncodeClaims(claims, secret, algorithm);
}

Result<VerifiedToken> Verify(std::string_view token, std::string_view secret, int64_t now) {
  if (secret.empty()) return Unauthorized("no secret to verify the token with");
  if (token.size() > kMaxTokenSize) {
    return Unauthorized(
        fmt::format("token is {} bytes long; the limit is {}", token.size(), kMaxTokenSize));
  }
  size_t first_dot = token.find('.');
  size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Unauthorized("token is not three dot-separated segments");
  }
  std::string_view header_b64 = token.substr(0, first_dot);
  std::string_view payload_b64 = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string_view signature_b64 = token.substr(second_dot + 1);

  auto header_text = Base64UrlDecode(header_b64);
  if (!header_text) return Unauthorized("token header is not url-safe base64");
  if (!JsonDepthWithin(*header_text)) return Unauthorized("token header nests too deep");
  nlohmann::json header = nlohmann::json::parse(*header_text, nullptr, false);
  if (!header.is_object()) return Unauthorized("token header is not a JSON object");
  auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) {
    return Unauthorized("token header has no alg");
  }
  const std::string& alg = alg_it->get_ref<const std::string&>();
  auto algorithm = ParseAlgorithm(alg);
  if (!algorithm) {
    // The name is the client's text and messages end up in logs: quote it
    // only when it is short and printable.
    bool quotable = alg.size() <= 16 && std::all_of(alg.begin(), alg.end(),
                                                    [](char c) { return c >= 0x20 && c < 0x7f; });
    return Unauthorized(
        fmt::format("token algorithm {}is not accepted; only HS256, HS384 and HS512",
                    quotable ? "\"" + alg + "\" " : ""));
  }

  auto signature = Base64UrlDecode(signature_b64);
  if (!signature) return Unauthorized("token signature is not url-safe base64");
  std::string expected = Hmac(HashFor(*algorithm), secret, token.substr(0, second_dot));
  if (!ConstantTimeEquals(*signature, expected)) {
    return Unauthorized("token signature does not match the secret");
  }

  // Signed by someone holding the secret: from here on, problems are the
  // issuer's, but the claims are still checked as untrusted JSON.
  auto payload_text = Base64UrlDecode(payload_b64);
  if (!payload_text) return Unauthorized("token payload is not url-safe base64");
  nlohmann::json payload = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!payload.is_object()) return Unauthorized("token payload is not a JSON object");

  auto exp = NumericDate(payload, "exp");
  if (!exp.ok()) return exp.error();
  auto nbf = NumericDate(payload, "nbf");
  if (!nbf.ok()) return nbf.error();
  const double now_seconds = static_cast<double>(now);
  // An exp of 0 counts as 1970 here (golang-jwt ignores it): the stricter
  // reading cannot let a token in that another verifier would refuse.
  if (*exp && now_seconds >= **exp) {
    return Error{std::string(kTokenExpired), fmt::format("token expired at {}", FormatTime(**exp))};
  }
  if (*nbf && now_seconds < **nbf) {
    return Unauthorized(fmt::format("token is not valid before {}", FormatTime(**nbf)));
  }

  auto ext = payload.find("ext");
  if (ext == payload.end()) {
    return Error{std::string(kNoExt), "token has no ext claim (the connection identifiers)"};
  }
  if (!ext->is_string()) {
    return Error{std::string(kNoExt), "token's ext claim is not a string of JSON identifiers"};
  }

  VerifiedToken verified;
  verified.identifiers = ext->get<std::string>();
  verified.algorithm = *algorithm;
  if (*exp) {
    // Clamp so a far-future float exp cannot overflow the conversion.
    double e = std::floor(**exp);
    verified.exp = e >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(e);
  }
  return verified;
}

}  // namespace cable::auth::jwt
