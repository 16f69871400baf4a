#include "common/random_id.h"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>

namespace cable {

namespace {

// Random bytes drawn from OpenSSL a few kilobytes at a time: each
// RAND_bytes() call checks for a fork (getpid) and takes the DRBG's lock,
// which a connect storm would otherwise pay once per session id. Each
// thread has its own pool; the bytes are as unpredictable as the DRBG's.
class RandomPool {
 public:
  unsigned char Next() {
    if (used_ == bytes_.size()) Refill();
    return bytes_[used_++];
  }

 private:
  void Refill() {
    // Without randomness every id would be predictable: a session could be
    // taken over by guessing it. Better to stop.
    if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1) std::abort();
    used_ = 0;
  }

  std::array<unsigned char, 4096> bytes_{};
  size_t used_ = bytes_.size();
};

}  // namespace

std::string RandomId(size_t chars) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  thread_local RandomPool pool;
  std::string id(chars, ' ');
  for (size_t i = 0; i < chars; ++i) id[i] = kAlphabet[pool.Next() & 63];
  return id;
}

}  // namespace cable
