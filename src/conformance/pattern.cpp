#include "conformance/pattern.h"

namespace cable::conformance {
namespace {

constexpr size_t kMaxRegexSubject = 4096;

bool HasType(const Json& v, JsonType type) {
  switch (type) {
    case JsonType::kAny:
      return true;
    case JsonType::kString:
      return v.is_string();
    case JsonType::kInt:
      return v.is_number_integer();
    case JsonType::kNumber:
      return v.is_number();
    case JsonType::kBool:
      return v.is_boolean();
    case JsonType::kObject:
      return v.is_object();
    case JsonType::kArray:
      return v.is_array();
    case JsonType::kNull:
      return v.is_null();
  }
  return false;
}

std::string Short(const Json& v) {
  std::string s = Dump(v);
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

std::string Where(const std::string& path) {
  return path.empty() ? "the frame" : path;
}

// Renders a comparison operand; strings holding numbers count as numbers
// (a captured value rendered through a template stays typed anyway).
Result<Json> Operand(const Value& v, const RenderContext& ctx) {
  auto r = v.Render(ctx);
  if (!r.ok()) return r.error();
  Json out = *r;
  if (out.is_string()) {
    try {
      out = Json::parse(out.get<std::string>());
    } catch (...) {
    }
  }
  if (!out.is_number())
    return Error{"operand", "comparison operand " + Dump(*r) + " is not a number"};
  return out;
}

// -1, 0, 1. Integers compare exactly (nanosecond timestamps exceed a
// double's precision); mixed cases fall back to doubles.
int Compare(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    if (a.is_number_unsigned() || b.is_number_unsigned()) {
      auto x = a.get<uint64_t>(), y = b.get<uint64_t>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  double x = a.get<double>(), y = b.get<double>();
  return x < y ? -1 : x > y ? 1 : 0;
}

class Matcher {
 public:
  Matcher(const RenderContext& ctx, MatchOutcome* out) : ctx_(ctx), out_(out) {}

  bool Run(const Pattern& p, const Json& v, bool exact, const std::string& path) {
    switch (p.kind) {
      case Pattern::Kind::kEqual: {
        auto expected = p.value.Render(ctx_);
        if (!expected.ok()) return Fail(path, expected.error().message);
        if (*expected == v) return true;
        return Fail(path, "expected " + Short(*expected) + ", got " + Short(v));
      }
      case Pattern::Kind::kDumped: {
        auto expected = p.value.Render(ctx_);
        if (!expected.ok()) return Fail(path, expected.error().message);
        std::string text = expected->is_string() ? expected->get<std::string>() : Dump(*expected);
        if (v.is_string() && v.get<std::string>() == text) return true;
        return Fail(path, "expected the string " + Short(Json(text)) + ", got " + Short(v));
      }
      case Pattern::Kind::kType:
        if (HasType(v, p.type)) return true;
        return Fail(path, std::string("expected any ") + TypeName(p.type) + ", got " + Short(v));
      case Pattern::Kind::kRegex:
        // libstdc++'s regex recurses per character; long subjects could
        // exhaust the stack, so they are refused rather than searched.
        if (v.is_string() && v.get_ref<const std::string&>().size() > kMaxRegexSubject)
          return Fail(path, "string too long for !regex (" +
                                std::to_string(v.get_ref<const std::string&>().size()) + " bytes)");
        if (v.is_string() && std::regex_search(v.get<std::string>(), *p.regex)) return true;
        return Fail(path, "expected a string matching /" + p.source + "/, got " + Short(v));
      case Pattern::Kind::kCapture: {
        if (!HasType(v, p.type))
          return Fail(path, std::string("expected any ") + TypeName(p.type) + " to capture as " +
                                p.name + ", got " + Short(v));
        // A name bound before (earlier step or earlier in this frame) must
        // hold the same value: that is how a sid is checked for reuse.
        std::optional<Json> bound;
        if (auto it = out_->captures.find(p.name); it != out_->captures.end()) bound = it->second;
        if (!bound) bound = ctx_.Variable(p.name);
        if (bound && *bound != v)
          return Fail(path, "expected " + p.name + " = " + Short(*bound) + ", got " + Short(v));
        out_->captures[p.name] = v;
        return true;
      }
      case Pattern::Kind::kCompare: {
        auto rhs = Operand(p.value, ctx_);
        if (!rhs.ok()) return Fail(path, rhs.error().message);
        if (!v.is_number()) return Fail(path, "expected a number, got " + Short(v));
        int cmp = Compare(v, *rhs);
        bool ok = p.op == CompareOp::kGt   ? cmp > 0
                  : p.op == CompareOp::kGe ? cmp >= 0
                  : p.op == CompareOp::kLt ? cmp < 0
                                           : cmp <= 0;
        if (ok) return true;
        static const char* kOps[] = {">", ">=", "<", "<="};
        return Fail(path, "expected a number " + std::string(kOps[static_cast<int>(p.op)]) + " " +
                              Short(*rhs) + ", got " + Short(v));
      }
      case Pattern::Kind::kRange: {
        auto lo = Operand(p.items.at(0).value, ctx_);
        if (!lo.ok()) return Fail(path, lo.error().message);
        auto hi = Operand(p.items.at(1).value, ctx_);
        if (!hi.ok()) return Fail(path, hi.error().message);
        if (v.is_number() && Compare(v, *lo) >= 0 && Compare(v, *hi) <= 0) return true;
        return Fail(
            path, "expected a number in [" + Short(*lo) + ", " + Short(*hi) + "], got " + Short(v));
      }
      case Pattern::Kind::kAbsent:
        return Fail(path, "expected no such key, got " + Short(v));
      case Pattern::Kind::kJsonString: {
        if (!v.is_string()) return Fail(path, "expected a string holding JSON, got " + Short(v));
        Json inner;
        try {
          inner = Json::parse(v.get<std::string>());
        } catch (...) {
          return Fail(path, "expected a string holding JSON, got " + Short(v));
        }
        return Run(p.items.at(0), inner, exact, path + "<json>");
      }
      case Pattern::Kind::kArray: {
        if (!v.is_array()) return Fail(path, "expected an array, got " + Short(v));
        if (v.size() != p.items.size())
          return Fail(path, "expected " + std::to_string(p.items.size()) + " elements, got " +
                                std::to_string(v.size()) + ": " + Short(v));
        for (size_t i = 0; i < p.items.size(); ++i) {
          if (!Run(p.items[i], v[i], exact, path + "[" + std::to_string(i) + "]")) return false;
        }
        return true;
      }
      case Pattern::Kind::kObject: {
        if (!v.is_object()) return Fail(path, "expected an object, got " + Short(v));
        bool strict = p.exact.value_or(exact);
        for (const auto& [key, sub] : p.fields) {
          auto it = v.find(key);
          if (sub.kind == Pattern::Kind::kAbsent) {
            if (it != v.end())
              return Fail(path + "." + key, "expected no such key, got " + Short(*it));
            continue;
          }
          if (it == v.end()) return Fail(path + "." + key, "missing");
          if (!Run(sub, *it, strict, path + "." + key)) return false;
        }
        if (strict) {
          for (auto it = v.begin(); it != v.end(); ++it) {
            bool known = false;
            for (const auto& f : p.fields) known = known || f.first == it.key();
            if (!known) return Fail(path + "." + it.key(), "unexpected key (exact match)");
          }
        }
        return true;
      }
    }
    return false;
  }

 private:
  bool Fail(const std::string& path, std::string what) {
    out_->why = "at " + Where(path) + ": " + std::move(what);
    return false;
  }
  const RenderContext& ctx_;
  MatchOutcome* out_;
};

void DescribeInto(const Pattern& p, const RenderContext& ctx, std::string* out) {
  auto rendered = [&](const Value& v) {
    auto r = v.Render(ctx);
    return r.ok() ? Dump(*r) : "\"" + v.text.source() + "\"";
  };
  switch (p.kind) {
    case Pattern::Kind::kEqual:
      *out += rendered(p.value);
      return;
    case Pattern::Kind::kDumped: {
      auto r = p.value.Render(ctx);
      *out += r.ok() ? Dump(Json(r->is_string() ? r->get<std::string>() : Dump(*r))) : "<?>";
      return;
    }
    case Pattern::Kind::kType:
      *out += std::string("<") + TypeName(p.type) + ">";
      return;
    case Pattern::Kind::kRegex:
      *out += "</" + p.source + "/>";
      return;
    case Pattern::Kind::kCapture:
      *out += "<capture " + p.name +
              (p.type == JsonType::kAny ? "" : std::string(":") + TypeName(p.type)) + ">";
      return;
    case Pattern::Kind::kCompare: {
      static const char* kOps[] = {"gt", "ge", "lt", "le"};
      *out += std::string("<") + kOps[static_cast<int>(p.op)] + " " + rendered(p.value) + ">";
      return;
    }
    case Pattern::Kind::kAbsent:
      *out += "<absent>";
      return;
    case Pattern::Kind::kRange:
      *out +=
          "<range " + rendered(p.items.at(0).value) + ".." + rendered(p.items.at(1).value) + ">";
      return;
    case Pattern::Kind::kJsonString:
      *out += "<json ";
      DescribeInto(p.items.at(0), ctx, out);
      *out += ">";
      return;
    case Pattern::Kind::kArray:
      *out += "[";
      for (size_t i = 0; i < p.items.size(); ++i) {
        if (i) *out += ",";
        DescribeInto(p.items[i], ctx, out);
      }
      *out += "]";
      return;
    case Pattern::Kind::kObject:
      *out += "{";
      for (size_t i = 0; i < p.fields.size(); ++i) {
        if (i) *out += ",";
        *out += Dump(Json(p.fields[i].first)) + ":";
        DescribeInto(p.fields[i].second, ctx, out);
      }
      if (!p.exact.value_or(false)) *out += p.fields.empty() ? "..." : ",...";
      *out += "}";
      return;
  }
}

}  // namespace

const char* TypeName(JsonType type) {
  switch (type) {
    case JsonType::kAny:
      return "any";
    case JsonType::kString:
      return "string";
    case JsonType::kInt:
      return "int";
    case JsonType::kNumber:
      return "number";
    case JsonType::kBool:
      return "bool";
    case JsonType::kObject:
      return "object";
    case JsonType::kArray:
      return "array";
    case JsonType::kNull:
      return "null";
  }
  return "?";
}

std::optional<JsonType> ParseTypeName(std::string_view name) {
  for (JsonType t : {JsonType::kAny, JsonType::kString, JsonType::kInt, JsonType::kNumber,
                     JsonType::kBool, JsonType::kObject, JsonType::kArray, JsonType::kNull}) {
    if (name == TypeName(t)) return t;
  }
  return std::nullopt;
}

Pattern Pattern::Equal(Value v) {
  Pattern p;
  p.kind = Kind::kEqual;
  p.value = std::move(v);
  return p;
}

Pattern Pattern::Object(std::vector<std::pair<std::string, Pattern>> fields) {
  Pattern p;
  p.kind = Kind::kObject;
  p.fields = std::move(fields);
  return p;
}

void Pattern::CollectVariables(std::vector<std::string>* used,
                               std::vector<std::string>* captured) const {
  value.CollectVariables(used);
  if (kind == Kind::kCapture) captured->push_back(name);
  for (const auto& item : items) item.CollectVariables(used, captured);
  for (const auto& [k, f] : fields) f.CollectVariables(used, captured);
}

MatchOutcome Match(const Pattern& pattern, const Json& actual, bool exact,
                   const RenderContext& ctx) {
  MatchOutcome out;
  Matcher m(ctx, &out);
  out.ok = m.Run(pattern, actual, exact, "");
  if (!out.ok) out.captures.clear();
  return out;
}

std::string Describe(const Pattern& pattern, const RenderContext& ctx) {
  std::string out;
  DescribeInto(pattern, ctx, &out);
  return out;
}

}  // namespace cable::conformance
