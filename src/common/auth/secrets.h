#pragma once
// Which secret signs what, given the settings a deployment set. Unlike the
// derived keys, these fall back to the common `--secret` *directly*.
//
// Each field holds the value already resolved for that one setting (flag,
// else environment, else config file); an empty string means "not set". The
// precedence between settings is then fixed, as in anycable-go: an explicit
// specific secret always beats the common one, wherever each came from.

#include <string>
#include <string_view>

namespace cable::auth {

struct SecretSettings {
  std::string secret;                // --secret, ANYCABLE_SECRET
  std::string jwt_secret;            // --jwt_secret, ANYCABLE_JWT_SECRET
  std::string streams_secret;        // --streams_secret, ANYCABLE_STREAMS_SECRET
  std::string turbo_streams_secret;  // --turbo_streams_secret, ANYCABLE_TURBO_STREAMS_SECRET
  std::string broadcast_key;         // --broadcast_key, ANYCABLE_BROADCAST_KEY
  std::string api_secret;            // --api_secret, ANYCABLE_API_SECRET
};

// A jwt_secret of "none" turns JWT off even when a common secret is set.
inline constexpr std::string_view kJwtDisabled = "none";

// jwt_secret, else secret; empty when JWT is disabled or nothing is set.
std::string ResolveJwtSecret(const SecretSettings& settings);
// streams_secret, else secret.
std::string ResolveStreamsSecret(const SecretSettings& settings);
// turbo_streams_secret, else the streams secret.
std::string ResolveTurboStreamsSecret(const SecretSettings& settings);

// A broadcast_key of "none" turns broadcast authentication off even when a
// common secret is set.
inline constexpr std::string_view kBroadcastKeyDisabled = "none";

// The HTTP broadcast key a server checks and its publishers send:
// broadcast_key, else derived from secret (hex HMAC-SHA256 of
// "broadcast-cable", auth::DeriveKey); empty when the key is "none" or
// nothing is set. Servers and publishers must agree, so all use this.
std::string ResolveBroadcastKey(const SecretSettings& settings);

// The REST API's bearer key: api_secret, else derived from secret (hex
// HMAC-SHA256 of "api-cable"); empty when neither is set.
std::string ResolveApiKey(const SecretSettings& settings);

}  // namespace cable::auth
