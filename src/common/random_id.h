#pragma once
// Unguessable identifiers (session ids, epochs) from the system's CSPRNG.

#include <cstddef>
#include <string>

namespace cable {

// `chars` characters of the URL-safe alphabet [A-Za-z0-9_-]: 6 bits each,
// so 22 characters carry 132 bits.
std::string RandomId(size_t chars);

}  // namespace cable
