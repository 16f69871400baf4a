#include "server/app.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <future>
#include <thread>

#include "common/auth/secrets.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/broadcast/broadcaster.h"
#include "server/broadcast/make_broadcasters.h"
#include "server/broker/make_broker.h"
#include "server/controller/grpc_controller.h"
#include "server/controller/http_rpc_controller.h"
#include "server/controller/inline_controller.h"
#include "server/controller/null_controller.h"
#include "server/memory_reclaimer.h"
#include "server/metrics/exporter.h"
#include "server/node.h"
#include "server/pubsub/make_pubsub.h"
#include "server/transport/listener.h"
#include "server/transport/tls.h"

namespace cable::server {

namespace {
constexpr int kDefaultBroadcastPort = 8090;

bool HasAdapter(const ServerConfig& c, const std::string& name) {
  for (const auto& a : c.broadcast_adapters) {
    if (a == name) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<App>> App::Create(ServerConfig config) {
  std::unique_ptr<App> app(new App());
  if (config.is_public) config.noauth = true;

  // The broadcast key: explicit, else derived from the common secret;
  // "none" (and --public) turns authentication off.
  auth::SecretSettings secrets;
  secrets.secret = config.secret;
  secrets.broadcast_key = config.broadcast_key;
  std::string key = auth::ResolveBroadcastKey(secrets);
  if (config.http_broadcast_port == 0) {
    config.http_broadcast_port = !key.empty() ? config.port : kDefaultBroadcastPort;
  }
  if (config.is_public) key.clear();
  app->broadcast_key_ = key;
  // The REST API: on as anycable-go decides; its key is open only where
  // nothing is secret (public mode without an API secret, or no secrets).
  secrets.api_secret = config.api_secret;
  app->api_enabled_ = config.is_public || config.api_port != 0 || !config.api_secret.empty() ||
                      !config.secret.empty();
  app->api_key_ = auth::ResolveApiKey(secrets);
  if (config.is_public && config.api_secret.empty()) app->api_key_.clear();
  // Pusher signs with its own secret, else the common one ("none": empty).
  if (config.pusher.secret.empty()) config.pusher.secret = config.secret;
  if (config.pusher.secret == "none") config.pusher.secret.clear();
  app->config_ = std::move(config);

  // Counters first: the controller and the node both count into them.
  app->counters_ = std::make_unique<Metrics>();
  auto controller = app->MakeController();
  if (!controller.ok()) return controller.error();
  app->node_ = std::make_unique<Node>(app->config_, std::move(controller.value()), *app->counters_);
  auto metrics = MetricsExporter::Create(*app->node_, app->config_);
  if (!metrics.ok()) return metrics.error();
  app->metrics_ = std::move(metrics.value());
  // Adapter settings (URLs, adapter names) are configuration: checked here,
  // so a mistake is a usage error like a bad flag.
  if (auto s = app->PrepareBroadcasting(); !s.ok()) {
    app->broadcasters_.clear();
    return s.error();
  }
  return app;
}

// The controller the settings name. An in-process backend publishes what
// its actions broadcast through the node, which exists before any call.
Result<std::unique_ptr<Controller>> App::MakeController() {
  const ServerConfig& config = config_;
  if (!config.rpc_inline.empty()) {
    IngressSink sink;
    sink.broadcast = [this](BroadcastPtr b) { node_->Publish(std::move(b)); };
    sink.command = [this](const RemoteCommand& c) {
      node_->PublishRemoteDisconnect(c.identifiers, c.reconnect);
    };
    sink.metrics = counters_.get();
    auto loaded = InlineController::Load(SplitList(config.rpc_inline), std::move(sink));
    if (!loaded.ok()) return loaded.error();
    controller_summary_ = "in-process backend (" + loaded.value()->Summary() + ")";
    return std::unique_ptr<Controller>(std::move(loaded.value()));
  }
  if (config.norpc) {
    controller_summary_ = "no RPC";
    return std::unique_ptr<Controller>(std::make_unique<NullController>());
  }
  controller_summary_ = "RPC " + config.rpc_host;
  const bool http_rpc =
      config.rpc_host.rfind("http://", 0) == 0 || config.rpc_host.rfind("https://", 0) == 0;
  if (http_rpc) {
    auto rpc = HttpRpcController::Create(config_, *counters_);
    if (!rpc.ok()) return rpc.error();
    return std::unique_ptr<Controller>(std::move(rpc.value()));
  }
  auto rpc = GrpcController::Create(config_, *counters_);
  if (!rpc.ok()) return rpc.error();
  return std::unique_ptr<Controller>(std::move(rpc.value()));
}

struct App::Signals {
  boost::asio::io_context ctx;
  boost::asio::signal_set set{ctx, SIGINT, SIGTERM};
};

App::~App() {
  for (auto& b : broadcasters_) b->Stop();
  // A node that never started has nothing to shut down (and no worker
  // would run what Shutdown waits for).
  if (node_ && node_started_) node_->Shutdown();
  if (node_ && node_->pubsub()) node_->pubsub()->Stop();
  if (node_ && node_->broker()) node_->broker()->Stop();
}

// Pub/sub and the Redis/NATS ingress adapters, built before the node
// starts: a malformed URL or unknown adapter fails the start.
Status App::PrepareBroadcasting() {
  auto broker = MakeBroker(config_);
  if (!broker.ok()) return broker.error();
  if (*broker) node_->SetBroker(std::move(*broker));
  auto pubsub = MakePubSub(config_);
  if (!pubsub.ok()) return pubsub.error();
  if (*pubsub) node_->SetPubSub(std::move(*pubsub));
  auto broadcasters = MakeBroadcasters(*node_);
  if (!broadcasters.ok()) return broadcasters.error();
  broadcasters_ = std::move(*broadcasters);
  return Status::Ok();
}

// Connects them: an unreachable server is not an error (they retry in the
// background and the node serves its own clients meanwhile).
Status App::StartBroadcasting() {
  if (PubSub* pubsub = node_->pubsub()) {
    Node* node = node_.get();
    PubSub::Handlers handlers;
    handlers.broadcast = [node](BroadcastPtr b) { node->DeliverOnThisNode(std::move(b)); };
    handlers.command = [node](const RemoteCommand& c) {
      node->DisconnectOnThisNode(c.identifiers, c.reconnect);
    };
    if (auto s = pubsub->Start(std::move(handlers)); !s.ok()) return s;
    log::Info("Pub/sub: {}", ResolvePubSubAdapter(config_));
  }
  for (auto& b : broadcasters_) {
    if (auto s = b->Start(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status App::Start() {
  if (!signals_) signals_ = std::make_unique<Signals>();
  // Certificate problems stop the start before anything connects anywhere.
  std::shared_ptr<const tls::TlsContext> tls;
  if (!config_.ssl_cert.empty() || !config_.ssl_key.empty()) {
    auto loaded = tls::TlsContext::Load(config_.ssl_cert, config_.ssl_key);
    if (!loaded.ok()) {
      node_.reset();
      return loaded.error();
    }
    tls = std::move(loaded.value());
  }
  if (Broker* broker = node_->broker()) {
    if (auto s = broker->Start(); !s.ok()) return s;
    log::Info("Broker: {}", broker->Describe());
  }
  node_->Start();
  node_started_ = true;
  if (auto s = StartBroadcasting(); !s.ok()) return s;
  Routes main_routes;
  main_routes.websocket = true;
  main_routes.sse = config_.sse;
  main_routes.ds = config_.ds;
  main_routes.health = true;
  const bool http_broadcast = HasAdapter(config_, "http");
  const bool same_port = config_.http_broadcast_port == config_.port;
  if (http_broadcast && same_port) {
    main_routes.broadcast = true;
    main_routes.broadcast_key = broadcast_key_;
  }
  // Metrics on the main port unless a port of their own is configured.
  const bool metrics_apart = config_.metrics_port != 0 && config_.metrics_port != config_.port;
  if (!config_.metrics_http.empty() && !metrics_apart) main_routes.metrics = metrics_.get();
  // The API on the main port unless a port of its own is configured (it
  // shares the broadcast port when that one is the same).
  const bool api_apart = config_.api_port != 0 && config_.api_port != config_.port;
  const bool api_on_broadcast_port =
      api_apart && http_broadcast && !same_port && config_.api_port == config_.http_broadcast_port;
  if (api_enabled_ && !api_apart) AddApi(main_routes);
  const bool pusher = config_.pusher.enabled();
  const bool pusher_api_apart =
      config_.pusher_api_port != 0 && config_.pusher_api_port != config_.port;
  main_routes.pusher_ws = pusher;
  main_routes.pusher_api = pusher && !pusher_api_apart;
  main_listener_ = std::make_shared<Listener>(*node_, main_routes, tls);
  if (auto s = main_listener_->Open(config_.host, config_.port); !s.ok()) return s;
  if (http_broadcast && !same_port) {
    Routes b;
    b.broadcast = true;
    b.health = true;
    b.broadcast_key = broadcast_key_;
    if (api_enabled_ && api_on_broadcast_port) AddApi(b);
    broadcast_listener_ = std::make_shared<Listener>(*node_, b, tls);
    if (auto s = broadcast_listener_->Open(config_.host, config_.http_broadcast_port); !s.ok())
      return s;
  }
  if (!config_.metrics_http.empty() && metrics_apart) {
    Routes m;
    m.metrics = metrics_.get();
    m.health = true;
    metrics_listener_ = std::make_shared<Listener>(*node_, m, tls);
    const std::string& host = config_.metrics_host.empty() ? config_.host : config_.metrics_host;
    if (auto s = metrics_listener_->Open(host, config_.metrics_port); !s.ok()) return s;
  }
  if (api_enabled_ && api_apart && !api_on_broadcast_port) {
    Routes a;
    AddApi(a);
    a.health = true;
    api_listener_ = std::make_shared<Listener>(*node_, a, tls);
    if (auto s = api_listener_->Open(config_.host, config_.api_port); !s.ok()) return s;
  }
  if (pusher && pusher_api_apart) {
    Routes p;
    p.pusher_api = true;
    p.health = true;
    pusher_listener_ = std::make_shared<Listener>(*node_, p, tls);
    if (auto s = pusher_listener_->Open(config_.host, config_.pusher_api_port); !s.ok()) return s;
  }
  main_listener_->Start();
  if (broadcast_listener_) broadcast_listener_->Start();
  if (pusher_listener_) pusher_listener_->Start();
  if (api_listener_) api_listener_->Start();
  if (metrics_listener_) metrics_listener_->Start();
  metrics_->Start(config_.metrics_rotate_interval_s);
  reclaimer_ = std::make_unique<MemoryReclaimer>([this] {
    MemoryReclaimer::Sample s;
    for (auto* l : {&main_listener_, &broadcast_listener_, &metrics_listener_, &api_listener_,
                    &pusher_listener_}) {
      if (!*l) continue;
      s.peak += static_cast<size_t>((*l)->TakePeakConnections());
      s.now += static_cast<size_t>((*l)->connections());
    }
    return s;
  });
  reclaimer_->Start();

  std::string paths;
  for (const auto& p : config_.paths) paths += (paths.empty() ? "" : ",") + p;
  log::Info("cable serve listening on {}{}:{}{} ({} workers, {})", tls ? "wss://" : "",
            config_.host, main_listener_->port(), paths, node_->workers().size(),
            controller_summary_);
  if (config_.sse) {
    log::Info("Server-Sent Events: {}{}:{}{}", tls ? "https://" : "http://", config_.host,
              main_listener_->port(), config_.sse_path);
  }
  if (config_.ds) {
    log::Info("Handle Durable Streams requests at {}{}:{}{}/*", tls ? "https://" : "http://",
              config_.host, main_listener_->port(), config_.ds_path);
    // Reads come from the broker's history: without one every read fails.
    if (node_->broker() == nullptr) {
      log::Warn(
          "Durable Streams need a broker (--broker memory, or --presets broker): without one "
          "every read is answered 500");
    }
  }
  if (http_broadcast) {
    log::Info("HTTP broadcasts: POST {}{}:{}{} ({})", tls ? "https://" : "", config_.host,
              broadcast_listener_ ? broadcast_listener_->port() : main_listener_->port(),
              config_.http_broadcast_path,
              broadcast_key_.empty() ? "no authentication" : "Bearer key");
  }
  if (api_enabled_) {
    const int api_port = api_listener_           ? api_listener_->port()
                         : api_on_broadcast_port ? broadcast_listener_->port()
                                                 : main_listener_->port();
    log::Info("REST API: {}{}:{}{}/publish, {}/presence/<stream>/users ({})",
              tls ? "https://" : "http://", config_.host, api_port, config_.api_path,
              config_.api_path, api_key_.empty() ? "no authentication" : "Bearer key");
  }
  if (pusher) {
    const char* scheme = tls ? "https://" : "http://";
    log::Info("Pusher WebSocket: {}{}:{}/app/{}", tls ? "wss://" : "ws://", config_.host,
              main_listener_->port(), config_.pusher.app_key);
    log::Info("Pusher API: {}{}:{}/apps/{}/events, /apps/{}/channels/<channel>/users", scheme,
              config_.host, pusher_listener_ ? pusher_listener_->port() : main_listener_->port(),
              config_.pusher.app_id, config_.pusher.app_id);
    if (config_.pusher.secret.empty()) {
      log::Warn(
          "Pusher secret is empty: anyone can sign private channels and API requests "
          "(set --pusher_secret or --secret)");
    }
  }
  return Status::Ok();
}

void App::AddApi(Routes& routes) const {
  routes.api = true;
  routes.api_key = api_key_;
  routes.api_cors = config_.api_cors_headers;
}

int App::port() const {
  return main_listener_ ? main_listener_->port() : 0;
}
int App::broadcast_port() const {
  return broadcast_listener_ ? broadcast_listener_->port() : port();
}

void App::Shutdown() {
  if (reclaimer_) reclaimer_->Stop();
  for (auto& b : broadcasters_) b->Stop();
  if (!node_) return;
  if (main_listener_) main_listener_->Stop();
  if (broadcast_listener_) broadcast_listener_->Stop();
  if (metrics_listener_) metrics_listener_->Stop();
  if (api_listener_) api_listener_->Stop();
  if (pusher_listener_) pusher_listener_->Stop();
  if (metrics_) metrics_->Stop();
  node_->Shutdown();
  // After the sessions closed: their unsubscribes went out meanwhile.
  if (node_->pubsub()) node_->pubsub()->Stop();
  if (node_->broker()) node_->broker()->Stop();
}

int App::RunUntilSignal() {
  // One signal set for the whole run, so that a second signal can never
  // fall between two of them: the first starts the graceful shutdown, the
  // second exits at once.
  if (!signals_) signals_ = std::make_unique<Signals>();
  boost::asio::io_context& signals_ctx = signals_->ctx;
  boost::asio::signal_set& signals = signals_->set;
  std::promise<void> first_signal;
  bool seen = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (seen) {
          log::Warn("Second signal: exiting now");
          log::Flush(200);
          _exit(1);
        }
        seen = true;
        log::Info("Received {}, shutting down (send again to exit at once)",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
        signals.async_wait(on_signal);
        first_signal.set_value();
      };
  signals.async_wait(on_signal);
  std::thread watcher([&] { signals_ctx.run(); });
  first_signal.get_future().wait();
  if (config_.shutdown_delay_s > 0) {
    log::Info("Waiting {} s before shutting down (--shutdown_delay)", config_.shutdown_delay_s);
    std::this_thread::sleep_for(std::chrono::seconds(config_.shutdown_delay_s));
  }
  Shutdown();
  log::Info("Shutdown complete");
  signals_ctx.stop();
  watcher.join();
  return 0;
}

}  // namespace cable::server
