#include "server/controller/http_rpc_controller.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "common/auth/derived_key.h"
#include "common/http/http_client.h"
#include "common/log.h"
#include "server/controller/proto_convert.h"

namespace cable::server {

namespace pb = google::protobuf;
using Clock = std::chrono::steady_clock;

struct HttpRpcController::Impl {
  const ServerConfig& config;
  Metrics& metrics;
  http::Url base;
  std::string secret;
  std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::deque<std::function<void(http::Client&)>> queue;
  size_t busy = 0;
  bool stop = false;
  std::vector<std::thread> threads;

  Impl(const ServerConfig& c, Metrics& m, http::Url url, std::string key)
      : config(c), metrics(m), base(std::move(url)), secret(std::move(key)) {
    const int n = std::max(1, c.rpc_concurrency);
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { Loop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
  }

  void Loop() {
    http::ClientOptions options;
    const int timeout = config.rpc_request_timeout_ms > 0 ? config.rpc_request_timeout_ms : 3000;
    options.timeout = std::chrono::milliseconds(timeout);
    options.max_response_body = 4 << 20;
    http::Client client(base, options);
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;
      auto job = std::move(queue.front());
      queue.pop_front();
      metrics.rpc_pending_num.store(static_cast<int64_t>(queue.size()));
      ++busy;
      lock.unlock();
      job(client);
      lock.lock();
      --busy;
      idle_cv.notify_all();
    }
  }

  void Submit(std::function<void(http::Client&)> job) {
    {
      std::lock_guard lock(mu);
      queue.push_back(std::move(job));
    }
    cv.notify_one();
  }

  // One call with retries on network errors. Returns the JSON body or an Error.
  Result<std::string> Post(http::Client& client, const std::string& sid, const std::string& method,
                           const pb::Message& request) {
    std::string body;
    pb::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.always_print_enums_as_ints = true;
    if (!pb::util::MessageToJsonString(request, &body, print).ok()) {
      return Error{"encode", "cannot encode the request as JSON"};
    }
    http::Headers headers = {{"Content-Type", "application/json"},
                             {"X-Anycable-Meta-Sid", sid},
                             {"X-Anycable-Meta-Protov", "v1"}};
    if (!secret.empty()) headers.emplace_back("Authorization", "Bearer " + secret);
    std::string target = base.target;
    if (target.empty() || target.back() != '/') target += '/';
    target += method;

    const auto deadline =
        Clock::now() + std::chrono::milliseconds(std::max(1, config.rpc_command_timeout_ms));
    for (int attempt = 0;; ++attempt) {
      Inc(metrics.rpc_call_total);
      auto response = client.Send("POST", target, body, headers);
      if (response.ok()) {
        if (response->status == 200) return std::move(response->body);
        Inc(metrics.rpc_error_total);
        return Error{"http_" + std::to_string(response->status),
                     "RPC server answered " + std::to_string(response->status)};
      }
      const Error& error = response.error();
      auto backoff = std::chrono::milliseconds(100 << std::min(attempt, 10));
      if ((error.IsUnreachable() || error.IsIoError()) && Clock::now() + backoff < deadline) {
        Inc(metrics.rpc_retries_total);
        std::this_thread::sleep_for(backoff);
        continue;
      }
      Inc(metrics.rpc_error_total);
      if (error.IsTimeout()) Inc(metrics.rpc_timeout_total);
      return response.error();
    }
  }

  template <typename Resp, typename Reply>
  void Call(const std::string& sid, const std::string& method, std::shared_ptr<pb::Message> request,
            std::function<void(Reply)> done) {
    Submit([this, sid, method, request, done = std::move(done)](http::Client& client) {
      auto body = Post(client, sid, method, *request);
      Resp response;
      pb::util::JsonParseOptions parse;
      parse.ignore_unknown_fields = true;
      if (body.ok() && pb::util::JsonStringToMessage(*body, &response, parse).ok()) {
        done(FromProto(response));
        return;
      }
      Reply reply;
      reply.status = RpcStatus::kError;
      reply.error = body.ok() ? "RPC server sent an invalid JSON reply" : body.error().message;
      done(std::move(reply));
    });
  }
};

Result<std::unique_ptr<HttpRpcController>> HttpRpcController::Create(const ServerConfig& config,
                                                                     Metrics& metrics) {
  auto url = http::ParseUrl(config.rpc_host);
  if (!url.ok()) return Error{"rpc_host", "--rpc_host: " + url.error().message};
  std::string secret = config.http_rpc_secret;
  if (secret.empty() && !config.secret.empty())
    secret = auth::DeriveKey(config.secret, auth::kRpcKeyPhrase);
  return std::unique_ptr<HttpRpcController>(new HttpRpcController(
      std::make_unique<Impl>(config, metrics, std::move(url.value()), secret)));
}

HttpRpcController::HttpRpcController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpRpcController::~HttpRpcController() = default;

void HttpRpcController::Connect(const std::string& sid, ConnectRequest request,
                                std::function<void(ConnectReply)> done) {
  impl_->Call<anycable::ConnectionResponse, ConnectReply>(
      sid, "connect", std::make_shared<anycable::ConnectionRequest>(ToProto(request)),
      std::move(done));
}

void HttpRpcController::Command(const std::string& sid, CommandRequest request,
                                std::function<void(CommandReply)> done) {
  impl_->Call<anycable::CommandResponse, CommandReply>(
      sid, "command", std::make_shared<anycable::CommandMessage>(ToProto(request)),
      std::move(done));
}

void HttpRpcController::Disconnect(const std::string& sid, DisconnectRequest request,
                                   std::function<void(DisconnectReply)> done) {
  impl_->Call<anycable::DisconnectResponse, DisconnectReply>(
      sid, "disconnect", std::make_shared<anycable::DisconnectRequest>(ToProto(request)),
      std::move(done));
}

void HttpRpcController::Shutdown(int timeout_ms) {
  std::unique_lock lock(impl_->mu);
  impl_->idle_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [&] { return impl_->queue.empty() && impl_->busy == 0; });
}

}  // namespace cable::server
