// `cable rpc`: serves a declarative mock AnyCable backend over gRPC
// (anycable.RPC), AnyCable's HTTP RPC, or both, from YAML channel
// definitions (docs/rpc-backend.md).

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/redis_flags.h"
#include "cli/settings.h"
#include "common/auth/derived_key.h"
#include "common/auth/secrets.h"
#include "common/broadcast/api_publisher.h"
#include "common/broadcast/publisher.h"
#include "common/log.h"
#include "rpc/backend.h"
#include "rpc/builtin.h"
#include "rpc/grpc_server.h"
#include "rpc/http/http_rpc_server.h"
#include "rpc/publisher_sink.h"

namespace cable::cli {
namespace {

constexpr const char* kFooter = R"(Definitions:
  --channels takes YAML files (several merge) or the built-in names
  anyt (every AnyT test channel and connect handler), benchmark
  (BenchmarkChannel for websocket-bench / cable bench) and demo (a chat).
  The format is described in docs/rpc-backend.md.

Broadcasts made by channel actions go through --broadcast-adapter, like an
AnyCable application's (flag, then environment, then default):
  --broadcast-adapter  ANYCABLE_BROADCAST_ADAPTER   http
  --broadcast-url      ANYCABLE_HTTP_BROADCAST_URL  http://localhost:8090/_broadcast
  --broadcast-key      ANYCABLE_BROADCAST_KEY (or ANYCABLE_HTTP_BROADCAST_SECRET),
                       else derived from --secret / ANYCABLE_SECRET
  --api-url            (api adapter) http://localhost:8080/api; posts to <url>/publish
  --api-key            ANYCABLE_API_SECRET, else derived from --secret ("api-cable")
  --redis-url          ANYCABLE_REDIS_URL, REDIS_URL  redis://localhost:6379
  --redis-channel      ANYCABLE_REDIS_CHANNEL       __anycable__ (redisx: the stream)
  --nats-servers       ANYCABLE_NATS_SERVERS        nats://127.0.0.1:4222
  --nats-channel       ANYCABLE_NATS_CHANNEL        __anycable__
An https:// broadcast (or API) URL is verified against the system trust store, or
--broadcast-tls-ca FILE; --broadcast-insecure skips the check.

HTTP RPC (--http-port): POST <path>/connect, /command, /disconnect on the host of
--host, JSON bodies as anycable-go sends them; point a server at it with
  cable serve --rpc_host http://127.0.0.1:<port>/_anycable
Requests must carry `Authorization: Bearer <secret>`: --http-rpc-secret
(env ANYCABLE_HTTP_RPC_SECRET), else derived from --secret as the server derives
it; with neither, no authentication. --tls-cert/--tls-key make it HTTPS.

Examples:
  cable rpc --channels anyt
  cable rpc --channels benchmark --host 0.0.0.0:50051 --broadcast-adapter redis
  cable rpc --channels my_channels.yml more.yml --debug
  cable rpc --channels anyt --http-port 8091 --no-grpc --secret s3cr3t

Exit status: 0 after SIGINT/SIGTERM, 1 cannot listen, 2 usage or definition error.)";

struct RpcOptions {
  std::vector<std::string> channels;
  std::string host;
  std::string adapter;
  std::string broadcast_url;
  std::string broadcast_key;
  std::string api_url;
  std::string api_key;
  std::string broadcast_tls_ca;
  bool broadcast_insecure = false;
  std::string tls_cert, tls_key;
  int http_port = -1;
  std::string http_path = "/_anycable";
  std::string http_secret;
  bool no_grpc = false;
  std::string secret;
  std::string redis_url;
  std::string redis_channel;
  RedisFlags redis;
  std::string nats_servers;
  std::string nats_channel;
  std::string log_level;
  bool debug = false;
};

void ConfigureLogging(const RpcOptions& o) {
  std::string level = o.debug ? "debug" : FlagOrEnv(o.log_level, {"ANYCABLE_LOG_LEVEL"});
  if (level.empty() && !Env("ANYCABLE_DEBUG").empty() && Env("ANYCABLE_DEBUG") != "0" &&
      Env("ANYCABLE_DEBUG") != "false") {
    level = "debug";
  }
  if (level.empty()) level = "info";
  log::Level parsed;
  if (!log::ParseLevel(level, &parsed)) {
    throw UsageError("unknown log level \"" + level + "\" (expected debug, info, warn, error)");
  }
  log::SetLevel(parsed);
}

broadcast::PublisherConfig PublisherSettings(const RpcOptions& o) {
  broadcast::PublisherConfig c;
  c.adapter = FlagOrEnv(o.adapter, {"ANYCABLE_BROADCAST_ADAPTER"}, c.adapter);
  c.http_url = FlagOrEnv(o.broadcast_url, {"ANYCABLE_HTTP_BROADCAST_URL"}, c.http_url);
  auth::SecretSettings secrets;
  secrets.broadcast_key =
      FlagOrEnv(o.broadcast_key, {"ANYCABLE_BROADCAST_KEY", "ANYCABLE_HTTP_BROADCAST_SECRET"});
  secrets.secret = FlagOrEnv(o.secret, {"ANYCABLE_SECRET"});
  c.broadcast_key = auth::ResolveBroadcastKey(secrets);
  c.api_url = o.api_url.empty() ? broadcast::kDefaultApiUrl : o.api_url;
  c.api_key =
      broadcast::ResolveApiKey(FlagOrEnv(o.api_key, {"ANYCABLE_API_SECRET"}), secrets.secret);
  c.http_tls_ca_file = o.broadcast_tls_ca;
  c.http_tls_verify = !o.broadcast_insecure;
  c.redis_url = FlagOrEnv(o.redis_url, {"ANYCABLE_REDIS_URL", "REDIS_URL"}, c.redis_url);
  c.redis_channel = FlagOrEnv(o.redis_channel, {"ANYCABLE_REDIS_CHANNEL"}, c.redis_channel);
  c.redisx_stream = c.redis_channel;
  ApplyRedisFlags(o.redis, c);
  c.nats_servers = FlagOrEnv(o.nats_servers, {"ANYCABLE_NATS_SERVERS"}, c.nats_servers);
  c.nats_channel = FlagOrEnv(o.nats_channel, {"ANYCABLE_NATS_CHANNEL"}, c.nats_channel);
  return c;
}

std::string DescribeBroadcasts(const broadcast::PublisherConfig& c) {
  if (c.adapter == "http") return "http " + c.http_url + (c.broadcast_key.empty() ? "" : " (key)");
  if (c.adapter == "api") return "api " + c.api_url + (c.api_key.empty() ? "" : " (key)");
  if (c.adapter == "redis") return "redis " + c.redis_url + " channel " + c.redis_channel;
  if (c.adapter == "redisx") return "redisx " + c.redis_url + " stream " + c.redisx_stream;
  return c.adapter + " " + c.nats_servers + " subject " + c.nats_channel;
}

// The host of a host:port listen address, without IPv6 brackets.
std::string HostOf(const std::string& host_port) {
  std::string host = host_port.substr(0, host_port.rfind(':'));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host.empty() ? "127.0.0.1" : host;
}

int Run(const RpcOptions& o) {
  ConfigureLogging(o);
  if (o.no_grpc && o.http_port < 0) throw UsageError("--no-grpc needs --http-port");
  if (o.http_path.empty() || o.http_path.front() != '/') {
    throw UsageError("--http-path must start with / (got \"" + o.http_path.substr(0, 64) + "\")");
  }

  std::vector<rpc::Source> sources;
  for (const std::string& name : o.channels) {
    auto src = rpc::ResolveDefinition(name);
    if (!src.ok()) throw UsageError(src.error().message);
    sources.push_back(std::move(*src));
  }
  auto backend = rpc::Backend::LoadSources(sources);
  if (!backend.ok()) throw UsageError(backend.error().message);

  broadcast::PublisherConfig pc = PublisherSettings(o);
  auto publisher = broadcast::MakePublisher(pc);
  if (!publisher.ok()) throw UsageError(publisher.error().message);
  (*backend)->SetBroadcastSink(rpc::MakePublisherSink(std::move(*publisher)));

  // Signals are taken synchronously by this thread; blocking them before
  // gRPC starts its threads keeps those threads from receiving them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string host = FlagOrEnv(o.host, {"ANYCABLE_RPC_HOST"}, "127.0.0.1:50051");
  std::vector<std::string> listening;
  std::unique_ptr<rpc::GrpcServer> grpc;
  if (!o.no_grpc) {
    rpc::GrpcServerOptions so;
    so.host = host;
    so.tls_cert = o.tls_cert;
    so.tls_key = o.tls_key;
    auto server = rpc::GrpcServer::Start(**backend, so);
    if (!server.ok()) {
      std::cerr << "cable rpc: error: " << server.error().message << "\n";
      return server.error().code == "tls" ? kExitUsage : kExitFailure;
    }
    grpc = std::move(*server);
    std::string where = so.host;
    if (auto colon = where.rfind(':'); colon != std::string::npos) {
      where = where.substr(0, colon + 1) + std::to_string(grpc->port());
    }
    listening.push_back(where + (so.tls_cert.empty() ? "" : " (TLS)"));
  }
  std::unique_ptr<rpc::HttpRpcServer> http;
  if (o.http_port >= 0) {
    rpc::HttpRpcServerOptions ho;
    ho.host = HostOf(host);
    ho.port = o.http_port;
    ho.path = o.http_path;
    ho.secret = FlagOrEnv(o.http_secret, {"ANYCABLE_HTTP_RPC_SECRET"});
    if (ho.secret.empty()) {
      const std::string secret = FlagOrEnv(o.secret, {"ANYCABLE_SECRET"});
      if (!secret.empty()) ho.secret = auth::DeriveKey(secret, auth::kRpcKeyPhrase);
    }
    ho.tls_cert = o.tls_cert;
    ho.tls_key = o.tls_key;
    ho.threads = static_cast<int>(std::max(4u, std::thread::hardware_concurrency()));
    auto server = rpc::HttpRpcServer::Start(**backend, ho);
    if (!server.ok()) {
      std::cerr << "cable rpc: error: HTTP RPC: " << server.error().message << "\n";
      return server.error().code == "tls" ? kExitUsage : kExitFailure;
    }
    http = std::move(*server);
    const bool v6 = ho.host.find(':') != std::string::npos;
    listening.push_back(std::string(ho.tls_cert.empty() ? "http://" : "https://") +
                        (v6 ? "[" + ho.host + "]" : ho.host) + ":" + std::to_string(http->port()) +
                        ho.path +
                        (ho.secret.empty() ? " (HTTP RPC)" : " (HTTP RPC, Bearer secret)"));
  }
  std::string where;
  for (const auto& l : listening) where += (where.empty() ? "" : " and ") + l;
  std::cout << "cable rpc: serving " << (*backend)->Summary() << " on " << where
            << " (broadcasts: " << DescribeBroadcasts(pc) << ")" << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  log::Info("cable rpc: {} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // Calls take microseconds; a short grace matters because gRPC otherwise
  // waits seconds for idle client connections to go away after GOAWAY.
  if (http) http->Shutdown(std::chrono::seconds(1));
  if (grpc) grpc->Shutdown(std::chrono::seconds(1));
  return kExitOk;
}

}  // namespace

void AddRpcCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand(
      "rpc",
      "Serve a mock AnyCable RPC backend (gRPC anycable.RPC and/or HTTP RPC) from YAML channel "
      "definitions");
  sub->footer(kFooter);
  auto o = std::make_shared<RpcOptions>();
  sub->add_option("--channels,-c", o->channels,
                  "Definition files (YAML) or built-in names: anyt, benchmark, demo")
      ->required()
      ->delimiter(',');
  sub->add_option("--host,--rpc-host,--rpc_host", o->host,
                  "Listen address host:port (env ANYCABLE_RPC_HOST; default 127.0.0.1:50051)");
  sub->add_option("--tls-cert", o->tls_cert,
                  "Serve gRPC and HTTP RPC over TLS with this certificate (PEM; needs --tls-key)");
  sub->add_option("--tls-key", o->tls_key, "The private key of --tls-cert (PEM)");
  sub->add_option("--http-port", o->http_port,
                  "Also serve HTTP RPC on this port, on the host of --host (0: a free port)")
      ->check(CLI::Range(0, 65535));
  sub->add_option("--http-path", o->http_path,
                  "Path HTTP RPC is served under: <path>/connect, /command, /disconnect")
      ->capture_default_str();
  sub->add_option("--http-rpc-secret,--http_rpc_secret", o->http_secret,
                  "Bearer secret HTTP RPC requests must carry (env ANYCABLE_HTTP_RPC_SECRET; "
                  "default: derived from --secret, else none)");
  sub->add_flag("--no-grpc", o->no_grpc, "Serve HTTP RPC only (needs --http-port)");
  sub->add_option("--broadcast-adapter,--broadcast_adapter", o->adapter,
                  "http, api, redis, redisx or nats (env ANYCABLE_BROADCAST_ADAPTER; default "
                  "http)");
  sub->add_option("--broadcast-url,--http-broadcast-url,--http_broadcast_url", o->broadcast_url,
                  "HTTP broadcast URL (env ANYCABLE_HTTP_BROADCAST_URL)");
  sub->add_option("--broadcast-key,--broadcast_key", o->broadcast_key,
                  "Bearer key for HTTP broadcasts; \"none\" disables (env ANYCABLE_BROADCAST_KEY)");
  sub->add_option("--api-url,--api_url", o->api_url,
                  "REST API base URL for the api adapter (default http://localhost:8080/api)");
  sub->add_option("--api-key,--api-secret,--api_secret", o->api_key,
                  "REST API key; \"none\" disables (env ANYCABLE_API_SECRET)");
  sub->add_option("--broadcast-tls-ca", o->broadcast_tls_ca,
                  "CA certificate (PEM) trusted for an https:// broadcast URL");
  sub->add_flag("--broadcast-insecure", o->broadcast_insecure,
                "Do not verify the certificate of an https:// broadcast URL");
  sub->add_option(
      "--secret", o->secret,
      "Application secret; derives the broadcast, API and HTTP RPC keys (env ANYCABLE_SECRET)");
  sub->add_option("--redis-url,--redis_url", o->redis_url,
                  "Redis URL (env ANYCABLE_REDIS_URL, REDIS_URL)");
  sub->add_option("--redis-channel,--redis_channel", o->redis_channel,
                  "Redis channel / redisx stream (env ANYCABLE_REDIS_CHANNEL)");
  AddRedisFlags(sub, o->redis, "", true);
  sub->add_option("--nats-servers,--nats_servers", o->nats_servers,
                  "NATS servers (env ANYCABLE_NATS_SERVERS)");
  sub->add_option("--nats-channel,--nats_channel", o->nats_channel,
                  "NATS subject (env ANYCABLE_NATS_CHANNEL)");
  sub->add_option("--log-level,--log_level", o->log_level,
                  "debug, info, warn or error (env ANYCABLE_LOG_LEVEL; default info)");
  sub->add_flag("--debug", o->debug, "Log every RPC call (same as --log-level debug)");
  commands[sub] = [o] { return Run(*o); };
}

}  // namespace cable::cli
