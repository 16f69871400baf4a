#include "rpc/json.h"

#include "common/json_depth.h"
#include "rpc/limits.h"

namespace cable::rpc {

Result<Json> ParseJson(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Error{"too_large", "is " + std::to_string(text.size()) + " bytes, the limit is " +
                                  std::to_string(max_bytes)};
  }
  if (!JsonDepthWithin(text, limits::kMaxJsonDepth)) {
    return Error{"too_deep",
                 "nests deeper than " + std::to_string(limits::kMaxJsonDepth) + " levels"};
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> keep the tail.
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return Error{"invalid_json", "is not valid JSON (" + what + ")"};
  }
}

std::string JsonToText(const Json& value) {
  if (value.is_string()) return value.get_ref<const std::string&>();
  if (value.is_null()) return {};
  return DumpJson(value);
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace cable::rpc
