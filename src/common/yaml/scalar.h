#pragma once
// Typing of YAML plain (unquoted) scalars, which yaml-cpp leaves to its
// users. yaml::Reader uses it for every plain scalar it reads.

#include <nlohmann/json.hpp>
#include <string>

namespace cable::yaml {

// YAML 1.2's core schema: null, true/false, integers, floats; everything
// else is a string. Only true/false are booleans (no yes/no/on/off).
nlohmann::json PlainScalar(const std::string& s);

}  // namespace cable::yaml
