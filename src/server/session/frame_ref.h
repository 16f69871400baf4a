#pragma once
// An encoded WebSocket frame shared by every session of one worker that
// receives it. Reference counting is deliberately non-atomic: a frame never
// leaves the worker thread that built it, so sharing it with 10,000
// subscribers costs 10,000 plain increments, not locked instructions.

#include <cstddef>
#include <string>
#include <utility>

namespace cable::server {

class FrameRef {
 public:
  FrameRef() = default;
  static FrameRef Make(std::string bytes) {
    FrameRef ref;
    ref.block_ = new Block{std::move(bytes), 1};
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
  ~FrameRef() {
    if (block_ && --block_->refs == 0) delete block_;
  }

  explicit operator bool() const { return block_ != nullptr; }
  const std::string& bytes() const { return block_->bytes; }
  size_t size() const { return block_->bytes.size(); }

 private:
  struct Block {
    std::string bytes;
    size_t refs;
  };
  Block* block_ = nullptr;
};

}  // namespace cable::server
