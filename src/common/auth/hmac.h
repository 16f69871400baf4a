#pragma once
// HMAC over the SHA-2 family (OpenSSL). These are the only MACs AnyCable
// uses: JWT HS256/HS384/HS512, MessageVerifier and key derivation (SHA256).

#include <cstddef>
#include <string>
#include <string_view>

namespace cable::auth {

enum class HashAlgorithm { kSha256, kSha384, kSha512 };

// Digest length in bytes: 32, 48 or 64.
size_t DigestSize(HashAlgorithm algorithm);

// Raw (binary) HMAC of `message` under `key`. Any key length is valid,
// including empty; callers decide whether an empty secret is acceptable.
std::string Hmac(HashAlgorithm algorithm, std::string_view key, std::string_view message);

}  // namespace cable::auth
