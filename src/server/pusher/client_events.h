#pragma once
// What a Pusher client sends, translated into the session's own commands
// (spec §11.4), so that subscriptions, whispers and presence run through
// the same code as Action Cable's:
//
//   pusher:subscribe    -> subscribe {"channel":"$pusher","stream":<channel>}
//                          (+ a presence join for presence- channels)
//   pusher:unsubscribe  -> unsubscribe
//   client-<name>       -> whisper of {"event","channel","data"}
//   pusher:ping / pong  -> ping / pong
//
// Channel authorization happens here, where the `auth` field is at hand
// (later commands do not carry it): a private- or presence- subscribe whose
// signature does not verify becomes a subscribe to the empty channel,
// which is rejected (pusher:error 4009), as in anycable-go.
//
// Anything else — invalid JSON, an unknown event, a field of the wrong
// type — yields an error reply (pusher:error 4200) and no command; the
// session reads on. (anycable-go stops reading such a connection without a
// word; a client then hangs until it times out.)

#include <optional>
#include <string>
#include <string_view>

#include "server/protocol/client_command.h"
#include "server/pusher/pusher_settings.h"

namespace cable::server::pusher {

// Longest channel name accepted (Pusher's own limit is 164 characters);
// a longer one is rejected like a channel that fails authorization.
inline constexpr size_t kMaxChannelName = 200;

struct ClientEvent {
  std::optional<protocol::ClientCommand> command;
  // When there is no command: the pusher:error to answer with, and what
  // to log.
  std::string reply;
  std::string problem;
};

ClientEvent TranslateClientEvent(std::string_view frame, const Settings& settings,
                                 std::string_view socket_id);

}  // namespace cable::server::pusher
