#pragma once
// Nesting limit for JSON that arrives from outside (client frames,
// broadcasts, identifiers, tokens, RPC bodies). nlohmann's parser is
// iterative, but dump() and comparisons recurse, so one message of 100,000
// `[` would overflow the stack when it is re-serialised. Every entry point
// checks depth before parsing; the check is one pass over the bytes and
// allocates nothing.

#include <string_view>

namespace cable {

// Deeper than anything Action Cable or AnyCable sends (identifiers and
// payloads nest a handful of levels), far below what recursion can take.
inline constexpr int kMaxJsonDepth = 64;

// True when no array/object in `text` nests deeper than `max_depth`.
// Brackets inside strings (including escaped quotes) do not count; text
// that is not JSON is not rejected here (the parser reports that).
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace cable
