#include "common/yaml/scalar.h"

#include <charconv>
#include <cstdint>

namespace cable::yaml {

nlohmann::json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nlohmann::json();
  if (s == "true" || s == "True" || s == "TRUE") return nlohmann::json(true);
  if (s == "false" || s == "False" || s == "FALSE") return nlohmann::json(false);
  const char* b = s.data();
  const char* e = s.data() + s.size();
  const char* start = (*b == '+') ? b + 1 : b;
  int64_t i = 0;
  if (auto [p, ec] = std::from_chars(start, e, i); ec == std::errc() && p == e)
    return nlohmann::json(i);
  bool has_digit = false, numeric = start != e;
  for (const char* p = start; p != e; ++p) {
    if (*p >= '0' && *p <= '9')
      has_digit = true;
    else if (*p != '.' && *p != 'e' && *p != 'E' && *p != '-' && *p != '+')
      numeric = false;
  }
  if (numeric && has_digit) {
    double d = 0;
    if (auto [p, ec] = std::from_chars(start, e, d); ec == std::errc() && p == e)
      return nlohmann::json(d);
  }
  return nlohmann::json(s);
}

}  // namespace cable::yaml
