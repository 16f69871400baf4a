#pragma once
// Exactly-once accounting for one client's stream of numbered messages.
//
// Every message `cable bench` publishes to a stream (or every echo a client
// sends) carries a sequence number 0, 1, 2, ... A tracker remembers the
// lowest number not yet seen plus a 128-message window above it, so it can
// tell a duplicate from a late arrival in 48 bytes per client, whatever the
// run length. A message more than 128 places ahead of a gap slides the
// window and gives up on the gap (those messages are then missing; if one
// still arrives it is counted as a duplicate). Servers deliver a stream in
// order, so in practice the window only absorbs reordering introduced by
// concurrent RPC calls on the `perform` path.

#include <cstdint>

namespace cable::bench {

class SeqTracker {
 public:
  static constexpr uint64_t kWindow = 128;

  // Returns true when `seq` is new, false for a duplicate.
  bool Receive(uint64_t seq) {
    if (seq < next_) {
      ++duplicates_;
      return false;
    }
    if (seq >= next_ + kWindow) {
      uint64_t shift = seq - kWindow + 1 - next_;
      window_ = shift >= kWindow ? 0 : window_ >> shift;
      next_ += shift;
    }
    unsigned __int128 bit = static_cast<unsigned __int128>(1) << (seq - next_);
    if (window_ & bit) {
      ++duplicates_;
      return false;
    }
    window_ |= bit;
    ++unique_;
    if (seq + 1 < end_) ++out_of_order_;
    if (seq + 1 > end_) end_ = seq + 1;
    while (window_ & 1) {  // runs of received numbers leave the window
      window_ >>= 1;
      ++next_;
    }
    return true;
  }

  uint32_t unique() const { return unique_; }
  uint32_t duplicates() const { return duplicates_; }
  // Messages that arrived after a higher number had already arrived.
  uint32_t out_of_order() const { return out_of_order_; }
  // One past the highest number seen.
  uint64_t end() const { return end_; }

 private:
  unsigned __int128 window_ = 0;  // bit i: next_ + i was received
  uint64_t next_ = 0;             // lowest number neither received nor given up on
  uint64_t end_ = 0;
  uint32_t unique_ = 0;
  uint32_t duplicates_ = 0;
  uint32_t out_of_order_ = 0;
};

}  // namespace cable::bench
