#include "server/session/subscriptions.h"

#include <algorithm>

#include "server/hub/hub_shard.h"
#include "server/node.h"

namespace cable::server {

namespace {
void LeaveStream(const Subscriptions::HubLink& link, const std::string& stream,
                 const std::string& identifier) {
  if (link.hub.Remove(stream, link.session, identifier, link.framing)) {
    link.node.StreamDeactivated(stream);
  }
}
}  // namespace

Subscription* Subscriptions::Find(const std::string& identifier) {
  for (auto& s : list_) {
    if (s.identifier == identifier) return &s;
  }
  return nullptr;
}

Subscription& Subscriptions::Add(std::string identifier, StateMap istate, bool local) {
  list_.push_back(Subscription{std::move(identifier), {}, LazyState(std::move(istate)), local});
  return list_.back();
}

void Subscriptions::AddStream(const HubLink& link, Subscription& sub, const std::string& stream) {
  if (std::find(sub.streams.begin(), sub.streams.end(), stream) != sub.streams.end()) return;
  sub.streams.push_back(stream);
  if (link.hub.Add(stream, link.session, sub.identifier, link.framing)) {
    link.node.StreamActivated(stream);
  }
}

void Subscriptions::RemoveStream(const HubLink& link, Subscription& sub,
                                 const std::string& stream) {
  auto it = std::find(sub.streams.begin(), sub.streams.end(), stream);
  if (it == sub.streams.end()) return;
  LeaveStream(link, stream, sub.identifier);
  sub.streams.erase(it);
}

void Subscriptions::RemoveAllStreams(const HubLink& link, Subscription& sub) {
  for (const auto& s : sub.streams) LeaveStream(link, s, sub.identifier);
  sub.streams.clear();
}

bool Subscriptions::Remove(const HubLink& link, const std::string& identifier) {
  auto it = std::find_if(list_.begin(), list_.end(),
                         [&](const Subscription& s) { return s.identifier == identifier; });
  if (it == list_.end()) return false;
  RemoveAllStreams(link, *it);
  list_.erase(it);
  return true;
}

void Subscriptions::LeaveHub(const HubLink& link) {
  for (auto& sub : list_) {
    for (const auto& s : sub.streams) LeaveStream(link, s, sub.identifier);
  }
}

}  // namespace cable::server
