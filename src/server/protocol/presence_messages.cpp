#include "server/protocol/presence_messages.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "server/protocol/json_writer.h"

namespace cable::server::protocol {

namespace {
using json = nlohmann::json;

Error Invalid(std::string message) {
  return Error{"invalid_presence", std::move(message)};
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status CheckId(const std::string& id) {
  if (id.empty()) return Invalid("presence \"id\" is empty");
  if (id.size() > kMaxPresenceId) {
    return Invalid("presence \"id\" is longer than " + std::to_string(kMaxPresenceId) + " bytes");
  }
  return Status::Ok();
}

Status CheckInfo(const std::string& info) {
  if (info.size() > kMaxPresenceInfo) {
    return Invalid("presence \"info\" is larger than " + std::to_string(kMaxPresenceInfo) +
                   " bytes");
  }
  return Status::Ok();
}
}  // namespace

Result<PresenceMember> ParsePresenceMember(std::string_view text) {
  if (!JsonDepthWithin(text)) return Invalid("presence nests too deep");
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Invalid("presence must be a JSON object");
  PresenceMember member;
  auto id = doc.find("id");
  if (id == doc.end() || id->is_null()) return Invalid("presence needs an \"id\"");
  if (id->is_string()) {
    member.id = id->get<std::string>();
  } else if (id->is_number_integer()) {
    member.id = Dump(*id);
  } else {
    return Invalid("presence \"id\" must be a string");
  }
  if (auto s = CheckId(member.id); !s.ok()) return s.error();
  if (auto info = doc.find("info"); info != doc.end() && !info->is_null()) {
    member.info = Dump(*info);
  }
  if (auto s = CheckInfo(member.info); !s.ok()) return s.error();
  return member;
}

Result<PresenceMember> PresenceMemberFromRpc(std::string id, std::string_view info) {
  PresenceMember member{std::move(id), {}};
  if (auto s = CheckId(member.id); !s.ok()) return s.error();
  if (!info.empty()) {
    json doc = JsonDepthWithin(info) ? json::parse(info.begin(), info.end(), nullptr, false)
                                     : json(json::value_t::discarded);
    member.info = doc.is_discarded() ? Dump(json(std::string(info))) : Dump(doc);
  }
  if (auto s = CheckInfo(member.info); !s.ok()) return s.error();
  return member;
}

bool PresenceQueryOmitsRecords(std::string_view data) {
  if (data.empty() || !JsonDepthWithin(data)) return false;
  json doc = json::parse(data.begin(), data.end(), nullptr, false);
  if (!doc.is_object()) return false;
  auto it = doc.find("return_records");
  return it != doc.end() && it->is_boolean() && !it->get<bool>();
}

std::string PresenceEventData(const PresenceEvent& event) {
  std::string out;
  out.reserve(event.id.size() + event.info.size() + 40);
  if (event.kind == PresenceEvent::Kind::kJoin) {
    out += R"({"type":"join")";
    if (!event.info.empty()) {
      out += R"(,"info":)";
      out += event.info;
    }
  } else {
    out += R"({"type":"leave")";
  }
  out += R"(,"id":)";
  AppendJsonString(out, event.id);
  out += '}';
  return out;
}

std::string PresenceInfoJson(const PresenceList& list, bool with_records) {
  std::string out = R"({"type":"info","total":)";
  out += std::to_string(list.records.size());
  if (with_records && !list.records.empty()) {
    out += R"(,"records":[)";
    bool first = true;
    for (const auto& r : list.records) {
      if (!first) out += ',';
      first = false;
      out += '{';
      if (!r.info.empty()) {
        out += R"("info":)";
        out += r.info;
        out += ',';
      }
      out += R"("id":)";
      AppendJsonString(out, r.id);
      out += '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string PresenceReply(std::string_view identifier, std::string_view info_json) {
  std::string out = R"({"type":"presence","identifier":)";
  AppendJsonString(out, identifier);
  out += R"(,"message":)";
  out += info_json;
  out += '}';
  return out;
}

std::string PresenceErrorReply(std::string_view identifier) {
  return PresenceReply(identifier, R"({"type":"error","total":0})");
}

}  // namespace cable::server::protocol
