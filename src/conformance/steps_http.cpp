// The `http` step: one request to the target's REST API and checks on the
// answer (status, JSON or text body, headers).

#include <cctype>

#include "common/broadcast/broadcast_key.h"
#include "common/http/url.h"
#include "common/json_depth.h"
#include "conformance/client_runner.h"

namespace cable::conformance {
namespace {

// Answers are small JSON documents; a larger one is a failure in itself.
constexpr size_t kMaxResponseBody = 1 << 20;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasLineBreak(const std::string& s) {
  return s.find_first_of("\r\n") != std::string::npos;
}

const std::string* FindHeader(const http::Headers& headers, const std::string& lower_name) {
  for (const auto& [name, value] : headers)
    if (Lower(name) == lower_name) return &value;
  return nullptr;
}

// A body on one line for reports (an HTML error page must not become
// twenty "received:" lines); the report shortens it further.
std::string OneLine(const std::string& body) {
  std::string out = body;
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// "401 Unauthorized: <body>" for reports.
std::string DescribeResponse(const http::Response& r) {
  std::string out = std::to_string(r.status) + (r.reason.empty() ? "" : " " + r.reason);
  if (!r.body.empty()) out += ": " + OneLine(r.body);
  return out;
}

}  // namespace

Result<http::Client*> ClientRunner::ApiClient(Millis timeout) {
  // One kept-alive client per timeout, as a backend keeps its connection.
  if (!http_ || http_timeout_ != timeout) {
    auto origin = http::ParseUrl(run_.target().api().url);
    if (!origin.ok()) return origin.error();
    const Endpoint ep = run_.target().endpoint();
    http::ClientOptions options;
    options.timeout = timeout;
    options.max_response_body = kMaxResponseBody;
    options.tls_ca_file = ep.tls_ca_file;
    options.tls_verify = ep.tls_verify;
    http_ = std::make_unique<http::Client>(std::move(*origin), std::move(options));
    http_timeout_ = timeout;
  }
  return http_.get();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const HttpStep& a) {
  auto path = a.path.RenderText(*this);
  if (!path.ok()) return Failed(s, path.error().message);
  if (HasLineBreak(*path) || path->empty() || (*path)[0] != '/')
    return Failed(s, "the path \"" + *path + "\" must start with / and have no line breaks");

  http::Headers headers;
  for (const auto& [name, value] : a.headers) {
    auto v = value.RenderText(*this);
    if (!v.ok()) return Failed(s, v.error().message);
    if (HasLineBreak(*v)) return Failed(s, "the value of header " + name + " has a line break");
    headers.emplace_back(name, *v);
  }
  std::string key;
  if (a.auth == HttpStep::Auth::kApi) {
    key = run_.target().api().key;
  } else if (a.auth == HttpStep::Auth::kKey) {
    auto k = a.key->RenderText(*this);
    if (!k.ok()) return Failed(s, k.error().message);
    key = *k;
  }
  if (HasLineBreak(key)) return Failed(s, "the key has a line break");
  if (!key.empty() && !broadcast::IsDisabledKey(key))
    headers.emplace_back("Authorization", "Bearer " + key);

  std::string body;
  if (a.body) {
    auto b = a.body->RenderText(*this);
    if (!b.ok()) return Failed(s, b.error().message);
    body = *b;
  } else if (a.json) {
    auto j = a.json->Render(*this);
    if (!j.ok()) return Failed(s, j.error().message);
    body = Dump(*j);
    if (!FindHeader(headers, "content-type"))
      headers.emplace_back("Content-Type", "application/json");
  }

  const std::string request = a.method + " " + *path;
  auto client = ApiClient(run_.Scaled(a.timeout.value_or(run_.scenario().timeout)));
  if (!client.ok()) return Failed(s, "cannot reach the REST API: " + client.error().message);
  if (run_.aborted().load()) return Aborted();
  auto res = (*client)->Send(a.method, *path, std::move(body), headers);
  if (!res.ok()) return Failed(s, request + " failed: " + res.error().message);

  if (auto m = Match(a.status, Json(res->status), false, *this); !m.ok) {
    return Failed(s, request + " answered " + std::to_string(res->status),
                  "status " + Describe(a.status, *this), {DescribeResponse(*res)});
  } else {
    run_.Bind(m.captures);
  }
  for (const auto& [name, pattern] : a.expect_headers) {
    const std::string* value = FindHeader(res->headers, name);
    const std::string expected = name + ": " + Describe(pattern, *this);
    if (pattern.kind == Pattern::Kind::kAbsent) {
      if (value) return Failed(s, request + ": header " + name + " is present", expected, {*value});
      continue;
    }
    if (!value) {
      return Failed(s, request + ": the answer has no header " + name, expected,
                    {DescribeResponse(*res)});
    }
    auto m = Match(pattern, Json(*value), a.exact, *this);
    if (!m.ok) {
      return Failed(s, request + ": header " + name + " does not match (" + m.why + ")", expected,
                    {*value});
    }
    run_.Bind(m.captures);
  }
  if (a.expect_json) {
    // The parser recurses; a hostile answer must not exhaust the stack.
    Json parsed = JsonDepthWithin(res->body) ? Json::parse(res->body, nullptr, false)
                                             : Json(Json::value_t::discarded);
    if (parsed.is_discarded()) {
      return Failed(s, request + ": the body is not JSON", Describe(*a.expect_json, *this),
                    {DescribeResponse(*res)});
    }
    auto m = Match(*a.expect_json, parsed, a.exact, *this);
    if (!m.ok) {
      return Failed(s, request + ": the body does not match (" + m.why + ")",
                    Describe(*a.expect_json, *this), {OneLine(res->body)});
    }
    run_.Bind(m.captures);
  }
  if (a.expect_body) {
    auto m = Match(*a.expect_body, Json(res->body), a.exact, *this);
    if (!m.ok) {
      return Failed(s, request + ": the body does not match (" + m.why + ")",
                    Describe(*a.expect_body, *this), {OneLine(res->body)});
    }
    run_.Bind(m.captures);
  }
  return Ok();
}

}  // namespace cable::conformance
