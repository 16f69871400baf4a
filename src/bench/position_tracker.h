#pragma once
// The stream positions one client has seen (actioncable-v1-ext-json,
// spec §2.1): per stream, its epoch and the offsets of the broadcasts that
// arrived.
//
// In normal running offsets go up by exactly one within an epoch: a jump
// is a gap (messages the server never delivered), an offset at or below
// one already seen is a duplicate delivery, and another epoch means the
// server started its history over.
//
// Around a reconnect the order is not strict. A client that comes back
// asks for what it missed (`history`), and the replay interleaves with
// live messages; one message may arrive both ways (the protocol leaves
// de-duplication to the client). From BeginRecovery() each stream
// remembers which offsets above its last in-order one have arrived (one
// bit per offset, kept only while recovering), so a second copy is
// recognised and dropped. Once the replay has ended (ReplayEnded()), the
// first offset beyond everything recovered returns the stream to strict
// checking and reports the offsets that never came: the messages missed
// across the drop.
//
// Nothing is allocated per message: a client has one entry per stream
// (usually one), made on the stream's first message.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cable::bench {

class PositionTracker {
 public:
  enum class Verdict : uint8_t {
    kFirst,        // the stream's first position: nothing to compare with
    kNext,         // the offset after the previous one
    kGap,          // `skipped` offsets were jumped over
    kDuplicate,    // an offset at or below one already seen
    kEpochChange,  // another epoch: offsets are compared from here on
    kRecovered,    // recovering: an offset that had not arrived yet
    kCopy,         // recovering: a second copy of an offset (drop it)
    kRejoined,     // the first offset past a recovery; `skipped` = offsets it never got
  };
  struct Observation {
    Verdict verdict;
    uint64_t skipped = 0;
  };

  // `stream_id` and `epoch` as they appear in the JSON (escapes kept).
  Observation Observe(std::string_view stream_id, std::string_view epoch, uint64_t offset);

  // A reconnect: every known stream accepts its offsets in any order, once
  // each, until the replay has ended and live messages have moved past it.
  void BeginRecovery();
  // confirm_history or reject_history arrived: nothing more is replayed.
  void ReplayEnded();
  // Ends every recovery still open (the run is over); returns the offsets
  // below the highest recovered one that never arrived.
  uint64_t Settle();

  bool empty() const { return streams_.empty(); }
  // The `history` object of a history request: the last position of every
  // stream, or `{"since":<since_unix_s>}` when no position is known yet.
  void AppendHistoryRequest(std::string& out, int64_t since_unix_s) const;

 private:
  struct Stream {
    std::string id, epoch;
    uint64_t last = 0;  // the highest offset in order (recovering: where it began)
    bool recovering = false;
    bool replay_ended = false;
    uint64_t high = 0;          // recovering: the highest offset received
    uint64_t recovered = 0;     // recovering: distinct offsets received above `last`
    std::vector<uint64_t> got;  // recovering: bit i = offset last + 1 + i arrived
  };
  Stream* Find(std::string_view id);
  static Observation Recover(Stream& s, uint64_t offset);
  // Back to strict checking at `last`; returns the offsets never recovered.
  static uint64_t EndRecovery(Stream& s, uint64_t last);

  std::vector<Stream> streams_;
};

}  // namespace cable::bench
