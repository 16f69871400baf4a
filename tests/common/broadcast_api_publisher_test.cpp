// The `api` adapter: publications POSTed to a server's REST API
// (<api_url>/publish) with the API key, against a recording HTTP server.

#include <gtest/gtest.h>

#include "common/broadcast/api_publisher.h"
#include "common/broadcast/publisher.h"
#include "support/http_sink.h"
#include "support/process.h"

namespace cable::broadcast {
namespace {

using testing::HttpSink;

const Publication kHello{"chat_42", R"({"text":"Hello"})", std::nullopt};

// hex(HMAC-SHA256("qwerty", "api-cable")), computed with
// `printf api-cable | openssl dgst -sha256 -hmac qwerty`.
constexpr const char* kQwertyApiKey =
    "bdd0244b3664404d03b7d0c2f1b946dc4fc6c13fdcbfa2be62a4a28deb04d096";

std::unique_ptr<Publisher> MakeApi(const std::string& api_url, const std::string& key) {
  PublisherConfig c;
  c.adapter = "api";
  c.api_url = api_url;
  c.api_key = key;
  c.http_url = "http://127.0.0.1:1/_broadcast";  // must not be used
  c.broadcast_key = "broadcast-key-must-not-be-sent";
  c.timeout_ms = 2000;
  auto p = MakePublisher(c);
  if (!p) ADD_FAILURE() << p.error().message;
  return p ? std::move(*p) : nullptr;
}

TEST(ApiKey, DerivedFromTheSecretWithItsOwnPhrase) {
  EXPECT_EQ(DeriveApiKey("qwerty"), kQwertyApiKey);
  EXPECT_EQ(ResolveApiKey("", "qwerty"), kQwertyApiKey);
  EXPECT_EQ(ResolveApiKey("explicit", "qwerty"), "explicit");  // an explicit key wins
  EXPECT_EQ(ResolveApiKey("", ""), "");
}

TEST(ApiPublishUrl, AppendsPublishToTheBasePath) {
  EXPECT_EQ(ApiPublishUrl("http://h:8080/api")->target, "/api/publish");
  EXPECT_EQ(ApiPublishUrl("http://h:8080/api/")->target, "/api/publish");
  EXPECT_EQ(ApiPublishUrl("http://h:8080/v1/cable-api")->target, "/v1/cable-api/publish");
  EXPECT_EQ(ApiPublishUrl("http://h:8080")->target, "/publish");
  EXPECT_EQ(ApiPublishUrl("https://h/api")->port, 443);

  auto q = ApiPublishUrl("http://h:8080/api?x=1");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, "bad_url");
  EXPECT_NE(q.error().message.find("must not have a query"), std::string::npos);
  EXPECT_EQ(ApiPublishUrl("h:8080/api").error().code, "bad_url");
}

TEST(ApiPublisher, PostsToThePublishEndpointWithTheApiKey) {
  HttpSink sink;
  auto publisher = MakeApi(sink.url("/api"), kQwertyApiKey);
  ASSERT_TRUE(publisher);
  Status s = publisher->Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_TRUE(publisher->Disconnect({R"({"user_id":42})", true}).ok());

  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/publish");
  EXPECT_EQ(requests[0].header("authorization"), std::string("Bearer ") + kQwertyApiKey);
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].body, ToJson(kHello));
  EXPECT_EQ(requests[1].target, "/api/publish");
  EXPECT_EQ(requests[1].body, ToJson(RemoteDisconnect{R"({"user_id":42})", true}));
}

TEST(ApiPublisher, NoKeyOrNoneSendsNoAuthorization) {
  HttpSink sink;
  for (const char* key : {"", "none"}) {
    auto publisher = MakeApi(sink.url("/api"), key);
    ASSERT_TRUE(publisher->Publish(kHello).ok());
  }
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) EXPECT_EQ(r.header("authorization"), "");
}

TEST(ApiPublisher, ErrorsNameTheApiKeyAndTheStatus) {
  HttpSink sink;
  sink.set_status(401);
  Status s = MakeApi(sink.url("/api"), "wrong")->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unauthorized");
  EXPECT_EQ(s.error().message, "API key rejected (401)");
  s = MakeApi(sink.url("/api"), "")->Publish(kHello);
  EXPECT_EQ(s.error().message, "API key required (401)");

  // The broker could not store the publication.
  sink.set_status(501, "Not Implemented");
  s = MakeApi(sink.url("/api"), "k")->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "http_status");
  EXPECT_NE(s.error().message.find("501"), std::string::npos) << s.error().message;
}

TEST(ApiPublisher, UnreachableServer) {
  auto publisher = MakeApi("http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/api", "k");
  Status s = publisher->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unreachable");
}

}  // namespace
}  // namespace cable::broadcast
