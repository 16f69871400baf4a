// `cable broadcast --adapter api`: the real binary publishing to a REST API
// (a recording HTTP server standing in for it).

#include <gtest/gtest.h>

#include "support/cable_broadcast.h"
#include "support/http_sink.h"

namespace cable::testing {
namespace {

// hex(HMAC-SHA256("qwerty", "api-cable")) (openssl dgst -sha256 -hmac qwerty);
// not the broadcast key, which uses "broadcast-cable".
constexpr const char* kQwertyApiKey =
    "bdd0244b3664404d03b7d0c2f1b946dc4fc6c13fdcbfa2be62a4a28deb04d096";

TEST(BroadcastApiCli, PostsToApiPublishWithTheKeyDerivedFromTheSecret) {
  HttpSink sink;
  auto r = CableBroadcast({"--adapter", "api", "--api-url", sink.url("/api"), "--secret", "qwerty",
                           "--stream", "chat/42", "--data", R"({"text":"hi"})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sent chat/42"), std::string::npos) << r.out;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/publish");
  EXPECT_EQ(requests[0].header("authorization"), std::string("Bearer ") + kQwertyApiKey);
  EXPECT_EQ(requests[0].body, R"({"stream":"chat/42","data":"{\"text\":\"hi\"}"})");
}

TEST(BroadcastApiCli, ExplicitKeyBeatsTheSecretAndFlagsBeatTheEnvironment) {
  HttpSink sink;
  const std::string url = sink.url("/custom/");
  auto r = CableBroadcast({"--adapter", "api", "--api-url", url, "--stream", "s", "--data", "1"},
                          "", {{"ANYCABLE_API_SECRET", "envkey"}, {"ANYCABLE_SECRET", "qwerty"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = CableBroadcast({"--adapter", "api", "--api-url", url, "--api-key", "flagkey", "--stream", "s",
                      "--data", "1"},
                     "", {{"ANYCABLE_API_SECRET", "envkey"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = CableBroadcast({"--adapter", "api", "--api-url", url, "--api_secret", "none", "--secret",
                      "qwerty", "--stream", "s", "--data", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The broadcast key is for /_broadcast only.
  r = CableBroadcast({"--adapter", "api", "--api-url", url, "--broadcast-key", "bk", "--stream",
                      "s", "--data", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].target, "/custom/publish");
  EXPECT_EQ(requests[0].header("authorization"), "Bearer envkey");
  EXPECT_EQ(requests[1].header("authorization"), "Bearer flagkey");
  EXPECT_EQ(requests[2].header("authorization"), "");
  EXPECT_EQ(requests[3].header("authorization"), "");
}

TEST(BroadcastApiCli, RemoteDisconnectAndBatchGoThroughTheApi) {
  HttpSink sink;
  auto r = CableBroadcast(
      {"--adapter", "api", "--api-url", sink.url("/api"), "--disconnect", R"({"user_id":42})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = CableBroadcast({"--adapter", "api", "--api-url", sink.url("/api"), "--batch"},
                     "{\"stream\":\"a\",\"data\":1}\n{\"stream\":\"b\",\"data\":2}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/api/publish");
  EXPECT_EQ(
      requests[0].body,
      R"({"command":"disconnect","payload":{"identifier":"{\"user_id\":42}","reconnect":false}})");
  EXPECT_EQ(requests[1].body, R"([{"stream":"a","data":"1"},{"stream":"b","data":"2"}])");
}

TEST(BroadcastApiCli, RejectedKeyAndBadUrlFailClearly) {
  HttpSink sink;
  sink.set_status(401);
  auto r = CableBroadcast({"--adapter", "api", "--api-url", sink.url("/api"), "--api-key", "bad",
                           "--stream", "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("API key rejected (401)"), std::string::npos) << r.err;

  r = CableBroadcast({"--adapter", "api", "--api-url", "http://127.0.0.1:1/api?x=1", "--stream",
                      "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must not have a query"), std::string::npos) << r.err;
}

TEST(BroadcastApiCli, HelpDescribesTheAdapter) {
  auto r = CableBroadcast({"--help"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--api-url"), std::string::npos);
  EXPECT_NE(r.out.find("\"api-cable\""), std::string::npos);
}

}  // namespace
}  // namespace cable::testing
