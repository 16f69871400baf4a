#pragma once
// Keys that AnyCable derives from the common `--secret` when a specific one
// is not configured: lowercase hex of HMAC-SHA256(key = secret, message =
// phrase), i.e. `echo -n phrase | openssl dgst -sha256 -hmac secret`.

#include <string>
#include <string_view>

namespace cable::auth {

inline constexpr std::string_view kBroadcastKeyPhrase = "broadcast-cable";  // --broadcast_key
inline constexpr std::string_view kRpcKeyPhrase = "rpc-cable";              // --http_rpc_secret
inline constexpr std::string_view kApiKeyPhrase = "api-cable";              // --api_secret

std::string DeriveKey(std::string_view secret, std::string_view phrase);

}  // namespace cable::auth
