#include "common/auth/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <climits>
#include <stdexcept>

namespace cable::auth {
namespace {

// The digest under each algorithm: its name for EVP_MAC, its legacy handle
// for HMAC() and sizes.
struct Digest {
  const char* name;
  const EVP_MD* (*md)();
};

Digest DigestOf(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kSha256:
      return {"SHA256", EVP_sha256};
    case HashAlgorithm::kSha384:
      return {"SHA384", EVP_sha384};
    case HashAlgorithm::kSha512:
      return {"SHA512", EVP_sha512};
  }
  return {"SHA256", EVP_sha256};
}

// OpenSSL 3's one-shot HMAC() looks the MAC and the digest up by name and
// keys a fresh context on every call: a lock, string compares and two key
// hashes, for each token and signed stream a client presents. A server
// uses one or two secrets, so each thread keeps a context keyed with each
// of the last few, and a call copies one and hashes only the message.
class KeyedContexts {
 public:
  ~KeyedContexts() {
    for (auto& entry : entries_) EVP_MAC_CTX_free(entry.ctx);
  }

  // A context keyed with `key`, to be copied; null when OpenSSL fails.
  const EVP_MAC_CTX* For(HashAlgorithm algorithm, std::string_view key) {
    for (const auto& entry : entries_) {
      if (entry.ctx && entry.algorithm == algorithm && entry.key == key) return entry.ctx;
    }
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!hmac) return nullptr;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         const_cast<char*>(DigestOf(algorithm).name), 0),
        OSSL_PARAM_construct_end()};
    static const unsigned char kEmpty = 0;  // see Hmac(): never a null key
    const auto* key_data =
        key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    if (!ctx || EVP_MAC_init(ctx, key_data, key.size(), params) != 1) {
      EVP_MAC_CTX_free(ctx);
      return nullptr;
    }
    Entry& slot = entries_[next_++ % entries_.size()];
    EVP_MAC_CTX_free(slot.ctx);
    slot = Entry{algorithm, std::string(key), ctx};
    return ctx;
  }

 private:
  struct Entry {
    HashAlgorithm algorithm = HashAlgorithm::kSha256;
    std::string key;
    EVP_MAC_CTX* ctx = nullptr;
  };
  std::array<Entry, 4> entries_;
  size_t next_ = 0;
};

bool HmacFromKeyedContext(HashAlgorithm algorithm, std::string_view key, std::string_view message,
                          unsigned char* out, size_t* out_len) {
  thread_local KeyedContexts contexts;
  const EVP_MAC_CTX* keyed = contexts.For(algorithm, key);
  if (!keyed) return false;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed);
  const bool ok = ctx &&
                  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size()) == 1 &&
                  EVP_MAC_final(ctx, out, out_len, EVP_MAX_MD_SIZE) == 1;
  EVP_MAC_CTX_free(ctx);
  return ok;
}

}  // namespace

size_t DigestSize(HashAlgorithm algorithm) {
  return static_cast<size_t>(EVP_MD_get_size(DigestOf(algorithm).md()));
}

std::string Hmac(HashAlgorithm algorithm, std::string_view key, std::string_view message) {
  // OpenSSL takes the key length as an int; secrets are never near that size.
  if (key.size() > static_cast<size_t>(INT_MAX)) throw std::length_error("HMAC key too long");
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  if (HmacFromKeyedContext(algorithm, key, message, out, &out_len)) {
    return std::string(reinterpret_cast<const char*>(out), out_len);
  }
  unsigned int one_shot_len = 0;
  // A real pointer even for an empty key: OpenSSL's HMAC init functions read
  // a null key as "keep the previous key", so never hand it one.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  if (HMAC(DigestOf(algorithm).md(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &one_shot_len) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), one_shot_len);
}

}  // namespace cable::auth
