#pragma once
// Where something was written in a YAML file, for messages:
// "file:line:column", or just "file" when the position is unknown.

#include <string>

namespace cable::yaml {

struct Position {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string str() const {
    return line ? file + ":" + std::to_string(line) + ":" + std::to_string(column) : file;
  }
};

}  // namespace cable::yaml
