#include "server/protocol/history_request.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace cable::server::protocol {

namespace {
using json = nlohmann::json;

Error Invalid(std::string message) {
  return Error{"invalid_history", std::move(message)};
}
}  // namespace

std::vector<StreamHistoryQuery> HistoryRequest::QueriesFor(
    const std::vector<std::string>& subscription_streams) const {
  std::vector<StreamHistoryQuery> out;
  for (const auto& stream : subscription_streams) {
    if (auto it = streams.find(stream); it != streams.end()) {
      out.push_back(StreamHistoryQuery{stream, it->second, 0});
    } else if (since > 0) {
      out.push_back(StreamHistoryQuery{stream, std::nullopt, since});
    }
  }
  return out;
}

Result<HistoryRequest> ParseHistoryRequest(std::string_view text) {
  if (!JsonDepthWithin(text)) return Invalid("history request nests too deep");
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Invalid("history must be a JSON object");
  HistoryRequest out;
  if (auto it = doc.find("since"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return Invalid("history \"since\" must be a non-negative integer (Unix seconds)");
    }
    out.since = it->get<int64_t>();
  }
  if (auto it = doc.find("streams"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return Invalid("history \"streams\" must be an object");
    if (it->size() > kMaxHistoryStreams) {
      return Invalid("history names " + std::to_string(it->size()) + " streams; at most " +
                     std::to_string(kMaxHistoryStreams) + " are accepted");
    }
    for (const auto& [stream, pos] : it->items()) {
      if (!pos.is_object()) return Invalid("history position of a stream must be an object");
      auto offset = pos.find("offset");
      auto epoch = pos.find("epoch");
      if (offset == pos.end() || !offset->is_number_unsigned()) {
        return Invalid("history \"offset\" must be a non-negative integer");
      }
      if (epoch == pos.end() || !epoch->is_string()) {
        return Invalid("history \"epoch\" must be a string");
      }
      out.streams[stream] = StreamPosition{offset->get<uint64_t>(), epoch->get<std::string>()};
    }
  }
  return out;
}

}  // namespace cable::server::protocol
