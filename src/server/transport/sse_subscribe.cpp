#include "server/transport/sse_subscribe.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "common/strings.h"
#include "server/protocol/sse_event.h"
#include "server/transport/request_info.h"

namespace cable::server {

namespace {

Error BadRequest(std::string message) {
  return Error{"bad_request", std::move(message)};
}

// Identifiers as anycable-go builds them (its JSON of a map: keys sorted).
std::string IdentifierJson(std::initializer_list<std::pair<const char*, std::string>> fields) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : fields) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IdentifierFromQuery(const QueryParams& query) {
  if (std::string id = QueryValue(query, "identifier"); !id.empty()) return id;
  if (std::string channel = QueryValue(query, "channel"); !channel.empty()) {
    return IdentifierJson({{"channel", channel}});
  }
  if (std::string stream = QueryValue(query, "stream"); !stream.empty()) {
    return IdentifierJson({{"channel", "$pubsub"}, {"stream_name", stream}});
  }
  if (std::string signed_stream = QueryValue(query, "signed_stream"); !signed_stream.empty()) {
    return IdentifierJson({{"channel", "$pubsub"}, {"signed_stream_name", signed_stream}});
  }
  if (std::string turbo = QueryValue(query, "turbo_signed_stream_name"); !turbo.empty()) {
    return IdentifierJson({{"channel", "Turbo::StreamsChannel"}, {"signed_stream_name", turbo}});
  }
  return {};
}

}  // namespace

Result<protocol::ClientCommand> SseSubscribeFromQuery(const QueryParams& query,
                                                      std::string_view last_event_id) {
  protocol::ClientCommand cmd;
  cmd.type = protocol::CommandType::kSubscribe;
  cmd.identifier = IdentifierFromQuery(query);
  if (cmd.identifier.empty()) {
    return Error{"no_subscription",
                 "nothing to subscribe to: give identifier, channel, stream, signed_stream or "
                 "turbo_signed_stream_name"};
  }
  nlohmann::json history = nlohmann::json::object();
  if (!last_event_id.empty()) {
    protocol::LastEventId id;
    bool bad_offset = false;
    if (protocol::ParseLastEventId(last_event_id, &id, &bad_offset)) {
      history["streams"][id.stream] = {{"offset", id.offset}, {"epoch", id.epoch}};
    } else if (bad_offset) {
      return BadRequest("Last-Event-ID: the offset before the first / is not a number");
    }
  }
  if (std::string since = QueryValue(query, "history_since"); !since.empty()) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(since.data(), since.data() + since.size(), value);
    if (ec != std::errc() || end != since.data() + since.size()) {
      return BadRequest("history_since must be Unix seconds");
    }
    if (value != 0) history["since"] = value;
  }
  if (!history.empty()) {
    cmd.history = history.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return cmd;
}

Result<std::vector<protocol::ClientCommand>> SseSubscribesFromBody(std::string_view body) {
  std::vector<protocol::ClientCommand> commands;
  std::unordered_set<std::string> seen;
  size_t line_no = 0;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view line = Trim(body.substr(0, nl));
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (commands.size() == kSseMaxCommands) {
      return BadRequest("more than " + std::to_string(kSseMaxCommands) + " commands");
    }
    auto parsed = protocol::ParseClientCommand(line);
    if (!parsed.ok()) {
      return BadRequest("line " + std::to_string(line_no) + ": " + parsed.error().message);
    }
    if (parsed->type != protocol::CommandType::kSubscribe) {
      return BadRequest("line " + std::to_string(line_no) + ": only subscribe commands are taken");
    }
    if (!seen.insert(parsed->identifier).second) {
      return BadRequest("line " + std::to_string(line_no) + ": identifier subscribed twice");
    }
    commands.push_back(std::move(parsed.value()));
  }
  return commands;
}

bool SseRawParam(std::string_view value) {
  const std::string v = Lower(value);
  return v == "1" || v == "true" || v == "t" || v == "y";
}

}  // namespace cable::server
