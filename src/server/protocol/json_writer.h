#pragma once
// Minimal JSON string escaping for messages the server builds by hand. The
// server builds its few fixed-shape messages directly into byte buffers
// because they sit on the hot path (pings, broadcasts).

#include <string>
#include <string_view>

namespace cable::server::protocol {

// Appends `value` as a quoted JSON string. Control characters are escaped;
// non-ASCII UTF-8 is kept as is (as Go's encoder does, minus HTML escaping).
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace cable::server::protocol
