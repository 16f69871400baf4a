#pragma once
// One session's subscriptions (identifier, streams, channel state) and the
// hub entries that follow from them. The two are kept in step here: a
// (stream, identifier) pair is in the worker's hub exactly while some
// subscription of this session lists it, so the hub never needs to check
// for duplicates. Worker-thread only, like the session that owns it.

#include <string>
#include <vector>

#include "server/controller/controller.h"
#include "server/session/framing.h"
#include "server/session/lazy_state.h"

namespace cable::server {

class HubShard;
class Node;
class Session;

struct Subscription {
  std::string identifier;
  std::vector<std::string> streams;
  LazyState istate;
  bool local = false;  // answered by the server itself (signed/public/Turbo streams)
  // A local subscription may whisper (`$w`) and join presence (`$p`) on its
  // one stream. Flags instead of two state entries: at ten thousand idle
  // subscribers the map nodes would cost more than the whole session.
  bool whisper_on_stream = false;
  bool presence_on_stream = false;

  // The streams `$w` and `$p` name, or nullptr.
  const std::string* WhisperStream() const { return Named(whisper_on_stream, "$w"); }
  const std::string* PresenceStream() const { return Named(presence_on_stream, "$p"); }
  // The channel state as the application and snapshots see it, flags included.
  StateMap State() const;

 private:
  const std::string* Named(bool on_stream, const char* key) const;
};

class Subscriptions {
 public:
  // Where hub entries go: the owning session (and its framing), its
  // worker's hub shard, and the node, told when a stream gains its first or
  // loses its last local subscriber (the node-level pub/sub follows).
  struct HubLink {
    Session* session;
    HubShard& hub;
    Node& node;
    Framing framing = Framing::kWebSocket;
  };

  Subscription* Find(const std::string& identifier);
  // The caller has checked that `identifier` is not subscribed yet.
  Subscription& Add(std::string identifier, StateMap istate = {}, bool local = false);
  size_t size() const { return list_.size(); }
  const std::vector<Subscription>& list() const { return list_; }

  void AddStream(const HubLink& link, Subscription& sub, const std::string& stream);
  void RemoveStream(const HubLink& link, Subscription& sub, const std::string& stream);
  void RemoveAllStreams(const HubLink& link, Subscription& sub);
  // Removes the subscription and its hub entries; false if there is none.
  bool Remove(const HubLink& link, const std::string& identifier);
  // Removes every hub entry but keeps the list (a Disconnect call names
  // the subscriptions of a closed session).
  void LeaveHub(const HubLink& link);
  void Clear() { list_.clear(); }

 private:
  std::vector<Subscription> list_;
};

}  // namespace cable::server
