#pragma once
// Strict reading of YAML nodes with their positions, shared by the `cable
// rpc` backend loader and the `cable conformance` scenario loader so both
// word the same mistake the same way. Every mistake becomes one LoadError,
// "file:line:column: found X; expected Y", raised before anything runs.
//
// Plain (unquoted, untagged) scalars are typed by PlainScalar; quoted
// scalars are always strings; other tags are refused unless a caller reads
// them itself.

// yaml-cpp 0.7's node headers trip GCC 12's -Wdangling-pointer (false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "common/yaml/position.h"

namespace cable::yaml {

// Thrown inside the loaders only; their public entry points return Errors.
struct LoadError {
  std::string message;
};

// Nodes one file may make a reader visit. Aliases are shared by yaml-cpp
// but expanded by the readers, so this also stops "billion laughs" files.
inline constexpr size_t kDefaultMaxNodes = 200000;

class Reader {
 public:
  explicit Reader(std::string file, size_t max_nodes = kDefaultMaxNodes)
      : file_(std::move(file)), max_nodes_(max_nodes) {}

  const std::string& file() const { return file_; }

  // The one document in `text`: a null node for an empty text. Syntax
  // errors and files with several documents ('---') are LoadErrors.
  YAML::Node Parse(const std::string& text) const;

  Position Pos(const YAML::Node& n) const { return Pos(n.Mark()); }
  Position Pos(const YAML::Mark& m) const;
  // "file:line:column: <what yaml-cpp says>" for an exception yaml-cpp
  // raised while the loader was reading nodes.
  std::string Message(const YAML::Exception& e) const;
  [[noreturn]] void Fail(const YAML::Node& n, const std::string& message) const;
  [[noreturn]] void FailAt(const Position& p, const std::string& message) const;
  // "found <what n is>; expected <expected>".
  [[noreturn]] void Expected(const YAML::Node& n, const std::string& expected) const;
  // "a mapping", "the number 5", "\"text\"", ... for "found ..." messages.
  static std::string Describe(const YAML::Node& n);

  // An unquoted scalar without a tag; its type comes from PlainScalar.
  static bool IsPlain(const YAML::Node& n);
  // A quoted scalar: always a string.
  static bool IsQuoted(const YAML::Node& n);

  // A mapping with scalar keys, none twice, all in `allowed` (any key when
  // `allowed` is empty).
  void CheckMap(const YAML::Node& n, const std::string& what,
                std::initializer_list<std::string_view> allowed) const;
  // Absent, empty, `~` or `null`.
  bool IsNull(const YAML::Node& n) const;

  // A plain or quoted scalar; `what` names it in the message ("a name").
  std::string String(const YAML::Node& n, const std::string& what) const;
  bool Bool(const YAML::Node& n) const;
  int64_t Int(const YAML::Node& n, int64_t min, int64_t max) const;
  // "5s", "500ms", "1.5s", "2m" or a number of seconds; at most `max`.
  std::chrono::milliseconds Duration(
      const YAML::Node& n, std::chrono::milliseconds max = std::chrono::minutes(10)) const;
  // One string or a sequence of strings.
  std::vector<std::string> StringList(const YAML::Node& n, const std::string& what) const;
  // One choice out of `choices`.
  std::string Choice(const YAML::Node& n, std::initializer_list<std::string_view> choices) const;

  // Counts a visited node against the limit.
  void Visit(const YAML::Node& n) const;

 private:
  std::string file_;
  size_t max_nodes_;
  mutable size_t visited_ = 0;
};

// "a, b or c".
std::string JoinChoices(std::initializer_list<std::string_view> choices);

// " (did you mean \"x\"?)" naming a candidate within two edits of a
// misspelt `name` (the last such), or "" when none is that close.
template <typename Names>
std::string DidYouMean(std::string_view name, const Names& candidates) {
  std::string hint;
  for (std::string_view c : candidates) {
    if (EditDistance(name, c) <= 2) hint = " (did you mean \"" + std::string(c) + "\"?)";
  }
  return hint;
}

}  // namespace cable::yaml
