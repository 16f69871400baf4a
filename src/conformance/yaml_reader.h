#pragma once
// The scenario readers' additions to the shared strict YAML reader
// (common/yaml/reader.h): values with their tags (!signed, !json, !repeat),
// match patterns (!int, !regex, !capture, ...) and text templates. Every
// mistake is one LoadError, "file:line:column: found X; expected Y".

#include <string>

#include "common/yaml/reader.h"
#include "conformance/model.h"

namespace cable::conformance {

using yaml::LoadError;

class YamlReader : public yaml::Reader {
 public:
  using yaml::Reader::Reader;

  TextTemplate Text(const YAML::Node& n, const std::string& what) const;
  Value ReadValue(const YAML::Node& n) const;
  Pattern ReadPattern(const YAML::Node& n) const;

 private:
  Value ReadValueContent(const YAML::Node& n) const;
  Pattern ReadPatternContent(const YAML::Node& n) const;
};

}  // namespace cable::conformance
