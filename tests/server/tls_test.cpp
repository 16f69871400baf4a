// TLS termination (spec §10.1, settings row 7): with --ssl_cert and
// --ssl_key every listener of `cable serve` speaks TLS 1.2+, WebSocket
// sessions and HTTP alike; plain clients are turned away without disturbing
// anyone; certificate problems stop the start with exit code 1.
//
// The certificate is self-signed for IP 127.0.0.1 and generated per run
// with the openssl command; clients verify the server against it.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "server/server_test_helpers.h"
#include "server/slow_client_check.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

Result<ws::Client> ConnectTls(int port, const std::string& target = "/cable") {
  ws::ConnectOptions o;
  o.port = port;
  o.target = target;
  o.tls = true;
  o.tls_ca_file = Certs().cert;
  return ws::Client::Connect(o);
}

Result<ws::Client> ConnectTlsWelcomed(int port) {
  auto client = ConnectTls(port);
  if (!client.ok()) return client.error();
  auto welcome = NextMessage(*client);
  if (!welcome.ok())
    return Error{"no_welcome", welcome.error().code + ": " + welcome.error().message};
  if (!MatchesSubset(*welcome, {{"type", "welcome"}}))
    return Error{"no_welcome", "first message is " + welcome->dump()};
  return std::move(client.value());
}

// A keep-alive HTTPS connection (blocking, 5 s timeouts) that verifies the
// server against the test certificate.
class HttpsConnection {
 public:
  struct Response {
    int status = 0;
    std::string body;
  };

  static Result<HttpsConnection> Open(int port) {
    HttpsConnection c;
    c.fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(c.fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c.fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;  // a request of several TLS records must not wait for delayed ACKs
    setsockopt(c.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(c.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      return Error{"connect", std::strerror(errno)};
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx, Certs().cert.c_str(), nullptr);
    c.ssl_ = SSL_new(ctx);
    SSL_CTX_free(ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl_), "127.0.0.1");
    SSL_set_fd(c.ssl_, c.fd_);
    ERR_clear_error();
    if (SSL_connect(c.ssl_) != 1) {
      unsigned long e = ERR_get_error();
      return Error{"tls", e ? ERR_reason_error_string(e) : "handshake failed"};
    }
    return c;
  }

  HttpsConnection() = default;
  HttpsConnection(HttpsConnection&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)), ssl_(std::exchange(o.ssl_, nullptr)) {}
  HttpsConnection& operator=(HttpsConnection&&) = delete;
  ~HttpsConnection() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }

  // Writes `bytes` as one TLS record (up to 16 KB).
  bool WriteRecord(const std::string& bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  // Reads until `needle` has arrived (true) or 5 s have passed or the
  // connection ended (false).
  bool ReadUntil(const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (buffer_.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !Fill()) return false;
    }
    return true;
  }

  // Sends one request and reads its response (Content-Length framed).
  Result<Response> Request(const std::string& method, const std::string& path,
                           const std::string& body = "") {
    std::string req = method + " " + path +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    size_t off = 0;
    while (off < req.size()) {
      int n = SSL_write(ssl_, req.data() + off, static_cast<int>(req.size() - off));
      if (n <= 0) return Error{"write", "request not sent"};
      off += static_cast<size_t>(n);
    }
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) return Error{codes::kClosed, "no response head"};
    }
    const size_t head_end = buffer_.find("\r\n\r\n") + 4;
    const std::string head = buffer_.substr(0, head_end);
    Response res;
    res.status = std::atoi(head.c_str() + 9);
    size_t length = 0;
    if (auto p = head.find("Content-Length: "); p != std::string::npos)
      length = std::strtoul(head.c_str() + p + 16, nullptr, 10);
    while (buffer_.size() < head_end + length) {
      if (!Fill()) return Error{codes::kClosed, "truncated body"};
    }
    res.body = buffer_.substr(head_end, length);
    buffer_.erase(0, head_end + length);
    return res;
  }

 private:
  bool Fill() {
    char buf[16384];
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

// Status of one HTTPS request on a fresh connection (0 when none came).
int HttpsStatus(int port, const std::string& method, const std::string& path,
                const std::string& body = "", std::string* response_body = nullptr) {
  auto conn = HttpsConnection::Open(port);
  if (!conn.ok()) return 0;
  auto res = conn->Request(method, path, body);
  if (!res.ok()) return 0;
  if (response_body) *response_body = res->body;
  return res->status;
}

// One server for the tests that do not need their own: TLS on the main port
// and on a separate broadcast port, and room for large bursts.
class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = TlsArgs();
    options.args.insert(options.args.end(),
                        {"--ws_max_pending_size", "67108864", "--ws_write_timeout", "60"});
    server_ = new CableServer(options);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static CableServer& server() { return *server_; }
  static int Broadcast(const Json& publication) {
    return HttpsStatus(server().broadcast_port(), "POST", "/_broadcast", publication.dump());
  }
  static CableServer* server_;
};
CableServer* TlsTest::server_ = nullptr;

TEST_F(TlsTest, WebSocketOverTlsIsWelcomedSubscribesAndGetsHttpsBroadcasts) {
  ASSERT_NE(server().broadcast_port(), server().port()) << "the broadcast port is separate here";
  ASSERT_CONNECTED(client, ConnectTlsWelcomed(server().port()));
  const auto id = StreamIdentifier("tls-basic");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(Broadcast(Publication("tls-basic", {{"n", 1}})), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));
  EXPECT_TRUE(Pongs(client));
}

TEST_F(TlsTest, BroadcastPortTakesSeveralRequestsOnOneTlsConnection) {
  ASSERT_CONNECTED(client, ConnectTlsWelcomed(server().port()));
  const auto id = StreamIdentifier("tls-keepalive");
  ASSERT_TRUE(Subscribes(client, id));
  auto conn = HttpsConnection::Open(server().broadcast_port());
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  for (int i = 0; i < 3; ++i) {
    auto res =
        conn->Request("POST", "/_broadcast", Publication("tls-keepalive", {{"n", i}}).dump());
    ASSERT_TRUE(res.ok()) << "request " << i << ": " << res.error().message;
    EXPECT_EQ(res->status, 201);
    EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", i}})));
  }
}

TEST_F(TlsTest, HealthAnswersOverHttpsOnEveryPort) {
  for (int port : {server().port(), server().broadcast_port()}) {
    std::string body;
    EXPECT_EQ(HttpsStatus(port, "GET", "/health", "", &body), 200) << "port " << port;
    EXPECT_EQ(body, "Ah, ha, ha, ha, stayin' alive, stayin' alive.");
  }
}

TEST_F(TlsTest, RequestUrlPassedToTheBackendIsHttps) {
  ASSERT_CONNECTED(client, ConnectTlsWelcomed(server().port()));
  const auto id = Identifier("Test::UrlChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  const std::string expected = "https://127.0.0.1:" + std::to_string(server().port()) + "/cable";
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"url", expected}})));
}

TEST_F(TlsTest, PlainClientsAreRefusedWithoutDisturbingTlsSessions) {
  ASSERT_CONNECTED(healthy, ConnectTlsWelcomed(server().port()));
  const auto id = StreamIdentifier("tls-bystander");
  ASSERT_TRUE(Subscribes(healthy, id));

  for (int port : {server().port(), server().broadcast_port()}) {
    std::string body;
    EXPECT_EQ(HttpGet(port, "/health", &body), 0) << "plain HTTP gets no HTTP answer on " << port;
    EXPECT_EQ(HttpPost(port, "/_broadcast", Publication("tls-bystander", "plain").dump()), 0);
  }
  auto plain_ws = server().Connect();
  EXPECT_FALSE(plain_ws.ok()) << "a plain WebSocket upgrade must not succeed";

  // Garbage where a ClientHello belongs is dropped at once.
  int fd = ConnectTcp(server().port());
  ASSERT_GE(fd, 0);
  const std::string junk(300, '\x16');
  ASSERT_GT(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), 0);
  EXPECT_TRUE(WaitForTcpClose(fd, kReceiveTimeout)) << "a broken handshake closes the socket";
  ::close(fd);

  ASSERT_EQ(Broadcast(Publication("tls-bystander", "after")), 201);
  EXPECT_TRUE(ReceivesMessage(healthy, DataMessage(id, "after")))
      << "the plain broadcast went nowhere and the TLS session kept going";
  EXPECT_TRUE(Pongs(healthy));
}

TEST_F(TlsTest, FramesInTheUpgradeRecordAreProcessed) {
  // The upgrade request and two commands in one TLS record: the HTTP reader
  // decrypts only part of it, the session must find the rest inside
  // OpenSSL (the socket will not signal it).
  auto conn = HttpsConnection::Open(server().port());
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  const std::string text(2000, 't');
  const std::string record =
      "GET /cable HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n" +
      MaskedFrame(0x1, SubscribeCommand(id)) +
      MaskedFrame(0x1, PerformCommand(id, {{"action", "echo"}, {"text", text}}));
  ASSERT_TRUE(conn->WriteRecord(record));
  EXPECT_TRUE(conn->ReadUntil(R"({"response":")" + text + R"("})"))
      << "the echo of the second command must arrive";
}

TEST_F(TlsTest, StalledHandshakeIsDroppedAfterTheReadHeaderTimeout) {
  // A TCP client that never sends its ClientHello; anycable-go's 5 s apply.
  int fd = ConnectTcp(server().port());
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_CONNECTED(other, ConnectTlsWelcomed(server().port()));
  EXPECT_TRUE(Pongs(other)) << "a stalled handshake blocks nobody";
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      6500ms - (std::chrono::steady_clock::now() - start));
  EXPECT_TRUE(WaitForTcpClose(fd, left)) << "a handshake that never starts must time out";
  ::close(fd);
}

TEST_F(TlsTest, LargeMessagesCrossTlsIntactBothWays) {
  ASSERT_CONNECTED(client, ConnectTlsWelcomed(server().port()));
  // 60 KB: several TLS records per frame, one way and the other.
  const std::string big(60 * 1024, 'b');
  const auto id = StreamIdentifier("tls-large");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(Broadcast(Publication("tls-large", {{"pad", big}})), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"pad", big}})));

  const auto echo = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(client, echo));
  const std::string text(50 * 1024, 'e');
  ASSERT_TRUE(client.SendText(PerformCommand(echo, {{"action", "echo"}, {"text", text}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(echo, {{"response", text}})));
}

TEST_F(TlsTest, BurstToAClientThatReadsLateArrivesWholeAndInOrder) {
  // 150 x 60 KB = 9 MB while the client reads nothing: more than loopback
  // socket buffers hold, so the server's TLS writes block part-way and must
  // resume with the same bytes.
  ASSERT_CONNECTED(late, ConnectTlsWelcomed(server().port()));
  ASSERT_CONNECTED(pacer, ConnectTlsWelcomed(server().port()));
  const auto id = StreamIdentifier("tls-burst");
  ASSERT_TRUE(Subscribes(late, id));
  ASSERT_TRUE(Subscribes(pacer, id));
  auto conn = HttpsConnection::Open(server().broadcast_port());
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  constexpr int kBroadcasts = 150;
  for (int i = 0; i < kBroadcasts; ++i) {
    const std::string pad(60 * 1024, static_cast<char>('a' + i % 26));
    auto res = conn->Request("POST", "/_broadcast",
                             Publication("tls-burst", {{"n", i}, {"pad", pad}}).dump());
    ASSERT_TRUE(res.ok() && res->status == 201) << "broadcast " << i;
    // Awaited by a reading client: the burst is in the server, not in flight.
    auto paced = NextMessage(pacer);
    ASSERT_TRUE(paced.ok()) << "pacer, broadcast " << i << ": " << paced.error().message;
    ASSERT_EQ((*paced)["message"]["n"], i) << "pacer";
  }
  for (int i = 0; i < kBroadcasts; ++i) {
    const std::string pad(60 * 1024, static_cast<char>('a' + i % 26));
    auto message = NextMessage(late);
    ASSERT_TRUE(message.ok()) << "broadcast " << i << ": " << message.error().message;
    ASSERT_EQ((*message)["message"]["n"], i) << "in order";
    ASSERT_TRUE((*message)["message"]["pad"] == pad) << "broadcast " << i << " arrives intact";
  }
  EXPECT_TRUE(Pongs(late));
}

TEST(TlsSlowClientTest, ClientThatStopsReadingIsDroppedAsTooSlowWhileOthersGetEverything) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = TlsArgs();
  // Only the pending-size limit can disconnect the slow client here.
  options.args.insert(options.args.end(),
                      {"--ws_max_pending_size", "65536", "--ws_write_timeout", "60"});
  CableServer server(options);

  ASSERT_CONNECTED(slow, ConnectTlsWelcomed(server.port()));
  ASSERT_CONNECTED(fast, ConnectTlsWelcomed(server.port()));
  const auto id = StreamIdentifier("firehose");
  ASSERT_TRUE(Subscribes(slow, id));
  ASSERT_TRUE(Subscribes(fast, id));

  auto conn = HttpsConnection::Open(server.broadcast_port());
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  ExpectSlowClientDropped(fast, slow, [&](const std::string& body) {
    auto res = conn->Request("POST", "/_broadcast", body);
    return res.ok() && res->status == 201;
  });
  ASSERT_CONNECTED(late, ConnectTlsWelcomed(server.port()));
  EXPECT_TRUE(Pongs(late));
}

TEST(TlsConfigTest, EnvironmentVariablesTurnTlsOn) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.env = {{"ANYCABLE_SSL_CERT", Certs().cert}, {"ANYCABLE_SSL_KEY", Certs().key}};
  CableServer server(options);
  ASSERT_CONNECTED(client, ConnectTlsWelcomed(server.port()));
  EXPECT_TRUE(Pongs(client));
  EXPECT_EQ(HttpsStatus(server.broadcast_port(), "GET", "/health"), 200);
  EXPECT_EQ(HttpGet(server.port(), "/health"), 0) << "no plain HTTP on a TLS port";
}

// Runs `cable serve` with TLS settings that must stop it at once.
RunResult ServeExpectingFailure(std::vector<std::string> args,
                                std::map<std::string, std::string> env = {}) {
  std::vector<std::string> argv = {CableBinary(),
                                   "serve",
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(FreePort()),
                                   "--http_broadcast_port",
                                   std::to_string(FreePort()),
                                   "--broadcast_adapter",
                                   "http",
                                   "--backend",
                                   "anyt"};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions spawn;
  spawn.env = std::move(env);
  spawn.unset_env = {"ANYCABLE_SSL_CERT", "ANYCABLE_SSL_KEY"};
  // A server that starts anyway is killed after the timeout and fails below.
  return Run(argv, spawn, 10s);
}

TEST(TlsConfigTest, CertificateWithoutKeyStopsTheStart) {
  auto r = ServeExpectingFailure({"--ssl_cert", Certs().cert});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--ssl_key"), std::string::npos) << r.err;
}

TEST(TlsConfigTest, KeyWithoutCertificateStopsTheStart) {
  auto r = ServeExpectingFailure({}, {{"ANYCABLE_SSL_KEY", Certs().key}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--ssl_cert"), std::string::npos) << r.err;
}

TEST(TlsConfigTest, MissingCertificateFileIsNamed) {
  const std::string missing = Certs().dir + "/missing.pem";
  auto r = ServeExpectingFailure({"--ssl_cert", missing, "--ssl_key", Certs().key});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--ssl_cert"), std::string::npos) << r.err;
}

TEST(TlsConfigTest, FileThatIsNotAKeyIsNamed) {
  auto r = ServeExpectingFailure({"--ssl_cert", Certs().cert, "--ssl_key", Certs().cert});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--ssl_key " + Certs().cert), std::string::npos) << r.err;
}

TEST(TlsConfigTest, KeyOfAnotherCertificateIsRejected) {
  auto r = ServeExpectingFailure({"--ssl_cert", Certs().cert, "--ssl_key", Certs().other_key});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("does not match"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(Certs().other_key), std::string::npos) << r.err;
}

TEST(TlsConfigTest, FlagWithoutValueIsAUsageError) {
  auto r = ServeExpectingFailure({"--ssl_key", Certs().key, "--ssl_cert"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace cable::testing
