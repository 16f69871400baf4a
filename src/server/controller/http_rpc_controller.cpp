#include "server/controller/http_rpc_controller.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "anycable/rpc.pb.h"
#include "common/auth/derived_key.h"
#include "common/http/http_client.h"
#include "common/log.h"
#include "common/read_file.h"
#include "server/controller/circuit_breaker.h"
#include "server/controller/concurrency_limiter.h"
#include "server/controller/proto_convert.h"
#include "server/controller/rpc_error.h"

namespace cable::server {

namespace pb = google::protobuf;
using Clock = std::chrono::steady_clock;
using Code = grpc::StatusCode;

namespace {

// anycable-go reads HTTP RPC replies whole; cable bounds them like gRPC's
// default receive limit unless --rpc_max_call_recv_size says otherwise.
constexpr size_t kDefaultMaxReplyBytes = 4 << 20;
constexpr size_t kMaxCaBundleBytes = 16 << 20;
// How much of an error body or a malformed reply goes into the log.
constexpr size_t kShownBodyBytes = 120;

std::string Shown(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kShownBodyBytes)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  if (body.size() > kShownBodyBytes) out += "...";
  return out;
}

// A failed exchange, as the gRPC status that means the same (spec §4.5).
struct Failure {
  Code code;
  std::string message;
};

// --rpc_tls_root_ca as the HTTP client takes it: a file, or the PEM text.
Result<http::ClientOptions> ClientSettings(const ServerConfig& config) {
  http::ClientOptions options;
  options.timeout = std::chrono::milliseconds(
      config.rpc_request_timeout_ms > 0 ? config.rpc_request_timeout_ms : 3000);
  options.max_response_body = config.rpc_max_call_recv_size > 0
                                  ? static_cast<size_t>(config.rpc_max_call_recv_size)
                                  : kDefaultMaxReplyBytes;
  options.tls_verify = config.rpc_tls_verify;
  const std::string& ca = config.rpc_tls_root_ca;
  if (ca.empty()) return options;
  if (ca.find("-----BEGIN") != std::string::npos) {
    options.tls_ca_pem = ca;
  } else {
    auto file = ReadFile(ca, kMaxCaBundleBytes);
    if (!file.ok()) return Error{"rpc_tls", "--rpc_tls_root_ca: " + file.error().message};
    options.tls_ca_pem = std::move(file.value());
  }
  if (options.tls_ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Error{"rpc_tls", "--rpc_tls_root_ca holds no PEM certificate"};
  }
  return options;
}

}  // namespace

struct HttpRpcController::Impl {
  const ServerConfig& config;
  Metrics& metrics;
  http::Url base;
  std::string path, query;  // of --rpc_host; the method name goes after the path
  std::string secret;
  http::ClientOptions client_options;
  ConcurrencyLimiter limiter;
  CircuitBreaker breaker;

  // Calls run on `threads`, one per concurrency slot, each with its own
  // kept-alive connection. The limiter admits at most that many jobs, so a
  // queued job finds a free thread at once.
  std::mutex mu;
  std::condition_variable cv;
  std::condition_variable idle_cv;
  std::deque<std::function<void(http::Client&)>> queue;
  size_t busy = 0;
  bool stop = false;
  std::vector<std::thread> threads;

  Impl(const ServerConfig& c, Metrics& m, http::Url url, std::string key,
       http::ClientOptions options)
      : config(c),
        metrics(m),
        base(std::move(url)),
        secret(std::move(key)),
        client_options(std::move(options)),
        limiter(static_cast<size_t>(std::max(1, c.rpc_concurrency)), m),
        breaker(CircuitBreaker::Settings{}, &Clock::now,
                [authority = base.Authority()](CircuitBreaker::State from, CircuitBreaker::State to,
                                               uint64_t refused) {
                  LogBreaker(authority, from, to, refused);
                }) {
    const auto q = base.target.find('?');
    path = base.target.substr(0, q);
    if (q != std::string::npos) query = base.target.substr(q);
    if (path.empty() || path.back() != '/') path += '/';
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

  static void LogBreaker(const std::string& authority, CircuitBreaker::State from,
                         CircuitBreaker::State to, uint64_t refused) {
    using S = CircuitBreaker::State;
    if (to == S::kOpen) {
      log::Warn(
          "HTTP RPC circuit breaker open: most calls to {} failed; calls fail at once for 5 s",
          authority);
    } else if (to == S::kHalfOpen) {
      log::Info("HTTP RPC circuit breaker half-open: {} calls failed at once while open; trying {}",
                refused, authority);
    } else if (from == S::kHalfOpen) {
      log::Info("HTTP RPC circuit breaker closed: {} answers again", authority);
    }
  }

  void Loop() {
    http::Client client(base, client_options);
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;
      auto job = std::move(queue.front());
      queue.pop_front();
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

  // One call: the reply body on 200, else the failure as a gRPC status.
  // Network errors (Unavailable) are retried with backoff within the
  // command timeout, as gRPC's Unavailable is.
  std::optional<Failure> Post(http::Client& client, const std::string& sid,
                              const std::string& method, const std::string& body,
                              std::string* reply) {
    http::Headers headers = {{"Content-Type", "application/json"},
                             {"X-Anycable-Meta-Sid", sid},
                             {"X-Anycable-Meta-Protov", "v1"}};
    if (!secret.empty()) headers.emplace_back("Authorization", "Bearer " + secret);
    const std::string target = path + method + query;
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(std::max(1, config.rpc_command_timeout_ms));
    for (int attempt = 0;; ++attempt) {
      auto ticket = breaker.Allow();
      if (!ticket) {
        return Failure{Code::UNAVAILABLE,
                       "HTTP RPC circuit breaker is open (most recent calls failed)"};
      }
      auto response = client.Send("POST", target, body, headers);
      if (response.ok()) {
        // The application answered: whatever it said, it is reachable.
        breaker.Done(*ticket, true);
        if (response->status == 200) {
          *reply = std::move(response->body);
          return std::nullopt;
        }
        return Classify(method, *response);
      }
      breaker.Done(*ticket, false);
      const Error& error = response.error();
      if (error.IsTimeout()) return Failure{Code::DEADLINE_EXCEEDED, error.message};
      if (error.IsTls()) return Failure{Code::UNAUTHENTICATED, error.message};
      if (error.IsTooLarge()) return Failure{Code::RESOURCE_EXHAUSTED, error.message};
      // Unreachable or the connection broke: Unavailable, retried.
      const auto backoff = std::chrono::milliseconds(100 << std::min(attempt, 10));
      if (Clock::now() + backoff >= deadline) return Failure{Code::UNAVAILABLE, error.message};
      Inc(metrics.rpc_retries_total);
      log::Debug("HTTP RPC {} sid={} failed, retrying in {} ms: {}", method, sid, backoff.count(),
                 error.message);
      std::this_thread::sleep_for(backoff);
    }
  }

  static Failure Classify(const std::string& method, const http::Response& response) {
    const int status = response.status;
    const std::string what = "http returned " + std::to_string(status) + " to /" + method;
    if (status == 401) return Failure{Code::UNAUTHENTICATED, what};
    const std::string detail = response.body.empty() ? "" : ": " + Shown(response.body);
    if (status == 400 || status == 422) return Failure{Code::INVALID_ARGUMENT, what + detail};
    return Failure{Code::UNKNOWN, what + detail};
  }

  template <typename Resp, typename Reply>
  void Call(const std::string& sid, const std::string& method, CancelFlag cancel,
            std::shared_ptr<pb::Message> request, std::function<void(Reply)> done) {
    limiter.Acquire(std::move(cancel), [this, sid, method, request,
                                        done = std::move(done)](bool canceled) mutable {
      if (canceled) {
        Reply reply;
        reply.error = kCanceledError;
        done(std::move(reply));
        return;
      }
      Inc(metrics.rpc_call_total);
      Submit([this, sid, method, request, done = std::move(done)](http::Client& client) {
        auto reply = Exchange<Resp, Reply>(client, sid, method, *request);
        limiter.Release();
        done(std::move(reply));
      });
    });
  }

  template <typename Resp, typename Reply>
  Reply Exchange(http::Client& client, const std::string& sid, const std::string& method,
                 const pb::Message& request) {
    Reply reply;
    auto fail = [&](Code code, const std::string& message) {
      Inc(metrics.rpc_error_total);
      if (code == Code::DEADLINE_EXCEEDED) Inc(metrics.rpc_timeout_total);
      reply.status = RpcStatus::kError;
      reply.error = RpcErrorText(code, message);
      return std::move(reply);
    };
    std::string body;
    pb::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.always_print_enums_as_ints = true;
    if (!pb::util::MessageToJsonString(request, &body, print).ok()) {
      return fail(Code::INTERNAL, "cannot encode the request as JSON");
    }
    if (config.rpc_max_call_send_size > 0 &&
        body.size() > static_cast<size_t>(config.rpc_max_call_send_size)) {
      return fail(Code::RESOURCE_EXHAUSTED, "request of " + std::to_string(body.size()) +
                                                " bytes is over --rpc_max_call_send_size " +
                                                std::to_string(config.rpc_max_call_send_size));
    }
    std::string answer;
    if (auto failure = Post(client, sid, method, body, &answer)) {
      return fail(failure->code, failure->message);
    }
    Resp response;
    pb::util::JsonParseOptions parse;
    parse.ignore_unknown_fields = true;
    if (auto s = pb::util::JsonStringToMessage(answer, &response, parse); !s.ok()) {
      return fail(Code::INTERNAL, "the reply to /" + method + " is not a " +
                                      std::string(Resp::descriptor()->name()) + " in JSON (" +
                                      Shown(std::string(s.message())) + "): " + Shown(answer));
    }
    return FromProto(response);
  }
};

Result<std::unique_ptr<HttpRpcController>> HttpRpcController::Create(const ServerConfig& config,
                                                                     Metrics& metrics) {
  auto url = http::ParseUrl(config.rpc_host);
  if (!url.ok()) return Error{"rpc_host", "--rpc_host: " + url.error().message};
  auto options = ClientSettings(config);
  if (!options.ok()) return options.error();
  std::string secret = config.http_rpc_secret;
  if (secret.empty() && !config.secret.empty())
    secret = auth::DeriveKey(config.secret, auth::kRpcKeyPhrase);
  return std::unique_ptr<HttpRpcController>(new HttpRpcController(std::make_unique<Impl>(
      config, metrics, std::move(url.value()), secret, std::move(options.value()))));
}

HttpRpcController::HttpRpcController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpRpcController::~HttpRpcController() = default;

void HttpRpcController::Connect(const std::string& sid, ConnectRequest request,
                                std::function<void(ConnectReply)> done) {
  auto cancel = std::move(request.cancel);
  impl_->Call<anycable::ConnectionResponse, ConnectReply>(
      sid, "connect", std::move(cancel),
      std::make_shared<anycable::ConnectionRequest>(ToProto(request)), std::move(done));
}

void HttpRpcController::Command(const std::string& sid, CommandRequest request,
                                std::function<void(CommandReply)> done) {
  auto cancel = std::move(request.cancel);
  impl_->Call<anycable::CommandResponse, CommandReply>(
      sid, "command", std::move(cancel),
      std::make_shared<anycable::CommandMessage>(ToProto(request)), std::move(done));
}

void HttpRpcController::Disconnect(const std::string& sid, DisconnectRequest request,
                                   std::function<void(DisconnectReply)> done) {
  impl_->Call<anycable::DisconnectResponse, DisconnectReply>(
      sid, "disconnect", nullptr, std::make_shared<anycable::DisconnectRequest>(ToProto(request)),
      std::move(done));
}

void HttpRpcController::Shutdown(int timeout_ms) {
  // A waiting call starts (is queued) before the one it waited for goes
  // idle, so an empty queue with no busy thread means nothing is waiting.
  std::unique_lock lock(impl_->mu);
  impl_->idle_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                          [&] { return impl_->queue.empty() && impl_->busy == 0; });
}

}  // namespace cable::server
