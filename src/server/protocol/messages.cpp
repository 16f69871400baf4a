#include "server/protocol/messages.h"

#include <nlohmann/json.hpp>

#include "server/protocol/json_writer.h"

namespace cable::server::protocol {

std::string Welcome(std::string_view sid) {
  std::string out = R"({"type":"welcome")";
  if (!sid.empty()) {
    out += R"(,"sid":)";
    AppendJsonString(out, sid);
  }
  out += '}';
  return out;
}

std::string WelcomeRestored(std::string_view sid, const std::vector<std::string>& restored_ids) {
  std::string out = R"({"type":"welcome","sid":)";
  AppendJsonString(out, sid);
  out += R"(,"restored":true)";
  if (!restored_ids.empty()) {
    out += R"(,"restored_ids":[)";
    for (size_t i = 0; i < restored_ids.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(out, restored_ids[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string Ping(int64_t timestamp) {
  return R"({"type":"ping","message":)" + std::to_string(timestamp) + "}";
}

std::string Pong() {
  return R"({"type":"pong"})";
}

std::string Disconnect(std::string_view reason, bool reconnect) {
  std::string out = R"({"type":"disconnect","reason":)";
  AppendJsonString(out, reason);
  out += reconnect ? R"(,"reconnect":true})" : R"(,"reconnect":false})";
  return out;
}

namespace {
std::string SubscriptionReply(std::string_view type, std::string_view identifier) {
  std::string out = R"({"type":")";
  out += type;
  out += R"(","identifier":)";
  AppendJsonString(out, identifier);
  out += '}';
  return out;
}
}  // namespace

std::string ConfirmSubscription(std::string_view identifier) {
  return SubscriptionReply("confirm_subscription", identifier);
}

std::string RejectSubscription(std::string_view identifier) {
  return SubscriptionReply("reject_subscription", identifier);
}

std::string ConfirmHistory(std::string_view identifier) {
  return SubscriptionReply("confirm_history", identifier);
}

std::string RejectHistory(std::string_view identifier) {
  return SubscriptionReply("reject_history", identifier);
}

std::string BroadcastMessage(std::string_view identifier, std::string_view data, bool data_is_json,
                             const Position& position, std::string_view type) {
  std::string out;
  out.reserve(
      identifier.size() + data.size() + 32 + type.size() +
      (position.epoch.empty() ? 0 : position.stream_id.size() + position.epoch.size() + 64));
  if (type.empty()) {
    out += R"({"identifier":)";
  } else {
    out += R"({"type":)";
    AppendJsonString(out, type);
    out += R"(,"identifier":)";
  }
  AppendJsonString(out, identifier);
  out += R"(,"message":)";
  if (data_is_json) {
    out += data;
  } else {
    AppendJsonString(out, data);
  }
  if (!position.epoch.empty()) {
    out += R"(,"stream_id":)";
    AppendJsonString(out, position.stream_id);
    out += R"(,"epoch":)";
    AppendJsonString(out, position.epoch);
    if (position.offset > 0) {
      out += R"(,"offset":)";
      out += std::to_string(position.offset);
    }
  }
  out += '}';
  return out;
}

bool IsEmbeddableJson(std::string_view data) {
  if (data.empty()) return false;
  // nlohmann's parser stops at a NUL byte and skips a leading UTF-8 BOM;
  // neither may be copied into the middle of a message.
  if (data.find('\0') != std::string_view::npos || data.starts_with("\xEF\xBB\xBF")) return false;
  if (!nlohmann::json::accept(data.begin(), data.end())) return false;
  // `null` (possibly padded with whitespace) is sent as the string "null".
  size_t b = data.find_first_not_of(" \t\r\n");
  size_t e = data.find_last_not_of(" \t\r\n");
  return data.substr(b, e - b + 1) != "null";
}

}  // namespace cable::server::protocol
