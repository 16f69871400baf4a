#pragma once
// One worker's index from stream name to the local subscriptions of that
// stream. Touched only by its worker thread, so it takes no locks.
//
// A broadcast is encoded once per distinct channel identifier (usually one
// per stream) and the resulting frame is shared by every subscriber. A
// session subscribed to one stream through two identifiers gets one message
// per identifier, as Action Cable does.

#include <atomic>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/hub/broadcast.h"

namespace cable::server {

class Session;

class HubShard {
 public:
  // Returns true when this is the first local subscriber of `stream` on this
  // shard (the node-level pub/sub may need to subscribe).
  bool Add(const std::string& stream, Session* session, const std::string& identifier);
  // Returns true when the stream has no subscribers left on this shard.
  bool Remove(const std::string& stream, Session* session, const std::string& identifier);

  // Queues the broadcast's frame on every subscriber; returns deliveries.
  size_t Deliver(const Broadcast& broadcast);

  size_t streams() const { return streams_.size(); }
  // The same, readable from any thread (metrics).
  size_t stream_count() const { return stream_count_.load(std::memory_order_relaxed); }
  size_t subscribers(const std::string& stream) const;

 private:
  struct Subscriber {
    Session* session;
    std::string identifier;
  };
  std::unordered_map<std::string, std::vector<Subscriber>> streams_;
  std::atomic<size_t> stream_count_{0};
};

}  // namespace cable::server
