#pragma once
// permessage-deflate (RFC 7692), the way anycable-go (gorilla/websocket)
// speaks it: no context takeover in either direction. Every message is
// compressed and decompressed on its own, so a connection keeps no zlib
// state between messages: the compressor and decompressor belong to the
// thread, and a broadcast is compressed once per worker, not once per
// subscriber.

#include <optional>
#include <string>
#include <string_view>

namespace cable::ws {

// The Sec-WebSocket-Extensions value to answer with when `offers` (the
// client's header, comma-separated offers) contains a permessage-deflate
// offer this server can accept; nullopt to answer without extensions.
// Offers that insist on a server window below 15 bits or carry unknown or
// repeated parameters are declined, as RFC 7692 §5 allows.
std::optional<std::string> NegotiateDeflate(std::string_view offers);

// Compresses one message payload into `out` (raw DEFLATE, sync-flushed,
// the 00 00 ff ff tail removed). Returns false, leaving `out` empty, when
// the result would not be smaller than the payload: such a message is
// better sent as it is (RFC 7692 lets a sender choose per message).
bool DeflateMessage(std::string_view payload, std::string* out);

enum class InflateStatus { kOk, kTooBig, kCorrupt };
// Decompresses one message into `out`, stopping as soon as the output would
// exceed `limit` bytes: a small "zip bomb" frame never costs more than the
// message size limit.
InflateStatus InflateMessage(std::string_view payload, size_t limit, std::string* out);

}  // namespace cable::ws
