#include "server/controller/grpc_active_conns.h"

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cable::server {
namespace {

// Bounds the walk over channelz pages (each holds up to 100 channels).
constexpr int kMaxPages = 16;

nlohmann::json TakeJson(char* text) {
  if (text == nullptr) return nlohmann::json();
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  gpr_free(text);
  return parsed;
}

// channelz ids are int64 written as JSON strings.
intptr_t IdOf(const nlohmann::json& ref, const char* field) {
  if (!ref.is_object() || !ref.contains(field)) return 0;
  const auto& id = ref[field];
  try {
    if (id.is_string()) return static_cast<intptr_t>(std::stoll(id.get<std::string>()));
    if (id.is_number_integer()) return static_cast<intptr_t>(id.get<int64_t>());
  } catch (...) {
  }
  return 0;
}

std::string StateOf(const nlohmann::json& entity) {
  const auto data = entity.value("data", nlohmann::json::object());
  const auto state =
      data.is_object() ? data.value("state", nlohmann::json::object()) : nlohmann::json::object();
  return state.is_object() ? state.value("state", std::string()) : std::string();
}

}  // namespace

int CountReadyGrpcConnections(const std::string& target) {
  std::vector<intptr_t> subchannels;
  intptr_t start = 0;
  for (int page = 0; page < kMaxPages; ++page) {
    const auto top = TakeJson(grpc_channelz_get_top_channels(start));
    if (!top.is_object()) break;
    const auto channels = top.value("channel", nlohmann::json::array());
    intptr_t last = start;
    for (const auto& channel : channels) {
      if (!channel.is_object()) continue;
      last = std::max(last, IdOf(channel.value("ref", nlohmann::json()), "channelId"));
      const auto data = channel.value("data", nlohmann::json::object());
      if (!data.is_object() || data.value("target", std::string()) != target) continue;
      for (const auto& ref : channel.value("subchannelRef", nlohmann::json::array())) {
        if (intptr_t id = IdOf(ref, "subchannelId"); id != 0) subchannels.push_back(id);
      }
    }
    if (top.value("end", false) || channels.empty()) break;
    start = last + 1;
  }
  int ready = 0;
  for (intptr_t id : subchannels) {
    const auto sub = TakeJson(grpc_channelz_get_subchannel(id));
    if (sub.is_object() && StateOf(sub.value("subchannel", nlohmann::json())) == "READY") {
      ++ready;
    }
  }
  return ready;
}

}  // namespace cable::server
