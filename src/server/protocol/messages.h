#pragma once
// Server -> client Action Cable messages, byte-compatible with anycable-go
// (field order type, identifier, message, reason, reconnect, sid; empty
// fields omitted, `reason` and `reconnect` always present in disconnect).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cable::server::protocol {

std::string Welcome(std::string_view sid);
// The welcome of a restored session (spec §2.3): `restored_ids` are the
// identifiers the client must not subscribe to again.
std::string WelcomeRestored(std::string_view sid, const std::vector<std::string>& restored_ids);
std::string Ping(int64_t timestamp);
std::string Pong();
std::string Disconnect(std::string_view reason, bool reconnect);
std::string ConfirmSubscription(std::string_view identifier);
std::string RejectSubscription(std::string_view identifier);
std::string ConfirmHistory(std::string_view identifier);
std::string RejectHistory(std::string_view identifier);

// A stream position as anycable-go writes it after `message` (spec §2.1):
// all three fields when the broadcast has an epoch, none otherwise.
struct Position {
  std::string_view stream_id;
  std::string_view epoch;
  uint64_t offset = 0;
};

// `{"identifier":<identifier>,"message":<payload>}` where payload is `data`
// itself when `data_is_json` (the caller validated it once per broadcast),
// or `data` as a JSON string otherwise. A non-empty `type` comes first, as
// anycable-go writes it (`{"type":"presence","identifier":..}`).
std::string BroadcastMessage(std::string_view identifier, std::string_view data, bool data_is_json,
                             const Position& position = {}, std::string_view type = {});

// True if `data` is a JSON document other than `null` (such broadcast data is
// embedded as is; anything else is sent as a string, spec §1.2).
bool IsEmbeddableJson(std::string_view data);

// Disconnect reasons (spec §13).
inline constexpr std::string_view kJsonSubprotocol = "actioncable-v1-json";
inline constexpr std::string_view kExtendedSubprotocol = "actioncable-v1-ext-json";

namespace reason {
inline constexpr std::string_view kUnauthorized = "unauthorized";
inline constexpr std::string_view kTokenExpired = "token_expired";
inline constexpr std::string_view kServerRestart = "server_restart";
inline constexpr std::string_view kRemote = "remote";
inline constexpr std::string_view kNoPong = "no_pong";
inline constexpr std::string_view kTooSlow = "too_slow";
}  // namespace reason

}  // namespace cable::server::protocol
