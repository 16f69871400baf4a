#include "common/broadcast/input.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace cable::broadcast {
namespace {

// ordered_json keeps the author's key order: a message re-serialised by us
// reads the same as the one that was typed.
using Json = nlohmann::ordered_json;

std::string Compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> Parse(std::string_view text) {
  if (!JsonDepthWithin(text)) {
    return Error{"invalid_json",
                 "invalid JSON: nests deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // nlohmann's messages start with "[json.exception.parse_error.101] ";
    // the part after it is the useful sentence.
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return Error{"invalid_json", "invalid JSON: " + what};
  }
}

Result<Publication> FromEnvelope(const Json& obj, const LineDefaults& defaults) {
  Publication p;
  p.exclude_socket = defaults.exclude_socket;
  p.transient = defaults.transient;
  for (const auto& [key, value] : obj.items()) {
    if (key == "stream") {
      p.stream = value.get<std::string>();
    } else if (key == "data") {
      p.data = Compact(value);
    } else if (key == "exclude_socket") {
      if (!value.is_string()) {
        return Error{"invalid_message", "\"exclude_socket\" must be a string"};
      }
      p.exclude_socket = value.get<std::string>();
    } else if (key == "transient") {
      if (!value.is_boolean()) {
        return Error{"invalid_message", "\"transient\" must be true or false"};
      }
      p.transient = value.get<bool>();
    } else {
      return Error{
          "invalid_message",
          fmt::format("unknown key \"{}\" (expected stream, data, exclude_socket, transient)",
                      key)};
    }
  }
  if (p.stream.empty()) return Error{"invalid_message", "\"stream\" must not be empty"};
  return p;
}

}  // namespace

Result<std::string> DataFromJson(std::string_view text) {
  auto parsed = Parse(text);
  if (!parsed) return parsed.error();
  return Compact(*parsed);
}

std::string DataFromString(std::string_view text) {
  return Compact(Json(std::string(text)));
}

Result<Publication> ParseLine(std::string_view line, const LineDefaults& defaults) {
  Publication p;
  p.stream = defaults.stream;
  p.exclude_socket = defaults.exclude_socket;
  p.transient = defaults.transient;
  if (defaults.raw) {
    p.data = DataFromString(line);
  } else {
    auto parsed = Parse(line);
    if (!parsed) return parsed.error();
    const Json& value = *parsed;
    if (value.is_object() && value.contains("data") && value.contains("stream") &&
        value["stream"].is_string()) {
      return FromEnvelope(value, defaults);
    }
    p.data = Compact(value);
  }
  if (p.stream.empty()) {
    return Error{"invalid_message",
                 "no stream: pass --stream or send {\"stream\":...,\"data\":...}"};
  }
  return p;
}

}  // namespace cable::broadcast
