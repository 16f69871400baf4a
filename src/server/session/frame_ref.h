#pragma once
// An encoded WebSocket frame shared by every session of one worker that
// receives it. Reference counting is deliberately non-atomic: a frame never
// leaves the worker thread that built it, so sharing it with 10,000
// subscribers costs 10,000 plain increments, not locked instructions.
//
// With permessage-deflate, the compressed form of a frame is built by the
// first compressing session that sends it and shared the same way: a
// broadcast is compressed once per worker, however many subscribers
// negotiated compression.

#include <cstddef>
#include <string>
#include <utility>

namespace cable::server {

class FrameRef {
 public:
  FrameRef() = default;
  static FrameRef Make(std::string bytes) {
    FrameRef ref;
    ref.block_ = new Block{std::move(bytes), 1, nullptr};
    return ref;
  }
  FrameRef(const FrameRef& o) : block_(o.block_) {
    if (block_) ++block_->refs;
  }
  FrameRef(FrameRef&& o) noexcept : block_(std::exchange(o.block_, nullptr)) {}
  FrameRef& operator=(FrameRef o) noexcept {
    std::swap(block_, o.block_);
    return *this;
  }
  ~FrameRef() { Release(block_); }

  explicit operator bool() const { return block_ != nullptr; }
  const std::string& bytes() const { return block_->bytes; }
  size_t size() const { return block_->bytes.size(); }

  // This frame compressed (RSV1 set), for a session that negotiated
  // permessage-deflate: built on first use and kept with the frame. The
  // frame itself when it is not a single text frame worth compressing
  // (control frames, small or incompressible messages).
  FrameRef Deflated() const;

 private:
  struct Block {
    std::string bytes;
    size_t refs;
    Block* deflated = nullptr;  // holds one reference; this block when not worth it
  };
  static void Release(Block* block) {
    if (!block || --block->refs != 0) return;
    if (block->deflated != block) Release(block->deflated);
    delete block;
  }
  Block* block_ = nullptr;
};

}  // namespace cable::server
