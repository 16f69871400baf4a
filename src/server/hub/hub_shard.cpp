#include "server/hub/hub_shard.h"

#include "server/session/session.h"

namespace cable::server {

namespace {
// Below this many identifiers on one stream a linear scan beats hashing.
constexpr size_t kIndexThreshold = 8;
}  // namespace

HubShard::Group* HubShard::Subscribers::Find(const std::string& identifier, Framing framing) {
  if (index) {
    auto it = index->find(GroupKey{identifier, framing});
    return it == index->end() ? nullptr : &groups[it->second];
  }
  for (auto& g : groups) {
    if (g.framing == framing && g.identifier == identifier) return &g;
  }
  return nullptr;
}

HubShard::Group& HubShard::Subscribers::FindOrAdd(const std::string& identifier, Framing framing) {
  if (Group* g = Find(identifier, framing)) return *g;
  // Keys of the index point into the groups' strings, so growing the
  // vector (which moves them; short strings live inline) rebuilds it.
  const bool moves = groups.size() == groups.capacity();
  groups.push_back(Group{identifier, framing, {}});
  if (groups.size() > kIndexThreshold) {
    if (!index || moves) {
      index = std::make_unique<std::unordered_map<GroupKey, uint32_t, GroupKeyHash>>();
      index->reserve(groups.capacity());
      for (uint32_t i = 0; i < groups.size(); ++i) {
        index->emplace(GroupKey{groups[i].identifier, groups[i].framing}, i);
      }
    } else {
      index->emplace(GroupKey{groups.back().identifier, framing},
                     static_cast<uint32_t>(groups.size() - 1));
    }
  }
  return groups.back();
}

void HubShard::Subscribers::Erase(Group& group) {
  const auto pos = static_cast<uint32_t>(&group - groups.data());
  const uint32_t last = static_cast<uint32_t>(groups.size() - 1);
  if (index) index->erase(GroupKey{group.identifier, group.framing});
  if (pos != last) {
    if (index) index->erase(GroupKey{groups[last].identifier, groups[last].framing});
    groups[pos] = std::move(groups[last]);
    if (index) index->emplace(GroupKey{groups[pos].identifier, groups[pos].framing}, pos);
  }
  groups.pop_back();
  if (groups.size() <= kIndexThreshold / 2) index.reset();
}

bool HubShard::Add(const std::string& stream, Session* session, const std::string& identifier,
                   Framing framing) {
  auto& subs = streams_[stream];
  subs.FindOrAdd(identifier, framing).sessions.push_back(session);
  ++subs.count;
  stream_count_.store(streams_.size(), std::memory_order_relaxed);
  return subs.count == 1;
}

bool HubShard::Remove(const std::string& stream, Session* session, const std::string& identifier,
                      Framing framing) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return false;
  auto& subs = it->second;
  Group* group = subs.Find(identifier, framing);
  if (group == nullptr) return false;
  auto& sessions = group->sessions;
  // Order among subscribers carries no meaning, so removal swaps with the
  // last entry; scanning from the back finds recent subscribers first.
  for (size_t i = sessions.size(); i-- > 0;) {
    if (sessions[i] == session) {
      sessions[i] = sessions.back();
      sessions.pop_back();
      --subs.count;
      break;
    }
  }
  if (sessions.empty()) subs.Erase(*group);
  if (subs.count == 0) {
    streams_.erase(it);
    stream_count_.store(streams_.size(), std::memory_order_relaxed);
    return true;
  }
  return false;
}

size_t HubShard::Deliver(const Broadcast& broadcast) {
  return DeliverVia(
      broadcast, [](Session* session) -> const std::string& { return session->sid(); },
      [](Session* session, const FrameRef& frame) { session->Send(frame); });
}

size_t HubShard::subscribers(const std::string& stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.count;
}

}  // namespace cable::server
