#include "conformance/yaml_reader.h"

#include <memory>
#include <regex>

#include "common/yaml/scalar.h"

namespace cable::conformance {
namespace {

using yaml::PlainScalar;

constexpr size_t kMaxRegexBytes = 1024;
constexpr int64_t kMaxRepeatBytes = 16 << 20;

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

TextTemplate YamlReader::Text(const YAML::Node& n, const std::string& what) const {
  std::string s = String(n, what);
  std::string error;
  auto t = TextTemplate::Parse(s, &error);
  if (!t) Fail(n, error);
  return *t;
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
