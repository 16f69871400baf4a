#include "common/broadcast/broadcast_key.h"

#include "common/auth/derived_key.h"

namespace cable::broadcast {

std::string DeriveBroadcastKey(std::string_view secret) {
  return auth::DeriveKey(secret, auth::kBroadcastKeyPhrase);
}

}  // namespace cable::broadcast
