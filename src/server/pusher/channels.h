#pragma once
// Subscriptions of Pusher sessions to `$pusher` identifiers, answered by
// the server itself as anycable-go's Pusher controller does: the stream is
// the channel; private- and presence- channels allow client events
// (whispers to the channel); presence- channels also carry presence.
// Authorization happened before (client_events.h): an identifier that
// reaches this point with a channel is authorized, one without is refused.

#include <string>

#include "server/channels/local_channels.h"

namespace cable::server::pusher {

// `presence_kept`: whether the broker keeps presence; a presence- channel
// cannot be served without it and is rejected.
LocalSubscription Subscribe(const std::string& identifier, bool presence_kept);

// The channel of a `$pusher` identifier; empty for anything else.
std::string ChannelOf(const std::string& identifier);

}  // namespace cable::server::pusher
