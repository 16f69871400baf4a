#include "server/nats/nats_connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/strings.h"

namespace cable::server {
namespace {

constexpr int64_t kMinReconnectDelayMs = 100;
constexpr int64_t kMaxReconnectDelayMs = 5000;
constexpr int64_t kPingIntervalMs = 10000;
constexpr auto kCloseWait = std::chrono::seconds(5);

std::string Describe(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == s) return detail;
  return natsStatus_GetText(s);
}

std::string ConnectedUrl(natsConnection* nc) {
  char buf[256] = {0};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK) return "NATS";
  return buf;
}

void OnDisconnected(natsConnection*, void* what) {
  log::Warn("{}: lost the connection to NATS; reconnecting in the background",
            static_cast<const char*>(what));
}

void OnReconnected(natsConnection* nc, void* what) {
  log::Info("{}: connection restored ({})", static_cast<const char*>(what), ConnectedUrl(nc));
}

void OnConnected(natsConnection* nc, void* what) {
  log::Info("{}: connected to {}", static_cast<const char*>(what), ConnectedUrl(nc));
}

void OnAsyncError(natsConnection*, natsSubscription*, natsStatus err, void* what) {
  log::Warn("{}: {}", static_cast<const char*>(what),
            err == NATS_SLOW_CONSUMER ? "messages dropped: the server sends faster than they "
                                        "are delivered (slow consumer)"
                                      : natsStatus_GetText(err));
}

int64_t ReconnectDelay(natsConnection*, int attempts, void*) {
  const int shift = std::clamp(attempts - 1, 0, 16);
  return std::min(kMaxReconnectDelayMs, kMinReconnectDelayMs << shift);
}

}  // namespace

Status ValidateNatsServers(const std::string& servers) {
  const auto urls = SplitList(servers);
  if (urls.empty()) return Error{"bad_url", "--nats_servers: no NATS server given"};
  for (const auto& u : urls) {
    auto scheme = u.find("://");
    if (scheme != std::string::npos && u.compare(0, scheme, "nats") != 0 &&
        u.compare(0, scheme, "tls") != 0) {
      return Error{"bad_url",
                   fmt::format("--nats_servers: invalid NATS URL \"{}\": scheme must be nats", u)};
    }
  }
  return Status::Ok();
}

NatsConnection::NatsConnection(const char* what, Handler handler)
    : what_(what), handler_(std::move(handler)) {}

NatsConnection::~NatsConnection() {
  Close();
}

Status NatsConnection::Connect(const NatsSettings& settings) {
  const std::string& servers = settings.servers;
  if (Status s = ValidateNatsServers(servers); !s) return s;
  const auto urls = SplitList(servers);
  std::vector<const char*> c_urls;
  for (const auto& u : urls) c_urls.push_back(u.c_str());
  void* what = const_cast<char*>(what_);

  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK)
    s = natsOptions_SetServers(opts, c_urls.data(), static_cast<int>(c_urls.size()));
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(opts, settings.dont_randomize);
  if (s == NATS_OK) s = natsOptions_SetName(opts, "cable");
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(opts, ReconnectDelay, nullptr);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, kPingIntervalMs);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, true, OnConnected, what);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, OnDisconnected, what);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, OnReconnected, what);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, OnAsyncError, what);
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(opts, true);
  if (s == NATS_OK) s = natsConnection_Connect(&conn_, opts);
  natsOptions_Destroy(opts);
  if (s == NATS_OK) {
    log::Info("{}: connected to {}", what_, ConnectedUrl(conn_));
    return Status::Ok();
  }
  if (s == NATS_NOT_YET_CONNECTED) {
    log::Warn("{}: cannot connect to NATS at {} yet; retrying in the background", what_, servers);
    return Status::Ok();
  }
  conn_ = nullptr;
  return Error{"bad_url", fmt::format("cannot use NATS servers \"{}\": {}", servers, Describe(s))};
}

bool NatsConnection::connected() {
  std::lock_guard lock(mu_);
  return conn_ != nullptr && natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

Status NatsConnection::Subscribe(const std::string& subject) {
  std::lock_guard lock(mu_);
  if (conn_ == nullptr) return Error{"closed", "not connected"};
  if (subs_.count(subject)) return Status::Ok();
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&sub, conn_, subject.c_str(), OnMessage, this);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, OnSubscriptionComplete, this);
  if (s != NATS_OK) {
    if (sub) natsSubscription_Destroy(sub);
    return Error{"nats_error",
                 fmt::format("cannot subscribe to NATS subject \"{}\": {}", subject, Describe(s))};
  }
  subs_.emplace(subject, sub);
  ++live_subs_;
  return Status::Ok();
}

void NatsConnection::Unsubscribe(const std::string& subject) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(subject);
  if (it == subs_.end()) return;
  natsSubscription_Unsubscribe(it->second);
  natsSubscription_Destroy(it->second);
  subs_.erase(it);
}

Status NatsConnection::Publish(const std::string& subject, std::string_view payload) {
  // Held only to keep Close() from destroying the connection under us;
  // libnats takes its own connection lock anyway.
  std::lock_guard lock(mu_);
  if (conn_ == nullptr) return Error{"closed", "not connected"};
  natsStatus s = natsConnection_Publish(conn_, subject.c_str(), payload.data(),
                                        static_cast<int>(payload.size()));
  if (s == NATS_OK) return Status::Ok();
  return Error{s == NATS_MAX_PAYLOAD ? "too_large" : "nats_error",
               fmt::format("NATS publish to \"{}\" failed: {}", subject, Describe(s))};
}

void NatsConnection::Close() {
  std::unique_lock lock(mu_);
  if (conn_ == nullptr) return;
  for (auto& [subject, sub] : subs_) {
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  subs_.clear();
  if (!all_complete_.wait_for(lock, kCloseWait, [this] { return live_subs_ == 0; })) {
    log::Error("{}: a NATS message handler did not return within {} s", what_,
               std::chrono::duration_cast<std::chrono::seconds>(kCloseWait).count());
  }
  natsConnection* conn = conn_;
  conn_ = nullptr;
  lock.unlock();
  natsConnection_Close(conn);
  natsConnection_Destroy(conn);
}

void NatsConnection::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  self->handler_(natsMsg_GetSubject(msg),
                 std::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
}

void NatsConnection::OnSubscriptionComplete(void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  std::lock_guard lock(self->mu_);
  --self->live_subs_;
  self->all_complete_.notify_all();
}

}  // namespace cable::server
