#pragma once
// A self-signed certificate for IP 127.0.0.1 and its key, generated once per
// test binary with the openssl command in a temporary directory that is
// removed after the last test.

#include <string>
#include <vector>

namespace cable::testing {

struct Certificates {
  std::string dir, cert, key, other_key;  // other_key: a key of another pair
};

// Generated on first use (throws when openssl fails).
const Certificates& Certs();

// `cable serve` flags that turn TLS on with Certs().
std::vector<std::string> TlsArgs();

}  // namespace cable::testing
