#include "rpc/state_codec.h"

#include "rpc/limits.h"

namespace cable::rpc {

Json DecodeStateValue(std::string_view wire) {
  if (wire.empty()) return Json(std::string());
  auto parsed = ParseJson(wire, limits::kMaxStateBytes);
  if (parsed.ok()) return std::move(*parsed);
  return Json(std::string(wire));
}

namespace {
std::string WireValue(const std::string& key, const Json& value) {
  const bool server_key = !key.empty() && key[0] == '$';
  return server_key && value.is_string() ? value.get<std::string>() : DumpJson(value);
}
}  // namespace

std::map<std::string, std::string> StateDiff(const Json& before, const Json& after) {
  std::map<std::string, std::string> diff;
  for (auto it = after.begin(); it != after.end(); ++it) {
    auto old = before.find(it.key());
    if (old == before.end() || *old != it.value()) diff[it.key()] = WireValue(it.key(), it.value());
  }
  for (auto it = before.begin(); it != before.end(); ++it) {
    if (!after.contains(it.key())) diff[it.key()] = "";
  }
  return diff;
}

Result<Json> DecodeStateObject(std::string_view wire) {
  auto parsed = ParseJson(wire, limits::kMaxStateBytes);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object()) return Error{"invalid_state", "is not a JSON object"};
  if (parsed->size() > limits::kMaxStateKeys) {
    return Error{"invalid_state",
                 "has more than " + std::to_string(limits::kMaxStateKeys) + " keys"};
  }
  Json out = Json::object();
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    // anycable-go sends map<string,string>; other servers might inline values.
    out[it.key()] = it.value().is_string()
                        ? DecodeStateValue(it.value().get_ref<const std::string&>())
                        : it.value();
  }
  return out;
}

}  // namespace cable::rpc
