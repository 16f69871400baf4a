#pragma once
// Reads a whole, bounded, regular file: settings that name files (CA
// bundles, definitions) must not make the process read a device or a
// multi-gigabyte file into memory.

#include <cstddef>
#include <string>

#include "common/result.h"

namespace cable {

// Error codes: "not_found", "not_a_file", "too_large", "unreadable"; each
// message starts with the path.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);

}  // namespace cable
