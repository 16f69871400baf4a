#pragma once
// Publishing through an AnyCable server's REST API (anycable-go 1.6.9+ and
// `cable serve`): POST <api_url>/publish with the same bodies as the HTTP
// broadcast endpoint, authorised with `Authorization: Bearer <api key>`.
//
// The API has its own key: --api_secret, or, when only the application
// secret is set, hex(HMAC-SHA256(secret, "api-cable")). It is not the
// broadcast key, so a publisher that knows only the secret must derive the
// right one for the endpoint it talks to.

#include <string>
#include <string_view>

#include "common/http/url.h"
#include "common/result.h"

namespace cable::broadcast {

// Where a local server serves the API by default: its main port, base path /api.
inline constexpr const char* kDefaultApiUrl = "http://localhost:8080/api";

// Lowercase hex HMAC-SHA256 of "api-cable" keyed with `secret`.
std::string DeriveApiKey(std::string_view secret);

// The key to send: `api_key` when set, else derived from `secret`, else ""
// (no Authorization header). A key of "none" stays "none": publishers send
// no header for it, as for broadcast keys.
std::string ResolveApiKey(std::string_view api_key, std::string_view secret);

// `<api_url>/publish` (one slash between them). The base is an http(s) URL
// whose path is the API's base path; a query or fragment is an Error
// "bad_url", since the endpoint could not be appended to it.
Result<http::Url> ApiPublishUrl(std::string_view api_url);

}  // namespace cable::broadcast
