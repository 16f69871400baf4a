#include "server/session/session_snapshot.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace cable::server {

namespace {
// Subscriptions stay in the order they were made.
using json = nlohmann::ordered_json;

Error Invalid(std::string message) {
  return Error{"invalid_snapshot", std::move(message)};
}

json StateObject(const StateMap& state) {
  json j = json::object();
  for (const auto& [k, v] : state) j[k] = v;
  return j;
}

bool ReadState(const json& j, StateMap& out) {
  if (j.is_null()) return true;
  if (!j.is_object()) return false;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return false;
    out[k] = v.get<std::string>();
  }
  return true;
}
}  // namespace

std::string EncodeSessionSnapshot(const SessionSnapshot& snapshot) {
  json subs = json::object();
  json istate = json::object();
  for (const auto& sub : snapshot.subscriptions) {
    subs[sub.identifier] = sub.streams;
    istate[sub.identifier] = StateObject(sub.State());
  }
  json j = {{"ids", snapshot.identifiers},
            {"subs", std::move(subs)},
            {"cstate", StateObject(snapshot.cstate)},
            {"istate", std::move(istate)},
            {"Disconnectable", snapshot.disconnectable}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SessionSnapshot> DecodeSessionSnapshot(std::string_view text) {
  if (!JsonDepthWithin(text)) return Invalid("snapshot nests too deep");
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Invalid("snapshot is not a JSON object");
  SessionSnapshot out;
  auto ids = doc.find("ids");
  if (ids == doc.end() || !ids->is_string()) return Invalid("snapshot has no \"ids\" string");
  out.identifiers = ids->get<std::string>();
  if (auto c = doc.find("cstate"); c != doc.end() && !ReadState(*c, out.cstate)) {
    return Invalid("snapshot \"cstate\" must map strings to strings");
  }
  if (auto d = doc.find("Disconnectable"); d != doc.end() && d->is_boolean()) {
    out.disconnectable = d->get<bool>();
  }
  const json* istate = nullptr;
  if (auto i = doc.find("istate"); i != doc.end() && i->is_object()) istate = &*i;
  if (auto subs = doc.find("subs"); subs != doc.end() && !subs->is_null()) {
    if (!subs->is_object()) return Invalid("snapshot \"subs\" must be an object");
    for (const auto& [identifier, streams] : subs->items()) {
      Subscription sub;
      sub.identifier = identifier;
      if (!streams.is_null()) {
        if (!streams.is_array()) return Invalid("snapshot streams must be an array");
        for (const auto& s : streams) {
          if (!s.is_string()) return Invalid("snapshot stream names must be strings");
          sub.streams.push_back(s.get<std::string>());
        }
      }
      if (istate) {
        StateMap state;
        if (auto st = istate->find(identifier); st != istate->end() && !ReadState(*st, state)) {
          return Invalid("snapshot \"istate\" must map strings to strings");
        }
        sub.istate = LazyState(std::move(state));
      }
      out.subscriptions.push_back(std::move(sub));
    }
  }
  return out;
}

}  // namespace cable::server
