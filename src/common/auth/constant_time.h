#pragma once
// Comparison of secrets and MACs without a data-dependent early exit, so the
// time taken does not reveal how many leading bytes of a guess were right.

#include <string_view>

namespace cable::auth {

// True when `a` and `b` are byte-for-byte equal. The lengths themselves are
// not secret (digests have fixed sizes) and are compared first.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cable::auth
