#pragma once
// Hexadecimal text for digests and derived keys. AnyCable and Rails compare
// digests as lowercase hex strings, so encoding is always lowercase.

#include <optional>
#include <string>
#include <string_view>

namespace cable::auth {

std::string HexEncode(std::string_view data);

// Accepts either case; rejects odd lengths and non-hex characters.
std::optional<std::string> HexDecode(std::string_view text);

}  // namespace cable::auth
