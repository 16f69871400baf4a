#pragma once
// Templates: strings with `{{path}}` placeholders, and JSON value trees whose
// strings are templates.
//
// A template that is exactly one placeholder (`"{{state.count}}"`) renders to
// the typed value it names (a number stays a number, an object an object; a
// missing value is null). Any other template renders to a string: literal
// text plus each value as text (strings verbatim, missing values empty,
// numbers/objects as compact JSON). There is no escaping and no logic; a
// literal `{{` cannot be written.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpc/json.h"
#include "rpc/scope.h"

namespace cable::rpc {

class Template {
 public:
  // Compiles `text`. On error, `*error_offset` is the byte offset in `text`
  // where the problem starts (an unclosed `{{`, an unknown root, ...).
  static Result<Template> Compile(std::string_view text, RootSet allowed,
                                  std::size_t* error_offset);

  Json Render(const Scope& scope) const;
  std::string RenderString(const Scope& scope) const;

  bool is_literal() const { return paths_ == 0; }
  RootSet roots() const { return roots_; }
  const std::string& source() const { return source_; }

 private:
  struct Part {
    std::string literal;  // text before the placeholder (or the trailing text)
    bool has_path = false;
    Path path;
  };
  std::vector<Part> parts_;
  std::string source_;
  int paths_ = 0;
  RootSet roots_ = 0;
};

// A JSON value whose strings (not keys) may be templates. In an object, the
// key `<<` merges the object its value renders to (YAML's merge-key idea):
// `{"<<": "{{data}}", action: reply}` copies data and overrides `action`.
class ValueTemplate {
 public:
  static constexpr std::string_view kMergeKey = "<<";
  ValueTemplate() = default;
  static ValueTemplate Literal(Json value);
  static ValueTemplate FromTemplate(Template t);
  static ValueTemplate Array(std::vector<ValueTemplate> items);
  static ValueTemplate Object(std::vector<std::pair<std::string, ValueTemplate>> members);

  Json Render(const Scope& scope) const;
  RootSet roots() const { return roots_; }
  bool is_literal() const { return kind_ == Kind::kLiteral; }

 private:
  enum class Kind { kLiteral, kTemplate, kArray, kObject };
  Kind kind_ = Kind::kLiteral;
  Json literal_;
  std::vector<Template> template_;                               // exactly one for kTemplate
  std::vector<std::pair<std::string, ValueTemplate>> children_;  // keys empty for arrays
  RootSet roots_ = 0;
};

}  // namespace cable::rpc
