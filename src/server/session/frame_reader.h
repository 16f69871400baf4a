#pragma once
// The server's RFC 6455 reader: bytes from a client in, messages and
// control frames out. Pure (no socket, no session), so every rule of
// framing is unit-testable: masking, reserved bits, control-frame limits,
// fragment reassembly, the message size limit, UTF-8 of text messages and
// close payloads.
//
// Payloads are unmasked in place in the caller's buffer and handed out as
// views into it, so a message that arrives in one read is never copied.
// Only the bytes of an incomplete frame, and the fragments of an unfinished
// message, are kept (an idle reader owns no buffer).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cable::server {

class FrameReader {
 public:
  // What the reader found. Each handler returns whether reading goes on;
  // false (e.g. the session is closing) makes Feed stop at once.
  class Events {
   public:
    // Every complete frame, before its own event (liveness: a pong timeout
    // counts any frame as an answer).
    virtual void OnFrame() = 0;
    virtual bool OnText(std::string_view message) = 0;
    // Binary messages are not part of Action Cable's JSON protocols.
    virtual bool OnBinary(size_t size) = 0;
    virtual bool OnPing(std::string_view payload) = 0;
    virtual bool OnPong() = 0;
    // A valid close frame from the peer (1005 when it carried no code).
    virtual void OnClose(uint16_t code) = 0;
    // A violation that must close the connection with `close_code`.
    virtual void OnProtocolError(uint16_t close_code, std::string_view reason) = 0;

   protected:
    ~Events() = default;
  };

  // Consumes data[0..len), which it may modify (unmasking). Frames after a
  // close or an error are not read; the reader stays stopped.
  void Feed(char* data, size_t len, size_t max_message_size, Events& events);

  // permessage-deflate was negotiated: data messages whose first frame has
  // RSV1 set are decompressed (each on its own: no context takeover).
  void EnableDeflate() { deflate_ = true; }

  bool stopped() const { return stopped_; }
  // Drops kept bytes (the connection is gone).
  void Clear();

 private:
  // Returns false when reading must stop.
  bool HandleFrame(uint8_t opcode, bool fin, bool rsv1, std::string_view payload,
                   size_t max_message_size, Events& events);
  bool Deliver(uint8_t opcode, bool compressed, std::string_view message, size_t max_message_size,
               Events& events);
  void Fail(uint16_t code, std::string_view reason, Events& events);

  // Allocated only while there is something to hold: most messages arrive
  // whole in one read, so an idle session holds no buffer at all.
  struct Held {
    std::string partial;    // bytes of an incomplete frame
    std::string fragments;  // a fragmented message being reassembled
  };
  Held& held() { return held_ ? *held_ : *(held_ = std::make_unique<Held>()); }
  void ReleaseIfEmpty() {
    if (held_ && held_->partial.empty() && held_->fragments.empty()) held_.reset();
  }

  std::unique_ptr<Held> held_;
  uint8_t fragment_opcode_ = 0;
  bool fragments_compressed_ = false;
  bool deflate_ = false;
  bool stopped_ = false;
};

}  // namespace cable::server
