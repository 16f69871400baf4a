#pragma once
// Channel identifiers and connection identifiers as they arrive in requests.

#include <string>
#include <string_view>

#include "common/result.h"
#include "rpc/json.h"

namespace cable::rpc {

struct ChannelIdentifier {
  std::string channel;
  Json params = Json::object();  // the identifier's keys other than `channel`
};

// `{"channel":"ChatChannel","room":"42"}` -> channel + params. Errors say
// what is wrong in one sentence ("identifier is not valid JSON (...)").
Result<ChannelIdentifier> ParseIdentifier(std::string_view identifier);

// The identifiers string from Connect: a JSON object, or empty (= {}).
Result<Json> ParseConnectionIdentifiers(std::string_view identifiers);

}  // namespace cable::rpc
