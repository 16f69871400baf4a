#include "support/nats_server.h"

#include <nats/nats.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace cable::testing {

bool NatsServer::Available() {
  return Run({"/bin/sh", "-c", "command -v nats-server"}, {}, std::chrono::seconds(5)).exit_code ==
         0;
}

NatsServer::NatsServer(bool jetstream) : port_(FreePort()) {
  if (jetstream) {
    char dir[] = "/tmp/cable-jetstream-XXXXXX";
    if (mkdtemp(dir) == nullptr) throw std::runtime_error("cannot create a JetStream directory");
    jetstream_dir_ = dir;
  }
  Start();
}

NatsServer::~NatsServer() {
  Stop();
  if (!jetstream_dir_.empty()) std::filesystem::remove_all(jetstream_dir_);
}

std::string NatsServer::url() const {
  return "nats://127.0.0.1:" + std::to_string(port_);
}

void NatsServer::Start() {
  std::vector<std::string> args = {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port_)};
  if (!jetstream_dir_.empty()) args.insert(args.end(), {"-js", "-sd", jetstream_dir_});
  process_ = ChildProcess(args);
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
