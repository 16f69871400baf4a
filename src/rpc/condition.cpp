#include "rpc/condition.h"

namespace cable::rpc {
namespace {

// `present` follows Ruby's `present?`: not missing, not null, not "" / [] / {}.
bool IsPresent(const Json* v) {
  if (v == nullptr || v->is_null()) return false;
  // json::empty() is false for every string, so strings are checked apart.
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  if (v->is_array() || v->is_object()) return !v->empty();
  return true;
}

bool TextEquals(const Json* v, const std::string& operand) {
  return v != nullptr && !v->is_null() && JsonToText(*v) == operand;
}

bool Contains(const Json* v, const std::string& operand) {
  if (v == nullptr) return false;
  if (v->is_string()) {
    return v->get_ref<const std::string&>().find(operand) != std::string::npos;
  }
  if (v->is_array()) {
    for (const auto& item : *v) {
      if (JsonToText(item) == operand) return true;
    }
    return false;
  }
  if (v->is_object()) return v->contains(operand);
  return false;
}

}  // namespace

void Condition::Add(Check check) {
  roots_ |= Bit(check.path.root);
  for (const auto& m : check.matchers) {
    for (const auto& t : m.operands) roots_ |= t.roots();
  }
  checks_.push_back(std::move(check));
}

bool Condition::CheckHolds(const Check& check, const Scope& scope) {
  const Json* v = scope.Resolve(check.path);
  for (const Matcher& m : check.matchers) {
    bool ok = false;
    switch (m.op) {
      case Matcher::Op::kEquals:
        ok = TextEquals(v, m.operands.front().RenderString(scope));
        break;
      case Matcher::Op::kNotEquals:
        ok = !TextEquals(v, m.operands.front().RenderString(scope));
        break;
      case Matcher::Op::kPresent:
        ok = IsPresent(v);
        break;
      case Matcher::Op::kAbsent:
        ok = !IsPresent(v);
        break;
      case Matcher::Op::kContains:
        ok = Contains(v, m.operands.front().RenderString(scope));
        break;
      case Matcher::Op::kStartsWith:
        ok = v != nullptr && v->is_string() &&
             v->get_ref<const std::string&>().starts_with(m.operands.front().RenderString(scope));
        break;
      case Matcher::Op::kOneOf:
        for (const auto& o : m.operands) {
          if (TextEquals(v, o.RenderString(scope))) {
            ok = true;
            break;
          }
        }
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool Condition::Holds(const Scope& scope) const {
  for (const Check& c : checks_) {
    if (!CheckHolds(c, scope)) return false;
  }
  return true;
}

std::string Condition::FirstFailure(const Scope& scope) const {
  for (const Check& c : checks_) {
    if (!CheckHolds(c, scope)) return c.path.text;
  }
  return {};
}

}  // namespace cable::rpc
