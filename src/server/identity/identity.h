#pragma once
// Connection identity decided by the server itself, before (or instead of)
// the RPC Connect call (spec §6, §10.3): JWT identification and `--noauth`.

#include <optional>
#include <string>

#include "server/config.h"

namespace cable::server {

struct IdentityResult {
  enum Kind {
    kPassThrough,  // no local decision: ask the controller (RPC Connect)
    kAccepted,     // identifiers are set; the server sends its own welcome
    kRejected,     // `reason` goes to the client in a disconnect message, then close 1000
    kError,        // close 1011 "Auth Error", no disconnect message
  } kind = kPassThrough;
  std::string identifiers;
  std::string reason;
  std::string log;  // why, for the log
};

class Identity {
 public:
  explicit Identity(const ServerConfig& config);

  bool jwt_enabled() const { return !jwt_secret_.empty(); }
  const std::string& jwt_param() const { return jwt_param_; }

  // `token` is the JWT found in the request (header, subprotocol or query),
  // empty when there is none.
  IdentityResult Identify(const std::string& sid, const std::string& token) const;

 private:
  std::string jwt_secret_;
  std::string jwt_param_;
  bool enforce_jwt_;
  bool noauth_;
};

}  // namespace cable::server
