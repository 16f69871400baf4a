#pragma once
// Typing of YAML plain (unquoted) scalars, which yaml-cpp leaves to its
// users; shared by the `cable rpc` backend loader and the conformance
// scenario reader.

#include <nlohmann/json.hpp>
#include <string>

namespace cable {

// YAML 1.2's core schema: null, true/false, integers, floats; everything
// else is a string. Only true/false are booleans (no yes/no/on/off).
nlohmann::json PlainScalar(const std::string& s);

}  // namespace cable
