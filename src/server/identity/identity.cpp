#include "server/identity/identity.h"

#include <chrono>

#include "common/auth/jwt.h"
#include "common/auth/secrets.h"
#include "server/protocol/json_writer.h"
#include "server/protocol/messages.h"

namespace cable::server {

Identity::Identity(const ServerConfig& config)
    : jwt_param_(config.jwt_param), enforce_jwt_(config.enforce_jwt), noauth_(config.noauth) {
  auth::SecretSettings secrets;
  secrets.secret = config.secret;
  secrets.jwt_secret = config.jwt_secret;
  jwt_secret_ = auth::ResolveJwtSecret(secrets);
}

IdentityResult Identity::Identify(const std::string& sid, const std::string& token) const {
  IdentityResult result;
  if (jwt_enabled() && !token.empty()) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto verified = auth::jwt::Verify(token, jwt_secret_, now);
    if (verified.ok()) {
      result.kind = IdentityResult::kAccepted;
      result.identifiers = std::move(verified->identifiers);
      return result;
    }
    const auto& code = verified.error().code;
    result.log = verified.error().message;
    if (code == auth::jwt::kTokenExpired) {
      result.kind = IdentityResult::kRejected;
      result.reason = std::string(protocol::reason::kTokenExpired);
    } else if (code == auth::jwt::kNoExt) {
      result.kind = IdentityResult::kError;
    } else {
      result.kind = IdentityResult::kRejected;
      result.reason = std::string(protocol::reason::kUnauthorized);
    }
    return result;
  }
  if (jwt_enabled() && enforce_jwt_) {
    result.kind = IdentityResult::kRejected;
    result.reason = std::string(protocol::reason::kUnauthorized);
    result.log = "no token given and --enforce_jwt is set";
    return result;
  }
  if (noauth_) {
    result.kind = IdentityResult::kAccepted;
    result.identifiers = R"({"sid":)";
    protocol::AppendJsonString(result.identifiers, sid);
    result.identifiers += '}';
  }
  return result;
}

}  // namespace cable::server
