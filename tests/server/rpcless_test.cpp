// `cable serve` with no RPC server behind it (spec §5 "Connect skipped", §6,
// §7, §10.3): JWT identification, signed and public streams, Turbo Streams
// and whispers, driven by the independently computed tests/vectors/auth.json.
//
// Identifiers never reach an RPC here, so they are observed the way the
// server exposes them: a remote disconnect by identifiers closes exactly the
// connection that carries them. "Not delivered" is proven by ordering: a
// sentinel broadcast to the same stream, sent afterwards, must be the next
// message.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "server/server_test_helpers.h"
#include "support/auth_vectors.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kBroadcastKey = "rpcless-broadcast-key";
constexpr const char* kTurboHtml =
    R"(<turbo-stream action="append" target="messages"><template>hi</template></turbo-stream>)";

// ---------------------------------------------------------------- servers

enum class Rpc {
  kNone,         // --norpc: the null controller refuses whatever reaches it
  kUnreachable,  // an RPC address nothing listens on: any RPC call would fail
};

// A `cable serve` without a backend; HTTP broadcasts need kBroadcastKey.
ServeOptions NoRpc(const std::vector<std::string>& args, Rpc rpc = Rpc::kNone) {
  ServeOptions options;
  options.backend.clear();
  options.broadcast_key = kBroadcastKey;
  if (rpc == Rpc::kNone) {
    options.args = {"--norpc"};
  } else {
    options.args = {"--rpc_host", "127.0.0.1:" + std::to_string(FreePort())};
  }
  options.args.insert(options.args.end(), args.begin(), args.end());
  return options;
}

// Where the JWT secret comes from (spec §6: --jwt_secret, else --secret used
// directly; the flags' environment variables; the deprecated alias).
struct SecretSource {
  const char* flag;  // either a flag
  const char* env;   // or an environment variable
  const char* name() const { return flag ? flag : env; }
};
constexpr SecretSource kSecretSources[] = {{"--jwt_secret", nullptr},
                                           {"--secret", nullptr},
                                           {nullptr, "ANYCABLE_JWT_SECRET"},
                                           {nullptr, "ANYCABLE_SECRET"},
                                           {"--jwt_id_key", nullptr}};

ServeOptions WithSecret(ServeOptions options, const SecretSource& source,
                        const std::string& secret) {
  if (source.flag) {
    options.args.insert(options.args.end(), {source.flag, secret});
  } else {
    options.env[source.env] = secret;
  }
  return options;
}

// ---------------------------------------------------------- HTTP ingress

::testing::AssertionResult Posted(const CableServer& server, const Json& body,
                                  const std::string& key = kBroadcastKey) {
  const int status = server.Broadcast(body.dump(), key);
  if (status == 201) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "POST /_broadcast " << body.dump() << " answered " << status;
}

::testing::AssertionResult Broadcasts(const CableServer& server, const std::string& stream,
                                      const Json& payload) {
  return Posted(server, Publication(stream, payload));
}

Json RemoteDisconnect(const std::string& identifiers) {
  return {{"command", "disconnect"},
          {"payload", {{"identifier", identifiers}, {"reconnect", false}}}};
}

// ------------------------------------------------------------ identifiers

std::string SignedIdentifier(const std::string& signed_name) {
  return Identifier("$pubsub", {{"signed_stream_name", signed_name}});
}
std::string PublicIdentifier(const std::string& stream) {
  return Identifier("$pubsub", {{"stream_name", stream}});
}
std::string TurboIdentifier(const std::string& signed_name) {
  return Identifier("Turbo::StreamsChannel", {{"signed_stream_name", signed_name}});
}

// The signed name with the last digit of its signature changed.
std::string Tampered(std::string signed_name) {
  signed_name.back() = signed_name.back() == '0' ? '1' : '0';
  return signed_name;
}

std::string WhisperCommand(const std::string& identifier, const Json& data) {
  return Json{{"command", "whisper"}, {"identifier", identifier}, {"data", data}}.dump();
}

// ------------------------------------------------------------ expectations

// The first message (nothing skipped) is a welcome with a non-empty sid.
::testing::AssertionResult Welcomed(ws::Client& client, std::string* sid = nullptr) {
  auto message = NextMessage(client, kReceiveTimeout, Skip::kNothing);
  if (!message.ok()) {
    return ::testing::AssertionFailure() << "expected a welcome but got " << message.error().code
                                         << ": " << message.error().message;
  }
  const auto it = message->find("sid");
  if (!message->is_object() || message->value("type", "") != "welcome" || it == message->end() ||
      !it->is_string() || it->get<std::string>().empty()) {
    return ::testing::AssertionFailure()
           << "expected a welcome with a sid but got " << message->dump();
  }
  if (sid) *sid = it->get<std::string>();
  return ::testing::AssertionSuccess();
}

// The next frame (nothing skipped) closes with `code` and `reason`.
::testing::AssertionResult ClosedWith(ws::Client& client, uint16_t code,
                                      const std::string& reason) {
  auto message = NextMessage(client, kReceiveTimeout, Skip::kNothing);
  const std::string expected = std::to_string(code) + " " + reason;
  if (message.ok()) {
    return ::testing::AssertionFailure()
           << "expected close " << expected << " but got " << message->dump();
  }
  if (!message.error().IsCloseFrame() || message.error().message != expected) {
    return ::testing::AssertionFailure() << "expected close " << expected << " but got "
                                         << message.error().code << ": " << message.error().message;
  }
  return ::testing::AssertionSuccess();
}

// The connection is refused as spec §6/§13 says for `outcome`: "unauthorized"
// or "token_expired" is a disconnect message (reconnect false) then close
// 1000; "error_no_ext" (a valid token without `ext`) is close 1011 alone.
::testing::AssertionResult Refused(ws::Client& client, const std::string& outcome) {
  if (outcome == "error_no_ext") return ClosedWith(client, 1011, "Auth Error");
  auto disconnect =
      ReceivesMessage(client, DisconnectMessage(outcome, false), kReceiveTimeout, Skip::kNothing);
  if (!disconnect) return disconnect;
  return ClosedWith(client, 1000, "Auth Failed");
}

// `client` (welcomed) carries `identifiers`: a remote disconnect by them
// closes it and no other connection. The bystander connects without a
// token, so the server needs --noauth.
void ExpectRemoteDisconnectFinds(const CableServer& server, ws::Client& client,
                                 const std::string& identifiers) {
  ASSERT_CONNECTED(bystander, ConnectWelcomed(server));
  ASSERT_TRUE(Posted(server, RemoteDisconnect(identifiers)));
  ASSERT_TRUE(ReceivesMessage(client, DisconnectMessage("remote", false)));
  EXPECT_TRUE(ClosedWith(client, 1000, "Closed remotely"));
  EXPECT_TRUE(ReceivesNothing(bystander));
  EXPECT_TRUE(Pongs(bystander));
}

// A connection to `target` is welcomed and carries `identifiers`.
void ExpectIdentifiedAs(const CableServer& server, const std::string& target,
                        const std::string& identifiers) {
  auto client = server.Connect(target);
  ASSERT_TRUE(client.ok()) << client.error().code << ": " << client.error().message;
  ASSERT_TRUE(Welcomed(*client));
  ExpectRemoteDisconnectFinds(server, *client, identifiers);
}

// A fresh client subscribes to `identifier` and gets `payload` broadcast to
// `stream` over HTTP.
void ExpectStreamDelivers(const CableServer& server, const std::string& identifier,
                          const std::string& stream, const Json& payload = {{"text", "hi"}}) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  ASSERT_TRUE(Subscribes(client, identifier));
  ASSERT_TRUE(Broadcasts(server, stream, payload));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(identifier, payload)));
}

void ExpectSubscriptionRejected(const CableServer& server, const std::string& identifier) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  ASSERT_TRUE(client.SendText(SubscribeCommand(identifier)).ok());
  EXPECT_TRUE(ReceivesMessage(client, RejectMessage(identifier)));
}

// Every client's next message is a sentinel broadcast to `stream`: whatever
// was published to that stream before it would have come first.
void ExpectNextIsSentinel(const CableServer& server, const std::string& stream,
                          const std::string& identifier, std::vector<ws::Client>& clients) {
  const Json sentinel = {{"sentinel", stream}};
  ASSERT_TRUE(Broadcasts(server, stream, sentinel));
  for (size_t i = 0; i < clients.size(); ++i) {
    EXPECT_TRUE(ReceivesMessage(clients[i], DataMessage(identifier, sentinel))) << "client " << i;
  }
}

// `count` welcomed clients subscribed to `identifier`.
std::vector<ws::Client> Subscribers(const CableServer& server, const std::string& identifier,
                                    int count) {
  std::vector<ws::Client> clients;
  for (int i = 0; i < count; ++i) {
    auto client = ConnectWelcomed(server);
    EXPECT_TRUE(client.ok()) << client.error().code << ": " << client.error().message;
    if (!client.ok()) return {};
    EXPECT_TRUE(Subscribes(*client, identifier)) << "client " << i;
    clients.push_back(std::move(client.value()));
  }
  return clients;
}

// clients[0] whispers: the others receive it as is, the sender never does.
void ExpectWhisperReachesOthersOnly(const CableServer& server, const std::string& identifier,
                                    const std::string& stream) {
  auto clients = Subscribers(server, identifier, 3);
  ASSERT_EQ(clients.size(), 3u);
  const Json whisper = {{"event", "typing"}, {"name", "alice"}};
  ASSERT_TRUE(clients[0].SendText(WhisperCommand(identifier, whisper)).ok());
  for (size_t i = 1; i < clients.size(); ++i) {
    EXPECT_TRUE(ReceivesMessage(clients[i], DataMessage(identifier, whisper))) << "client " << i;
  }
  EXPECT_TRUE(ReceivesNothing(clients[0])) << "the sender got its own whisper";
  ExpectNextIsSentinel(server, stream, identifier, clients);
}

// clients[0] whispers on a subscription without a whisper stream: nobody
// gets it.
void ExpectWhisperIgnored(const CableServer& server, const std::string& identifier,
                          const std::string& stream) {
  auto clients = Subscribers(server, identifier, 2);
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_TRUE(clients[0].SendText(WhisperCommand(identifier, {{"event", "typing"}})).ok());
  // The sender's commands run in order: once it pongs, the whisper was handled.
  ASSERT_TRUE(Pongs(clients[0]));
  ExpectNextIsSentinel(server, stream, identifier, clients);
}

// --------------------------------------------------------------- JWT (§6)

TEST(RpclessJwt, EveryVectorTokenIsWelcomedAndSetsItsIdentifiers) {
  const auto& vectors = AuthVectors()["jwt"];
  ASSERT_FALSE(vectors.empty());
  for (size_t i = 0; i < vectors.size(); ++i) {
    const auto& v = vectors[i];
    const SecretSource& source = kSecretSources[i % std::size(kSecretSources)];
    SCOPED_TRACE(v["note"].get<std::string>() + "; secret from " + source.name());
    CableServer server(WithSecret(NoRpc({"--noauth"}), source, v["secret"]));
    ExpectIdentifiedAs(server, "/cable?jid=" + v["token"].get<std::string>(), v["identifiers"]);
  }
}

TEST(RpclessJwt, EveryRejectionVectorGetsItsReaction) {
  // Valid-looking but bad tokens are refused even with --noauth, which only
  // applies to connections without any token.
  std::map<std::string, std::unique_ptr<CableServer>> servers;  // by secret
  for (const auto& v : AuthVectors()["rejections"]) {
    const std::string secret = v["secret"], expect = v["expect"];
    SCOPED_TRACE(v["note"].get<std::string>() + " -> " + expect);
    auto& server = servers[secret];
    if (!server) {
      server = std::make_unique<CableServer>(NoRpc({"--noauth", "--jwt_secret", secret}));
    }
    auto client = server->Connect("/cable?jid=" + v["token"].get<std::string>());
    ASSERT_TRUE(client.ok()) << client.error().code << ": " << client.error().message;
    EXPECT_TRUE(Refused(*client, expect));
  }
}

struct TokenSource {
  const char* name;
  std::vector<std::string> args;  // besides --jwt_secret and --enforce_jwt
  std::map<std::string, std::string> env;
  std::string target;
  Headers headers;
  std::vector<std::string> subprotocols = {"actioncable-v1-json"};
};

TEST(RpclessJwt, TokenIsReadFromEverySource) {
  const auto& v = AuthVectors()["jwt"][0];
  const std::string token = v["token"];
  const std::vector<TokenSource> sources = {
      {"?jid= query parameter", {}, {}, "/cable?jid=" + token, {}},
      {"X-JID header", {}, {}, "/cable", {{"X-JID", token}}},
      {"x-jid header, lowercase", {}, {}, "/cable", {{"x-jid", token}}},
      {"anycable-token subprotocol",
       {},
       {},
       "/cable",
       {},
       {"actioncable-v1-json", "anycable-token." + token}},
      {"subprotocol offered first",
       {},
       {},
       "/cable",
       {},
       {"anycable-token." + token, "actioncable-v1-json"}},
      {"X-JID header before a bad query token", {}, {}, "/cable?jid=not-a-jwt", {{"X-JID", token}}},
      {"--jwt_param query", {"--jwt_param", "token"}, {}, "/cable?token=" + token, {}},
      {"--jwt_param header", {"--jwt_param", "token"}, {}, "/cable", {{"X-Token", token}}},
      {"ANYCABLE_JWT_PARAM", {}, {{"ANYCABLE_JWT_PARAM", "token"}}, "/cable?token=" + token, {}},
      {"--jwt_id_param (deprecated)", {"--jwt_id_param", "token"}, {}, "/cable?token=" + token, {}},
  };
  for (const auto& source : sources) {
    SCOPED_TRACE(source.name);
    auto options = NoRpc(source.args, Rpc::kUnreachable);
    options.args.insert(options.args.end(), {"--jwt_secret", v["secret"], "--enforce_jwt"});
    options.env = source.env;
    CableServer server(options);
    auto client = server.Connect(source.target, source.headers, source.subprotocols);
    ASSERT_TRUE(client.ok()) << client.error().code << ": " << client.error().message;
    EXPECT_EQ(client->subprotocol(), "actioncable-v1-json");
    EXPECT_EQ(client->ResponseHeader("Sec-WebSocket-Protocol"), "actioncable-v1-json")
        << "the token subprotocol is never echoed";
    EXPECT_TRUE(Welcomed(*client));
  }
}

TEST(RpclessJwt, TokenIsOnlyReadFromTheConfiguredParameter) {
  const auto& v = AuthVectors()["jwt"][0];
  CableServer server(NoRpc({"--jwt_secret", v["secret"], "--enforce_jwt", "--jwt_param", "token"}));
  for (const auto& [target, headers] : std::vector<std::pair<std::string, Headers>>{
           {"/cable?jid=" + v["token"].get<std::string>(), {}},
           {"/cable", {{"X-JID", v["token"]}}}}) {
    SCOPED_TRACE(target + (headers.empty() ? "" : " with X-JID"));
    auto client = server.Connect(target, headers);
    ASSERT_TRUE(client.ok()) << client.error().message;
    EXPECT_TRUE(Refused(*client, "unauthorized"));
  }
}

TEST(RpclessJwt, EnforcedJwtRefusesConnectionsWithoutTokenEvenWithNoauth) {
  for (const char* flag : {"--enforce_jwt", "--jwt_id_enforce"}) {
    SCOPED_TRACE(flag);
    CableServer server(NoRpc({"--jwt_secret", "secret", "--noauth", flag}));
    auto client = server.Connect();
    ASSERT_TRUE(client.ok()) << client.error().message;
    EXPECT_TRUE(Refused(*client, "unauthorized"));
  }
}

TEST(RpclessJwt, WithoutEnforcementNoauthWelcomesWithSidIdentifiers) {
  CableServer server(NoRpc({"--jwt_secret", "secret", "--noauth"}));
  auto client = server.Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  std::string sid;
  ASSERT_TRUE(Welcomed(*client, &sid));
  ExpectRemoteDisconnectFinds(server, *client, Json{{"sid", sid}}.dump());
}

TEST(RpclessJwt, WithoutTokenOrNoauthTheNullControllerRefuses) {
  CableServer server(NoRpc({"--jwt_secret", "secret"}));
  auto client = server.Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(Refused(*client, "unauthorized"));
}

// An HS256 token minted by Node's crypto (or Python's hmac), not by this code;
// empty when neither is available.
std::string MintElsewhere(const std::string& secret, const std::string& ext, int64_t exp,
                          std::string* minted_by) {
  static constexpr const char* kNode =
      "const c=require('crypto');const [s,ext,exp]=process.argv.slice(1);"
      "const b=o=>Buffer.from(JSON.stringify(o)).toString('base64url');"
      "const u=b({alg:'HS256',typ:'JWT'})+'.'+b({ext,exp:Number(exp)});"
      "process.stdout.write(u+'.'+c.createHmac('sha256',s).update(u).digest('base64url'))";
  static constexpr const char* kPython =
      "import base64,hashlib,hmac,json,sys\n"
      "s,ext,exp=sys.argv[1:]\n"
      "b=lambda d: base64.urlsafe_b64encode(d).rstrip(b'=').decode()\n"
      "j=lambda o: b(json.dumps(o,separators=(',',':')).encode())\n"
      "u=j({'alg':'HS256','typ':'JWT'})+'.'+j({'ext':ext,'exp':int(exp)})\n"
      "print(u+'.'+b(hmac.new(s.encode(),u.encode(),hashlib.sha256).digest()),end='')\n";
  const std::string exp_arg = std::to_string(exp);
  for (const auto& [tool, flag, script] :
       {std::tuple{"node", "-e", kNode}, std::tuple{"python3", "-c", kPython}}) {
    auto run = Run({tool, flag, script, secret, ext, exp_arg}, {}, 30s);
    if (run.exit_code == 0 && std::count(run.out.begin(), run.out.end(), '.') == 2) {
      *minted_by = tool;
      return run.out;
    }
  }
  return {};
}

TEST(RpclessJwt, TokenMintedByAnIndependentImplementationIdentifies) {
  const std::string secret = "s3cЯeT";
  const std::string ext = R"({"user_id":"minted-elsewhere"})";
  const int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() +
                      600;
  std::string minted_by;
  const std::string token = MintElsewhere(secret, ext, exp, &minted_by);
  if (token.empty()) GTEST_SKIP() << "neither node nor python3 can mint a token here";
  RecordProperty("minted_by", minted_by);
  SCOPED_TRACE("minted by " + minted_by + ": " + token);
  CableServer server(NoRpc({"--jwt_secret", secret, "--noauth"}));
  ExpectIdentifiedAs(server, "/cable?jid=" + token, ext);
}

// ------------------------------------------------- signed streams (§7.1)

TEST(RpclessSignedStreams, EveryVectorSubscribesAndGetsBroadcastsToItsStream) {
  const auto& vectors = AuthVectors()["signed_streams"];
  ASSERT_FALSE(vectors.empty());
  std::map<std::string, std::unique_ptr<CableServer>> servers;  // by secret
  for (const auto& v : vectors) {
    const std::string secret = v["secret"], stream = v["stream"], signed_name = v["signed"];
    // The first vector's secret comes through --secret (used directly, spec
    // §7.3), the others through --streams_secret.
    const char* flag = secret == vectors[0]["secret"] ? "--secret" : "--streams_secret";
    SCOPED_TRACE(stream + " signed with " + flag + " " + secret);
    auto& server = servers[secret];
    if (!server) {
      server = std::make_unique<CableServer>(NoRpc({"--noauth", flag, secret}, Rpc::kUnreachable));
    }
    ExpectStreamDelivers(*server, SignedIdentifier(signed_name), stream, {{"to", stream}});
    ExpectSubscriptionRejected(*server, SignedIdentifier(Tampered(signed_name)));
  }
}

TEST(RpclessSignedStreams, SignedStreamsNeedASecret) {
  const auto& v = AuthVectors()["signed_streams"][0];
  CableServer server(NoRpc({"--noauth"}));
  ExpectSubscriptionRejected(server, SignedIdentifier(v["signed"]));
}

TEST(RpclessSignedStreams, PublicStreamNamesNeedPublicStreams) {
  CableServer closed(NoRpc({"--noauth", "--streams_secret", "qwerty"}));
  ExpectSubscriptionRejected(closed, PublicIdentifier("chat/public"));

  CableServer open(NoRpc({"--noauth", "--public_streams"}));
  ExpectStreamDelivers(open, PublicIdentifier("chat/public"), "chat/public");
}

// ------------------------------------------------------- Turbo (§7.3)

TEST(RpclessTurbo, RailsSignedStreamNamesSubscribeAndGetBroadcasts) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  CableServer server(NoRpc({"--noauth", "--turbo_streams", "--secret", rails["secret"]}));
  for (const auto& v : rails["signed"]) {
    SCOPED_TRACE(v["stream"].get<std::string>());
    ExpectStreamDelivers(server, TurboIdentifier(v["signed"]), v["stream"], kTurboHtml);
    ExpectSubscriptionRejected(server, TurboIdentifier(Tampered(v["signed"])));
  }
}

TEST(RpclessTurbo, TurboStreamsSecretOverridesTheCommonSecret) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const auto& turbo = rails["signed"][0];
  // A name signed with the common secret: good for $pubsub, not for Turbo.
  const Json* common = nullptr;
  for (const auto& v : AuthVectors()["signed_streams"]) {
    if (v["secret"] == "qwerty") common = &v;
  }
  ASSERT_NE(common, nullptr);
  CableServer server(NoRpc({"--noauth", "--secret", "qwerty", "--turbo_streams",
                            "--turbo_streams_secret", rails["secret"]}));
  ExpectStreamDelivers(server, TurboIdentifier(turbo["signed"]), turbo["stream"], kTurboHtml);
  ExpectStreamDelivers(server, SignedIdentifier((*common)["signed"]), (*common)["stream"]);
  ExpectSubscriptionRejected(server, TurboIdentifier((*common)["signed"]));
}

TEST(RpclessTurbo, DeprecatedTurboRailsKeyEnablesTurboWithItsSecret) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const auto& v = rails["signed"][0];
  CableServer server(NoRpc({"--noauth", "--turbo_rails_key", rails["secret"]}));
  ExpectStreamDelivers(server, TurboIdentifier(v["signed"]), v["stream"], kTurboHtml);
  EXPECT_TRUE(server.process().WaitForOutput("--turbo_rails_key is deprecated"));
}

TEST(RpclessTurbo, WithoutTurboStreamsTheChannelGoesToTheNullController) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  CableServer server(NoRpc({"--noauth", "--secret", rails["secret"]}));
  ExpectSubscriptionRejected(server, TurboIdentifier(rails["signed"][0]["signed"]));
}

// CableReady::Stream: the signed name travels as `identifier`, verified with
// --cable_ready_secret (else the streams secret), served without RPC.
TEST(RpclessCableReady, SignedStreamsSubscribeAndGetBroadcasts) {
  const auto& v = AuthVectors()["signed_streams"][2];
  CableServer server(NoRpc({"--noauth", "--cable_ready", "--cable_ready_secret", v["secret"]}));
  const std::string id = Identifier("CableReady::Stream", {{"identifier", v["signed"]}});
  const Json operations = {{"cableReady", true}, {"operations", Json::array()}};
  ExpectStreamDelivers(server, id, v["stream"], operations);
  ExpectSubscriptionRejected(
      server, Identifier("CableReady::Stream", {{"identifier", Tampered(v["signed"])}}));
}

TEST(RpclessCableReady, DeprecatedCableReadyKeyEnablesItWithItsSecret) {
  const auto& v = AuthVectors()["signed_streams"][2];
  CableServer server(NoRpc({"--noauth", "--cable_ready_key", v["secret"]}));
  const std::string id = Identifier("CableReady::Stream", {{"identifier", v["signed"]}});
  ExpectStreamDelivers(server, id, v["stream"], Json{{"cableReady", true}});
  EXPECT_TRUE(server.process().WaitForOutput("--cable_ready_key is deprecated"));
}

// ---------------------------------------------------- whisper (§2.5, §7.1)

TEST(RpclessWhisper, PublicStreamWhisperReachesEveryOtherSubscriber) {
  CableServer server(NoRpc({"--noauth", "--public_streams"}));
  ExpectWhisperReachesOthersOnly(server, PublicIdentifier("room/public"), "room/public");
}

TEST(RpclessWhisper, SignedStreamWhisperNeedsStreamsWhisper) {
  const auto& v = AuthVectors()["signed_streams"][0];
  const std::string id = SignedIdentifier(v["signed"]);
  {
    SCOPED_TRACE("with --streams_whisper");
    CableServer server(NoRpc({"--noauth", "--streams_secret", v["secret"], "--streams_whisper"}));
    ExpectWhisperReachesOthersOnly(server, id, v["stream"]);
  }
  {
    SCOPED_TRACE("without --streams_whisper");
    CableServer server(NoRpc({"--noauth", "--streams_secret", v["secret"]}));
    ExpectWhisperIgnored(server, id, v["stream"]);
  }
}

TEST(RpclessWhisper, TurboStreamsNeverCarryWhispers) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const auto& v = rails["signed"][0];
  CableServer server(
      NoRpc({"--noauth", "--turbo_streams", "--secret", rails["secret"], "--streams_whisper"}));
  ExpectWhisperIgnored(server, TurboIdentifier(v["signed"]), v["stream"]);
}

// ------------------------------------------------------- --public (§10.3)

TEST(RpclessPublic, NoTokenNoSignatureNoBroadcastKey) {
  auto options = NoRpc({"--public"});
  options.broadcast_key.clear();
  CableServer server(options);
  EXPECT_TRUE(server.process().WaitForOutput("WARN --public"));
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const std::string id = PublicIdentifier("lobby");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(Posted(server, Publication("lobby", {{"text", "open"}}), ""));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"text", "open"}})));
  // Public streams carry whispers too.
  ExpectWhisperReachesOthersOnly(server, PublicIdentifier("lobby/whisper"), "lobby/whisper");
}

TEST(RpclessPublic, PublicOpensHttpBroadcastsEvenWithABroadcastKey) {
  // The key still moves the endpoint to the main port, but it is not checked.
  CableServer server(NoRpc({"--public"}));
  ASSERT_EQ(server.broadcast_port(), server.port());
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const std::string id = PublicIdentifier("lobby");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(Posted(server, Publication("lobby", {{"n", 1}}), ""));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));
  ASSERT_TRUE(Posted(server, Publication("lobby", {{"n", 2}}), "some-other-key"));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 2}})));
  ASSERT_TRUE(Posted(server, Publication("lobby", {{"n", 3}}), kBroadcastKey));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 3}})));
}

}  // namespace
}  // namespace cable::testing
