#pragma once
// A NATS connection for the server's adapters (broadcast ingress and
// pub/sub): reconnects forever with backoff (100 ms doubling to 5 s), logs
// losing and regaining the server, delivers messages of every subscription
// on libnats' shared delivery pool (in order per subscription, without a
// thread per subscription), and closes with the guarantee that no message
// handler runs any more afterwards.

#include <nats/nats.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace cable::server {

// Where and how the server's NATS connections connect (--nats_servers and
// the settings next to it).
struct NatsSettings {
  std::string servers;  // comma-separated URLs
  // Try the servers in the order listed, on the first connection and on
  // every reconnect; by default libnats shuffles them so that the nodes of
  // a cluster spread over the NATS servers.
  bool dont_randomize = false;
};

class NatsConnection {
 public:
  using Handler = std::function<void(std::string_view subject, std::string_view payload)>;

  // `what` names the connection in log lines; it must be a string literal
  // (libnats may call the logging callbacks after this object is gone).
  NatsConnection(const char* what, Handler handler);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // Starts connecting to `settings.servers`. An unreachable server is
  // retried in the background; an Error means a bad URL list.
  Status Connect(const NatsSettings& settings);
  bool connected();

  // Thread-safe and non-blocking: the SUB/UNSUB go out with the next flush
  // (or after a reconnect, which also restores every subscription).
  Status Subscribe(const std::string& subject);
  void Unsubscribe(const std::string& subject);
  Status Publish(const std::string& subject, std::string_view payload);

  // The libnats connection, for JetStream calls (nullptr before Connect).
  natsConnection* raw() { return conn_; }

  // Unsubscribes everything, waits (bounded) until no handler runs, closes.
  void Close();

 private:
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static void OnSubscriptionComplete(void* closure);

  const char* what_;
  Handler handler_;
  natsConnection* conn_ = nullptr;
  std::mutex mu_;
  std::condition_variable all_complete_;
  std::unordered_map<std::string, natsSubscription*> subs_;
  int live_subs_ = 0;  // subscriptions whose handler may still run
};

// Error "bad_url" for an empty list or a URL whose scheme is not nats/tls.
Status ValidateNatsServers(const std::string& servers);

}  // namespace cable::server
