#pragma once
// One worker's index from stream name to the local subscriptions of that
// stream. Touched only by its worker thread, so it takes no locks.
//
// Subscribers of a stream are grouped by channel identifier and framing
// (WebSocket, or an SSE variant): a broadcast is encoded once per group
// (usually there is one) and the frame is shared by every session in it, so
// delivery costs one pass over the subscribers however many identifiers
// they used. A session subscribed to one stream through two identifiers
// gets one message per identifier, as Action Cable does.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/hub/broadcast.h"
#include "server/session/frame_ref.h"
#include "server/session/framing.h"

namespace cable::server {

class Session;

class HubShard {
 public:
  // Adds `session` under `identifier`; `framing` is the session's. The
  // caller guarantees it is not already there (a session tracks its own
  // subscriptions), which keeps a connect storm on one stream linear.
  // Returns true when this is the first local subscriber of `stream` on
  // this shard (the node-level pub/sub may need to subscribe).
  bool Add(const std::string& stream, Session* session, const std::string& identifier,
           Framing framing = Framing::kWebSocket);
  // Returns true when the stream has no subscribers left on this shard.
  bool Remove(const std::string& stream, Session* session, const std::string& identifier,
              Framing framing = Framing::kWebSocket);

  // Queues the broadcast's frame on every subscriber; returns deliveries.
  size_t Deliver(const Broadcast& broadcast);
  // Deliver with its two calls on a session passed in: `sid_of(Session*)`
  // returns the session's sid, `send(Session*, const FrameRef&)` queues a
  // frame. Deliver inlines it with Session::sid and Session::Send; tests
  // pass fakes, as the hub never touches a session otherwise.
  template <typename SidOf, typename Send>
  size_t DeliverVia(const Broadcast& broadcast, SidOf&& sid_of, Send&& send);

  size_t streams() const { return streams_.size(); }
  // The same, readable from any thread (metrics).
  size_t stream_count() const { return stream_count_.load(std::memory_order_relaxed); }
  size_t subscribers(const std::string& stream) const;

 private:
  struct Group {
    std::string identifier;
    Framing framing = Framing::kWebSocket;
    std::vector<Session*> sessions;
  };
  struct GroupKey {
    std::string_view identifier;
    Framing framing;
    bool operator==(const GroupKey&) const = default;
  };
  struct GroupKeyHash {
    size_t operator()(const GroupKey& k) const {
      return std::hash<std::string_view>()(k.identifier) ^ static_cast<size_t>(k.framing);
    }
  };
  struct Subscribers {
    std::vector<Group> groups;
    // Built once a stream has many identifiers, so that finding a group
    // stays constant time for hostile clients that invent thousands.
    std::unique_ptr<std::unordered_map<GroupKey, uint32_t, GroupKeyHash>> index;
    size_t count = 0;

    Group* Find(const std::string& identifier, Framing framing);
    Group& FindOrAdd(const std::string& identifier, Framing framing);
    void Erase(Group& group);
  };

  std::unordered_map<std::string, Subscribers> streams_;
  std::atomic<size_t> stream_count_{0};
};

template <typename SidOf, typename Send>
size_t HubShard::DeliverVia(const Broadcast& broadcast, SidOf&& sid_of, Send&& send) {
  auto it = streams_.find(broadcast.stream);
  if (it == streams_.end()) return 0;
  size_t delivered = 0;
  for (const auto& group : it->second.groups) {
    // Built lazily: a group whose only member is the excluded sender
    // costs nothing.
    FrameRef frame;
    for (Session* session : group.sessions) {
      if (!broadcast.exclude_socket.empty() && sid_of(session) == broadcast.exclude_socket) {
        continue;
      }
      if (!frame) {
        frame = EncodeBroadcast(group.framing, group.identifier, broadcast);
        if (!frame) break;  // not carried by this framing (raw SSE)
      }
      send(session, frame);
      ++delivered;
    }
  }
  return delivered;
}

}  // namespace cable::server
