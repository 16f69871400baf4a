#include "common/auth/derived_key.h"

#include "common/auth/hex.h"
#include "common/auth/hmac.h"

namespace cable::auth {

std::string DeriveKey(std::string_view secret, std::string_view phrase) {
  return HexEncode(Hmac(HashAlgorithm::kSha256, secret, phrase));
}

}  // namespace cable::auth
