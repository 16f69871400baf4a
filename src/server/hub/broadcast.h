#pragma once
// A broadcast accepted by one of the ingress adapters, on its way to every
// worker's hub. Immutable once built and shared across threads.

#include <cstdint>
#include <memory>
#include <string>

#include "server/protocol/messages.h"

namespace cable::server {

struct Broadcast {
  std::string stream;
  std::string data;
  bool data_is_json = false;   // checked once per broadcast, not per subscriber
  std::string exclude_socket;  // sid that must not receive it
  // Not stored by the broker and carrying no position (meta.transient,
  // whispers).
  bool transient = false;
  // Set by the broker (spec §2.1); offset 0 means "no position".
  uint64_t offset = 0;
  std::string epoch;
  // The client message's `type` (meta.broadcast_type; `presence` for
  // presence events); empty for plain broadcasts, which have none.
  std::string type;
};

using BroadcastPtr = std::shared_ptr<const Broadcast>;

// Mutable until shared: callers set what else the broadcast carries
// (transient, a position) before handing it on as a BroadcastPtr.
std::shared_ptr<Broadcast> MakeBroadcast(std::string stream, std::string data,
                                         std::string exclude_socket = {});
// The position fields a client message carries for `broadcast` (none when
// it has no epoch).
inline protocol::Position PositionOf(const Broadcast& broadcast) {
  return {broadcast.stream, broadcast.epoch, broadcast.offset};
}
// A copy of `broadcast` at the given position.
BroadcastPtr WithPosition(const Broadcast& broadcast, uint64_t offset, std::string epoch);

}  // namespace cable::server
