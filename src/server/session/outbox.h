#pragma once
// A session's queue of frames waiting to be written. Costs nothing while
// empty (no allocation), so idle connections stay small; frames are written
// in order, possibly several per syscall.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "server/session/frame_ref.h"

namespace cable::server {

class Outbox {
 public:
  void Push(FrameRef frame) {
    pending_bytes_ += frame.size();
    frames_.push_back(std::move(frame));
  }
  // Puts `frame` before everything queued; only while nothing of the queue
  // was written (an SSE response head goes in front of the events held
  // behind it).
  void PushFront(FrameRef frame) {
    pending_bytes_ += frame.size();
    frames_.insert(frames_.begin() + static_cast<std::ptrdiff_t>(head_), std::move(frame));
  }
  bool empty() const { return head_ == frames_.size(); }
  size_t pending_bytes() const { return pending_bytes_; }
  size_t count() const { return frames_.size() - head_; }

  // The i-th unsent frame and, for i == 0, how much of it was already sent.
  const FrameRef& at(size_t i) const { return frames_[head_ + i]; }
  size_t head_offset() const { return head_offset_; }

  // Marks `n` more bytes as written.
  void Consume(size_t n) {
    pending_bytes_ -= n;
    while (n > 0) {
      size_t left = frames_[head_].size() - head_offset_;
      if (n < left) {
        head_offset_ += static_cast<uint32_t>(n);  // n < one frame's size
        return;
      }
      n -= left;
      frames_[head_] = FrameRef();
      ++head_;
      head_offset_ = 0;
    }
    Compact();
  }

  // Drops every frame not yet started. A frame already partly written is
  // kept: cutting it would corrupt the stream for whatever follows. So are
  // the frames holding the first `in_flight` unsent bytes, which a TLS layer
  // may have taken without confirming them yet.
  void DropUnstarted(size_t in_flight = 0) {
    if (empty()) return Clear();
    size_t keep = 0;
    size_t covered = 0;
    while (keep < count() && (covered < in_flight || (keep == 0 && head_offset_ > 0))) {
      covered += at(keep).size() - (keep == 0 ? head_offset_ : 0);
      ++keep;
    }
    std::vector<FrameRef> kept(frames_.begin() + static_cast<std::ptrdiff_t>(head_),
                               frames_.begin() + static_cast<std::ptrdiff_t>(head_ + keep));
    const size_t offset = head_offset_;
    Clear();
    for (auto& f : kept) Push(std::move(f));
    if (!frames_.empty()) {
      head_offset_ = static_cast<uint32_t>(offset);
      pending_bytes_ -= offset;
    }
  }

  void Clear() {
    frames_.clear();
    frames_.shrink_to_fit();
    head_ = head_offset_ = pending_bytes_ = 0;
  }

 private:
  void Compact() {
    if (head_ == frames_.size()) {
      frames_.clear();
      head_ = 0;
      // Release a queue that grew under a burst so idle sessions stay small.
      if (frames_.capacity() > 64) frames_.shrink_to_fit();
    } else if (head_ > 32 && head_ * 2 > frames_.size()) {
      frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  // 32-bit positions keep an idle session's outbox small; a queue is
  // bounded far below 2^32 frames and a frame far below 4 GiB.
  std::vector<FrameRef> frames_;
  uint32_t head_ = 0;
  uint32_t head_offset_ = 0;
  size_t pending_bytes_ = 0;
};

}  // namespace cable::server
