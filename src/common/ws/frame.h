#pragma once
// RFC 6455 framing for both ends: the server, the WebSocket client and
// `cable bench` share this one codec. Server frames are unmasked, so one
// encoded frame can be shared by every subscriber of a broadcast; that is
// why the server writes its own frames instead of going through a generic
// stream. Client frames are masked with a key the caller chooses.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cable::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes the server sends (RFC 6455 §7.4.1).
enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseProtocolError = 1002,
  kCloseUnsupportedData = 1003,
  kCloseInvalidPayload = 1007,
  kClosePolicyViolation = 1008,
  kCloseTooBig = 1009,
  kCloseInternalError = 1011,
};

// Largest frame header: 2 + 8 (length) + 4 (mask).
inline constexpr size_t kMaxHeaderSize = 14;

// Appends one complete unmasked frame (FIN set) to `out`: server to client.
// `compressed` sets RSV1: the payload is a permessage-deflate message.
void AppendFrame(std::string& out, Opcode opcode, std::string_view payload,
                 bool compressed = false);
// Appends one masked frame: client to server. `fin` false starts or
// continues a fragmented message.
void AppendMaskedFrame(std::string& out, uint8_t opcode, std::string_view payload,
                       const uint8_t mask[4], bool fin = true);
std::string EncodeFrame(Opcode opcode, std::string_view payload);
std::string EncodeClose(uint16_t code, std::string_view reason);

// Header of one client frame, as parsed from the wire.
struct FrameHeader {
  bool fin = false;
  uint8_t rsv = 0;
  Opcode opcode = Opcode::kText;
  bool masked = false;
  uint64_t payload_len = 0;
  uint8_t mask[4] = {0, 0, 0, 0};
  size_t header_len = 0;
};

enum class ParseStatus { kOk, kIncomplete, kError };
// Who sent the bytes: clients must mask their frames, servers must not.
enum class Sender { kClient, kServer };

// Parses the header at the start of `data`. kIncomplete when more bytes are
// needed. kError (with `error_code`) for violations that must close the
// connection: reserved bits, unknown opcodes, masking that does not fit the
// sender, fragmented or oversized control frames, payloads above
// `max_payload`. `allowed_rsv` names the reserved bits a negotiated
// extension uses (0x4: RSV1, permessage-deflate); the others must be zero.
ParseStatus ParseHeader(std::string_view data, uint64_t max_payload, Sender sender,
                        FrameHeader* out, uint16_t* error_code, uint8_t allowed_rsv = 0);

// Unmasks `len` bytes in place; `offset` is the position within the payload
// (for payloads unmasked in pieces).
void Unmask(char* data, size_t len, const uint8_t mask[4], uint64_t offset = 0);

// Checks a client close frame's payload (RFC 6455 §5.5.1, §7.4): empty, or
// a status code a peer may send (1000-1003, 1007-1014, 3000-4999) followed
// by a UTF-8 reason. Returns 0 when valid, else the code to close with:
// 1002 for a 1-byte payload or a code that must not appear on the wire,
// 1007 for a reason that is not UTF-8.
uint16_t CheckClosePayload(std::string_view payload);

// The code (1005 when absent) and reason of a close frame's payload.
void ParseClosePayload(std::string_view payload, uint16_t* code, std::string_view* reason);

// True if `text` is valid UTF-8 (RFC 3629: no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.
std::string AcceptKey(std::string_view client_key);

}  // namespace cable::ws
