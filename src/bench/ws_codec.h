#pragma once
// The client half of RFC 6455 framing, as little as `cable bench` needs.
//
// Outgoing frames are masked (clients must mask) and written into a caller
// buffer; incoming frames are parsed in place from the bytes a read
// returned, so a received message is a view into the loop's read buffer
// and is never copied unless it straddles two reads.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cable::bench {

enum Opcode : uint8_t {
  kOpContinuation = 0x0,
  kOpText = 0x1,
  kOpBinary = 0x2,
  kOpClose = 0x8,
  kOpPing = 0x9,
  kOpPong = 0xA,
};

// Largest header a client frame needs: 2 + 8 (length) + 4 (mask).
inline constexpr size_t kMaxClientHeader = 14;

// Appends a masked FIN frame to `out`. `mask` is the masking key; a fixed
// per-loop key is fine: masking guards against cache poisoning by hostile
// scripts in browsers, not against the server we are measuring.
void AppendClientFrame(std::string& out, uint8_t opcode, std::string_view payload, uint32_t mask);

struct FrameHeader {
  uint8_t opcode = 0;
  bool fin = false;
  bool masked = false;
  size_t header_size = 0;
  uint64_t payload_size = 0;
  uint8_t mask[4] = {0, 0, 0, 0};
};

// Parses a frame header at `data`; false when more bytes are needed.
inline bool ParseFrameHeader(const char* data, size_t size, FrameHeader* h) {
  if (size < 2) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  h->fin = p[0] & 0x80;
  h->opcode = p[0] & 0x0F;
  h->masked = p[1] & 0x80;
  uint64_t len = p[1] & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (size < 4) return false;
    len = (uint64_t{p[2]} << 8) | p[3];
    pos = 4;
  } else if (len == 127) {
    if (size < 10) return false;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    pos = 10;
  }
  if (h->masked) {
    if (size < pos + 4) return false;
    std::memcpy(h->mask, p + pos, 4);
    pos += 4;
  }
  h->header_size = pos;
  h->payload_size = len;
  return true;
}

// Payload of a close frame: code (1005 when absent) and reason.
void ParseClosePayload(std::string_view payload, uint16_t* code, std::string_view* reason);

}  // namespace cable::bench
