#pragma once
// Match expressions for received frames.
//
// A pattern is a JSON tree with a few special nodes written as YAML tags
// (docs/conformance.md): `!any`, type checks (`!string`, `!int`, ...),
// `!regex`, `!capture name[:type]`, comparisons (`!gt "{{t1}}"`, `!range
// [a, b]`), `!absent`,
// `!json` (a string whose JSON content matches) and `!exact`/`!subset`.
// Objects match as a subset (only the keys written are checked) unless the
// step or an `!exact` node asks for every key; arrays always match element
// by element with the same length. Numbers compare by value (1 == 1.0);
// strings are templates, rendered before comparing.

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "conformance/value.h"

namespace cable::conformance {

enum class JsonType { kAny, kString, kInt, kNumber, kBool, kObject, kArray, kNull };
enum class CompareOp { kGt, kGe, kLt, kLe };

const char* TypeName(JsonType type);
// "string", "int", ... -> type; nullopt for anything else.
std::optional<JsonType> ParseTypeName(std::string_view name);

struct Pattern {
  enum class Kind {
    kEqual,       // value: a scalar or a text template, compared after rendering
    kDumped,      // value rendered, written as compact JSON, compared as a string
    kArray,       // items, same length
    kObject,      // fields
    kType,        // type
    kRegex,       // regex searched in a string
    kCapture,     // any value of `type`, bound to `name`
    kCompare,     // number `op` value
    kRange,       // number within items[0].value .. items[1].value, inclusive
    kAbsent,      // the key must not be there (object members only)
    kJsonString,  // a string holding JSON that matches items[0]
  };
  Kind kind = Kind::kEqual;
  Value value;
  JsonType type = JsonType::kAny;
  std::string name;
  std::string source;  // kRegex: the expression as written
  std::shared_ptr<const std::regex> regex;
  CompareOp op = CompareOp::kGt;
  std::vector<Pattern> items;
  std::vector<std::pair<std::string, Pattern>> fields;
  std::optional<bool> exact;  // kObject: !exact / !subset

  static Pattern Equal(Value v);
  static Pattern Object(std::vector<std::pair<std::string, Pattern>> fields);

  void CollectVariables(std::vector<std::string>* used, std::vector<std::string>* captured) const;
};

struct MatchOutcome {
  bool ok = false;
  std::string why;                       // first difference, with its path
  std::map<std::string, Json> captures;  // bound by !capture (only when ok)
};

// `exact`: objects must have exactly the keys written (unless overridden).
MatchOutcome Match(const Pattern& pattern, const Json& actual, bool exact,
                   const RenderContext& ctx);

// The pattern as JSON-like text for reports: `{"type":"ping","message":<int>}`.
std::string Describe(const Pattern& pattern, const RenderContext& ctx);

}  // namespace cable::conformance
