#pragma once
// Reads just enough of an Action Cable server message to account for it,
// without building a JSON tree: the message kind and, for data messages,
// the integer `ts` and `seq` fields `cable bench` put into its payloads and
// the stream position the extended protocol adds (`stream_id`, `epoch`,
// `offset`); for a welcome, the session id and whether it was restored; for
// a presence message, its type and member id.
//
// The scan is a single forward pass over bytes the receive path already
// holds; it never allocates. It accepts the key orders and spacing real
// servers produce (anycable-go writes `type` first, Rails writes
// `identifier` first) and payloads delivered either as a JSON object or as
// a JSON-encoded string (servers that could not parse the broadcast data
// forward it as a string, so the keys appear as \"ts\").

#include <cstdint>
#include <string_view>

namespace cable::bench {

enum class MessageKind {
  kData,  // {"identifier":..,"message":..}: a broadcast or transmission
  kWelcome,
  kPing,
  kConfirm,  // confirm_subscription
  kReject,   // reject_subscription
  kDisconnect,
  kConfirmHistory,
  kRejectHistory,
  kPresence,  // {"type":"presence","identifier":..,"message":{"type":"join",..}}
  kOther,     // any other `type` (pong, ...)
  kInvalid,   // not a JSON object
};

struct ScannedMessage {
  MessageKind kind = MessageKind::kInvalid;
  bool has_ts = false;
  bool has_seq = false;
  bool broadcast_result = false;  // payload carries "action":"broadcastResult"
  int64_t ts = 0;
  int64_t seq = 0;
  std::string_view reason;  // disconnect reason (view into the input)
  // Stream position (data messages on actioncable-v1-ext-json). The views
  // hold the JSON string contents as sent, escapes included.
  bool has_offset = false;
  uint64_t offset = 0;
  std::string_view stream_id, epoch;
  // Welcome: `sid`, `restored` and the raw `restored_ids` array.
  std::string_view sid;
  bool restored = false;
  std::string_view restored_ids;
  // Presence: the `message` object's `type` (join, leave, info, error),
  // `id` (string contents, escapes kept) and raw `info` value; `message`
  // is the whole object, for the rare info reply that is read in full.
  std::string_view presence_type, presence_id, presence_info;
  std::string_view message;
};

ScannedMessage ScanMessage(std::string_view json);

}  // namespace cable::bench
