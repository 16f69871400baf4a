#include "bench/plan.h"

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "bench/payload.h"
#include "bench/presence_wire.h"
#include "common/auth/jwt.h"
#include "common/auth/message_verifier.h"
#include "common/strings.h"
#include "common/tls_client.h"

namespace cable::bench {

namespace {

std::string StreamName(const BenchOptions& o, int k) {
  return o.streams > 1 ? o.stream_prefix + std::to_string(k) : o.stream_prefix;
}

Result<std::string> Identifier(const BenchOptions& o, int k, const std::string& stream) {
  nlohmann::ordered_json id;
  switch (o.stream_type) {
    case StreamType::kRpc:
      if (!o.channel.empty() && o.channel[0] == '{') {
        id = nlohmann::ordered_json::parse(o.channel, nullptr, false);
        if (!id.is_object()) {
          return Error{codes::kUsage, "--channel: '" + o.channel + "' is not a JSON object"};
        }
      } else {
        id["channel"] = o.channel;
      }
      // BenchmarkChannel streams from `all<id>`; one stream needs no id.
      if (o.streams > 1) id["id"] = k;
      break;
    case StreamType::kPublic:
      id["channel"] = "$pubsub";
      id["stream_name"] = stream;
      break;
    case StreamType::kSigned: {
      auto signed_name = auth::SignStream(stream, o.streams_secret);
      if (!signed_name.ok()) return signed_name.error();
      id["channel"] = "$pubsub";
      id["signed_stream_name"] = *signed_name;
      break;
    }
  }
  return id.dump();
}

Result<std::shared_ptr<SSL_CTX>> MakeTlsContext(const BenchOptions& o) {
  tls::ClientTrust trust;
  trust.verify = !o.tls_insecure;
  trust.ca_file = o.tls_ca_file;
  auto ctx = tls::MakeClientContext(trust);
  if (!ctx.ok() && !o.tls_ca_file.empty())
    return Error{codes::kUsage, "--tls-ca: " + ctx.error().message};
  return ctx;
}

}  // namespace

Result<Plan> MakePlan(const BenchOptions& o) {
  Plan plan;
  plan.options = &o;
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(o.host, std::to_string(o.port), ec);
  if (ec || results.empty()) {
    return Error{"resolve", "cannot resolve " + o.host + ": " + ec.message()};
  }
  plan.endpoint = results.begin()->endpoint();
  if (o.tls) {
    auto ctx = MakeTlsContext(o);
    if (!ctx.ok()) return ctx.error();
    plan.tls = std::move(*ctx);
  }
  for (const auto& a : o.local_addrs) {
    auto addr = boost::asio::ip::make_address(a, ec);
    if (ec) return Error{codes::kUsage, "--local-addr: '" + a + "' is not an IP address"};
    plan.local_addrs.push_back(addr);
  }
  for (int k = 0; k < o.streams; ++k) {
    StreamPlan s;
    s.name = StreamName(o, k);
    auto id = Identifier(o, k, s.name);
    if (!id.ok()) return id.error();
    s.identifier = *id;
    AppendJsonEscaped(s.escaped_identifier, s.identifier);
    s.subscribe_command = SubscribeCommand(s.identifier);
    plan.streams.push_back(std::move(s));
  }
  if (o.scenario == Scenario::kPresence) plan.presence_tag = NewRunTag();
  plan.request_target = o.target;
  std::string h;
  h += "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
  h += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  // The key only proves the server speaks WebSocket; a fixed one is enough.
  h += "Sec-WebSocket-Key: Y2FibGUtYmVuY2gta2V5MQ==\r\nSec-WebSocket-Version: 13\r\n";
  h += "Sec-WebSocket-Protocol: " + o.subprotocol + "\r\n";
  if (!o.origin.empty()) h += "Origin: " + o.origin + "\r\n";
  for (const auto& header : o.headers) h += header + "\r\n";
  h += "\r\n";
  plan.request_headers = std::move(h);
  return plan;
}

std::string Plan::UpgradeRequest(int client, std::string_view restore_sid) const {
  const BenchOptions& o = *options;
  std::string target = request_target;
  std::string token = o.token;
  if (!o.jwt_secret.empty()) {
    auto t = auth::jwt::Encode("{\"user_id\":\"bench-" + std::to_string(client) + "\"}",
                               o.jwt_secret, auth::jwt::Algorithm::kHS256, std::nullopt);
    if (t.ok()) token = *t;
  }
  if (!token.empty()) {
    target += (target.find('?') == std::string::npos ? "?" : "&") + o.jwt_param + "=" + token;
  }
  if (!restore_sid.empty()) {
    target += (target.find('?') == std::string::npos ? "?" : "&") + std::string("sid=") +
              PercentEncode(restore_sid);
  }
  return "GET " + target + " HTTP/1.1\r\n" + request_headers;
}

}  // namespace cable::bench
