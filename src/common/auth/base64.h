#pragma once
// Base64 in the two dialects AnyCable peers use: the standard alphabet with
// '=' padding (Rails MessageVerifier payloads) and the url-safe alphabet
// without padding (JWT segments, RFC 7515).
//
// Decoders are strict because their input is usually hostile: they reject
// characters outside the alphabet, whitespace, padding where the dialect has
// none (or missing padding where it is required), impossible lengths and
// non-zero unused bits, so every accepted text has exactly one decoding and
// every byte string exactly one accepted text.

#include <optional>
#include <string>
#include <string_view>

namespace cable::auth {

// Standard alphabet (+/), padded with '=' to a multiple of 4 characters.
std::string Base64Encode(std::string_view data);
std::optional<std::string> Base64Decode(std::string_view text);

// Url-safe alphabet (-_), no padding.
std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace cable::auth
