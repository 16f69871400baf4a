#include "rpc/request_scope.h"

#include <cctype>
#include <map>

#include "common/strings.h"
#include "rpc/limits.h"
#include "rpc/state_codec.h"
#include "rpc/url_parts.h"

namespace cable::rpc {
namespace {

Status CheckStateMap(const google::protobuf::Map<std::string, std::string>& m, const char* what) {
  if (m.size() > limits::kMaxStateKeys) {
    return Error{"too_large", std::string("env.") + what + " has more than " +
                                  std::to_string(limits::kMaxStateKeys) + " keys"};
  }
  for (const auto& [k, v] : m) {
    if (v.size() > limits::kMaxStateBytes) {
      return Error{"too_large", std::string("env.") + what + "[" + k + "] is larger than " +
                                    std::to_string(limits::kMaxStateBytes) + " bytes"};
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateEnv(const anycable::Env& env) {
  if (env.url().size() > limits::kMaxUrlBytes) {
    return Error{"too_large",
                 "env.url is longer than " + std::to_string(limits::kMaxUrlBytes) + " bytes"};
  }
  for (const auto& [k, v] : env.headers()) {
    if (v.size() > limits::kMaxHeaderBytes) {
      return Error{"too_large", "header " + k + " is longer than " +
                                    std::to_string(limits::kMaxHeaderBytes) + " bytes"};
    }
  }
  if (auto s = CheckStateMap(env.cstate(), "cstate"); !s.ok()) return s;
  return CheckStateMap(env.istate(), "istate");
}

void FillRequestRoots(const anycable::Env& env, std::string_view sid, RootSet needed,
                      Scope* scope) {
  if (Has(needed, Root::kUrl)) scope->Set(Root::kUrl, Json(env.url()));
  if (Has(needed, Root::kHost) || Has(needed, Root::kPath) || Has(needed, Root::kQuery)) {
    UrlParts url = ParseUrl(env.url());
    scope->Set(Root::kHost, Json(std::move(url.host)));
    scope->Set(Root::kPath, Json(std::move(url.path)));
    scope->Set(Root::kQuery, std::move(url.query));
  }
  if (Has(needed, Root::kHeaders) || Has(needed, Root::kCookies)) {
    // Protobuf maps iterate in no particular order; sorted names keep
    // rendered output deterministic.
    std::map<std::string, std::string> sorted;
    for (const auto& [k, v] : env.headers()) {
      sorted[Lower(k)] = v;
    }
    std::string cookie;
    if (auto it = sorted.find("cookie"); it != sorted.end()) cookie = it->second;
    Json headers = Json::object();
    for (auto& [k, v] : sorted) headers[k] = std::move(v);
    scope->Set(Root::kHeaders, std::move(headers));
    scope->Set(Root::kCookies, ParseCookies(cookie));
  }
  if (Has(needed, Root::kSid)) scope->Set(Root::kSid, Json(std::string(sid)));
}

Json DecodeStateMap(const google::protobuf::Map<std::string, std::string>& wire) {
  Json out = Json::object();
  if (wire.empty()) return out;
  std::map<std::string_view, std::string_view> sorted;
  for (const auto& [k, v] : wire) sorted.emplace(k, v);
  for (const auto& [k, v] : sorted) out[std::string(k)] = DecodeStateValue(v);
  return out;
}

}  // namespace cable::rpc
