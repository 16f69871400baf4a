// Loading the presence steps (join, leave, presence, subscribe with
// presence), drop, the `http` step and the urlencode filter, and how their
// mistakes are reported.

#include <gtest/gtest.h>

#include "scenario_text.h"

namespace cable::conformance {
namespace {

std::string OneStep(const std::string& step) {
  return "name: s\nvars: {id: x, stream: chat/1}\nsteps:\n  - " + step + "\n";
}

class Vars : public RenderContext {
 public:
  std::optional<Json> Variable(std::string_view name) const override {
    if (name == "stream") return Json("chat/1 ü");
    if (name == "n") return Json(42);
    return std::nullopt;
  }
  Result<std::string> Sign(std::string_view, SignKey) const override { return Error{"no", "no"}; }
};

TEST(PresenceSteps, Load) {
  auto r = Load(R"(name: s
vars: {id: x}
steps:
  - connect
  - subscribe: {identifier: "{{id}}", presence: {id: u1, info: {name: Jack}}}
  - join: {identifier: "{{id}}", id: u2, info: {name: Jill}}
  - join: {identifier: "{{id}}", id: 42}
  - join: {identifier: "{{id}}", presence: "not an object"}
  - leave: {identifier: "{{id}}"}
  - presence: {identifier: "{{id}}"}
  - presence: {identifier: "{{id}}", data: {return_records: false}}
  - drop
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Steps& steps = r->front().clients[0].steps;
  ASSERT_EQ(steps.size(), 9u);
  const auto& sub = std::get<SubscribeStep>(steps[1].action);
  ASSERT_TRUE(sub.presence);
  EXPECT_EQ(sub.presence->kind, Value::Kind::kObject);
  const auto& join = std::get<JoinStep>(steps[2].action);
  ASSERT_TRUE(join.presence_id && join.info);
  EXPECT_FALSE(join.presence);
  EXPECT_EQ(std::get<JoinStep>(steps[3].action).presence_id->scalar, Json(42));
  EXPECT_FALSE(std::get<JoinStep>(steps[3].action).info);
  EXPECT_TRUE(std::get<JoinStep>(steps[4].action).presence);
  EXPECT_EQ(steps[5].keyword, "leave");
  Vars vars;
  EXPECT_EQ(*std::get<PresenceStep>(steps[6].action).data.Render(vars),
            Json::parse(R"({"return_records":true})"));
  EXPECT_EQ(*std::get<PresenceStep>(steps[7].action).data.Render(vars),
            Json::parse(R"({"return_records":false})"));
  EXPECT_TRUE(std::holds_alternative<DropStep>(steps[8].action));
}

TEST(PresenceSteps, Mistakes) {
  std::string e = LoadError(OneStep("join: {identifier: \"{{id}}\", id: u1, presence: {id: u1}}"));
  EXPECT_NE(e.find("t.yml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("presence replaces id and info"), std::string::npos) << e;
  e = LoadError(OneStep("join: {identifier: \"{{id}}\", name: u1}"));
  EXPECT_NE(e.find("unknown key \"name\" in join"), std::string::npos) << e;
  e = LoadError(OneStep("leave: {}"));
  EXPECT_NE(e.find("missing channel (or identifier)"), std::string::npos) << e;
  e = LoadError(OneStep("drop: now"));
  EXPECT_NE(e.find("no arguments for drop"), std::string::npos) << e;
  e = LoadError(OneStep("presense: {identifier: \"{{id}}\"}"));
  EXPECT_NE(e.find("did you mean \"presence\""), std::string::npos) << e;
}

TEST(UrlencodeFilter, PercentEncodesTheValueAsText) {
  Vars vars;
  std::string error;
  auto t = TextTemplate::Parse("/api/presence/{{stream|urlencode}}/users", &error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(*t->RenderText(vars), "/api/presence/chat%2F1%20%C3%BC/users");
  EXPECT_EQ(t->variables(), std::vector<std::string>{"stream"});
  // Alone in a string a filtered placeholder is still text, not the typed value.
  auto one = TextTemplate::Parse("{{ n | urlencode }}", &error);
  ASSERT_TRUE(one) << error;
  EXPECT_EQ(*one->Render(vars), Json("42"));

  EXPECT_FALSE(TextTemplate::Parse("{{stream|upcase}}", &error));
  EXPECT_NE(error.find("unknown filter \"upcase\""), std::string::npos) << error;
  EXPECT_NE(error.find("expected urlencode"), std::string::npos) << error;
  std::string e = LoadError(OneStep("http: {path: \"/api/{{stream|base64}}\"}"));
  EXPECT_NE(e.find("t.yml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown filter \"base64\""), std::string::npos) << e;
  e = LoadError("name: s\nvars: {\"a|urlencode\": 1}\nsteps: [connect]\n");
  EXPECT_NE(e.find("bad variable name"), std::string::npos) << e;
}

TEST(HttpStep, LoadsEveryKey) {
  auto r = Load(R"(name: s
vars: {stream: chat/1}
steps:
  - http:
      method: post
      path: "{{api_path}}/publish"
      headers: {Origin: "http://example.com", X-Run: "{{run}}"}
      auth: none
      json: {stream: "{{stream}}", data: "1"}
      expect:
        status: 201
        body: ""
        headers: {Access-Control-Allow-Origin: !any, X-Absent: !absent}
      timeout: 2s
  - http: {path: "/api/presence/{{stream|urlencode}}/users", expect: {json: {total: !capture n:int}, exact: true}}
  - http: {path: /api/x, auth: "{{stream}}-key", body: "raw", expect: {status: !range [400, 499]}}
  - http: {path: /api/y, headers: {Authorization: Basic eA==}}
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Steps& steps = r->front().clients[0].steps;
  const auto& post = std::get<HttpStep>(steps[0].action);
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.auth, HttpStep::Auth::kNone);
  EXPECT_TRUE(post.json);
  ASSERT_EQ(post.headers.size(), 2u);
  ASSERT_EQ(post.expect_headers.size(), 2u);
  EXPECT_EQ(post.expect_headers[0].first, "access-control-allow-origin");  // matched any case
  EXPECT_EQ(post.expect_headers[1].second.kind, Pattern::Kind::kAbsent);
  EXPECT_EQ(post.status.kind, Pattern::Kind::kEqual);
  EXPECT_EQ(post.timeout, std::chrono::milliseconds(2000));

  const auto& get = std::get<HttpStep>(steps[1].action);
  EXPECT_EQ(get.method, "GET");  // no body
  EXPECT_EQ(get.auth, HttpStep::Auth::kApi);
  EXPECT_EQ(get.status.kind, Pattern::Kind::kRange);  // by default any 2xx
  EXPECT_TRUE(get.exact);
  ASSERT_TRUE(get.expect_json);

  const auto& keyed = std::get<HttpStep>(steps[2].action);
  EXPECT_EQ(keyed.method, "POST");  // a body
  EXPECT_EQ(keyed.auth, HttpStep::Auth::kKey);
  EXPECT_EQ(keyed.key->source(), "{{stream}}-key");
  // A written Authorization header is the authorization.
  EXPECT_EQ(std::get<HttpStep>(steps[3].action).auth, HttpStep::Auth::kNone);
}

TEST(HttpStep, MistakesNameTheirPlace) {
  struct Case {
    std::string step, message;
  };
  for (const auto& c : std::vector<Case>{
           {"http: {method: GET}", "http needs a path"},
           {"http: {path: api/publish}", "expected a path starting with /"},
           {"http: {path: /a, method: \"GE T\"}", "expected an HTTP method"},
           {"http: {path: /a, body: x, json: {a: 1}}", "either body (text) or json"},
           {"http: {path: /a, auth: api, headers: {authorization: x}}",
            "either auth or an Authorization header"},
           {"http: {path: /a, headers: {Content-Length: \"5\"}}", "sets Content-Length itself"},
           {"http: {path: /a, headers: {\"bad name\": x}}", "a header name"},
           {"http: {path: /a, expect: {status: 999}}", "599"},
           {"http: {path: /a, expect: {json: {}, body: x}}", "either json"},
           {"http: {path: /a, expect: {stauts: 200}}", "did you mean \"status\""},
           {"http: {pat: /a}", "did you mean \"path\""},
           {"http: /a", "expected a mapping with at least a path"},
       }) {
    std::string e = LoadError(OneStep(c.step));
    EXPECT_NE(e.find("t.yml:4:"), std::string::npos) << c.step << "\n" << e;
    EXPECT_NE(e.find(c.message), std::string::npos) << c.step << "\n" << e;
  }
}

TEST(HttpStep, ApiPathIsABuiltinVariable) {
  EXPECT_TRUE(Load(OneStep("http: {path: \"{{api_path}}/publish\"}")).ok());
  std::string e = LoadError(OneStep("http: {path: \"{{api_base}}/publish\"}"));
  EXPECT_NE(e.find("uses {{api_base}} but nothing defines it"), std::string::npos) << e;
  EXPECT_NE(e.find("api_path"), std::string::npos) << e;
}

}  // namespace
}  // namespace cable::conformance
