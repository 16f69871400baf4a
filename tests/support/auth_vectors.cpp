#include "support/auth_vectors.h"

#include <fstream>
#include <stdexcept>

#include "support/process.h"

namespace cable::testing {

const nlohmann::json& AuthVectors() {
  static const nlohmann::json vectors = [] {
    const std::string path = SourcePath("tests/vectors/auth.json");
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    return nlohmann::json::parse(in);
  }();
  return vectors;
}

}  // namespace cable::testing
