#pragma once
// The bodies and answers of the Pusher REST API (spec §11.4): what
// `POST /apps/<id>/events` publishes and what
// `GET /apps/<id>/channels/<channel>/users` answers. The HTTP side
// (signatures first, then the body) is transport/pusher_api.cpp.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/hub/broadcast.h"
#include "server/presence/presence.h"

namespace cable::server::pusher {

// Channels one event may go to (Pusher's own limit).
inline constexpr size_t kMaxEventChannels = 100;

// `{"name":..,"data":"<string>","channel":..|"channels":[..],"socket_id":..}`
// -> one broadcast per channel, carrying `{"event":<name>,"data":<data>}`
// (which the Pusher encoder turns back into the event) and excluding
// `socket_id`. Error code "invalid_event" with the reason.
Result<std::vector<BroadcastPtr>> ParseEvents(std::string_view body);

// `<channel>` of a `/channels/<channel>/users` path (below /apps/<id>);
// empty when the path is something else.
std::string UsersChannel(std::string_view path);

// `{"users":[{"id":".."},..]}`
std::string UsersJson(const PresenceList& list);

}  // namespace cable::server::pusher
