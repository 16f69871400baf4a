#include "common/random_id.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

namespace cable {

std::string RandomId(size_t chars) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::vector<unsigned char> bytes(chars);
  // Without randomness every id would be predictable: a session could be
  // taken over by guessing it. Better to stop.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  std::string id(chars, ' ');
  for (size_t i = 0; i < chars; ++i) id[i] = kAlphabet[bytes[i] & 63];
  return id;
}

}  // namespace cable
