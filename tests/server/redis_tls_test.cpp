// Redis over TLS (rediss://) end to end, against a real redis-server with a
// TLS port and the self-signed certificate of tls_certs: `cable serve`'s
// redis broadcast adapter and Redis broker, and `cable broadcast`. The
// server's certificate is verified unless --redis_tls_verify=false; with
// --tls-auth-clients yes, only clients with a certificate get in.

#include <gtest/gtest.h>

#include "server/cluster_helpers.h"
#include "support/redis_server.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

constexpr const char* kChannel = "__anycable__";

class RedisTlsTest : public ::testing::Test {
 protected:
  void Start(bool auth_clients) {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
    RedisServerOptions options;
    options.tls = true;
    options.tls_auth_clients = auth_clients;
    redis_ = std::make_unique<RedisServer>(options);
  }

  // `cable serve` with the redis adapter on the TLS port.
  std::unique_ptr<CableServer> Serve(std::vector<std::string> tls_args) {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--broadcast_adapter", "http,redis", "--redis_url",
                    redis_->tls_url(),     "--pubsub",   "none"};
    options.args.insert(options.args.end(), tls_args.begin(), tls_args.end());
    return std::make_unique<CableServer>(options);
  }

  RunResult Broadcast(std::vector<std::string> tls_args) {
    std::vector<std::string> args{"--adapter", "redis", "--redis-url", redis_->tls_url(),
                                  "--stream",  "news",  "--data",      R"({"text":"over tls"})"};
    args.insert(args.end(), tls_args.begin(), tls_args.end());
    return CableBroadcast(args);
  }

  // A client of `server` subscribed to "news" receives what `cable
  // broadcast` publishes over TLS.
  void ExpectDelivery(CableServer& server, std::vector<std::string> broadcast_tls_args) {
    // The adapter's subscription, seen on the plain port.
    ASSERT_TRUE(HasSubscribers(*redis_, kChannel, 1)) << server.process().Stderr();
    ASSERT_CONNECTED(client, ConnectWelcomed(server));
    const auto id = StreamIdentifier("news");
    ASSERT_TRUE(Subscribes(client, id));
    auto sent = Broadcast(broadcast_tls_args);
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
    EXPECT_TRUE(ReceivesMessage(client, Received(id, {{"text", "over tls"}})));
  }

  std::vector<std::string> Ca() const { return {"--redis_tls_ca_cert_path", Certs().cert}; }
  std::vector<std::string> ClientCert() const {
    return {"--redis_tls_client_cert_path", Certs().cert, "--redis_tls_client_key_path",
            Certs().key};
  }

  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisTlsTest, ServeVerifiesRedisAgainstTheGivenCa) {
  Start(false);
  auto server = Serve(Ca());
  ExpectDelivery(*server, {"--redis-tls-ca", Certs().cert});
}

TEST_F(RedisTlsTest, ServeRefusesAnUntrustedCertificateByDefault) {
  Start(false);
  auto server = Serve({});
  EXPECT_TRUE(server->process().WaitForOutput("certificate verification failed", kStateTimeout))
      << server->process().Stderr();
  EXPECT_EQ(NumSub(*redis_, kChannel), 0);
}

TEST_F(RedisTlsTest, ServeAcceptsAnyCertificateWithVerifyOff) {
  Start(false);
  auto server = Serve({"--redis_tls_verify=false"});
  ExpectDelivery(*server, {"--redis-insecure"});
}

TEST_F(RedisTlsTest, ServeSettingsComeFromTheEnvironmentToo) {
  Start(false);
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {"--broadcast_adapter", "http,redis", "--pubsub", "none"};
  options.env = {{"ANYCABLE_REDIS_URL", redis_->tls_url()},
                 {"ANYCABLE_REDIS_TLS_CA_CERT_PATH", Certs().cert}};
  CableServer server(options);
  ExpectDelivery(server, {"--redis-tls-ca", Certs().cert});
}

TEST_F(RedisTlsTest, MutualTlsNeedsTheClientCertificate) {
  Start(true);
  {
    auto without = Serve(Ca());
    // With TLS 1.3 the refusal may only show on the first read: either way
    // the adapter reports the outage.
    EXPECT_TRUE(without->process().WaitForOutput("retrying in the background", kStateTimeout))
        << without->process().Stderr();
    EXPECT_EQ(NumSub(*redis_, kChannel), 0);
  }
  auto args = Ca();
  auto cert = ClientCert();
  args.insert(args.end(), cert.begin(), cert.end());
  auto with = Serve(args);
  ExpectDelivery(*with, {"--redis-tls-ca", Certs().cert, "--redis-tls-cert", Certs().cert,
                         "--redis-tls-key", Certs().key});
}

TEST_F(RedisTlsTest, BroadcastCommandVerifiesAndPresentsCertificates) {
  Start(true);
  const std::vector<std::string> cert{"--redis-tls-cert", Certs().cert, "--redis-tls-key",
                                      Certs().key};
  auto untrusted = Broadcast(cert);
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_NE(untrusted.err.find("certificate verification failed"), std::string::npos)
      << untrusted.err;

  auto no_cert = Broadcast({"--redis-tls-ca", Certs().cert});
  EXPECT_EQ(no_cert.exit_code, 1) << no_cert.out;

  auto trusted = Broadcast({"--redis-tls-ca", Certs().cert, "--redis-tls-cert", Certs().cert,
                            "--redis-tls-key", Certs().key});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  auto insecure = Broadcast(
      {"--redis-insecure", "--redis-tls-cert", Certs().cert, "--redis-tls-key", Certs().key});
  EXPECT_EQ(insecure.exit_code, 0) << insecure.err;
}

TEST_F(RedisTlsTest, RedisBrokerStoresOverMutualTls) {
  Start(true);
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {"--broker", "redis", "--redis_url", redis_->tls_url(), "--pubsub", "none"};
  for (const auto& a : Ca()) options.args.push_back(a);
  for (const auto& a : ClientCert()) options.args.push_back(a);
  CableServer server(options);
  ASSERT_TRUE(server.process().WaitForOutput("Redis broker: storing history", kStateTimeout))
      << server.process().Stderr();
  auto client = server.Connect("/cable", {}, {"actioncable-v1-ext-json"});
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE(NextMessage(*client).ok());  // welcome
  const auto id = StreamIdentifier("kept");
  ASSERT_TRUE(Subscribes(*client, id));
  ASSERT_EQ(server.Broadcast(Publication("kept", {{"n", 1}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(*client, {{"message", {{"n", 1}}}, {"offset", 1}}));
  // The position came from Redis, written over TLS.
  EXPECT_EQ(redis_->Command({"EXISTS", "_anycable_:epoch"}), 1);
}

}  // namespace
}  // namespace cable::testing
