#pragma once
// Small pieces every HTTP route shares: Beast's string_view as the standard
// one, and the CORS answer the REST API, the broadcast path and SSE give
// alike.

#include <boost/beast/core/string_type.hpp>
#include <string_view>

namespace cable::server {

inline std::string_view SV(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

inline constexpr std::string_view kCorsMethods = "POST, OPTIONS";
inline constexpr std::string_view kCorsHeaders =
    "Origin, X-Requested-With, X-Request-ID, Content-Type, Accept, X-CSRF-Token, Authorization";

}  // namespace cable::server
