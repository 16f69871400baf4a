// `cable broadcast` end to end: the real binary against a recording HTTP
// server, redis-server and nats-server.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/cable_broadcast.h"
#include "support/http_sink.h"
#include "support/nats_server.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

// --- http -----------------------------------------------------------------

TEST(BroadcastCli, SendsDataAsJsonEncodedStringWithBearerKey) {
  HttpSink sink;
  auto r = CableBroadcast({"--url", sink.url(), "--broadcast-key", "k1", "--stream", "chat/42",
                           "--data", R"({ "text" : "hi" })"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, R"({"stream":"chat/42","data":"{\"text\":\"hi\"}"})");
  EXPECT_EQ(requests[0].header("authorization"), "Bearer k1");
  EXPECT_NE(r.out.find("sent chat/42"), std::string::npos) << r.out;
}

TEST(BroadcastCli, DerivesKeyFromSecretAndReadsEnvironment) {
  HttpSink sink;
  // The key the server derives for secret "qwerty" (tests/vectors/auth.json).
  const std::string derived = "42923a28b760e667fc92f7c6123bb07a282822b329dd2ef48e7aee7830d98485";
  auto r =
      CableBroadcast({"--stream", "s", "--data", "1", "--broadcast_key", "", "--secret", "qwerty"},
                     "", {{"ANYCABLE_HTTP_BROADCAST_URL", sink.url()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = CableBroadcast({"--stream", "s", "--data", "1"}, "",
                     {{"ANYCABLE_HTTP_BROADCAST_URL", sink.url()}, {"ANYCABLE_SECRET", "qwerty"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // An explicit key (here from the environment) wins over the secret.
  r = CableBroadcast({"--stream", "s", "--data", "1", "--url", sink.url()}, "",
                     {{"ANYCABLE_BROADCAST_KEY", "envkey"}, {"ANYCABLE_SECRET", "qwerty"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Flags beat environment variables.
  r = CableBroadcast(
      {"--stream", "s", "--data", "1", "--url", sink.url(), "--broadcast-key", "flag"}, "",
      {{"ANYCABLE_BROADCAST_KEY", "envkey"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].header("authorization"), "Bearer " + derived);
  EXPECT_EQ(requests[1].header("authorization"), "Bearer " + derived);
  EXPECT_EQ(requests[2].header("authorization"), "Bearer envkey");
  EXPECT_EQ(requests[3].header("authorization"), "Bearer flag");
}

TEST(BroadcastCli, RawSendsAPlainString) {
  HttpSink sink;
  auto r =
      CableBroadcast({"--url", sink.url(), "--stream", "news", "--data", "plain {text}", "--raw"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(sink.requests().size(), 1u);
  EXPECT_EQ(sink.requests()[0].body, R"({"stream":"news","data":"\"plain {text}\""})");
  EXPECT_EQ(sink.requests()[0].header("authorization"), "");
}

TEST(BroadcastCli, ExcludeSocket) {
  HttpSink sink;
  auto r = CableBroadcast(
      {"--url", sink.url(), "--stream", "chat", "--data", "true", "--exclude-socket", "sid-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sink.requests().at(0).body,
            R"({"stream":"chat","data":"true","meta":{"exclude_socket":"sid-1"}})");
}

TEST(BroadcastCli, StdinLinesEachBecomeAPublication) {
  HttpSink sink;
  const std::string input =
      "{\"stream\":\"a\",\"data\":{\"n\":1}}\n"
      "\n"
      "{\"text\":\"to default\"}\n"
      "{\"stream\":\"b\",\"data\":\"s\",\"exclude_socket\":\"sid-2\"}\n";
  auto r = CableBroadcast({"--url", sink.url(), "--stream", "default"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, R"({"stream":"a","data":"{\"n\":1}"})");
  EXPECT_EQ(requests[1].body, R"({"stream":"default","data":"{\"text\":\"to default\"}"})");
  EXPECT_EQ(requests[2].body, R"({"stream":"b","data":"\"s\"","meta":{"exclude_socket":"sid-2"}})");
  EXPECT_EQ(requests[0].connection, requests[2].connection);  // one kept-alive connection
}

TEST(BroadcastCli, BadStdinLinesAreReportedAndSkipped) {
  HttpSink sink;
  const std::string input = "1\n{oops\n2\n[3]\n{\"stream\":\"x\",\"data\":1,\"bad\":1}\n";
  auto r = CableBroadcast({"--url", sink.url(), "--stream", "s"}, input);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("invalid JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 5:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 of 5 messages failed"), std::string::npos) << r.err;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, R"({"stream":"s","data":"1"})");
  EXPECT_EQ(requests[1].body, R"({"stream":"s","data":"2"})");
  EXPECT_EQ(requests[2].body, R"({"stream":"s","data":"[3]"})");
}

TEST(BroadcastCli, RawStdinLinesAreStrings) {
  HttpSink sink;
  auto r = CableBroadcast({"--url", sink.url(), "--stream", "log", "--raw", "-q"},
                          "first line\n{\"stream\":\"x\",\"data\":1}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, R"({"stream":"log","data":"\"first line\""})");
  EXPECT_EQ(requests[1].body,
            R"({"stream":"log","data":"\"{\\\"stream\\\":\\\"x\\\",\\\"data\\\":1}\""})");
}

TEST(BroadcastCli, PlainLinesWithoutStreamAreErrors) {
  HttpSink sink;
  auto r = CableBroadcast({"--url", sink.url()}, "42\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no stream"), std::string::npos) << r.err;
  EXPECT_TRUE(sink.requests().empty());
}

TEST(BroadcastCli, BatchSendsOneArrayInOrder) {
  HttpSink sink;
  const std::string input =
      "{\"stream\":\"a\",\"data\":1}\n\"two\"\n{\"stream\":\"c\",\"data\":[3],\"exclude_socket\":"
      "\"x\"}\n";
  auto r = CableBroadcast({"--url", sink.url(), "--stream", "b", "--batch", "--json"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, R"([{"stream":"a","data":"1"},{"stream":"b","data":"\"two\""},)"
                              R"({"stream":"c","data":"[3]","meta":{"exclude_socket":"x"}}])");
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], nlohmann::json({{"ok", true}, {"stream", "a"}, {"line", 1}}));
  EXPECT_EQ(lines[2]["stream"], "c");
}

TEST(BroadcastCli, RemoteDisconnect) {
  HttpSink sink;
  auto r = CableBroadcast({"--url", sink.url(), "--disconnect", R"({"user_id":42})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = CableBroadcast({"--url", sink.url(), "--disconnect", "u2", "--reconnect", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonLines(r.out).at(0), nlohmann::json({{"ok", true}, {"disconnect", "u2"}}));
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(
      requests[0].body,
      R"({"command":"disconnect","payload":{"identifier":"{\"user_id\":42}","reconnect":false}})");
  EXPECT_EQ(requests[1].body,
            R"({"command":"disconnect","payload":{"identifier":"u2","reconnect":true}})");
}

TEST(BroadcastCli, JsonOutputAndQuiet) {
  HttpSink sink;
  auto r = CableBroadcast({"--url", sink.url(), "--stream", "chat/42", "--data", "{}", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(JsonLines(r.out),
            std::vector<nlohmann::json>{nlohmann::json({{"ok", true}, {"stream", "chat/42"}})});
  r = CableBroadcast({"--url", sink.url(), "--stream", "chat/42", "--data", "{}", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST(BroadcastCli, RejectedKeyFails) {
  HttpSink sink;
  sink.set_status(401);
  auto r = CableBroadcast(
      {"--url", sink.url(), "--broadcast-key", "bad", "--stream", "s", "--data", "1", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["ok"], false);
  EXPECT_EQ(lines[0]["code"], "unauthorized");
  EXPECT_EQ(lines[0]["error"], "broadcast key rejected (401)");
}

// --- usage and connection errors ------------------------------------------

TEST(BroadcastCli, UsageErrors) {
  auto r = CableBroadcast({"--adapter", "kafka", "--stream", "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("kafka"), std::string::npos) << r.err;

  r = CableBroadcast({"--stream", "s", "--data", "{text: hi}"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--raw"), std::string::npos) << r.err;

  r = CableBroadcast({"--data", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--stream"), std::string::npos) << r.err;

  r = CableBroadcast({"--adapter", "redis", "--redis-url", "unix:///run/redis.sock", "--stream",
                      "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unix socket"), std::string::npos) << r.err;

  // A client certificate without its key (or the other way round).
  r = CableBroadcast(
      {"--adapter", "redis", "--redis-tls-cert", CableBinary(), "--stream", "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--redis-tls-key"), std::string::npos) << r.err;

  r = CableBroadcast({"--reconnect", "--stream", "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(BroadcastCli, UnreachableServerFailsClearly) {
  const std::string port = std::to_string(FreePort());
  auto r = CableBroadcast(
      {"--url", "http://127.0.0.1:" + port + "/_broadcast", "--stream", "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect to 127.0.0.1:" + port), std::string::npos) << r.err;

  r = CableBroadcast({"--adapter", "redis", "--redis-url", "redis://127.0.0.1:" + port, "--stream",
                      "s", "--data", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect to Redis at 127.0.0.1:" + port), std::string::npos) << r.err;

  r = CableBroadcast({"--adapter", "nats", "--nats-servers", "nats://127.0.0.1:" + port, "--stream",
                      "s", "--data", "1", "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot connect to NATS"), std::string::npos) << r.err;
}

TEST(BroadcastCli, HelpShowsExamplesAndUrlRule) {
  auto r = CableBroadcast({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("http://localhost:8090/_broadcast"), std::string::npos);
  EXPECT_NE(r.out.find("http://localhost:8080/_broadcast"), std::string::npos);
}

// --- redis / redisx / nats ------------------------------------------------

TEST(BroadcastCli, RedisAdapter) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  RedisSubscriber sub(redis.port(), "__anycable__");
  RedisSubscriber custom(redis.port(), "custom");
  auto r = CableBroadcast({"--adapter", "redis", "--redis-url", redis.url(), "--stream", "chat/1",
                           "--data", R"({"a":1})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sub.Next(), R"({"stream":"chat/1","data":"{\"a\":1}"})");

  // REDIS_URL is honoured like the server does; the channel comes from its env var.
  r = CableBroadcast({"--adapter", "redis", "--stream", "chat/2", "--data", "2"}, "",
                     {{"REDIS_URL", redis.url()}, {"ANYCABLE_REDIS_CHANNEL", "custom"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(custom.Next(), R"({"stream":"chat/2","data":"2"})");
}

TEST(BroadcastCli, RedisxAdapter) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  auto r = CableBroadcast({"--adapter", "redisx", "--stream", "s", "--batch"}, "1\n2\n",
                          {{"ANYCABLE_REDIS_URL", redis.url()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto entries = redis.Command({"XRANGE", "__anycable__", "-", "+"});
  ASSERT_EQ(entries.size(), 1u) << entries.dump();
  EXPECT_EQ(entries[0][1], nlohmann::json({"payload", R"([{"stream":"s","data":"1"},)"
                                                      R"({"stream":"s","data":"2"}])"}));
}

TEST(BroadcastCli, NatsAdapter) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats;
  NatsSubscriber sub(nats.url(), "__anycable__");
  NatsSubscriber custom(nats.url(), "bcast");
  auto r =
      CableBroadcast({"--adapter", "nats", "--nats-servers", nats.url(), "--disconnect", "u1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sub.Next(),
            R"({"command":"disconnect","payload":{"identifier":"u1","reconnect":false}})");
  r = CableBroadcast({"--adapter", "nats", "--stream", "s", "--data", "[]"}, "",
                     {{"ANYCABLE_NATS_SERVERS", nats.url()}, {"ANYCABLE_NATS_CHANNEL", "bcast"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(custom.Next(), R"({"stream":"s","data":"[]"})");
}

}  // namespace
}  // namespace cable::testing
