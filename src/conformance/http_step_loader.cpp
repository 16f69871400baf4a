#include "conformance/http_step_loader.h"

#include <algorithm>
#include <cctype>

namespace cable::conformance {
namespace {

constexpr size_t kMaxMethodBytes = 16;
constexpr size_t kMaxHeaderNameBytes = 256;

bool Has(const YAML::Node& map, const char* key) {
  return map.IsMap() && map[key];
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// RFC 9110 token characters: what a method or a header name may hold.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// The client writes these itself; a scenario that sets them would send a
// request whose framing lies about its body.
bool IsFramingHeader(const std::string& lower) {
  return lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
         lower == "connection";
}

Pattern AnySuccess() {
  Pattern p;
  p.kind = Pattern::Kind::kRange;
  p.items.push_back(Pattern::Equal(Value::Scalar(Json(200))));
  p.items.push_back(Pattern::Equal(Value::Scalar(Json(299))));
  return p;
}

class HttpReader {
 public:
  explicit HttpReader(const YamlReader& r) : r_(r) {}

  HttpStep Read(const YAML::Node& args, const YAML::Node& at) {
    if (!args || !args.IsMap()) r_.Expected(at, "a mapping with at least a path");
    r_.CheckMap(args, "http",
                {"method", "path", "headers", "auth", "body", "json", "expect", "timeout"});
    HttpStep s;
    if (!Has(args, "path")) r_.Fail(at, "http needs a path, such as \"{{api_path}}/publish\"");
    s.path = r_.Text(args["path"], "a path");
    const std::string& source = s.path.source();
    if (source.rfind("/", 0) != 0 && source.rfind("{{", 0) != 0)
      r_.Expected(args["path"], "a path starting with / (or with a variable such as {{api_path}})");
    if (Has(args, "body") && Has(args, "json"))
      r_.Fail(args["json"], "give either body (text) or json (a value), not both");
    if (Has(args, "body")) s.body = r_.Text(args["body"], "the request body");
    if (Has(args, "json")) s.json = r_.ReadValue(args["json"]);
    s.method = s.body || s.json ? "POST" : "GET";
    if (Has(args, "method")) {
      s.method = r_.String(args["method"], "an HTTP method");
      std::transform(s.method.begin(), s.method.end(), s.method.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (!IsToken(s.method) || s.method.size() > kMaxMethodBytes)
        r_.Expected(args["method"], "an HTTP method such as GET, POST or OPTIONS");
    }
    bool authorization_header = false;
    if (Has(args, "headers")) {
      const YAML::Node h = args["headers"];
      if (!h.IsMap()) r_.Expected(h, "a mapping of header names to values");
      for (auto it = h.begin(); it != h.end(); ++it) {
        std::string name = r_.String(it->first, "a header name");
        if (!IsToken(name) || name.size() > kMaxHeaderNameBytes)
          r_.Expected(it->first, "a header name (letters, digits, - and the like)");
        if (IsFramingHeader(Lower(name))) r_.Fail(it->first, "the client sets " + name + " itself");
        if (Lower(name) == "authorization") authorization_header = true;
        if (!it->second.IsScalar()) r_.Expected(it->second, "a text value for " + name);
        s.headers.emplace_back(name, r_.Text(it->second, "a header value"));
      }
    }
    if (Has(args, "auth")) {
      if (authorization_header)
        r_.Fail(args["auth"], "give either auth or an Authorization header, not both");
      const std::string auth = r_.String(args["auth"], "api, none or a key");
      if (auth == "api") {
        s.auth = HttpStep::Auth::kApi;
      } else if (auth == "none") {
        s.auth = HttpStep::Auth::kNone;
      } else {
        s.auth = HttpStep::Auth::kKey;
        s.key = r_.Text(args["auth"], "a bearer key");
      }
    } else if (authorization_header) {
      s.auth = HttpStep::Auth::kNone;  // the written header is the authorization
    }
    s.status = AnySuccess();
    if (Has(args, "expect")) Expect(args["expect"], &s);
    if (Has(args, "timeout")) s.timeout = r_.Duration(args["timeout"]);
    return s;
  }

 private:
  void Expect(const YAML::Node& e, HttpStep* s) {
    if (!e.IsMap()) r_.Expected(e, "a mapping with status, json, body or headers");
    r_.CheckMap(e, "expect", {"status", "json", "body", "headers", "exact"});
    if (Has(e, "status")) {
      const YAML::Node st = e["status"];
      if (r_.IsPlain(st)) {
        s->status = Pattern::Equal(Value::Scalar(Json(r_.Int(st, 100, 599))));
      } else {
        s->status = r_.ReadPattern(st);
      }
    }
    if (Has(e, "json") && Has(e, "body"))
      r_.Fail(e["body"], "give either json (the body parsed) or body (its text), not both");
    if (Has(e, "json")) s->expect_json = r_.ReadPattern(e["json"]);
    if (Has(e, "body")) s->expect_body = r_.ReadPattern(e["body"]);
    if (Has(e, "headers")) {
      const YAML::Node h = e["headers"];
      if (!h.IsMap()) r_.Expected(h, "a mapping of header names to expected values");
      for (auto it = h.begin(); it != h.end(); ++it) {
        std::string name = r_.String(it->first, "a header name");
        if (!IsToken(name) || name.size() > kMaxHeaderNameBytes)
          r_.Expected(it->first, "a header name");
        s->expect_headers.emplace_back(Lower(name), r_.ReadPattern(it->second));
      }
    }
    if (Has(e, "exact")) s->exact = r_.Bool(e["exact"]);
  }

  const YamlReader& r_;
};

}  // namespace

HttpStep ReadHttpStep(const YamlReader& r, const YAML::Node& args, const YAML::Node& at) {
  return HttpReader(r).Read(args, at);
}

}  // namespace cable::conformance
