// The whole conformance suite against `cable serve`, through the real
// binaries, one run per group of server flags. This is the end-to-end
// check of the server behind README's test command.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "conformance_helpers.h"
#include "support/nats_server.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

// The flags that start `cable serve` as --profile cable describes it
// (ServeCommand() gives the secret and the headers).
std::string CableProfileFlags() {
  return "--public_streams --turbo_streams --broker memory --presence_ttl 2 --api_cors_headers";
}

// The built-in suite with --profile cable: everything cable serve claims
// passes; the rest (server modes, shared Redis/NATS) is skipped with why.
TEST(ConformanceSuite, EverythingPassesAgainstCableServe) {
  const std::string extra = CableProfileFlags();
  char dir[] = "/tmp/cable-conformance-suite-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string junit = std::string(dir) + "/report.xml";
  auto started = std::chrono::steady_clock::now();
  // From an empty directory: the suite comes from the binary.
  SpawnOptions in_empty_dir;
  in_empty_dir.cwd = dir;
  RunResult r = Conformance({"--profile", "cable", "--command", ServeCommand(extra), "--secret",
                             kSecret, "--jobs", "4", "--format", "junit", "--output", junit},
                            in_empty_dir);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  Summary s = ParseSummary(LastLine(r.out));
  EXPECT_GE(s.passed, 60) << LastLine(r.out);
  EXPECT_EQ(s.failed, 0) << LastLine(r.out);
  EXPECT_LT(seconds, 60.0) << "the suite must stay under a minute";

  std::ifstream in(junit);
  std::stringstream xml;
  xml << in.rdbuf();
  EXPECT_NE(xml.str().find("<testsuites name=\"cable conformance\""), std::string::npos);
  EXPECT_NE(xml.str().find("<testcase name=\"Client receives pings with timestamps\""),
            std::string::npos);
  // jwt_enforced (2), presence_unavailable (2), redis, redisx, nats.
  EXPECT_EQ(s.skipped, 7) << LastLine(r.out);
  EXPECT_NE(xml.str().find("<skipped message=\"needs jwt_enforced (cable: a server mode"),
            std::string::npos);
  std::remove(junit.c_str());
  rmdir(dir);
}

// The same suite with the server calling the backend over HTTP RPC
// (`cable rpc --http-port`, started by the runner with --rpc-http) instead
// of gRPC: every scenario that passes over gRPC passes over HTTP.
TEST(ConformanceSuite, EverythingPassesOverHttpRpc) {
  std::string command = ServeCommand(CableProfileFlags());
  const std::string grpc = "--rpc_host {rpc_host}";
  const auto at = command.find(grpc);
  ASSERT_NE(at, std::string::npos) << command;
  command.replace(at, grpc.size(), "--rpc_host http://{rpc_host}/_anycable");
  RunResult r = Conformance({"--profile", "cable", "--command", command, "--rpc-http", "--secret",
                             kSecret, "--jobs", "4"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  Summary s = ParseSummary(LastLine(r.out));
  EXPECT_GE(s.passed, 60) << LastLine(r.out);
  EXPECT_EQ(s.failed, 0) << LastLine(r.out);
}

// Broadcast adapters other than HTTP: one server (the adapters fan out to
// every server listening, so parallel servers would see each other's
// broadcasts), with throwaway redis-server and nats-server.
TEST(ConformanceSuite, BroadcastAdapters) {
  if (!ServeHasFlag("--redis_url") || !ServeHasFlag("--nats_servers"))
    GTEST_SKIP() << "cable serve has no Redis/NATS broadcast flags yet";
  if (!RedisServer::Available() || !NatsServer::Available())
    GTEST_SKIP() << "redis-server or nats-server not installed";
  RedisServer redis;
  NatsServer nats;
  RunResult r =
      Conformance({Scenarios("/anycable/adapters.yml"), "--command",
                   ServeCommand("--redis_url " + redis.url() + " --nats_servers " + nats.url(),
                                "cookie,x-api-token", "http,redis,redisx,nats"),
                   "--secret", kSecret, "--redis-url", redis.url(), "--nats-url", nats.url(),
                   "--features", "rpc,broadcast,http,redis,redisx,nats", "--jobs", "1"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "4 passed, 0 failed, 0 skipped");
}

// Reliable streams with the shared brokers: history, positions, transient
// messages and session restore kept in a real redis-server, then in a real
// nats-server with JetStream. One node, so no pub/sub: a node subscribes to
// the pub/sub in the background, and a broadcast right after a subscribe
// could pass it by (tests/server/reliable_test.cpp covers two nodes).
RunResult ReliableStreamsAgainst(const std::string& broker_flags) {
  return Conformance(
      {Scenarios(), "--only", "history,history_rules,history_reject,transient,session_restore",
       "--command", ServeCommand("--public_streams --pubsub none " + broker_flags), "--secret",
       kSecret, "--features",
       "rpc,broadcast,history,session_restore,ext_protocol,public_streams,whisper,exclude_socket",
       "--jobs", "4"});
}

TEST(ConformanceSuite, ReliableStreamsWithTheRedisBroker) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  RunResult r = ReliableStreamsAgainst("--broker redis --redis_url " + redis.url());
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "28 passed, 0 failed, 0 skipped");
}

TEST(ConformanceSuite, ReliableStreamsWithTheNatsBroker) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats(/*jetstream=*/true);
  RunResult r = ReliableStreamsAgainst("--broker nats --nats_servers " + nats.url());
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "28 passed, 0 failed, 0 skipped");
}

// Presence and the REST API with the Redis broker: members kept in a real
// redis-server. One node, so no pub/sub, as above, and one job: nodes
// sharing the Redis sweep each other's expired members, and without a
// pub/sub a leave swept by another node would never reach this one.
TEST(ConformanceSuite, PresenceWithTheRedisBroker) {
  if (!ServeHasFlag("--presence_ttl")) GTEST_SKIP() << "cable serve has no presence yet";
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  RunResult r = Conformance(
      {Scenarios(), "--only", "anycable/presence\\.yml$,anycable/presence_api\\.yml$", "--command",
       ServeCommand("--pubsub none --broker redis --presence_ttl 2 --api_cors_headers "
                    "--public_streams --redis_url " +
                    redis.url()),
       "--secret", kSecret, "--features",
       "rpc,presence,rest_api,rest_api_cors,history,ext_protocol,broadcast,public_streams,"
       "signed_streams",
       "--jobs", "1"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "21 passed, 0 failed, 0 skipped");
}

// Without a broker that keeps presence (none, and NATS, which has none):
// joins are ignored, queries answer the error shape, the API answers 501.
TEST(ConformanceSuite, PresenceUnavailableWithoutAPresenceBroker) {
  if (!ServeHasFlag("--presence_ttl")) GTEST_SKIP() << "cable serve has no presence yet";
  RunResult r = Conformance({Scenarios("/anycable/presence_unavailable.yml"), "--command",
                             ServeCommand(), "--secret", kSecret, "--features",
                             "rpc,rest_api,presence_unavailable", "--jobs", "2"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "2 passed, 0 failed, 0 skipped");

  if (!NatsServer::Available()) return;
  NatsServer nats(/*jetstream=*/true);
  r = Conformance({Scenarios("/anycable/presence_unavailable.yml"), "--command",
                   ServeCommand("--pubsub none --broker nats --nats_servers " + nats.url()),
                   "--secret", kSecret, "--features", "rpc,rest_api,presence_unavailable", "--jobs",
                   "2"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "2 passed, 0 failed, 0 skipped");
}

// The presence scenarios notice a server that keeps no presence: every one
// fails (quickly, with short timeouts) instead of passing vacuously.
TEST(ConformanceSuite, PresenceScenariosFailWithoutABroker) {
  if (!ServeHasFlag("--presence_ttl")) GTEST_SKIP() << "cable serve has no presence yet";
  RunResult r = Conformance({Scenarios("/anycable/presence.yml"), "--command",
                             ServeCommand("--public_streams"), "--secret", kSecret, "--features",
                             "rpc,presence,history,ext_protocol,broadcast,public_streams,"
                             "signed_streams",
                             "--jobs", "4", "--timeout-scale", "0.2"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_EQ(LastLine(r.out), "0 passed, 13 failed, 0 skipped") << r.out;
}

// A slow client is dropped with a whole last frame, then disconnect/too_slow
// and a close frame (not a frame cut in the middle).
TEST(ConformanceSuite, SlowClientGetsTooSlowDisconnect) {
  RunResult r = Conformance({Scenarios("/anycable/slow_clients.yml"), "--command", ServeCommand(),
                             "--secret", kSecret, "--features", "rpc,broadcast,slow_clients"});
  std::cout << r.out << r.err;
  EXPECT_EQ(LastLine(r.out), "1 passed, 0 failed, 0 skipped");
}

// The actioncable profile against cable serve with its channels in-process
// (no cable rpc: Action Cable has its channels in Ruby) and HTTP broadcasts:
// what is AnyCable's own is skipped with the reason, and so are broadcasts,
// which reach Action Cable only through its subscription adapter.
TEST(ConformanceSuite, ActionCableProfileSkipsWhatIsAnyCablesOwn) {
  const std::string command = CableBinary() +
                              " serve --host 127.0.0.1 --port {port} --backend anyt --secret "
                              "{secret} --headers cookie,x-api-token --log_level warn";
  RunResult list = Conformance({"--profile", "actioncable", "--broadcast-adapter", "http",
                                "--command", command, "--secret", kSecret, "--list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("skip  builtin:anycable/ext_protocol.yml:"), std::string::npos);
  EXPECT_NE(list.out.find("needs ext_protocol (actioncable: the extended protocol"),
            std::string::npos);
  EXPECT_NE(list.out.find("needs broadcast (actioncable: Action Cable receives broadcasts and "
                          "remote disconnects only through its subscription adapter"),
            std::string::npos);
  EXPECT_NE(list.out.find("run   builtin:anyt/core_welcome.yml:"), std::string::npos);

  RunResult r = Conformance({"--profile", "actioncable", "--broadcast-adapter", "http", "--command",
                             command, "--secret", kSecret, "--jobs", "4"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  Summary s = ParseSummary(LastLine(r.out));
  EXPECT_EQ(s.failed, 0) << LastLine(r.out);
  EXPECT_GE(s.passed, 20) << LastLine(r.out);
  EXPECT_GE(s.skipped, 90) << LastLine(r.out);
}

TEST(ConformanceSuite, EnforcedJwtRejectsConnectionsWithoutToken) {
  if (!ServeHasFlag("--enforce_jwt")) GTEST_SKIP() << "cable serve has no --enforce_jwt yet";
  RunResult r = Conformance({Scenarios(), "--only", "jwt_enforced", "--command",
                             ServeCommand("--enforce_jwt"), "--secret", kSecret, "--features",
                             "rpc,jwt,jwt_enforced"});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(LastLine(r.out), "2 passed, 0 failed, 0 skipped");
}

}  // namespace
}  // namespace cable::testing
