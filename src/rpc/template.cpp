#include "rpc/template.h"

#include "common/strings.h"

namespace cable::rpc {

Result<Template> Template::Compile(std::string_view text, RootSet allowed,
                                   std::size_t* error_offset) {
  Template t;
  t.source_ = std::string(text);
  std::size_t pos = 0;
  while (true) {
    std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      Part tail;
      tail.literal = std::string(text.substr(pos));
      if (!tail.literal.empty() || t.parts_.empty()) t.parts_.push_back(std::move(tail));
      break;
    }
    std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      *error_offset = open;
      return Error{"bad_template", "unclosed '{{' (expected '}}')"};
    }
    std::string_view expr = text.substr(open + 2, close - open - 2);
    if (expr.find("{{") != std::string_view::npos) {
      *error_offset = open;
      return Error{"bad_template", "unclosed '{{' before another '{{'"};
    }
    std::string_view trimmed = Trim(expr);
    if (trimmed.empty()) {
      *error_offset = open;
      return Error{"bad_template", "empty '{{}}'; expected a path such as {{params.name}}"};
    }
    auto path = ParsePath(trimmed, allowed);
    if (!path.ok()) {
      *error_offset = open + 2 + static_cast<std::size_t>(trimmed.data() - expr.data());
      return path.error();
    }
    Part part;
    part.literal = std::string(text.substr(pos, open - pos));
    part.has_path = true;
    part.path = std::move(*path);
    t.roots_ |= Bit(part.path.root);
    t.parts_.push_back(std::move(part));
    ++t.paths_;
    pos = close + 2;
  }
  return t;
}

Json Template::Render(const Scope& scope) const {
  if (paths_ == 1 && parts_.size() == 1 && parts_[0].literal.empty()) {
    const Json* v = scope.Resolve(parts_[0].path);
    return v ? *v : Json();
  }
  return RenderString(scope);
}

std::string Template::RenderString(const Scope& scope) const {
  if (paths_ == 0) return parts_.empty() ? std::string() : parts_[0].literal;
  std::string out;
  for (const Part& p : parts_) {
    out += p.literal;
    if (!p.has_path) continue;
    if (const Json* v = scope.Resolve(p.path)) out += JsonToText(*v);
  }
  return out;
}

ValueTemplate ValueTemplate::Literal(Json value) {
  ValueTemplate v;
  v.kind_ = Kind::kLiteral;
  v.literal_ = std::move(value);
  return v;
}

ValueTemplate ValueTemplate::FromTemplate(Template t) {
  if (t.is_literal()) return Literal(Json(t.source()));
  ValueTemplate v;
  v.kind_ = Kind::kTemplate;
  v.roots_ = t.roots();
  v.template_.push_back(std::move(t));
  return v;
}

ValueTemplate ValueTemplate::Array(std::vector<ValueTemplate> items) {
  bool all_literal = true;
  for (const auto& i : items) all_literal = all_literal && i.is_literal();
  if (all_literal) {
    // Rendering a constant subtree is then one copy.
    Json arr = Json::array();
    for (auto& i : items) arr.push_back(std::move(i.literal_));
    return Literal(std::move(arr));
  }
  ValueTemplate v;
  v.kind_ = Kind::kArray;
  for (auto& i : items) {
    v.roots_ |= i.roots_;
    v.children_.emplace_back(std::string(), std::move(i));
  }
  return v;
}

ValueTemplate ValueTemplate::Object(std::vector<std::pair<std::string, ValueTemplate>> members) {
  bool all_literal = true;
  for (const auto& m : members) all_literal = all_literal && m.second.is_literal();
  ValueTemplate v;
  v.kind_ = Kind::kObject;
  for (const auto& m : members) v.roots_ |= m.second.roots_;
  v.children_ = std::move(members);
  if (all_literal) {
    // Rendering a constant subtree is then one copy.
    return Literal(v.Render(Scope()));
  }
  return v;
}

Json ValueTemplate::Render(const Scope& scope) const {
  switch (kind_) {
    case Kind::kLiteral:
      return literal_;
    case Kind::kTemplate:
      return template_.front().Render(scope);
    case Kind::kArray: {
      Json arr = Json::array();
      for (const auto& c : children_) arr.push_back(c.second.Render(scope));
      return arr;
    }
    case Kind::kObject: {
      Json obj = Json::object();
      for (const auto& c : children_) {
        Json value = c.second.Render(scope);
        if (c.first == kMergeKey) {
          // Later keys override merged ones; objects keep the position of
          // their first occurrence.
          if (value.is_object()) {
            for (auto it = value.begin(); it != value.end(); ++it) obj[it.key()] = it.value();
          }
          continue;
        }
        obj[c.first] = std::move(value);
      }
      return obj;
    }
  }
  return Json();
}

}  // namespace cable::rpc
