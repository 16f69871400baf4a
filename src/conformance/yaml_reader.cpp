#include "conformance/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cable::conformance {
namespace {

constexpr size_t kMaxNodes = 200000;
constexpr size_t kMaxRegexBytes = 1024;
constexpr int64_t kMaxRepeatBytes = 16 << 20;

bool IsPlain(const YAML::Node& n) {
  return n.Tag() == "?" || n.Tag().empty();
}
bool IsQuoted(const YAML::Node& n) {
  return n.Tag() == "!";
}

std::string JoinChoices(std::initializer_list<std::string_view> choices) {
  std::string out;
  size_t i = 0;
  for (auto c : choices) {
    if (i) out += (i + 1 == choices.size()) ? " or " : ", ";
    out += c;
    ++i;
  }
  return out;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Position YamlReader::Pos(const YAML::Node& n) const {
  Position p;
  p.file = file_;
  auto m = n.Mark();
  if (m.line >= 0) {
    p.line = m.line + 1;
    p.column = m.column + 1;
  }
  return p;
}

void YamlReader::Fail(const YAML::Node& n, const std::string& message) const {
  throw LoadError{Pos(n).str() + ": " + message};
}

void YamlReader::Expected(const YAML::Node& n, const std::string& expected) const {
  Fail(n, "found " + Describe(n) + "; expected " + expected);
}

std::string YamlReader::Describe(const YAML::Node& n) {
  std::string tag = IsPlain(n) || IsQuoted(n) ? "" : " tagged " + n.Tag();
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping" + tag;
    case YAML::NodeType::Sequence:
      return "a sequence" + tag;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing" + tag;
    case YAML::NodeType::Scalar: {
      std::string s = n.Scalar();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      if (IsPlain(n)) {
        Json v = PlainScalar(n.Scalar());
        if (v.is_number()) return "the number " + s;
        if (v.is_boolean()) return "the boolean " + s;
        if (v.is_null()) return "null";
      }
      return "\"" + s + "\"" + tag;
    }
  }
  return "something";
}

void YamlReader::Visit(const YAML::Node& n) const {
  if (++visited_ > kMaxNodes) Fail(n, "too many YAML nodes (aliases included); at most 200000");
}

bool YamlReader::IsNull(const YAML::Node& n) const {
  if (!n || n.IsNull()) return true;
  return n.IsScalar() && IsPlain(n) && PlainScalar(n.Scalar()).is_null();
}

void YamlReader::CheckMap(const YAML::Node& n, const std::string& what,
                          std::initializer_list<std::string_view> allowed) const {
  if (!n.IsMap()) Expected(n, "a mapping for " + what);
  for (auto it = n.begin(); it != n.end(); ++it) {
    Visit(it->first);
    if (!it->first.IsScalar()) Expected(it->first, "a key");
    const std::string key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint;
    for (auto a : allowed) {
      if (EditDistance(key, a) <= 2) hint = " (did you mean \"" + std::string(a) + "\"?)";
    }
    Fail(it->first, "unknown key \"" + key.substr(0, 64) + "\" in " + what + hint + "; expected " +
                        JoinChoices(allowed));
  }
}

std::string YamlReader::String(const YAML::Node& n, const std::string& what) const {
  Visit(n);
  if (!n.IsScalar() || !(IsPlain(n) || IsQuoted(n))) Expected(n, what);
  return n.Scalar();
}

bool YamlReader::Bool(const YAML::Node& n) const {
  if (n.IsScalar() && IsPlain(n)) {
    Json v = PlainScalar(n.Scalar());
    if (v.is_boolean()) return v.get<bool>();
  }
  Expected(n, "true or false");
}

int64_t YamlReader::Int(const YAML::Node& n, int64_t min, int64_t max) const {
  if (n.IsScalar() && IsPlain(n)) {
    Json v = PlainScalar(n.Scalar());
    if (v.is_number_integer() && v.get<int64_t>() >= min && v.get<int64_t>() <= max)
      return v.get<int64_t>();
  }
  Expected(n, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

Millis YamlReader::Duration(const YAML::Node& n, Millis max) const {
  const std::string expected = "a duration such as 5s, 500ms or 1.5 (seconds), at most " +
                               std::to_string(max.count() / 1000) + "s";
  if (!n.IsScalar() || !(IsPlain(n) || IsQuoted(n))) Expected(n, expected);
  std::string s = n.Scalar();
  double scale = 1000;
  auto ends_with = [&](std::string_view suffix) {
    return s.size() > suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("ms")) {
    scale = 1;
    s.resize(s.size() - 2);
  } else if (ends_with("s")) {
    s.resize(s.size() - 1);
  } else if (ends_with("m")) {
    scale = 60000;
    s.resize(s.size() - 1);
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0)
    Expected(n, expected);
  double ms = v * scale;
  if (ms > static_cast<double>(max.count())) Expected(n, expected);
  return Millis(static_cast<int64_t>(std::llround(ms)));
}

TextTemplate YamlReader::Text(const YAML::Node& n, const std::string& what) const {
  std::string s = String(n, what);
  std::string error;
  auto t = TextTemplate::Parse(s, &error);
  if (!t) Fail(n, error);
  return *t;
}

std::vector<std::string> YamlReader::StringList(const YAML::Node& n,
                                                const std::string& what) const {
  std::vector<std::string> out;
  if (IsNull(n)) return out;
  if (n.IsSequence()) {
    for (const auto& item : n) out.push_back(String(item, what));
    return out;
  }
  out.push_back(String(n, what + " (or a list of them)"));
  return out;
}

std::string YamlReader::Choice(const YAML::Node& n,
                               std::initializer_list<std::string_view> choices) const {
  if (n.IsScalar() && (IsPlain(n) || IsQuoted(n))) {
    for (auto c : choices)
      if (n.Scalar() == c) return n.Scalar();
  }
  Expected(n, JoinChoices(choices));
}

Value YamlReader::ReadValue(const YAML::Node& n) const {
  Visit(n);
  const std::string& tag = n.Tag();
  if (tag == "!signed" || tag == "!signed_turbo") {
    Value v;
    v.kind = Value::Kind::kSigned;
    v.key = tag == "!signed" ? SignKey::kStreams : SignKey::kTurbo;
    if (!n.IsScalar()) Expected(n, "a stream name after " + tag);
    std::string error;
    auto t = TextTemplate::Parse(n.Scalar(), &error);
    if (!t) Fail(n, error);
    v.text = *t;
    return v;
  }
  if (tag == "!json") {
    Value v;
    v.kind = Value::Kind::kJsonEncoded;
    v.items.push_back(ReadValueContent(n));
    return v;
  }
  if (tag == "!repeat") {
    // Large payloads (slow clients, size limits) without pasting them.
    if (!n.IsMap() || !n["text"] || !n["times"]) Expected(n, "!repeat {text: ..., times: N}");
    CheckMap(n, "!repeat", {"text", "times"});
    std::string unit = String(n["text"], "the text to repeat");
    int64_t times = Int(n["times"], 0, kMaxRepeatBytes);
    if (unit.empty() || static_cast<int64_t>(unit.size()) * times > kMaxRepeatBytes)
      Fail(n, "!repeat makes at most 16 MiB");
    std::string out;
    out.reserve(unit.size() * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += unit;
    return Value::Scalar(Json(std::move(out)));
  }
  if (!IsPlain(n) && !IsQuoted(n)) {
    Fail(n, "unknown tag " + tag.substr(0, 64) +
                " in a value; expected !signed, !signed_turbo, !json or !repeat (match tags such "
                "as !int only appear in expectations)");
  }
  return ReadValueContent(n);
}

Value YamlReader::ReadValueContent(const YAML::Node& n) const {
  if (n.IsSequence()) {
    Value v;
    v.kind = Value::Kind::kArray;
    for (const auto& item : n) v.items.push_back(ReadValue(item));
    return v;
  }
  if (n.IsMap()) {
    Value v;
    v.kind = Value::Kind::kObject;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = String(it->first, "a key");
      std::string error;
      if (!TextTemplate::Parse(key, &error)) Fail(it->first, error);
      v.fields.emplace_back(std::move(key), ReadValue(it->second));
    }
    return v;
  }
  if (!n.IsDefined() || n.IsNull()) return Value::Scalar(Json());
  if (IsPlain(n)) {
    Json scalar = PlainScalar(n.Scalar());
    if (!scalar.is_string()) return Value::Scalar(std::move(scalar));
  }
  std::string error;
  auto t = TextTemplate::Parse(n.Scalar(), &error);
  if (!t) Fail(n, error);
  return Value::Text(std::move(*t));
}

Pattern YamlReader::ReadPattern(const YAML::Node& n) const {
  Visit(n);
  const std::string& tag = n.Tag();
  if (IsPlain(n) || IsQuoted(n)) return ReadPatternContent(n);
  std::string arg = n.IsScalar() ? n.Scalar() : "";
  auto no_argument = [&] {
    if (n.IsScalar() && !n.Scalar().empty())
      Fail(n, tag + " takes no value (found \"" + arg.substr(0, 40) + "\")");
    if (n.IsMap() || n.IsSequence()) Fail(n, tag + " takes no value (found " + Describe(n) + ")");
  };
  Pattern p;
  if (auto type = ParseTypeName(tag.substr(1)); type && tag[0] == '!') {
    no_argument();
    p.kind = Pattern::Kind::kType;
    p.type = *type;
    return p;
  }
  if (tag == "!absent") {
    no_argument();
    p.kind = Pattern::Kind::kAbsent;
    return p;
  }
  if (tag == "!regex") {
    if (!n.IsScalar() || arg.empty()) Expected(n, "a regular expression after !regex");
    if (arg.size() > kMaxRegexBytes) Fail(n, "regular expression longer than 1024 bytes");
    try {
      p.regex = std::make_shared<const std::regex>(arg, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      Fail(n, "bad regular expression /" + arg.substr(0, 80) + "/: " + e.what());
    }
    p.kind = Pattern::Kind::kRegex;
    p.source = arg;
    return p;
  }
  if (tag == "!capture") {
    std::string name = arg, type_name = "any";
    if (auto colon = arg.find(':'); colon != std::string::npos) {
      name = arg.substr(0, colon);
      type_name = arg.substr(colon + 1);
    }
    auto type = ParseTypeName(type_name);
    if (!n.IsScalar() || !ValidName(name) || !type) {
      Expected(n,
               "!capture NAME or !capture NAME:TYPE (NAME: letters, digits, _ . -; TYPE: any, "
               "string, int, number, bool, object, array, null)");
    }
    p.kind = Pattern::Kind::kCapture;
    p.name = name;
    p.type = *type;
    return p;
  }
  if (tag == "!gt" || tag == "!ge" || tag == "!lt" || tag == "!le") {
    if (!n.IsScalar() || arg.empty()) Expected(n, "a number or \"{{variable}}\" after " + tag);
    Json literal = PlainScalar(arg);
    std::string error;
    auto t = TextTemplate::Parse(arg, &error);
    if (!t) Fail(n, error);
    if (!literal.is_number() && t->is_literal())
      Expected(n, "a number or \"{{variable}}\" after " + tag);
    p.kind = Pattern::Kind::kCompare;
    p.op = tag == "!gt"   ? CompareOp::kGt
           : tag == "!ge" ? CompareOp::kGe
           : tag == "!lt" ? CompareOp::kLt
                          : CompareOp::kLe;
    p.value = literal.is_number() ? Value::Scalar(literal) : Value::Text(*t);
    return p;
  }
  if (tag == "!range") {
    if (!n.IsSequence() || n.size() != 2) Expected(n, "!range [min, max]");
    p.kind = Pattern::Kind::kRange;
    for (const auto& bound : n) {
      if (!bound.IsScalar()) Expected(bound, "a number or \"{{variable}}\"");
      Json literal = PlainScalar(bound.Scalar());
      std::string error;
      auto t = TextTemplate::Parse(bound.Scalar(), &error);
      if (!t) Fail(bound, error);
      if (!literal.is_number() && t->is_literal()) Expected(bound, "a number or \"{{variable}}\"");
      p.items.push_back(
          Pattern::Equal(literal.is_number() ? Value::Scalar(literal) : Value::Text(*t)));
    }
    return p;
  }
  if (tag == "!json") {
    p.kind = Pattern::Kind::kJsonString;
    p.items.push_back(ReadPatternContent(n));
    return p;
  }
  if (tag == "!exact" || tag == "!subset") {
    if (!n.IsMap()) Expected(n, "a mapping after " + tag);
    p = ReadPatternContent(n);
    p.exact = tag == "!exact";
    return p;
  }
  Fail(n, "unknown match tag " + tag.substr(0, 64) +
              "; expected !any, !string, !int, !number, !bool, !object, !array, !null, !absent, "
              "!regex, !capture, !gt, !ge, !lt, !le, !range, !json, !exact or !subset");
}

Pattern YamlReader::ReadPatternContent(const YAML::Node& n) const {
  Pattern p;
  if (n.IsSequence()) {
    p.kind = Pattern::Kind::kArray;
    for (const auto& item : n) p.items.push_back(ReadPattern(item));
    return p;
  }
  if (n.IsMap()) {
    p.kind = Pattern::Kind::kObject;
    for (auto it = n.begin(); it != n.end(); ++it) {
      p.fields.emplace_back(String(it->first, "a key"), ReadPattern(it->second));
    }
    return p;
  }
  return Pattern::Equal(ReadValueContent(n));
}

}  // namespace cable::conformance
