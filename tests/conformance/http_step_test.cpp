// The `http` step and the api broadcast adapter as the runner executes them:
// the real binary against a recording HTTP server standing in for the
// target's REST API.

#include <gtest/gtest.h>

#include "common/broadcast/api_publisher.h"
#include "conformance_helpers.h"
#include "support/http_sink.h"
#include "support/temp_dir.h"

namespace cable::testing {
namespace {

// Runs one scenario file against `sink` as the REST API (no WebSocket
// server: the scenarios do not connect).
RunResult RunAgainst(const HttpSink& sink, const std::string& scenario,
                     std::vector<std::string> extra = {}) {
  TempDir dir;
  std::string file = dir.Write("http.yml", scenario);
  std::vector<std::string> args = {file,
                                   "--target-url",
                                   "ws://127.0.0.1:" + std::to_string(sink.port()) + "/cable",
                                   "--api-url",
                                   sink.url("/v1/api"),
                                   "--secret",
                                   "qwerty",
                                   "--jobs",
                                   "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Conformance(args);
}

TEST(HttpStepRun, SendsTheRequestAndChecksTheAnswer) {
  HttpSink sink;
  sink.set_status(200, R"({"type":"info","total":2,"records":[{"id":"u1"},{"id":"u2"}]})");
  sink.set_response_header("Content-Type", "application/json");
  sink.set_response_header("Access-Control-Allow-Origin", "*");
  RunResult r = RunAgainst(sink, R"(name: http
vars: {stream: "chat/1"}
steps:
  - http:
      path: "{{api_path}}/presence/{{stream|urlencode}}/users"
      expect:
        status: 200
        json: {type: info, total: !capture total:int, records: [{id: u1}, {id: u2}]}
        headers: {access-control-allow-origin: "*", X-Missing: !absent}
  - http:
      method: post
      path: "{{api_path}}/publish?n={{total}}"
      headers: {Origin: "http://example.com"}
      auth: "literal-{{total}}"
      json: {stream: "{{stream}}", data: "1"}
      expect: {status: !range [200, 299], body: !regex "^\\{\"type\""}
  - http: {method: OPTIONS, path: /v1/api/publish, auth: none}
)");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LastLine(r.out), "1 passed, 0 failed, 0 skipped") << r.out;

  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/api/presence/chat%2F1/users");
  // The default auth is the API key, derived from --secret with "api-cable".
  EXPECT_EQ(requests[0].header("authorization"), "Bearer " + broadcast::DeriveApiKey("qwerty"));
  EXPECT_EQ(requests[0].body, "");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/v1/api/publish?n=2");  // a capture from the first answer
  EXPECT_EQ(requests[1].header("authorization"), "Bearer literal-2");
  EXPECT_EQ(requests[1].header("origin"), "http://example.com");
  EXPECT_EQ(requests[1].header("content-type"), "application/json");
  EXPECT_EQ(requests[1].body, R"({"stream":"chat/1","data":"1"})");
  EXPECT_EQ(requests[2].method, "OPTIONS");
  EXPECT_EQ(requests[2].header("authorization"), "");
}

TEST(HttpStepRun, AWrongStatusFailsWithTheRequestAndTheAnswer) {
  HttpSink sink;
  sink.set_status(401, "unauthorized");
  RunResult r = RunAgainst(sink, R"(name: http
steps:
  - http: {path: "{{api_path}}/presence/x/users", expect: {status: 200}}
)");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(LastLine(r.out), "0 passed, 1 failed, 0 skipped") << r.out;
  EXPECT_NE(r.out.find("http.yml:3:5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GET /v1/api/presence/x/users answered 401"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("401 Unauthorized: unauthorized"), std::string::npos) << r.out;
}

TEST(HttpStepRun, ABodyOrHeaderThatDoesNotMatchFails) {
  HttpSink sink;
  sink.set_status(200, R"({"type":"info","total":1,"records":[{"id":"u1"}]})");
  RunResult r = RunAgainst(sink, R"(name: http
steps:
  - http: {path: /x, expect: {json: {type: info, total: 2}}}
)");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("the body does not match"), std::string::npos) << r.out;

  // exact: records must not carry keys the pattern leaves out.
  r = RunAgainst(sink, R"(name: http
steps:
  - http: {path: /x, expect: {json: {type: info, total: 1}, exact: true}}
)");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;

  sink.set_status(200, "not json");
  r = RunAgainst(sink, R"(name: http
steps:
  - http: {path: /x, expect: {json: {type: info}}}
)");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("the body is not JSON"), std::string::npos) << r.out;

  r = RunAgainst(sink, R"(name: http
steps:
  - http: {path: /x, expect: {headers: {Access-Control-Allow-Origin: "*"}}}
)");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("the answer has no header access-control-allow-origin"), std::string::npos)
      << r.out;
}

TEST(HttpStepRun, ApiKeyNoneSendsNoAuthorization) {
  HttpSink sink;
  sink.set_status(200);
  RunResult r =
      RunAgainst(sink, "name: http\nsteps: [{http: {path: /x}}]\n", {"--api-key", "none"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(sink.requests().size(), 1u);
  EXPECT_EQ(sink.requests()[0].header("authorization"), "");
}

TEST(HttpStepRun, TheApiAdapterPublishesToThePublishEndpoint) {
  HttpSink sink;
  RunResult r = RunAgainst(sink, R"(name: api broadcast
steps:
  - broadcast: {adapter: api, stream: "chat/1", data: {text: hi}}
  - broadcast: {adapter: api, stream: "chat/1", data: 1, key: explicit}
)",
                           {"--api-key", "runner-key"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/v1/api/publish");
  EXPECT_EQ(requests[0].header("authorization"), "Bearer runner-key");
  EXPECT_EQ(requests[0].body, R"({"stream":"chat/1","data":"{\"text\":\"hi\"}"})");
  EXPECT_EQ(requests[1].header("authorization"), "Bearer explicit");

  // The default adapter, and a refused key.
  sink.set_status(401);
  r = RunAgainst(sink, R"(name: api broadcast
steps:
  - broadcast: {stream: "chat/1", data: 1, expect_error: unauthorized}
)",
                 {"--broadcast-adapter", "api"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(sink.requests().back().header("authorization"),
            "Bearer " + broadcast::DeriveApiKey("qwerty"));
}

}  // namespace
}  // namespace cable::testing
