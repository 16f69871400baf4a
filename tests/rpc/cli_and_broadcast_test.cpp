// `cable rpc` as a process, and broadcasts from channel actions reaching
// real HTTP and Redis endpoints.

#include <gmock/gmock.h>
#include <signal.h>

#include <algorithm>
#include <fstream>

#include "common/broadcast/api_publisher.h"
#include "common/broadcast/broadcast_key.h"
#include "rpc/publisher_sink.h"
#include "rpc_fixture.h"
#include "support/http_sink.h"
#include "support/redis_server.h"

namespace cable::rpc::testing {
namespace {

using cable::testing::CableBinary;
using cable::testing::ChildProcess;
using cable::testing::FreePort;
using cable::testing::WaitForPort;
using ::testing::HasSubstr;

// A `cable rpc` process on a free port and a stub talking to it.
struct RpcProcess {
  explicit RpcProcess(std::vector<std::string> extra_args,
                      std::map<std::string, std::string> env = {}) {
    port = FreePort();
    std::vector<std::string> argv = {CableBinary(), "rpc", "--host",
                                     "127.0.0.1:" + std::to_string(port)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    cable::testing::SpawnOptions options;
    options.env = std::move(env);
    // Keep the developer's environment from choosing the adapter.
    options.unset_env = {"ANYCABLE_BROADCAST_ADAPTER", "ANYCABLE_HTTP_BROADCAST_URL",
                         "ANYCABLE_BROADCAST_KEY",     "ANYCABLE_SECRET",
                         "ANYCABLE_RPC_HOST",          "ANYCABLE_HTTP_BROADCAST_SECRET",
                         "ANYCABLE_API_SECRET"};
    for (const auto& [k, v] : options.env) {
      options.unset_env.erase(std::remove(options.unset_env.begin(), options.unset_env.end(), k),
                              options.unset_env.end());
    }
    process = ChildProcess(argv, options);
    started = process.WaitForOutput("cable rpc: serving") && WaitForPort(port);
    stub = anycable::RPC::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                      grpc::InsecureChannelCredentials()));
  }

  anycable::CommandResponse Perform(const std::string& identifier, const std::string& data) {
    anycable::CommandMessage req;
    req.set_command("message");
    req.set_identifier(identifier);
    req.set_data(data);
    anycable::CommandResponse res;
    grpc::ClientContext ctx;
    EXPECT_TRUE(stub->Command(&ctx, req, &res).ok());
    return res;
  }

  int port = 0;
  bool started = false;
  ChildProcess process;
  std::unique_ptr<anycable::RPC::Stub> stub;
};

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(RpcCli, DefinitionErrorExitsTwoWithPosition) {
  std::string path =
      WriteTemp("bad_rpc.yml", "channels:\n  A:\n    on_subscribe:\n      - strem_from: a\n");
  auto r = cable::testing::Run({CableBinary(), "rpc", "--channels", path, "--host", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cable rpc: error: " + path + ":4:9: unknown step \"strem_from\""));
  auto missing = cable::testing::Run({CableBinary(), "rpc", "--channels", "no-such-thing"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("not a built-in definition (anyt, benchmark, demo)"));
  auto adapter = cable::testing::Run(
      {CableBinary(), "rpc", "--channels", "demo", "--broadcast-adapter", "kafka"});
  EXPECT_EQ(adapter.exit_code, 2);
  EXPECT_THAT(adapter.err, HasSubstr("kafka"));
}

TEST(RpcCli, ServesUntilSigtermAndRefusesABusyPort) {
  RpcProcess rpc({"--channels", "anyt,benchmark", "--channels", "demo"});
  ASSERT_TRUE(rpc.started) << rpc.process.Stderr();
  EXPECT_THAT(rpc.process.Stdout(),
              HasSubstr("cable rpc: serving 8 connection handlers, 18 channels on 127.0.0.1:" +
                        std::to_string(rpc.port) + " (broadcasts: http "));
  anycable::ConnectionRequest req;
  req.mutable_env()->set_url("http://localhost/cable?test=uid&uid=7");
  anycable::ConnectionResponse res;
  grpc::ClientContext ctx;
  ctx.AddMetadata("sid", "abc");
  ASSERT_TRUE(rpc.stub->Connect(&ctx, req, &res).ok());
  EXPECT_EQ(res.identifiers(), R"({"uid":"7"})");
  EXPECT_EQ(res.transmissions(0), R"({"type":"welcome","sid":"abc"})");

  auto busy = cable::testing::Run({CableBinary(), "rpc", "--channels", "anyt", "--host",
                                   "127.0.0.1:" + std::to_string(rpc.port)});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(rpc.port)));

  rpc.process.Signal(SIGTERM);
  EXPECT_EQ(rpc.process.Wait(std::chrono::seconds(10)), 0);
}

TEST(RpcCli, HostFromEnvironment) {
  int port = FreePort();
  cable::testing::SpawnOptions options;
  options.env = {{"ANYCABLE_RPC_HOST", "127.0.0.1:" + std::to_string(port)}};
  ChildProcess p({CableBinary(), "rpc", "--channels", "demo"}, options);
  ASSERT_TRUE(p.WaitForOutput("cable rpc: serving")) << p.Stderr();
  EXPECT_TRUE(WaitForPort(port));
  p.Signal(SIGINT);
  EXPECT_EQ(p.Wait(), 0);
}

TEST(RpcBroadcasts, HttpWithDerivedKey) {
  cable::testing::HttpSink sink;
  RpcProcess rpc(
      {"--channels", "anyt", "--broadcast-adapter", "http", "--broadcast-url", sink.url()},
      {{"ANYCABLE_SECRET", "s3cret"}});
  ASSERT_TRUE(rpc.started) << rpc.process.Stderr();
  auto res = rpc.Perform(R"({"channel":"Anyt::TestChannels::StopStreamsChannel"})",
                         R"({"action":"ping","name":"a"})");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  ASSERT_TRUE(sink.WaitForRequests(1));
  auto req = sink.requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/_broadcast");
  EXPECT_EQ(req.body, R"({"stream":"a","data":"{\"reply\":\"pong\"}"})");
  EXPECT_EQ(req.header("authorization"), "Bearer " + broadcast::DeriveBroadcastKey("s3cret"));
}

TEST(RpcBroadcasts, ApiAdapterPostsToThePublishEndpointWithTheApiKey) {
  cable::testing::HttpSink sink;
  RpcProcess rpc({"--channels", "anyt", "--broadcast-adapter", "api", "--api-url", sink.url("/api"),
                  "--broadcast-url", "http://127.0.0.1:1/_broadcast"},
                 {{"ANYCABLE_SECRET", "s3cret"}});
  ASSERT_TRUE(rpc.started) << rpc.process.Stderr();
  auto res = rpc.Perform(R"({"channel":"Anyt::TestChannels::StopStreamsChannel"})",
                         R"({"action":"ping","name":"a"})");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  ASSERT_TRUE(sink.WaitForRequests(1));
  auto req = sink.requests().at(0);
  EXPECT_EQ(req.target, "/api/publish");
  EXPECT_EQ(req.body, R"({"stream":"a","data":"{\"reply\":\"pong\"}"})");
  EXPECT_EQ(req.header("authorization"), "Bearer " + broadcast::DeriveApiKey("s3cret"));
}

TEST(RpcBroadcasts, HttpFailureDoesNotFailTheCall) {
  cable::testing::HttpSink sink;
  sink.set_status(500);
  RpcProcess rpc({"--channels", "anyt", "--broadcast-url", sink.url()});
  ASSERT_TRUE(rpc.started) << rpc.process.Stderr();
  auto res = rpc.Perform(R"({"channel":"Anyt::TestChannels::StopStreamsChannel"})",
                         R"({"action":"ping","name":"a"})");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  EXPECT_TRUE(rpc.process.WaitForOutput("broadcast failed"));
}

TEST(RpcBroadcasts, RedisPubSubFromDisconnect) {
  if (!cable::testing::RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  cable::testing::RedisServer redis;
  cable::testing::RedisSubscriber sub(redis.port(), "__anycable__");
  RpcProcess rpc({"--channels", "anyt", "--broadcast-adapter", "redis"},
                 {{"REDIS_URL", redis.url()}});
  ASSERT_TRUE(rpc.started) << rpc.process.Stderr();
  std::string id = R"({"channel":"Anyt::TestChannels::ChannelStateChannel","name":"chipolino"})";
  anycable::DisconnectRequest req;
  req.set_identifiers("{}");
  req.add_subscriptions(id);
  (*req.mutable_env()->mutable_istate())[id] = R"({"user":"{\"name\":\"chipolino\"}"})";
  anycable::DisconnectResponse res;
  grpc::ClientContext ctx;
  ASSERT_TRUE(rpc.stub->Disconnect(&ctx, req, &res).ok());
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  EXPECT_EQ(sub.Next(),
            R"({"stream":"state_counts","data":"{\"data\":\"user left: chipolino\"}"})");
}

TEST(RpcBroadcasts, RedisStreamsThroughThePublisherSink) {
  if (!cable::testing::RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  cable::testing::RedisServer redis;
  broadcast::PublisherConfig config;
  config.adapter = "redisx";
  config.redis_url = redis.url();
  auto publisher = broadcast::MakePublisher(config);
  ASSERT_TRUE(publisher.ok()) << publisher.error().message;
  RpcFixture rpc({SourceFile("scenarios/backend/benchmark.yml")},
                 MakePublisherSink(std::move(*publisher)));
  auto res = rpc.Perform(R"({"channel":"BenchmarkChannel"})", R"({"action":"broadcast","n":1})");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  auto entries = redis.Command({"XRANGE", "__anycable__", "-", "+"});
  ASSERT_EQ(entries.size(), 1u) << entries.dump();
  EXPECT_EQ(entries[0][1][1], R"({"stream":"all","data":"{\"action\":\"broadcast\",\"n\":1}"})");
}

}  // namespace
}  // namespace cable::rpc::testing
