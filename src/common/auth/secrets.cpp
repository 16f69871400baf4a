#include "common/auth/secrets.h"

#include "common/auth/derived_key.h"

namespace cable::auth {

std::string ResolveJwtSecret(const SecretSettings& settings) {
  if (settings.jwt_secret == kJwtDisabled) return {};
  return settings.jwt_secret.empty() ? settings.secret : settings.jwt_secret;
}

std::string ResolveStreamsSecret(const SecretSettings& settings) {
  return settings.streams_secret.empty() ? settings.secret : settings.streams_secret;
}

std::string ResolveTurboStreamsSecret(const SecretSettings& settings) {
  return settings.turbo_streams_secret.empty() ? ResolveStreamsSecret(settings)
                                               : settings.turbo_streams_secret;
}

std::string ResolveBroadcastKey(const SecretSettings& settings) {
  if (settings.broadcast_key == kBroadcastKeyDisabled) return {};
  if (!settings.broadcast_key.empty()) return settings.broadcast_key;
  if (settings.secret.empty()) return {};
  return DeriveKey(settings.secret, kBroadcastKeyPhrase);
}

std::string ResolveApiKey(const SecretSettings& settings) {
  if (!settings.api_secret.empty()) return settings.api_secret;
  if (settings.secret.empty()) return {};
  return DeriveKey(settings.secret, kApiKeyPhrase);
}

}  // namespace cable::auth
