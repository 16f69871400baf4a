#pragma once
// Channel and connection state on the wire: map<string,string> whose values
// this backend writes as JSON (so 3 stays a number and {"name":..} an
// object across calls). Values written by someone else that are not JSON
// are read as plain strings. Merge rule of the server (spec §4.3): an empty
// string deletes the key.

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"
#include "rpc/json.h"

namespace cable::rpc {

// One wire value to JSON: parsed when it is JSON, else the string itself.
Json DecodeStateValue(std::string_view wire);

// The changes from `before` to `after` (both JSON objects) as wire entries:
// changed or added keys -> JSON text, removed keys -> "". Keys starting with
// `$` are the server's own (`$w` whisper stream, `$p` presence stream, spec
// §2.5–2.6) and it reads them as plain strings, so string values there are
// written as they are, not JSON-quoted.
std::map<std::string, std::string> StateDiff(const Json& before, const Json& after);

// Disconnect carries each subscription's state as one JSON object string
// (`{"count":"3"}`); decodes it into an object of decoded values.
Result<Json> DecodeStateObject(std::string_view wire);

}  // namespace cable::rpc
