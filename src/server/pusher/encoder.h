#pragma once
// What a Pusher session writes (spec §11.4): the session's messages and
// the broadcasts of its channels, as Pusher events. The session builds
// Action Cable messages as for any client; the Pusher framing
// (session/framing.h) passes them through here:
//
//   welcome              -> pusher:connection_established (socket id,
//                           activity timeout), data as a JSON string
//   confirm_subscription -> pusher_internal:subscription_succeeded, data "{}"
//   reject_subscription  -> pusher:error {"message":"rejected","code":4009}
//   disconnect           -> pusher:error {"message":<reason>,"code":4200 if
//                           the client may reconnect, else 4009}
//   ping / pong          -> pusher:ping / pusher:pong
//   broadcast            -> {"event":..,"data":..,"channel":..} when its data
//                           is an object with an `event`; dropped otherwise
//   presence join/leave  -> pusher_internal:member_added / member_removed
//
// Field order and shapes follow anycable-go's encoder; anything else
// (history, presence query replies, an application's transmissions) has
// no Pusher form and is dropped.

#include <optional>
#include <string>
#include <string_view>

#include "server/hub/broadcast.h"
#include "server/presence/presence.h"

namespace cable::server::pusher {

// The Pusher text for a message the session built; nullopt when the
// message has no Pusher form.
std::optional<std::string> EncodeMessage(std::string_view action_cable_json);

// The Pusher text for a broadcast on `channel`; nullopt when it carries no
// event.
std::optional<std::string> EncodeBroadcast(std::string_view channel, const Broadcast& broadcast);

// {"event":"pusher:error","data":{"message":..,"code":..}}
std::string ErrorEvent(std::string_view message, int code);

// The subscription_succeeded of a presence channel: the members before
// this client joined, plus `self` when its id is not among them, as
// {"presence":{"count":N,"ids":[..],"hash":{id: info}}} in `data`.
std::string PresenceSubscriptionSucceeded(std::string_view channel, const PresenceList& members,
                                          const PresenceMember& self);

}  // namespace cable::server::pusher
