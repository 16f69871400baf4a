#include "conformance/features.h"

namespace cable::conformance {

const std::vector<FeatureInfo>& KnownFeatures() {
  static const std::vector<FeatureInfo> kFeatures = {
      {"rpc", "connections and channels handled by an RPC backend (cable rpc)"},
      {"ping", "server pings with increasing integer timestamps"},
      {"ping_params", "per-connection ping interval (pi) and timestamp precision (ptp)"},
      {"broadcast", "broadcasts reach the subscribers of a stream"},
      {"broadcast_batch", "a JSON array of publications in one broadcast"},
      {"broadcast_auth", "HTTP broadcasts require the bearer key"},
      {"exclude_socket", "meta.exclude_socket skips one session"},
      {"remote_disconnect", "a remote disconnect closes the sessions with those identifiers"},
      {"remote_disconnect_reason",
       "a remote disconnect sends disconnect/remote (with its reconnect flag) before the close"},
      {"server_restart", "graceful shutdown sends disconnect/server_restart"},
      {"channel_state", "channel state (istate) kept between commands and on disconnect"},
      {"jwt", "JWT identification (token in query, header or subprotocol)"},
      {"jwt_enforced", "connections without a token are rejected"},
      {"signed_streams", "$pubsub with signed stream names"},
      {"public_streams", "$pubsub with plain stream names"},
      {"turbo", "Turbo::StreamsChannel with signed stream names"},
      {"whisper", "client-to-client whispers on public streams"},
      {"history", "stream history and the history command (extended protocol)"},
      {"session_restore",
       "reconnecting with a previous sid restores the session (extended protocol)"},
      {"ext_protocol", "the actioncable-v1-ext-json subprotocol (sid, pong)"},
      {"presence", "join, leave and presence queries on a presence stream (a broker)"},
      {"presence_unavailable",
       "no presence-capable broker: presence queries answer the error shape"},
      {"rest_api", "the REST API: POST /api/publish, GET /api/presence/<stream>/users"},
      {"rest_api_cors", "the REST API answers CORS preflights on publish"},
      {"malformed_input", "bad frames and commands are survived"},
      {"max_message_size", "a client message over 64 KiB closes the connection with 1009"},
      {"unmasked_frame_close", "an unmasked client frame closes the connection with 1002"},
      {"slow_clients", "a client that does not read is disconnected as too slow"},
      {"http", "broadcasts through HTTP POST /_broadcast"},
      {"redis", "broadcasts through Redis pub/sub"},
      {"redisx", "broadcasts through Redis Streams"},
      {"nats", "broadcasts through NATS"},
  };
  return kFeatures;
}

bool IsKnownFeature(std::string_view name) {
  for (const auto& f : KnownFeatures())
    if (f.name == name) return true;
  return false;
}

std::string KnownFeatureList() {
  std::string out;
  for (const auto& f : KnownFeatures()) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

Result<std::set<std::string>> ParseFeatureList(std::string_view spec) {
  // Only changes ("+a,-b"): they apply to everything; a list that names
  // features ("anyt,-ping") starts from nothing.
  bool only_changes = true;
  for (const auto& item : SplitFeatureSpec(spec))
    only_changes = only_changes && (item[0] == '+' || item[0] == '-');
  std::set<std::string> base;
  if (only_changes)
    for (const auto& f : KnownFeatures()) base.emplace(f.name);
  return ApplyFeatureList(std::move(base), spec);
}

std::vector<std::string> SplitFeatureSpec(std::string_view spec) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string item(spec.substr(pos, comma == std::string_view::npos ? spec.npos : comma - pos));
    pos = comma == std::string_view::npos ? spec.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

Result<std::set<std::string>> ApplyFeatureList(std::set<std::string> base, std::string_view spec) {
  static const std::vector<std::string> kAnyt = {"rpc",
                                                 "ping",
                                                 "broadcast",
                                                 "remote_disconnect",
                                                 "remote_disconnect_reason",
                                                 "server_restart",
                                                 "channel_state"};
  std::set<std::string> out = std::move(base);
  for (std::string item : SplitFeatureSpec(spec)) {
    bool remove = item[0] == '-';
    if (remove || item[0] == '+') item.erase(0, 1);
    std::vector<std::string> names;
    if (item == "all") {
      for (const auto& f : KnownFeatures()) names.emplace_back(f.name);
    } else if (item == "anyt") {
      names = kAnyt;
    } else if (IsKnownFeature(item)) {
      names.push_back(item);
    } else {
      return Error{"unknown_feature", "unknown feature \"" + item.substr(0, 64) +
                                          "\"; expected all, anyt or one of " + KnownFeatureList()};
    }
    for (auto& n : names) {
      if (remove)
        out.erase(n);
      else
        out.insert(n);
    }
  }
  return out;
}

}  // namespace cable::conformance
