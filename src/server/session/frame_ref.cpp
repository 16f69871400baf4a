#include "server/session/frame_ref.h"

#include "common/ws/deflate.h"
#include "common/ws/frame.h"

namespace cable::server {

namespace {
// Below this, the compressed frame would save a few bytes at the price of a
// deflate call per message: pings, confirmations and short broadcasts go
// out as they are (RFC 7692 lets the sender choose per message).
constexpr size_t kMinPayloadToCompress = 128;
}  // namespace

FrameRef FrameRef::Deflated() const {
  if (!block_) return *this;
  if (!block_->deflated) {
    block_->deflated = block_;  // not worth it, unless shown otherwise below
    const std::string& bytes = block_->bytes;
    ws::FrameHeader header;
    uint16_t error = 0;
    // Only whole server text frames: the handshake response and the
    // close + disconnect pair of a dropped client are sent as they are.
    if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x81 &&
        ws::ParseHeader(bytes, UINT64_MAX, ws::Sender::kServer, &header, &error) ==
            ws::ParseStatus::kOk &&
        header.header_len + header.payload_len == bytes.size() &&
        header.payload_len >= kMinPayloadToCompress) {
      std::string compressed;
      if (ws::DeflateMessage(std::string_view(bytes).substr(header.header_len), &compressed)) {
        std::string frame;
        ws::AppendFrame(frame, ws::Opcode::kText, compressed, /*compressed=*/true);
        block_->deflated = new Block{std::move(frame), 1, nullptr};
      }
    }
  }
  FrameRef ref;
  ref.block_ = block_->deflated;
  ++ref.block_->refs;
  return ref;
}

}  // namespace cable::server
