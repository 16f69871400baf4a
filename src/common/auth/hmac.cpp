#include "common/auth/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <stdexcept>

namespace cable::auth {
namespace {

const EVP_MD* Md(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha256:
      return EVP_sha256();
    case HashAlgorithm::kSha384:
      return EVP_sha384();
    case HashAlgorithm::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

size_t DigestSize(HashAlgorithm algorithm) {
  return static_cast<size_t>(EVP_MD_get_size(Md(algorithm)));
}

std::string Hmac(HashAlgorithm algorithm, std::string_view key, std::string_view message) {
  // OpenSSL takes the key length as an int; secrets are never near that size.
  if (key.size() > static_cast<size_t>(INT_MAX)) throw std::length_error("HMAC key too long");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  // A real pointer even for an empty key: OpenSSL's HMAC init functions read
  // a null key as "keep the previous key", so never hand it one.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  if (HMAC(Md(algorithm), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &out_len) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

}  // namespace cable::auth
