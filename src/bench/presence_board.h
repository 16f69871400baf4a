#pragma once
// Who did what on presence, and when: shared by every loop of a presence
// run.
//
// A presence event names only the member (its id encodes the client and
// the epoch, presence_wire.h), so the receiver needs the action behind it:
// when it was taken, and its number in its stream's sequence of actions. The
// client's loop writes that here as it sends the command; the receiver's
// loop, whichever it is, reads it. A client keeps the slots of its last
// kEpochs epochs (a join and an end each); an older epoch's slot is reused,
// and a receiver that is that far behind finds nothing (Lookup() false).
//
// Numbers: joins and leaves share one sequence per stream (the server turns
// each into an event at once, so receivers see them roughly in that order);
// drops have their own, since their leave comes a presence TTL later and
// would otherwise land far outside any reordering window (SeqTracker).
//
// Writes are a short seqlock per slot: one writer (the client's loop),
// readers on any loop, no lock. A reader that races a rewrite of the same
// slot sees a torn tag and reports nothing rather than a mixed entry.

#include <atomic>
#include <cstdint>
#include <memory>

namespace cable::bench {

enum class PresenceAction : uint8_t {
  kJoin,   // join (or subscribe carrying presence) sent
  kLeave,  // leave sent
  kDrop,   // connection dropped without leaving: the server's TTL decides
};

class PresenceBoard {
 public:
  static constexpr uint32_t kEpochs = 4;

  PresenceBoard(int clients, int streams);

  struct Entry {
    PresenceAction action = PresenceAction::kJoin;
    int64_t number = 0;  // in the stream's join/leave or drop sequence
    int64_t t_ns = 0;    // when the action was taken (NowNs)
  };

  // The client's loop: records `action` of (client, epoch) taken at `t_ns`
  // and returns its number.
  int64_t Record(int client, int stream, uint32_t epoch, PresenceAction action, int64_t t_ns);

  // Any loop: the join (`join` true) or the end (leave or drop) of (client,
  // epoch); false when it was never recorded or its slot has been reused.
  bool Lookup(int client, uint32_t epoch, bool join, Entry* out) const;

  // Actions taken so far on `stream` (joins and leaves / drops).
  int64_t prompt_actions(int stream) const { return prompt_[stream].load(); }
  int64_t drop_actions(int stream) const { return drops_[stream].load(); }

 private:
  struct Slot {
    // 0: empty or being written; else (epoch << 3) | (action << 1) | 1.
    std::atomic<uint64_t> tag{0};
    std::atomic<int64_t> number{0};
    std::atomic<int64_t> t_ns{0};
  };
  Slot& SlotOf(int client, uint32_t epoch, bool join) const;

  int clients_;
  std::unique_ptr<Slot[]> slots_;  // clients x kEpochs x {join, end}
  std::unique_ptr<std::atomic<int64_t>[]> prompt_, drops_;
};

}  // namespace cable::bench
