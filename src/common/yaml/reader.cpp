#include "common/yaml/reader.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

#include "common/yaml/scalar.h"

namespace cable::yaml {

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

namespace {
// yaml-cpp 0.7's LoadAll never returns for a stream that starts with ','
// (it keeps producing empty documents while memory grows; fixed upstream
// after 0.7), so documents are counted through the event API, at most two.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

size_t CountDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  size_t n = 0;
  while (n < 2 && parser.HandleNextDocument(counter)) ++n;
  return n;
}
}  // namespace

YAML::Node Reader::Parse(const std::string& text) const {
  size_t documents = 0;
  YAML::Node root;
  try {
    documents = CountDocuments(text);
    if (documents == 1) root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    FailAt(Pos(e.mark), "bad YAML: " + e.msg);
  }
  if (documents > 1) {
    FailAt(Position{file_},
           "found more than one YAML document (separated by '---'); expected "
           "one per file");
  }
  return root;
}

// yaml-cpp's what() repeats the position in its own words; only e.msg is kept.
std::string Reader::Message(const YAML::Exception& e) const {
  return Pos(e.mark).str() + ": " + e.msg;
}

Position Reader::Pos(const YAML::Mark& m) const {
  Position p;
  p.file = file_;
  if (m.line >= 0) {
    p.line = m.line + 1;
    p.column = m.column + 1;
  }
  return p;
}

void Reader::Fail(const YAML::Node& n, const std::string& message) const {
  FailAt(Pos(n), message);
}

void Reader::FailAt(const Position& p, const std::string& message) const {
  throw LoadError{p.str() + ": " + message};
}

void Reader::Expected(const YAML::Node& n, const std::string& expected) const {
  Fail(n, "found " + Describe(n) + "; expected " + expected);
}

bool Reader::IsPlain(const YAML::Node& n) {
  return n.Tag() == "?" || n.Tag().empty();
}

bool Reader::IsQuoted(const YAML::Node& n) {
  return n.Tag() == "!";
}

std::string Reader::Describe(const YAML::Node& n) {
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
        auto v = PlainScalar(n.Scalar());
        if (v.is_number()) return "the number " + s;
        if (v.is_boolean()) return "the boolean " + s;
        if (v.is_null()) return "null";
      }
      return "\"" + s + "\"" + tag;
    }
  }
  return "something";
}

void Reader::Visit(const YAML::Node& n) const {
  if (++visited_ > max_nodes_) {
    Fail(n, "too many YAML nodes (aliases included); at most " + std::to_string(max_nodes_));
  }
}

bool Reader::IsNull(const YAML::Node& n) const {
  if (!n || n.IsNull()) return true;
  return n.IsScalar() && IsPlain(n) && PlainScalar(n.Scalar()).is_null();
}

void Reader::CheckMap(const YAML::Node& n, const std::string& what,
                      std::initializer_list<std::string_view> allowed) const {
  if (!n.IsMap()) Expected(n, "a mapping for " + what);
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    Visit(it->first);
    if (!it->first.IsScalar()) Expected(it->first, "a key");
    const std::string key = it->first.Scalar();
    if (allowed.size() != 0 && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Fail(it->first, "unknown key \"" + key.substr(0, 64) + "\" in " + what +
                          DidYouMean(key, allowed) + "; expected " + JoinChoices(allowed));
    }
    if (!seen.insert(key).second) {
      Fail(it->first, "duplicate key \"" + key.substr(0, 64) + "\" in " + what);
    }
  }
}

std::string Reader::String(const YAML::Node& n, const std::string& what) const {
  Visit(n);
  if (!n.IsScalar() || !(IsPlain(n) || IsQuoted(n))) Expected(n, what);
  return n.Scalar();
}

bool Reader::Bool(const YAML::Node& n) const {
  Visit(n);
  if (n.IsScalar() && IsPlain(n)) {
    auto v = PlainScalar(n.Scalar());
    if (v.is_boolean()) return v.get<bool>();
  }
  Expected(n, "true or false");
}

int64_t Reader::Int(const YAML::Node& n, int64_t min, int64_t max) const {
  Visit(n);
  if (n.IsScalar() && IsPlain(n)) {
    auto v = PlainScalar(n.Scalar());
    if (v.is_number_integer() && v.get<int64_t>() >= min && v.get<int64_t>() <= max)
      return v.get<int64_t>();
  }
  Expected(n, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

std::chrono::milliseconds Reader::Duration(const YAML::Node& n,
                                           std::chrono::milliseconds max) const {
  Visit(n);
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
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

std::vector<std::string> Reader::StringList(const YAML::Node& n, const std::string& what) const {
  std::vector<std::string> out;
  if (IsNull(n)) return out;
  if (n.IsSequence()) {
    for (const auto& item : n) out.push_back(String(item, what));
    return out;
  }
  out.push_back(String(n, what + " (or a list of them)"));
  return out;
}

std::string Reader::Choice(const YAML::Node& n,
                           std::initializer_list<std::string_view> choices) const {
  Visit(n);
  if (n.IsScalar() && (IsPlain(n) || IsQuoted(n))) {
    for (auto c : choices)
      if (n.Scalar() == c) return n.Scalar();
  }
  Expected(n, JoinChoices(choices));
}

}  // namespace cable::yaml
