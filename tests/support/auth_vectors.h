#pragma once
// tests/vectors/auth.json, parsed once: JWTs, signed stream names and keys
// computed independently of this code (Python, Ruby's jwt gem, Rails'
// MessageVerifier).

#include <nlohmann/json.hpp>

namespace cable::testing {

const nlohmann::json& AuthVectors();

}  // namespace cable::testing
