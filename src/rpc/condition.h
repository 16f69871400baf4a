#pragma once
// Conditions: a conjunction of checks on request values, written in YAML as
// `path: matcher` pairs, e.g.
//
//   query.test: cookies                      # equals
//   cookies.username: {equals: john green}
//   headers.x-api-token: {present: true}
//   url: {contains: "test=request_url"}
//   params.id: {one_of: [1, 2]}
//
// Values compare as text (strings verbatim, numbers as JSON), so `1` matches
// both 1 and "1". Operands may be templates (`{equals: "{{params.room}}"}`).

#include <string>
#include <vector>

#include "rpc/scope.h"
#include "rpc/template.h"

namespace cable::rpc {

struct Matcher {
  enum class Op { kEquals, kNotEquals, kPresent, kAbsent, kContains, kStartsWith, kOneOf };
  Op op = Op::kEquals;
  std::vector<Template> operands;  // one, except kOneOf (any number) and kPresent/kAbsent (none)
};

struct Check {
  Path path;
  std::vector<Matcher> matchers;  // all must hold
};

class Condition {
 public:
  void Add(Check check);
  bool empty() const { return checks_.empty(); }
  // True when every check holds (an empty condition holds).
  bool Holds(const Scope& scope) const;
  // The first failing check as `path` text, for error messages; empty if none fails.
  std::string FirstFailure(const Scope& scope) const;
  RootSet roots() const { return roots_; }

 private:
  static bool CheckHolds(const Check& check, const Scope& scope);
  std::vector<Check> checks_;
  RootSet roots_ = 0;
};

}  // namespace cable::rpc
