#pragma once
// JWT identification tokens as AnyCable uses them (HMAC only).
//
// A token's payload carries the connection identifiers in the `ext` claim as
// a *string* holding JSON (e.g. "{\"user_id\":42}"), plus an optional `exp`.
// Encode produces the header {"alg":"HS256","typ":"JWT"} in compact JSON.
//
// Verify is strict because tokens arrive from anyone who can open a socket:
// it accepts only three url-safe base64 segments (no padding), a header whose
// `alg` is HS256, HS384 or HS512, a signature of the right length that
// matches in constant time, and JSON objects for header and payload. Claims
// are checked only after the signature, as anycable-go does, so an attacker
// learns nothing from the reason. There is no leeway: a token is expired once
// `now >= exp` and not yet usable while `now < nbf`.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::auth::jwt {

enum class Algorithm { kHS256, kHS384, kHS512 };

// "HS256", "HS384", "HS512".
std::string_view AlgorithmName(Algorithm algorithm);
// Exact (case-sensitive) match of the names above; nullopt otherwise.
std::optional<Algorithm> ParseAlgorithm(std::string_view name);

// Tokens longer than this are rejected before any decoding.
inline constexpr size_t kMaxTokenSize = 16 * 1024;

// Error codes returned by Verify. The first two are the disconnect reasons
// the server sends; kNoExt is an internal error there (close 1011), because
// a token that is correctly signed but carries no identifiers means the
// issuer is misconfigured, not that the client is unauthorized.
inline constexpr std::string_view kTokenExpired = "token_expired";
inline constexpr std::string_view kUnauthorized = "unauthorized";
inline constexpr std::string_view kNoExt = "no_ext";

struct VerifiedToken {
  std::string identifiers;     // the `ext` claim, verbatim
  std::optional<int64_t> exp;  // seconds since the epoch; absent = never expires
  Algorithm algorithm = Algorithm::kHS256;
};

// Signs arbitrary claims (a JSON object; keys keep their order). Fails when
// `claims` is not an object, holds invalid UTF-8, or `secret` is empty.
Result<std::string> EncodeClaims(const nlohmann::ordered_json& claims, std::string_view secret,
                                 Algorithm algorithm);

// Signs {"ext":identifiers[,"exp":exp]}, the token anycable-rails-jwt
// issues. `identifiers` should be JSON-encoded identifiers.
Result<std::string> Encode(std::string_view identifiers, std::string_view secret,
                           Algorithm algorithm, std::optional<int64_t> exp);

// Checks `token` against `secret` at `now` (seconds since the epoch). Errors
// carry one of the codes above and a sentence saying precisely why. An empty
// secret verifies nothing.
Result<VerifiedToken> Verify(std::string_view token, std::string_view secret, int64_t now);

}  // namespace cable::auth::jwt
