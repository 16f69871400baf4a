// --rpc_concurrency end to end (spec §5): calls beyond the limit wait, and
// the calls of sessions that close while waiting are dropped — the backend
// never sees them and rpc_canceled_total counts them. Over gRPC (a backend
// in this process that holds its calls) and over HTTP RPC (a scripted peer
// that holds its answers).

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <regex>

#include "anycable/rpc.grpc.pb.h"
#include "server/server_test_helpers.h"
#include "support/http_sink.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kLimit = 2;
constexpr int kClients = 10;

// An anycable.RPC backend whose Connect calls wait until released.
class HeldBackend final : public anycable::RPC::Service {
 public:
  grpc::Status Connect(grpc::ServerContext*, const anycable::ConnectionRequest*,
                       anycable::ConnectionResponse* res) override {
    std::unique_lock lock(mu_);
    ++calls_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    res->set_status(anycable::SUCCESS);
    res->set_identifiers("{}");
    res->add_transmissions(R"({"type":"welcome"})");
    return grpc::Status::OK;
  }

  bool WaitForCalls(int n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_ >= n; });
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  bool released_ = false;
};

double Metric(const CableServer& server, const std::string& name) {
  std::string text;
  if (HttpGet(server.port(), "/metrics", &text) != 200) return -1;
  std::smatch m;
  const std::regex line("(^|\n)anycable_go_" + name + "(\\{[^}]*\\})? ([0-9.e+-]+)");
  if (!std::regex_search(text, m, line)) return -1;
  return std::stod(m[3]);
}

double WaitForMetric(const CableServer& server, const std::string& name, double value) {
  const auto deadline = Clock::now() + 10s;
  double seen = Metric(server, name);
  while (seen < value && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // polls a counter; nothing to wait on
    seen = Metric(server, name);
  }
  return seen;
}

std::unique_ptr<CableServer> Serve(const std::string& rpc_host) {
  ServeOptions options;
  options.backend = "";
  options.args = {"--rpc_host",
                  rpc_host,
                  "--rpc_concurrency",
                  std::to_string(kLimit),
                  "--rpc_command_timeout",
                  "30000",
                  "--rpc_request_timeout",
                  "30000",
                  "--metrics_http",
                  "/metrics",
                  "--log_level",
                  "debug"};
  return std::make_unique<CableServer>(options);
}

// Fixed-width sids, so that no sid's log line is a prefix of another's.
std::string Sid(int i) {
  return "queued-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

// Opens kClients connections (each a Connect call), waits until the
// backend holds `kLimit` of them, closes every client and waits until the
// server has closed every session; the rest is up to the caller.
void QueueAndClose(CableServer& server, const std::function<bool()>& backend_holds_the_limit) {
  std::vector<ws::Client> clients;
  for (int i = 0; i < kClients; ++i) {
    auto c = server.Connect("/cable", {{"X-Request-ID", Sid(i)}});
    ASSERT_TRUE(c.ok()) << c.error().message;
    clients.push_back(std::move(*c));
  }
  ASSERT_TRUE(backend_holds_the_limit());
  EXPECT_EQ(WaitForMetric(server, "rpc_pending_num", kClients - kLimit), kClients - kLimit);
  clients.clear();  // the clients go away while their Connect calls wait
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(server.process().WaitForOutput("Disconnected sid=" + Sid(i)))
        << server.process().Stderr();
  }
}

TEST(RpcConcurrency, GrpcCallsOfClosedSessionsAreDroppedWhileWaiting) {
  HeldBackend backend;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&backend);
  auto grpc_server = builder.BuildAndStart();
  ASSERT_TRUE(grpc_server && port > 0);
  auto server = Serve("127.0.0.1:" + std::to_string(port));

  QueueAndClose(*server, [&] { return backend.WaitForCalls(kLimit); });
  backend.Release();  // the two calls in flight finish; the waiting ones are dropped
  EXPECT_EQ(WaitForMetric(*server, "rpc_canceled_total", kClients - kLimit), kClients - kLimit);
  EXPECT_EQ(Metric(*server, "rpc_pending_num"), 0);
  EXPECT_EQ(backend.calls(), kLimit) << "the backend saw only the calls that were in flight";
  EXPECT_EQ(Metric(*server, "rpc_call_total"), kLimit);

  // The slots are free again: a new client gets through at once. It stays
  // connected while the calls are counted: its Disconnect would be one more.
  auto late = ConnectWelcomed(*server);
  EXPECT_TRUE(late.ok());
  EXPECT_EQ(backend.calls(), kLimit + 1);
  grpc_server->Shutdown(std::chrono::system_clock::now() + 1s);
}

TEST(RpcConcurrency, HttpCallsOfClosedSessionsAreDroppedWhileWaiting) {
  HttpSink sink;
  sink.set_hold(true);
  sink.set_status(200,
                  R"({"status":1,"identifiers":"{}","transmissions":["{\"type\":\"welcome\"}"]})");
  auto server = Serve(sink.url("/_anycable"));

  QueueAndClose(*server, [&] { return sink.WaitForRequests(kLimit); });
  sink.ReleaseHeld();
  EXPECT_EQ(WaitForMetric(*server, "rpc_canceled_total", kClients - kLimit), kClients - kLimit);
  EXPECT_EQ(Metric(*server, "rpc_pending_num"), 0);
  EXPECT_EQ(sink.requests().size(), static_cast<size_t>(kLimit))
      << "the backend saw only the calls that were in flight";
  EXPECT_EQ(Metric(*server, "rpc_call_total"), kLimit);

  sink.set_hold(false);
  auto late = ConnectWelcomed(*server);  // connected while counted, as above
  EXPECT_TRUE(late.ok());
  EXPECT_EQ(sink.requests().size(), static_cast<size_t>(kLimit + 1));
}

}  // namespace
}  // namespace cable::testing
