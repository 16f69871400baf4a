#include "rpc/grpc_server.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>

#include <mutex>

#include "anycable/rpc.grpc.pb.h"
#include "common/log.h"
#include "common/read_file.h"
#include "rpc/backend.h"
#include "rpc/limits.h"

namespace cable::rpc {
namespace {

std::string Sid(const grpc::ServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("sid");
  if (it == md.end()) return {};
  std::string sid(it->second.data(), it->second.size());
  // A session id is short (21 chars); a huge value is someone else's bug.
  if (sid.size() > 256) sid.resize(256);
  return sid;
}

// Debug lines show request fields up to this many bytes; data may be 1 MiB.
std::string_view Clip(const std::string& s) {
  constexpr std::size_t kMax = 300;
  return s.size() <= kMax ? std::string_view(s) : std::string_view(s).substr(0, kMax);
}

const char* StatusName(anycable::Status s) {
  switch (s) {
    case anycable::SUCCESS:
      return "SUCCESS";
    case anycable::FAILURE:
      return "FAILURE";
    default:
      return "ERROR";
  }
}

// gRPC's own log lines (multi-line error trees on stderr) go through the
// cable logger at debug level: every failure that matters to a user (a port
// in use, a bad address) is reported by this code in one clear sentence.
void RouteGrpcLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function([](gpr_log_func_args* args) {
      if (log::Enabled(log::Level::kDebug)) log::Debug("grpc: {}", args->message);
    });
  });
}

// Plaintext, or TLS with the certificate and key files of `options`.
Result<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const GrpcServerOptions& options) {
  if (options.tls_cert.empty() && options.tls_key.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert.empty() || options.tls_key.empty()) {
    return Error{"tls", "TLS needs both a certificate and a key"};
  }
  constexpr size_t kMaxPemBytes = 1 << 20;
  auto cert = ReadFile(options.tls_cert, kMaxPemBytes);
  if (!cert.ok()) return Error{"tls", "certificate: " + cert.error().message};
  auto key = ReadFile(options.tls_key, kMaxPemBytes);
  if (!key.ok()) return Error{"tls", "key: " + key.error().message};
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({std::move(key.value()), std::move(cert.value())});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

struct GrpcServer::Service final : anycable::RPC::Service {
  explicit Service(const Backend& b) : backend(b) {}

  grpc::Status Connect(grpc::ServerContext* ctx, const anycable::ConnectionRequest* req,
                       anycable::ConnectionResponse* res) override {
    std::string sid = Sid(ctx);
    *res = backend.Connect(*req, sid);
    if (log::Enabled(log::Level::kDebug)) {
      log::Debug("rpc Connect sid={} url={} status={} identifiers={}{}", sid,
                 Clip(req->env().url()), StatusName(res->status()), Clip(res->identifiers()),
                 res->error_msg().empty() ? "" : " error=" + res->error_msg());
    }
    return grpc::Status::OK;
  }

  grpc::Status Command(grpc::ServerContext* ctx, const anycable::CommandMessage* req,
                       anycable::CommandResponse* res) override {
    std::string sid = Sid(ctx);
    *res = backend.Command(*req, sid);
    if (log::Enabled(log::Level::kDebug)) {
      log::Debug("rpc Command sid={} command={} identifier={} data={} status={}{}", sid,
                 Clip(req->command()), Clip(req->identifier()), Clip(req->data()),
                 StatusName(res->status()),
                 res->error_msg().empty() ? "" : " error=" + res->error_msg());
    }
    return grpc::Status::OK;
  }

  grpc::Status Disconnect(grpc::ServerContext* ctx, const anycable::DisconnectRequest* req,
                          anycable::DisconnectResponse* res) override {
    std::string sid = Sid(ctx);
    *res = backend.Disconnect(*req, sid);
    if (log::Enabled(log::Level::kDebug)) {
      log::Debug("rpc Disconnect sid={} identifiers={} subscriptions={} status={}{}", sid,
                 Clip(req->identifiers()), req->subscriptions_size(), StatusName(res->status()),
                 res->error_msg().empty() ? "" : " error=" + res->error_msg());
    }
    return grpc::Status::OK;
  }

  const Backend& backend;
};

Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(const Backend& backend,
                                                      const GrpcServerOptions& options) {
  RouteGrpcLogs();
  std::unique_ptr<GrpcServer> server(new GrpcServer());
  server->service_ = std::make_unique<Service>(backend);
  grpc::ServerBuilder builder;
  // Without this, Linux gRPC binds with SO_REUSEPORT and a second server on
  // the same port "succeeds" and steals half of the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int max_bytes =
      options.max_message_bytes > 0 ? options.max_message_bytes : limits::kMaxGrpcMessageBytes;
  builder.SetMaxReceiveMessageSize(max_bytes);
  builder.SetMaxSendMessageSize(max_bytes);
  auto credentials = ServerCredentials(options);
  if (!credentials.ok()) return credentials.error();
  builder.AddListeningPort(options.host, *credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return Error{"listen_failed", "cannot listen on " + options.host +
                                      " (address in use, or not a valid host:port)"};
  }
  return server;
}

void GrpcServer::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_ || !server_) return;
  stopped_ = true;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

GrpcServer::~GrpcServer() {
  Shutdown(std::chrono::milliseconds(0));
}

}  // namespace cable::rpc
