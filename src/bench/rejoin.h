#pragma once
// What a client of the reconnect scenario (--reconnect) carries across its
// drop. Only those clients have one, so the others pay a null pointer.

#include <cstdint>
#include <string>
#include <vector>

namespace cable::bench {

struct Rejoin {
  enum class Phase : uint8_t {
    kPlanned,       // connected as usual; will drop
    kOffline,       // dropped, waiting to come back
    kReconnecting,  // handshake of the new connection under way
    kRecovering,    // welcomed again; the missed messages are being replayed
    kDone,          // the replay ended (confirm_history or reject_history)
    kFailed,        // the new connection never became ready
  };
  Phase phase = Phase::kPlanned;
  bool restored = false;     // the server restored the session and its subscription
  std::string sid;           // from the latest welcome: the session to restore
  int64_t reconnect_ns = 0;  // when the new TCP connect started
  // When the history request left: the `history` command of a restored
  // session, or the `subscribe` carrying it.
  int64_t history_sent_ns = 0;
  // Sequence numbers received while recovering: counted (in order) once the
  // replay ends, since replay and live messages arrive interleaved.
  std::vector<int64_t> held;
};

}  // namespace cable::bench
