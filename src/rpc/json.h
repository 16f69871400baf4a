#pragma once
// The JSON value type of the mock backend and a bounded parser for request
// input. Objects keep insertion order so that rendered messages follow the
// order written in the YAML definitions (and echoes keep the client's order).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::rpc {

using Json = nlohmann::ordered_json;

// Parses `text` as one JSON document of at most `max_bytes` bytes and
// limits::kMaxJsonDepth levels of nesting. Never throws; an Error says why
// (code "invalid_json" or "too_large").
Result<Json> ParseJson(std::string_view text, std::size_t max_bytes);

// A value as text inside a larger string: strings verbatim, null as "",
// everything else as compact JSON.
std::string JsonToText(const Json& value);

// Compact JSON that never throws: invalid UTF-8 in strings is replaced.
std::string DumpJson(const Json& value);

}  // namespace cable::rpc
