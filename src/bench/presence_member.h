#pragma once
// What a client of the presence scenario carries: where it is in its
// join / churn cycle and what it has received. Only presence runs allocate
// one, so other clients pay a null pointer; a member is ~140 bytes.

#include <cstdint>

#include "bench/seq_tracker.h"

namespace cable::bench {

struct PresenceMember {
  enum class Phase : uint8_t {
    kConnecting,   // the connect phase (no subscription yet)
    kWaiting,      // welcomed; its turn to subscribe and join has not come
    kSubscribing,  // subscribe sent; joins once it is confirmed
    kJoined,
    kLeft,       // churn by leave: left, joins again after the pause
    kOffline,    // churn by disconnect: dropped, reconnects after the pause
    kRedialing,  // churn by disconnect: the new connection's handshake
    kRejoining,  // churn by disconnect: subscribe carrying presence sent
    kFailed,     // lost before it joined: its subscription or its new connection failed
  };
  Phase phase = Phase::kConnecting;
  bool churns = false;
  // Must see every event of its stream taken from its subscription on
  // (PresenceLedger). Clients that churn by disconnecting are not: they are
  // away for part of the run.
  bool required = false;
  uint32_t epoch = 0;          // rejoins so far; part of the member id
  int64_t subscribed_ns = 0;   // the current subscription's confirmation
  int64_t phase_ns = 0;        // when the current phase began (pauses, timeouts)
  uint32_t own = 0;            // joins and leaves this client has taken
  uint32_t counted = 0;        // required join / leave events received
  uint32_t counted_drops = 0;  // required leaves of dropped members received
  // Action numbers received (PresenceBoard), to tell a duplicate from a new
  // event: joins and leaves, and drops, are numbered apart.
  SeqTracker events, drops;
};

}  // namespace cable::bench
