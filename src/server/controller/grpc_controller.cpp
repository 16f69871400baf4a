#include "server/controller/grpc_controller.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <netdb.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <thread>

#include "anycable/rpc.grpc.pb.h"
#include "common/log.h"
#include "common/read_file.h"
#include "common/strings.h"
#include "server/controller/concurrency_limiter.h"
#include "server/controller/grpc_active_conns.h"
#include "server/controller/proto_convert.h"
#include "server/controller/rpc_error.h"

namespace cable::server {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
// The system bundle is about 200 KB.
constexpr size_t kMaxCaBundleBytes = 16 << 20;
}  // namespace

namespace {
// host:port -> the literal addresses it stands for (a name is resolved
// now, once; an address is taken as is). `v4`/`v6` collect "a:port" and
// "[a]:port".
Status ResolveListEntry(const std::string& entry, std::vector<std::string>& v4,
                        std::vector<std::string>& v6) {
  const auto colon = entry.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
    return Error{"rpc_host", "grpc-list:// entry \"" + entry + "\" is not host:port"};
  }
  std::string host = entry.substr(0, colon);
  const std::string port = entry.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Error{"rpc_host", "grpc-list:// cannot resolve \"" + host + "\": " + gai_strerror(rc)};
  }
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
      v4.push_back(std::string(text) + ":" + port);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                sizeof text);
      v6.push_back("[" + std::string(text) + "]:" + port);
    }
  }
  freeaddrinfo(found);
  return Status::Ok();
}
}  // namespace

Result<std::string> GrpcTarget(const std::string& rpc_host) {
  static const std::string kList = "grpc-list://";
  if (rpc_host.rfind(kList, 0) == 0) {
    // gRPC's ipv4:/ipv6: schemes take literal addresses and its dns
    // resolver one name, so the names of a list are resolved here, at
    // start (anycable-go resolves them when it dials).
    std::vector<std::string> v4, v6, seen;
    for (const std::string& h : SplitList(rpc_host.substr(kList.size()))) {
      if (std::find(seen.begin(), seen.end(), h) != seen.end()) continue;
      seen.push_back(h);
      if (auto s = ResolveListEntry(h, v4, v6); !s.ok()) return s.error();
    }
    if (seen.empty()) return Error{"rpc_host", "grpc-list:// needs at least one host:port"};
    // One family per target: IPv4 when there is any (localhost has both).
    const bool use_v4 = !v4.empty();
    std::vector<std::string>& chosen = use_v4 ? v4 : v6;
    std::string target = use_v4 ? "ipv4:" : "ipv6:";
    std::vector<std::string> unique;
    for (const auto& a : chosen) {
      if (std::find(unique.begin(), unique.end(), a) == unique.end()) unique.push_back(a);
    }
    for (size_t i = 0; i < unique.size(); ++i) target += (i > 0 ? "," : "") + unique[i];
    return target;
  }
  if (rpc_host.empty()) return Error{"rpc_host", "--rpc_host is empty"};
  return rpc_host;
}

namespace {
// Channel credentials from the --rpc_*tls* settings (plaintext unless TLS
// is on); an Error names a bad root CA.
Result<std::shared_ptr<grpc::ChannelCredentials>> RpcCredentials(const ServerConfig& config) {
  if (!config.rpc_enable_tls && config.rpc_tls_root_ca.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  std::string roots;
  if (!config.rpc_tls_root_ca.empty()) {
    // A file, else the PEM text itself (anycable-go accepts both).
    if (config.rpc_tls_root_ca.find("-----BEGIN") != std::string::npos) {
      roots = config.rpc_tls_root_ca;
    } else {
      auto file = ReadFile(config.rpc_tls_root_ca, kMaxCaBundleBytes);
      if (!file.ok()) {
        return Error{"rpc_tls", "--rpc_tls_root_ca: " + file.error().message};
      }
      roots = std::move(file.value());
    }
    if (roots.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Error{"rpc_tls", "--rpc_tls_root_ca holds no PEM certificate"};
    }
  }
  if (config.rpc_tls_verify) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = roots;  // empty: the system's CAs
    return grpc::SslCredentials(options);
  }
  // Encrypted but unauthenticated, as anycable-go's InsecureSkipVerify:
  // for development against self-signed backends only.
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_verify_server_certs(false);
  options.set_check_call_host(false);
  options.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  if (!roots.empty()) {
    options.set_certificate_provider(
        std::make_shared<grpc::experimental::StaticDataCertificateProvider>(roots));
    options.watch_root_certs();
  }
  return grpc::experimental::TlsCredentials(options);
}
}  // namespace

struct GrpcController::Impl {
  const ServerConfig& config;
  Metrics& metrics;
  std::shared_ptr<grpc::Channel> channel;
  std::string target;  // as given to gRPC, which channelz reports
  std::unique_ptr<anycable::RPC::Stub> stub;
  ConcurrencyLimiter limiter;
  asio::io_context timers{1};
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread timer_thread;

  Impl(const ServerConfig& c, Metrics& m, std::shared_ptr<grpc::Channel> ch)
      : config(c),
        metrics(m),
        channel(std::move(ch)),
        stub(anycable::RPC::NewStub(channel)),
        limiter(static_cast<size_t>(std::max(1, c.rpc_concurrency)), m) {
    guard = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        timers.get_executor());
    timer_thread = std::thread([this] { timers.run(); });
  }
  ~Impl() {
    guard.reset();
    timers.stop();
    timer_thread.join();
  }

  // One RPC with retries. `Invoke(ctx, req, resp, cb)` issues one attempt.
  template <typename Req, typename Resp, typename Reply>
  struct Call : std::enable_shared_from_this<Call<Req, Resp, Reply>> {
    Impl* impl;
    std::string sid;
    CancelFlag cancel;
    Req request;
    Resp response;
    std::unique_ptr<grpc::ClientContext> context;
    std::function<void(grpc::ClientContext*, const Req*, Resp*, std::function<void(grpc::Status)>)>
        invoke;
    std::function<void(Reply)> done;
    Clock::time_point deadline;
    int attempt = 0;

    void Start() {
      auto self = this->shared_from_this();
      impl->limiter.Acquire(std::move(cancel), [self](bool canceled) {
        if (!canceled) {
          Inc(self->impl->metrics.rpc_call_total);
          return self->Attempt();
        }
        Reply reply;
        reply.error = kCanceledError;
        self->done(std::move(reply));
      });
    }

    void Attempt() {
      context = std::make_unique<grpc::ClientContext>();
      context->AddMetadata("sid", sid);
      context->AddMetadata("protov", "v1");
      auto attempt_deadline = deadline;
      if (impl->config.rpc_request_timeout_ms > 0) {
        attempt_deadline =
            std::min(deadline,
                     Clock::now() + std::chrono::milliseconds(impl->config.rpc_request_timeout_ms));
      }
      // gRPC takes wall-clock deadlines.
      context->set_deadline(std::chrono::system_clock::now() + (attempt_deadline - Clock::now()));
      response.Clear();
      auto self = this->shared_from_this();
      invoke(context.get(), &request, &response,
             [self](grpc::Status status) { self->OnDone(status); });
    }

    void OnDone(const grpc::Status& status) {
      if (status.ok()) {
        impl->limiter.Release();
        done(FromProto(response));
        return;
      }
      const auto code = status.error_code();
      const bool retryable =
          code == grpc::StatusCode::RESOURCE_EXHAUSTED || code == grpc::StatusCode::UNAVAILABLE;
      auto backoff = std::chrono::milliseconds(
          (code == grpc::StatusCode::RESOURCE_EXHAUSTED ? 10 : 100) << std::min(attempt, 10));
      if (retryable && Clock::now() + backoff < deadline) {
        ++attempt;
        Inc(impl->metrics.rpc_retries_total);
        auto self = this->shared_from_this();
        auto timer = std::make_shared<asio::steady_timer>(impl->timers, backoff);
        timer->async_wait([self, timer](const boost::system::error_code&) { self->Attempt(); });
        return;
      }
      impl->limiter.Release();
      Inc(impl->metrics.rpc_error_total);
      if (code == grpc::StatusCode::DEADLINE_EXCEEDED) Inc(impl->metrics.rpc_timeout_total);
      Reply reply;
      reply.status = RpcStatus::kError;
      reply.error = RpcErrorText(code, status.error_message());
      done(std::move(reply));
    }
  };

  template <typename Req, typename Resp, typename Reply, typename Invoke>
  void Run(const std::string& sid, CancelFlag cancel, Req request, Invoke invoke,
           std::function<void(Reply)> done) {
    auto call = std::make_shared<Call<Req, Resp, Reply>>();
    call->impl = this;
    call->sid = sid;
    call->cancel = std::move(cancel);
    call->request = std::move(request);
    call->invoke = std::move(invoke);
    call->done = std::move(done);
    call->deadline =
        Clock::now() + std::chrono::milliseconds(std::max(1, config.rpc_command_timeout_ms));
    call->Start();
  }
};

Result<std::unique_ptr<GrpcController>> GrpcController::Create(const ServerConfig& config,
                                                               Metrics& metrics) {
  auto target = GrpcTarget(config.rpc_host);
  if (!target.ok()) return target.error();
  auto credentials = RpcCredentials(config);
  if (!credentials.ok()) return credentials.error();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // gRPC's own reconnect backoff starts at 1 s and grows to 2 minutes: an
  // application that restarts during a deploy would stay unreachable long
  // after it is back. Retrying every 100 ms up to 5 s follows a restart
  // within the command timeout, and costs one connect attempt per 5 s
  // while the application is down. (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is
  // also the handshake timeout: it keeps its 20 s default.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  args.SetLoadBalancingPolicyName("round_robin");
  if (config.rpc_max_call_recv_size > 0) {
    args.SetMaxReceiveMessageSize(config.rpc_max_call_recv_size);
  }
  if (config.rpc_max_call_send_size > 0) args.SetMaxSendMessageSize(config.rpc_max_call_send_size);
  auto channel = grpc::CreateCustomChannel(*target, *credentials, args);
  auto impl = std::make_unique<Impl>(config, metrics, std::move(channel));
  impl->target = *target;
  return std::unique_ptr<GrpcController>(new GrpcController(std::move(impl)));
}

int GrpcController::ActiveConnections() {
  return CountReadyGrpcConnections(impl_->target);
}

GrpcController::GrpcController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcController::~GrpcController() = default;

void GrpcController::Connect(const std::string& sid, ConnectRequest request,
                             std::function<void(ConnectReply)> done) {
  auto* stub = impl_->stub.get();
  impl_->Run<anycable::ConnectionRequest, anycable::ConnectionResponse, ConnectReply>(
      sid, request.cancel, ToProto(request),
      [stub](grpc::ClientContext* ctx, const anycable::ConnectionRequest* req,
             anycable::ConnectionResponse* resp, std::function<void(grpc::Status)> cb) {
        stub->async()->Connect(ctx, req, resp, std::move(cb));
      },
      std::move(done));
}

void GrpcController::Command(const std::string& sid, CommandRequest request,
                             std::function<void(CommandReply)> done) {
  auto* stub = impl_->stub.get();
  impl_->Run<anycable::CommandMessage, anycable::CommandResponse, CommandReply>(
      sid, request.cancel, ToProto(request),
      [stub](grpc::ClientContext* ctx, const anycable::CommandMessage* req,
             anycable::CommandResponse* resp, std::function<void(grpc::Status)> cb) {
        stub->async()->Command(ctx, req, resp, std::move(cb));
      },
      std::move(done));
}

void GrpcController::Disconnect(const std::string& sid, DisconnectRequest request,
                                std::function<void(DisconnectReply)> done) {
  auto* stub = impl_->stub.get();
  impl_->Run<anycable::DisconnectRequest, anycable::DisconnectResponse, DisconnectReply>(
      sid, nullptr, ToProto(request),
      [stub](grpc::ClientContext* ctx, const anycable::DisconnectRequest* req,
             anycable::DisconnectResponse* resp, std::function<void(grpc::Status)> cb) {
        stub->async()->Disconnect(ctx, req, resp, std::move(cb));
      },
      std::move(done));
}

void GrpcController::Shutdown(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (impl_->limiter.in_flight() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace cable::server
