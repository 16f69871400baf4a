#include "support/nats_server.h"

#include <nats/nats.h>

#include <stdexcept>

namespace cable::testing {

bool NatsServer::Available() {
  return Run({"/bin/sh", "-c", "command -v nats-server"}, {}, std::chrono::seconds(5)).exit_code ==
         0;
}

NatsServer::NatsServer() : port_(FreePort()) {
  Start();
}

std::string NatsServer::url() const {
  return "nats://127.0.0.1:" + std::to_string(port_);
}

void NatsServer::Start() {
  process_ = ChildProcess({"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port_)});
  // nats-server logs this once its client listener is up.
  if (!process_.WaitForOutput("Server is ready") || !WaitForPort(port_)) {
    throw std::runtime_error("nats-server did not start on port " + std::to_string(port_) + ": " +
                             process_.Stdout() + process_.Stderr());
  }
}

void NatsServer::Stop() {
  if (process_.pid() > 0 && process_.running()) process_.Stop();
}

void NatsServer::Restart() {
  Stop();
  Start();
}

NatsSubscriber::NatsSubscriber(const std::string& url, const std::string& subject) {
  natsStatus s = natsConnection_ConnectTo(&conn_, url.c_str());
  if (s == NATS_OK) s = natsConnection_SubscribeSync(&sub_, conn_, subject.c_str());
  // A flush round-trip proves the server has processed SUB.
  if (s == NATS_OK) s = natsConnection_FlushTimeout(conn_, 5000);
  if (s != NATS_OK) {
    if (sub_) natsSubscription_Destroy(sub_);
    if (conn_) natsConnection_Destroy(conn_);
    throw std::runtime_error("NATS subscribe to " + subject + " at " + url +
                             " failed: " + natsStatus_GetText(s));
  }
}

NatsSubscriber::~NatsSubscriber() {
  if (sub_) natsSubscription_Destroy(sub_);
  if (conn_) natsConnection_Destroy(conn_);
}

std::optional<std::string> NatsSubscriber::Next(std::chrono::milliseconds timeout) {
  natsMsg* msg = nullptr;
  if (natsSubscription_NextMsg(&msg, sub_, timeout.count()) != NATS_OK) return std::nullopt;
  std::string payload(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  return payload;
}

}  // namespace cable::testing
