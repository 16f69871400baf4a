#pragma once
// What an SSE request subscribes to (spec §11.1), as subscribe commands the
// session runs like a WebSocket client's. Pure, so every rule is testable
// without a socket.
//
// GET takes one subscription from the query, the first of: `identifier`
// (the whole identifier), `channel` (-> {"channel":X}), `stream` (a public
// $pubsub stream), `signed_stream` (a signed one), `turbo_signed_stream_name`
// (Turbo Streams). History comes along from `history_since` (Unix seconds)
// and the `Last-Event-ID` header (`<offset>/<epoch>/<stream>`, what the
// events' `id:` carried). POST takes JSON lines of subscribe commands, each
// with its own `history` if it wants one.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "server/protocol/client_command.h"

namespace cable::server {

// Largest POST body, as anycable-go's; larger ones get 413 unread.
inline constexpr size_t kSseMaxBody = 64 * 1024;
// Subscribe commands one POST may carry.
inline constexpr size_t kSseMaxCommands = 100;

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Error code "no_subscription" (nothing to subscribe to) or "bad_request".
Result<protocol::ClientCommand> SseSubscribeFromQuery(const QueryParams& query,
                                                      std::string_view last_event_id);

// Error code "bad_request" for a line that is not a subscribe command, a
// repeated identifier or more than kSseMaxCommands. An empty body asks for
// no subscription (the session then gets welcome and pings only).
Result<std::vector<protocol::ClientCommand>> SseSubscribesFromBody(std::string_view body);

// `raw=1|true|t|y` (any case): data events only.
bool SseRawParam(std::string_view value);

}  // namespace cable::server
