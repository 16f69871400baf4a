#pragma once
// Reading YAML nodes with their positions. Every mistake in a scenario file
// becomes one LoadError, "file:line:column: found X; expected Y", raised
// before anything runs. Shared by the scenario and step loaders.

// yaml-cpp 0.7's node headers trip GCC 12's -Wdangling-pointer (false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/yaml_scalar.h"
#include "conformance/model.h"

namespace cable::conformance {

// Thrown inside the loaders only; the public entry points return Errors.
struct LoadError {
  std::string message;
};

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  Position Pos(const YAML::Node& n) const;

  [[noreturn]] void Fail(const YAML::Node& n, const std::string& message) const;
  // "found <what n is>; expected <expected>".
  [[noreturn]] void Expected(const YAML::Node& n, const std::string& expected) const;
  static std::string Describe(const YAML::Node& n);

  // A mapping whose keys are all in `allowed`.
  void CheckMap(const YAML::Node& n, const std::string& what,
                std::initializer_list<std::string_view> allowed) const;
  bool IsNull(const YAML::Node& n) const;

  std::string String(const YAML::Node& n, const std::string& what) const;
  bool Bool(const YAML::Node& n) const;
  int64_t Int(const YAML::Node& n, int64_t min, int64_t max) const;
  // "5s", "500ms", "1.5s", "2m" or a number of seconds; at most `max`.
  Millis Duration(const YAML::Node& n, Millis max = std::chrono::minutes(10)) const;
  TextTemplate Text(const YAML::Node& n, const std::string& what) const;
  // One string or a sequence of strings.
  std::vector<std::string> StringList(const YAML::Node& n, const std::string& what) const;
  // One choice out of `choices`.
  std::string Choice(const YAML::Node& n, std::initializer_list<std::string_view> choices) const;

  Value ReadValue(const YAML::Node& n) const;
  Pattern ReadPattern(const YAML::Node& n) const;

  // Counts visited nodes; aliases are expanded by the readers, so this
  // bounds the work a small file with nested aliases can cause.
  void Visit(const YAML::Node& n) const;

 private:
  Value ReadValueContent(const YAML::Node& n) const;
  Pattern ReadPatternContent(const YAML::Node& n) const;
  std::string file_;
  mutable size_t visited_ = 0;
};

// Edit distance, for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace cable::conformance
