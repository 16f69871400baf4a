// Fuzzes the server's RFC 6455 reader: FrameReader (the read side of a
// session: header parsing, length checks, unmasking in place, partial frames
// kept between reads, fragment reassembly, close-frame and UTF-8 checks) and
// the codec functions under it (ws::ParseHeader, Unmask, IsValidUtf8,
// CheckClosePayload). Every byte here comes from an unauthenticated peer
// before anything else has looked at it.
//
// Input: one control byte, then the client's byte stream.
//   bits 0-2: read size (all at once, 1, 2, 3, 5, 13, 128 or 4096 bytes)
//   bits 3-4: max message size (65536 = the default, 125, 0, or no limit)
//   bit 5: permessage-deflate negotiated (RSV1 messages are decompressed)
// Each read is handed over in a heap block of exactly its size, as recv()
// fills the worker's buffer, so a read or write past it is reported. What
// the reader delivers is checked against the rules it enforces, and the
// codec functions are compared with plain reference implementations, so a
// wrong answer is caught, not only a crash.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "common/ws/frame.h"
#include "fuzz_check.h"
#include "server/session/frame_reader.h"

namespace {

constexpr size_t kReadSizes[] = {0, 1, 2, 3, 5, 13, 128, 4096};
constexpr uint64_t kMaxMessageSizes[] = {65536, 125, 0, std::numeric_limits<uint64_t>::max()};

// RFC 3629 written from its table, for comparison with the fast validator.
bool ReferenceUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool SendableCloseCode(unsigned code) {
  // RFC 6455 7.4 and the IANA registry: 1004-1006 and 1015 never go on the
  // wire, 0-999 and 1016-2999 are not assigned.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// RFC 6455 5.5.1: an empty close payload, or a code and a UTF-8 reason.
// Returns the close code a violation is answered with, else 0.
uint16_t ReferenceCloseCheck(std::string_view p) {
  if (p.empty()) return 0;
  if (p.size() == 1) return cable::ws::kCloseProtocolError;
  const unsigned code = (static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]);
  if (!SendableCloseCode(code)) return cable::ws::kCloseProtocolError;
  return ReferenceUtf8(p.substr(2)) ? 0 : cable::ws::kCloseInvalidPayload;
}

// The codec functions on their own, over arbitrary bytes.
void CheckCodec(std::string_view bytes) {
  FUZZ_CHECK(cable::ws::IsValidUtf8(bytes) == ReferenceUtf8(bytes),
             "IsValidUtf8 disagrees with RFC 3629");
  const std::string_view close = bytes.substr(0, 125);
  FUZZ_CHECK(cable::ws::CheckClosePayload(close) == ReferenceCloseCheck(close),
             "CheckClosePayload disagrees with RFC 6455 5.5.1 and 7.4");

  // Unmask, whole and in two pieces (the offset argument), against XOR.
  if (bytes.size() < 4) return;
  uint8_t mask[4];
  std::memcpy(mask, bytes.data(), 4);
  const std::string_view payload = bytes.substr(4);
  std::string expected(payload);
  for (size_t i = 0; i < expected.size(); ++i) {
    expected[i] = static_cast<char>(expected[i] ^ mask[i & 3]);
  }
  const size_t n = payload.size();
  std::unique_ptr<char[]> whole(new char[n]), split(new char[n]);
  std::memcpy(whole.get(), payload.data(), n);
  std::memcpy(split.get(), payload.data(), n);
  cable::ws::Unmask(whole.get(), n, mask);
  const size_t cut = (n * 7) / 11;
  cable::ws::Unmask(split.get(), cut, mask, 0);
  cable::ws::Unmask(split.get() + cut, n - cut, mask, cut);
  FUZZ_CHECK(std::memcmp(whole.get(), expected.data(), n) == 0, "Unmask differs from XOR");
  FUZZ_CHECK(std::memcmp(split.get(), expected.data(), n) == 0,
             "Unmask in two pieces differs from XOR");
}

// What a session does with the reader's events, reduced to the checks.
class Session final : public cable::server::FrameReader::Events {
 public:
  explicit Session(uint64_t max_message_size) : max_(max_message_size) {}

  bool ended() const { return ended_; }

  void OnFrame() override {}
  bool OnText(std::string_view message) override {
    Event();
    FUZZ_CHECK(message.size() <= max_, "text message above the size limit delivered");
    FUZZ_CHECK(ReferenceUtf8(message), "text message that is not UTF-8 delivered");
    return true;
  }
  bool OnBinary(size_t size) override {
    Event();
    FUZZ_CHECK(size <= max_, "binary message above the size limit delivered");
    return true;
  }
  bool OnPing(std::string_view payload) override {
    Event();
    FUZZ_CHECK(payload.size() <= 125, "ping payload longer than a control frame may carry");
    // The session answers with a pong carrying the same payload.
    const std::string pong = cable::ws::EncodeFrame(cable::ws::Opcode::kPong, payload);
    FUZZ_CHECK(pong.size() == 2 + payload.size(), "pong frame has the wrong length");
    return true;
  }
  bool OnPong() override {
    Event();
    return true;
  }
  void OnClose(uint16_t code) override {
    Event();
    FUZZ_CHECK(code == 1005 || SendableCloseCode(code), "close code a peer may not send");
    ended_ = true;
  }
  void OnProtocolError(uint16_t close_code, std::string_view reason) override {
    Event();
    FUZZ_CHECK(close_code == cable::ws::kCloseProtocolError ||
                   close_code == cable::ws::kCloseInvalidPayload ||
                   close_code == cable::ws::kCloseTooBig,
               "protocol error with a close code other than 1002, 1007 or 1009");
    FUZZ_CHECK(!reason.empty(), "protocol error without a reason");
    const std::string close = cable::ws::EncodeClose(close_code, reason);
    FUZZ_CHECK(close.size() <= 2 + 125, "close frame longer than a control frame may be");
    ended_ = true;
  }

 private:
  void Event() { FUZZ_CHECK(!ended_, "an event after the connection ended"); }

  uint64_t max_;
  bool ended_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const char* stream = reinterpret_cast<const char*>(data + 1);
  const size_t n = size - 1;

  CheckCodec(std::string_view(stream, n));

  const uint64_t max = kMaxMessageSizes[(control >> 3) & 3];
  Session session(max);
  cable::server::FrameReader reader;
  if (control & 0x20) reader.EnableDeflate();
  const size_t step = kReadSizes[control & 7] == 0 ? n : kReadSizes[control & 7];
  for (size_t pos = 0; pos < n && !reader.stopped(); pos += step) {
    const size_t len = std::min(step, n - pos);
    std::unique_ptr<char[]> read(new char[len]);
    std::memcpy(read.get(), stream + pos, len);
    reader.Feed(read.get(), len, max, session);
  }
  FUZZ_CHECK(reader.stopped() == session.ended(), "stopped without telling, or the reverse");
  reader.Clear();
  return 0;
}
