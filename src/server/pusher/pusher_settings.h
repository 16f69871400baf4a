#pragma once
// Pusher protocol compatibility (spec §11.4): what a Pusher client or
// server SDK talks to cable through. On when both an app id and an app key
// are set, as in anycable-go. The WebSocket endpoint is /app/<key>; the
// REST API lives under /apps/<id>/. Channel names are AnyCable stream names
// one to one, reached through the internal channel `$pusher`.

#include <string>
#include <string_view>

namespace cable::server::pusher {

// The channel of every Pusher subscription's identifier:
// `{"channel":"$pusher","stream":"<pusher channel>"}`.
inline constexpr std::string_view kChannelName = "$pusher";

// Seconds a client may stay silent before it pings (sent in
// pusher:connection_established; anycable-go's value).
inline constexpr int kActivityTimeoutS = 30;

// Pusher's error codes as anycable-go sends them: 4009 "unauthorized, do
// not reconnect" and 4200 "generic, reconnect".
inline constexpr int kErrorUnauthorized = 4009;
inline constexpr int kErrorGeneric = 4200;

struct Settings {
  std::string app_id;
  std::string app_key;
  std::string secret;  // HMAC key of channel and REST signatures
  bool enabled() const { return !app_id.empty() && !app_key.empty(); }
};

enum class ChannelKind { kPublic, kPrivate, kPresence };
ChannelKind KindOf(std::string_view channel);

// The subscription identifier of a Pusher channel (the field order is
// anycable-go's, so identifiers compare equal byte for byte).
std::string Identifier(std::string_view channel);

// A Pusher socket id, `<unix seconds>.<0..999999>`. A request id already
// of the form `<digits>.<digits>` is kept, as anycable-go does (proxies
// set X-Request-ID; Pusher's signatures are bound to the socket id).
std::string SocketId(std::string_view request_id);

// Whether `path` is the WebSocket endpoint /app/<key>, or lies under the
// REST API's /apps/<id>/.
bool IsWebSocketPath(std::string_view path, std::string_view app_key);
bool IsApiPath(std::string_view path, std::string_view app_id);

// The connection identifiers of a Pusher session: `{"sid":"<socket id>"}`.
std::string ConnectionIdentifiers(std::string_view socket_id);

}  // namespace cable::server::pusher
