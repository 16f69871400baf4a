#pragma once
// A session's queue of frames waiting to be written. Costs nothing while
// empty (no allocation), so idle connections stay small; frames are written
// in order, possibly several per syscall.

#include <cstddef>
#include <vector>

#include "server/session/frame_ref.h"

namespace cable::server {

class Outbox {
 public:
  void Push(FrameRef frame) {
    pending_bytes_ += frame.size();
    frames_.push_back(std::move(frame));
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
        head_offset_ += n;
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
  // kept: cutting it would corrupt the stream for whatever follows.
  void DropUnstarted() {
    if (empty()) return Clear();
    FrameRef started = head_offset_ > 0 ? frames_[head_] : FrameRef();
    const size_t offset = head_offset_;
    Clear();
    if (started) {
      pending_bytes_ = started.size() - offset;
      frames_.push_back(std::move(started));
      head_offset_ = offset;
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

  std::vector<FrameRef> frames_;
  size_t head_ = 0;
  size_t head_offset_ = 0;
  size_t pending_bytes_ = 0;
};

}  // namespace cable::server
