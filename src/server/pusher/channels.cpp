#include "server/pusher/channels.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "server/pusher/pusher_settings.h"

namespace cable::server::pusher {

std::string ChannelOf(const std::string& identifier) {
  if (!JsonDepthWithin(identifier)) return {};
  auto doc = nlohmann::json::parse(identifier, nullptr, false);
  if (!doc.is_object()) return {};
  auto channel = doc.find("channel");
  auto stream = doc.find("stream");
  if (channel == doc.end() || !channel->is_string() || *channel != kChannelName) return {};
  if (stream == doc.end() || !stream->is_string()) return {};
  return stream->get<std::string>();
}

LocalSubscription Subscribe(const std::string& identifier, bool presence_kept) {
  LocalSubscription sub;
  sub.stream = ChannelOf(identifier);
  if (sub.stream.empty()) {
    sub.log = "unauthorized or invalid Pusher channel";
    return sub;
  }
  const ChannelKind kind = KindOf(sub.stream);
  if (kind == ChannelKind::kPresence && !presence_kept) {
    sub.log = "presence channels need a broker that keeps presence (--broker memory or redis)";
    return sub;
  }
  sub.whisper = kind != ChannelKind::kPublic;
  sub.presence = kind == ChannelKind::kPresence;
  sub.confirmed = true;
  return sub;
}

}  // namespace cable::server::pusher
