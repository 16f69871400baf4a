#include "common/broadcast/nats_publisher.h"

#include <fmt/format.h>
#include <nats/nats.h>

namespace cable::broadcast {
namespace {

std::string Describe(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == s) return detail;
  return natsStatus_GetText(s);
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

NatsPublisher::NatsPublisher(std::vector<std::string> servers, std::string subject,
                             std::chrono::milliseconds timeout)
    : servers_(std::move(servers)), subject_(std::move(subject)), timeout_(timeout) {}

NatsPublisher::~NatsPublisher() {
  Drop();
}

void NatsPublisher::Drop() {
  if (conn_) natsConnection_Destroy(conn_);
  conn_ = nullptr;
}

Status NatsPublisher::Connect() {
  Drop();
  if (servers_.empty()) return Error{"bad_url", "no NATS servers given"};
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> urls;
  for (const auto& u : servers_) urls.push_back(u.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(opts, true);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, timeout_.count());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsOptions_SetName(opts, "cable");
  if (s == NATS_OK) s = natsConnection_Connect(&conn_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    conn_ = nullptr;
    const std::string code =
        s == NATS_INVALID_ARG || s == NATS_ILLEGAL_STATE ? "bad_url" : "unreachable";
    return Error{code,
                 fmt::format("cannot connect to NATS at {}: {}", Join(servers_), Describe(s))};
  }
  return Status::Ok();
}

Status NatsPublisher::PublishRaw(const std::string& body) {
  const bool reused = conn_ != nullptr;
  if (!reused) {
    if (Status c = Connect(); !c) return c;
  }
  natsStatus s =
      natsConnection_Publish(conn_, subject_.c_str(), body.data(), static_cast<int>(body.size()));
  if (s == NATS_CONNECTION_CLOSED && reused) {
    // The server closed the idle connection; the message never left.
    if (Status c = Connect(); !c) return c;
    s = natsConnection_Publish(conn_, subject_.c_str(), body.data(), static_cast<int>(body.size()));
  }
  if (s == NATS_OK) s = natsConnection_FlushTimeout(conn_, timeout_.count());
  if (s == NATS_OK) return Status::Ok();

  Error e{"nats_error", fmt::format("NATS publish to {} failed: {}", subject_, Describe(s))};
  if (s == NATS_TIMEOUT) {
    e = Error{codes::kTimeout,
              fmt::format("NATS did not confirm the publish within {} ms", timeout_.count())};
  } else if (s == NATS_MAX_PAYLOAD) {
    e.code = "too_large";
  }
  if (s != NATS_MAX_PAYLOAD && s != NATS_INVALID_SUBJECT && s != NATS_INVALID_ARG) Drop();
  return e;
}

}  // namespace cable::broadcast
