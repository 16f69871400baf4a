#include "server/hub/hub_shard.h"

#include "server/protocol/messages.h"
#include "server/session/session.h"
#include "server/transport/ws_frame.h"

namespace cable::server {

bool HubShard::Add(const std::string& stream, Session* session, const std::string& identifier) {
  auto& subs = streams_[stream];
  for (const auto& s : subs) {
    if (s.session == session && s.identifier == identifier) return false;
  }
  subs.push_back({session, identifier});
  stream_count_.store(streams_.size(), std::memory_order_relaxed);
  return subs.size() == 1;
}

bool HubShard::Remove(const std::string& stream, Session* session, const std::string& identifier) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return false;
  auto& subs = it->second;
  // Order among subscribers carries no meaning, so removal swaps with the
  // last entry; scanning from the back finds recent subscribers first.
  for (size_t i = subs.size(); i-- > 0;) {
    if (subs[i].session == session && subs[i].identifier == identifier) {
      subs[i] = std::move(subs.back());
      subs.pop_back();
      break;
    }
  }
  if (subs.empty()) {
    streams_.erase(it);
    stream_count_.store(streams_.size(), std::memory_order_relaxed);
    return true;
  }
  return false;
}

size_t HubShard::Deliver(const Broadcast& broadcast) {
  auto it = streams_.find(broadcast.stream);
  if (it == streams_.end()) return 0;
  // Frames built for this broadcast, one per identifier seen. Almost always
  // a single entry, so a linear scan beats hashing.
  std::vector<std::pair<const std::string*, FrameRef>> frames;
  size_t delivered = 0;
  for (const auto& sub : it->second) {
    if (!broadcast.exclude_socket.empty() && sub.session->sid() == broadcast.exclude_socket) {
      continue;
    }
    const FrameRef* frame = nullptr;
    for (auto& [id, f] : frames) {
      if (*id == sub.identifier) {
        frame = &f;
        break;
      }
    }
    if (!frame) {
      std::string json =
          protocol::BroadcastMessage(sub.identifier, broadcast.data, broadcast.data_is_json);
      frames.emplace_back(&sub.identifier,
                          FrameRef::Make(ws::EncodeFrame(ws::Opcode::kText, json)));
      frame = &frames.back().second;
    }
    sub.session->Send(*frame);
    ++delivered;
  }
  return delivered;
}

size_t HubShard::subscribers(const std::string& stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.size();
}

}  // namespace cable::server
