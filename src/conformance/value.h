#pragma once
// Values a scenario sends (frames, identifiers, query parameters, broadcast
// data): JSON trees whose strings may hold `{{variable}}` placeholders and
// whose nodes may ask for a signed stream name or a JSON encoding.
//
// A string that is exactly one placeholder (`"{{t1}}"`) renders to the typed
// value of the variable (a captured number stays a number); any other string
// renders to text with each variable inserted as text (strings verbatim,
// other values as compact JSON). `{{name|urlencode}}` inserts the text
// percent-encoded (every byte but A-Z a-z 0-9 - . _ ~), for names that go
// into URL paths; a filtered placeholder is always text. An unknown variable is an error at render
// time; the loader rejects names that no step can define, so in practice it
// means a capture that has not happened yet.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cable::conformance {

using Json = nlohmann::ordered_json;

// Which secret signs a `!signed` value: the streams secret ($pubsub signed
// streams) or the Turbo Streams secret.
enum class SignKey { kStreams, kTurbo };

// What rendering needs from the running scenario.
class RenderContext {
 public:
  virtual ~RenderContext() = default;
  virtual std::optional<Json> Variable(std::string_view name) const = 0;
  virtual Result<std::string> Sign(std::string_view stream, SignKey key) const = 0;
};

// A string with `{{name}}` placeholders, split once at load time.
class TextTemplate {
 public:
  TextTemplate() = default;
  // Fails on an unclosed `{{`, an empty or malformed name; `*error` says why.
  static std::optional<TextTemplate> Parse(std::string_view text, std::string* error);
  static TextTemplate Literal(std::string text);

  Result<Json> Render(const RenderContext& ctx) const;             // typed when one placeholder
  Result<std::string> RenderText(const RenderContext& ctx) const;  // always text
  const std::string& source() const { return source_; }
  std::vector<std::string> variables() const;
  bool is_literal() const { return parts_.size() <= 1 && (parts_.empty() || !parts_[0].is_var); }

 private:
  enum class Filter { kNone, kUrlEncode };
  struct Part {
    bool is_var = false;
    std::string text;  // literal text or variable name
    Filter filter = Filter::kNone;
  };
  std::vector<Part> parts_;
  std::string source_;
};

struct Value {
  enum class Kind { kScalar, kText, kArray, kObject, kSigned, kJsonEncoded };
  Kind kind = Kind::kScalar;
  Json scalar;                                        // kScalar: null, bool or number
  TextTemplate text;                                  // kText; kSigned: the stream name
  SignKey key = SignKey::kStreams;                    // kSigned
  std::vector<Value> items;                           // kArray; kJsonEncoded: exactly one
  std::vector<std::pair<std::string, Value>> fields;  // kObject, in written order

  static Value Scalar(Json v);
  static Value Text(TextTemplate t);
  static Value Object(std::vector<std::pair<std::string, Value>> fields);

  Result<Json> Render(const RenderContext& ctx) const;
  // Variables named anywhere inside, for the loader's checks.
  void CollectVariables(std::vector<std::string>* out) const;
};

// Compact JSON as the Action Cable clients write it (no spaces, UTF-8 kept).
std::string Dump(const Json& value);
// A value as text: strings verbatim, everything else as compact JSON.
std::string AsText(const Json& value);

}  // namespace cable::conformance
