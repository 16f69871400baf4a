#include "common/broadcast/api_publisher.h"

#include "common/auth/derived_key.h"
#include "common/auth/secrets.h"

namespace cable::broadcast {

std::string DeriveApiKey(std::string_view secret) {
  return auth::DeriveKey(secret, auth::kApiKeyPhrase);
}

std::string ResolveApiKey(std::string_view api_key, std::string_view secret) {
  // The server resolves its key with the same function, so both agree.
  auth::SecretSettings settings;
  settings.api_secret = std::string(api_key);
  settings.secret = std::string(secret);
  return auth::ResolveApiKey(settings);
}

Result<http::Url> ApiPublishUrl(std::string_view api_url) {
  auto url = http::ParseUrl(api_url);
  if (!url) return url.error();
  if (url->target.find_first_of("?#") != std::string::npos) {
    return Error{"bad_url", "the API URL \"" + std::string(api_url.substr(0, 256)) +
                                "\" must not have a query: it is the base the endpoint "
                                "/publish is appended to"};
  }
  std::string& target = url->target;
  while (!target.empty() && target.back() == '/') target.pop_back();
  target += "/publish";
  return url;
}

}  // namespace cable::broadcast
