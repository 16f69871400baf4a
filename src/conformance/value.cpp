#include "conformance/value.h"

#include "common/strings.h"

namespace cable::conformance {
namespace {

bool NameChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

}  // namespace

std::string Dump(const Json& value) {
  // Replacing invalid UTF-8 instead of throwing: a frame from a broken server
  // must still be printable in a report.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string AsText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return Dump(value);
}

std::optional<TextTemplate> TextTemplate::Parse(std::string_view text, std::string* error) {
  TextTemplate t;
  t.source_ = std::string(text);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({false, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) t.parts_.push_back({false, std::string(text.substr(pos, open - pos))});
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      *error = "unclosed \"{{\" in \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    std::string name(text.substr(open + 2, close - open - 2));
    Filter filter = Filter::kNone;
    if (size_t bar = name.find('|'); bar != std::string::npos) {
      std::string f = name.substr(bar + 1);
      while (!f.empty() && f.front() == ' ') f.erase(0, 1);
      while (!f.empty() && f.back() == ' ') f.pop_back();
      if (f != "urlencode") {
        *error = "unknown filter \"" + f.substr(0, 64) + "\" in \"{{" +
                 std::string(text.substr(open + 2, close - open - 2)).substr(0, 128) +
                 "}}\" (expected urlencode)";
        return std::nullopt;
      }
      filter = Filter::kUrlEncode;
      name.erase(bar);
    }
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    bool ok = !name.empty() && name.size() <= 128;
    for (size_t i = 0; ok && i < name.size(); ++i) ok = NameChar(name[i], i == 0);
    if (!ok) {
      *error = "bad variable name \"{{" + std::string(text.substr(open + 2, close - open - 2)) +
               "}}\" (expected letters, digits, _ . -)";
      return std::nullopt;
    }
    t.parts_.push_back({true, std::move(name), filter});
    pos = close + 2;
  }
  return t;
}

TextTemplate TextTemplate::Literal(std::string text) {
  TextTemplate t;
  t.source_ = text;
  if (!text.empty()) t.parts_.push_back({false, std::move(text)});
  return t;
}

std::vector<std::string> TextTemplate::variables() const {
  std::vector<std::string> out;
  for (const auto& p : parts_)
    if (p.is_var) out.push_back(p.text);
  return out;
}

Result<Json> TextTemplate::Render(const RenderContext& ctx) const {
  if (parts_.size() == 1 && parts_[0].is_var && parts_[0].filter == Filter::kNone) {
    auto v = ctx.Variable(parts_[0].text);
    if (!v) return Error{"undefined", "variable {{" + parts_[0].text + "}} is not set yet"};
    return *v;
  }
  auto s = RenderText(ctx);
  if (!s.ok()) return s.error();
  return Json(std::move(*s));
}

Result<std::string> TextTemplate::RenderText(const RenderContext& ctx) const {
  std::string out;
  for (const auto& p : parts_) {
    if (!p.is_var) {
      out += p.text;
      continue;
    }
    auto v = ctx.Variable(p.text);
    if (!v) return Error{"undefined", "variable {{" + p.text + "}} is not set yet"};
    out += p.filter == Filter::kUrlEncode ? PercentEncode(AsText(*v)) : AsText(*v);
  }
  return out;
}

Value Value::Scalar(Json v) {
  Value out;
  out.kind = Kind::kScalar;
  out.scalar = std::move(v);
  return out;
}

Value Value::Text(TextTemplate t) {
  Value out;
  out.kind = Kind::kText;
  out.text = std::move(t);
  return out;
}

Value Value::Object(std::vector<std::pair<std::string, Value>> fields) {
  Value out;
  out.kind = Kind::kObject;
  out.fields = std::move(fields);
  return out;
}

Result<Json> Value::Render(const RenderContext& ctx) const {
  switch (kind) {
    case Kind::kScalar:
      return scalar;
    case Kind::kText:
      return text.Render(ctx);
    case Kind::kSigned: {
      auto name = text.RenderText(ctx);
      if (!name.ok()) return name.error();
      auto signed_name = ctx.Sign(*name, key);
      if (!signed_name.ok()) return signed_name.error();
      return Json(std::move(*signed_name));
    }
    case Kind::kJsonEncoded: {
      auto inner = items.at(0).Render(ctx);
      if (!inner.ok()) return inner.error();
      return Json(Dump(*inner));
    }
    case Kind::kArray: {
      Json out = Json::array();
      for (const auto& item : items) {
        auto v = item.Render(ctx);
        if (!v.ok()) return v.error();
        out.push_back(std::move(*v));
      }
      return out;
    }
    case Kind::kObject: {
      Json out = Json::object();
      for (const auto& [k, item] : fields) {
        auto v = item.Render(ctx);
        if (!v.ok()) return v.error();
        // Keys may be templates too (a stream name as a key of `history`).
        std::string key = k;
        if (k.find("{{") != std::string::npos) {
          std::string error;
          auto t = TextTemplate::Parse(k, &error);
          if (!t) return Error{"template", error};
          auto r = t->RenderText(ctx);
          if (!r.ok()) return r.error();
          key = *r;
        }
        out[key] = std::move(*v);
      }
      return out;
    }
  }
  return Json();
}

void Value::CollectVariables(std::vector<std::string>* out) const {
  for (auto& v : text.variables()) out->push_back(v);
  for (const auto& item : items) item.CollectVariables(out);
  for (const auto& [k, item] : fields) {
    std::string error;
    if (auto t = TextTemplate::Parse(k, &error))
      for (auto& v : t->variables()) out->push_back(v);
    item.CollectVariables(out);
  }
}

}  // namespace cable::conformance
