#include "server/session/frame_reader.h"

#include <utility>

#include "common/ws/deflate.h"
#include "common/ws/frame.h"

namespace cable::server {

namespace {
constexpr uint8_t kRsv1 = 0x4;  // FrameHeader::rsv holds RSV1..RSV3 as bits 2..0
}  // namespace

void FrameReader::Feed(char* data, size_t len, size_t max_message_size, Events& events) {
  if (stopped_) return;
  // Bytes kept from the previous read come first; the two are parsed from
  // one buffer, which the reader then owns for the duration of the call.
  std::string joined;
  if (held_ && !held_->partial.empty()) {
    joined.swap(held_->partial);
    joined.append(data, len);
    data = joined.data();
    len = joined.size();
  }
  size_t pos = 0;
  while (pos < len && !stopped_) {
    ws::FrameHeader header;
    uint16_t error_code = 0;
    auto status = ws::ParseHeader(std::string_view(data + pos, len - pos), max_message_size,
                                  ws::Sender::kClient, &header, &error_code, deflate_ ? kRsv1 : 0);
    if (status == ws::ParseStatus::kError) {
      return Fail(error_code, error_code == ws::kCloseTooBig ? "Message too big" : "Protocol error",
                  events);
    }
    // Compared without adding: a length near 2^64 must not wrap around.
    if (status == ws::ParseStatus::kIncomplete || len - pos < header.header_len ||
        header.payload_len > len - pos - header.header_len) {
      held().partial.assign(data + pos, len - pos);
      return;
    }
    char* payload = data + pos + header.header_len;
    const size_t plen = static_cast<size_t>(header.payload_len);
    ws::Unmask(payload, plen, header.mask);
    pos += header.header_len + plen;
    if (!HandleFrame(static_cast<uint8_t>(header.opcode), header.fin, header.rsv & kRsv1,
                     std::string_view(payload, plen), max_message_size, events)) {
      return;
    }
  }
  ReleaseIfEmpty();
}

bool FrameReader::HandleFrame(uint8_t opcode, bool fin, bool rsv1, std::string_view payload,
                              size_t max_message_size, Events& events) {
  events.OnFrame();
  // RSV1 marks the first frame of a compressed message, nothing else
  // (RFC 7692 §6.1).
  const auto op = static_cast<ws::Opcode>(opcode);
  if (rsv1 && op != ws::Opcode::kText && op != ws::Opcode::kBinary) {
    Fail(ws::kCloseProtocolError, "Protocol error", events);
    return false;
  }
  switch (static_cast<ws::Opcode>(opcode)) {
    case ws::Opcode::kPing:
      return events.OnPing(payload);
    case ws::Opcode::kPong:
      return events.OnPong();
    case ws::Opcode::kClose: {
      if (uint16_t error = ws::CheckClosePayload(payload); error != 0) {
        Fail(error, error == ws::kCloseInvalidPayload ? "Invalid UTF-8" : "Protocol error", events);
        return false;
      }
      uint16_t code = 0;
      std::string_view reason;
      ws::ParseClosePayload(payload, &code, &reason);
      stopped_ = true;
      events.OnClose(code);
      return false;
    }
    case ws::Opcode::kText:
    case ws::Opcode::kBinary:
      if (fragment_opcode_ != 0) {
        Fail(ws::kCloseProtocolError, "Expected continuation", events);
        return false;
      }
      if (!fin) {
        fragment_opcode_ = opcode;
        fragments_compressed_ = rsv1;
        held().fragments.assign(payload);
        return true;
      }
      return Deliver(opcode, rsv1, payload, max_message_size, events);
    case ws::Opcode::kContinuation: {
      if (fragment_opcode_ == 0) {
        Fail(ws::kCloseProtocolError, "Unexpected continuation", events);
        return false;
      }
      std::string& fragments = held().fragments;
      if (fragments.size() + payload.size() > max_message_size) {
        Fail(ws::kCloseTooBig, "Message too big", events);
        return false;
      }
      fragments.append(payload);
      if (!fin) return true;
      std::string message;
      message.swap(fragments);
      const uint8_t first = std::exchange(fragment_opcode_, 0);
      return Deliver(first, fragments_compressed_, message, max_message_size, events);
    }
  }
  return true;  // unreachable: ParseHeader refuses unknown opcodes
}

bool FrameReader::Deliver(uint8_t opcode, bool compressed, std::string_view message,
                          size_t max_message_size, Events& events) {
  std::string inflated;
  if (compressed) {
    switch (ws::InflateMessage(message, max_message_size, &inflated)) {
      case ws::InflateStatus::kOk:
        message = inflated;
        break;
      case ws::InflateStatus::kTooBig:
        Fail(ws::kCloseTooBig, "Message too big", events);
        return false;
      case ws::InflateStatus::kCorrupt:
        Fail(ws::kCloseInvalidPayload, "Invalid compressed data", events);
        return false;
    }
  }
  if (static_cast<ws::Opcode>(opcode) == ws::Opcode::kBinary)
    return events.OnBinary(message.size());
  if (!ws::IsValidUtf8(message)) {
    Fail(ws::kCloseInvalidPayload, "Invalid UTF-8", events);
    return false;
  }
  return events.OnText(message);
}

void FrameReader::Fail(uint16_t code, std::string_view reason, Events& events) {
  stopped_ = true;
  events.OnProtocolError(code, reason);
}

void FrameReader::Clear() {
  held_.reset();
  fragment_opcode_ = 0;
}

}  // namespace cable::server
