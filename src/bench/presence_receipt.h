#pragma once
// The accounting of one presence event a member receives: whose action it
// reports, whether it is new to this member, whether the member had to get
// it, and how long after the action it arrived. Pure bookkeeping on the
// member and the board, so the rules are unit-tested apart from sockets.

#include <cstdint>
#include <string_view>

#include "bench/presence_board.h"
#include "bench/presence_member.h"

namespace cable::bench {

struct ScannedMessage;

enum class ReceiptVerdict : uint8_t {
  kCounted,     // new, and required: counts toward the member's expected events
  kBonus,       // new, but not required (before its subscription, or a churner by disconnect)
  kOwn,         // about the receiver's own member id
  kDuplicate,   // this member already received the event
  kUnknown,     // this run's id, but no such action (never taken, another stream, or long past)
  kForeign,     // another run's member
  kInvalid,     // this run's tag on an id this run never makes
  kNotAnEvent,  // not a join or leave (info, error, ...)
};

struct Receipt {
  ReceiptVerdict verdict = ReceiptVerdict::kNotAnEvent;
  PresenceAction action = PresenceAction::kJoin;  // kCounted / kBonus: what was reported
  int64_t latency_ns = 0;                         // kCounted / kBonus: action -> now
  bool info_ok = true;                            // a join's info names its client ({"n":<client>})
};

// `self` is the receiving client; clients are spread over `streams`
// round-robin (Plan::StreamOf), so an event about a client of another
// stream is kUnknown.
Receipt AccountPresenceEvent(PresenceMember& me, int self, int streams, const PresenceBoard& board,
                             std::string_view tag, const ScannedMessage& m, int64_t now_ns);

}  // namespace cable::bench
