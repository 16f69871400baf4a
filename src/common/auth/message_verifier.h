#pragma once
// Signed stream names in the Rails ActiveSupport::MessageVerifier format
// (digest SHA256, JSON serializer), as turbo-rails and AnyCable's $pubsub
// channel use them:
//
//   signed = base64(JSON(name)) + "--" + hex(HMAC-SHA256(secret, base64(JSON(name))))
//
// JSON(name) is a JSON string written the way Ruby's JSON.dump writes it, so
// a name signed here is byte-identical to one signed by Rails: raw UTF-8,
// escapes only for '"', '\' and control characters (\b \f \n \r \t, else
// \u00xx in lowercase), and no escaping of '/'.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::auth {

// Error codes from SignStream and VerifyStream.
inline constexpr std::string_view kInvalidName = "invalid_name";  // not UTF-8
inline constexpr std::string_view kEmptySecret = "empty_secret";
inline constexpr std::string_view kInvalidFormat = "invalid_format";  // not data--digest
inline constexpr std::string_view kSignatureMismatch = "signature_mismatch";
inline constexpr std::string_view kInvalidPayload = "invalid_payload";  // not base64 JSON string

// Signed names longer than this are rejected before hashing.
inline constexpr size_t kMaxSignedStreamSize = 64 * 1024;

// `name` encoded as Ruby's JSON.dump encodes a String; nullopt when `name`
// is not valid UTF-8 (Ruby raises in that case too).
std::optional<std::string> RubyJsonString(std::string_view name);

// Fails only for a name that is not valid UTF-8 or an empty secret.
Result<std::string> SignStream(std::string_view name, std::string_view secret);

// Returns the stream name. The digest is compared in constant time before
// the payload is decoded; a valid digest over a payload that is not a
// base64 JSON string is still rejected.
Result<std::string> VerifyStream(std::string_view signed_name, std::string_view secret);

}  // namespace cable::auth
