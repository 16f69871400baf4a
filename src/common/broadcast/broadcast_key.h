#pragma once
// The HTTP broadcast key an AnyCable server derives from its application
// secret when --broadcast_key is not set: hex(HMAC-SHA256(secret, "broadcast-cable")),
// computed by the shared auth::DeriveKey.

#include <string>
#include <string_view>

#include "common/auth/secrets.h"

namespace cable::broadcast {

// Lowercase hex HMAC-SHA256 of "broadcast-cable" keyed with `secret`.
std::string DeriveBroadcastKey(std::string_view secret);

// anycable-go treats the literal key "none" as "authentication disabled".
inline bool IsDisabledKey(std::string_view key) {
  return key == auth::kBroadcastKeyDisabled;
}

// Where a local anycable-go listens for HTTP broadcasts given the key a
// publisher knows: the main port (8080) when a key is set, since the server
// then serves /_broadcast there with auth; otherwise the unauthenticated
// default port 8090.
inline const char* DefaultBroadcastUrl(std::string_view key) {
  return key.empty() || IsDisabledKey(key) ? "http://localhost:8090/_broadcast"
                                           : "http://localhost:8080/_broadcast";
}

}  // namespace cable::broadcast
