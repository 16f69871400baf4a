#pragma once
// A Backend served over gRPC on a free loopback port, with a generated
// client stub and a recorder of the broadcasts handlers make.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "anycable/rpc.grpc.pb.h"
#include "rpc/backend.h"
#include "rpc/grpc_server.h"
#include "support/process.h"

namespace cable::rpc::testing {

inline Source SourceFile(const std::string& relative) {
  auto src = ReadSource(cable::testing::SourcePath(relative));
  if (!src.ok()) throw std::runtime_error(src.error().message);
  return *src;
}

class RpcFixture {
 public:
  // `sink` replaces the recorder (e.g. a real publisher).
  explicit RpcFixture(const std::vector<Source>& sources, BroadcastSink sink = nullptr) {
    auto backend = Backend::LoadSources(sources);
    if (!backend.ok()) throw std::runtime_error(backend.error().message);
    backend_ = std::move(*backend);
    if (!sink) {
      sink = [this](const std::string& body) {
        std::lock_guard<std::mutex> lock(mu_);
        broadcasts_.push_back(body);
      };
    }
    backend_->SetBroadcastSink(std::move(sink));
    GrpcServerOptions options;
    options.host = "127.0.0.1:0";
    auto server = GrpcServer::Start(*backend_, options);
    if (!server.ok()) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = anycable::RPC::NewStub(channel);
  }

  anycable::RPC::Stub& stub() { return *stub_; }
  GrpcServer& server() { return *server_; }

  std::vector<std::string> TakeBroadcasts() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(broadcasts_, {});
  }

  anycable::ConnectionResponse Connect(const std::string& url,
                                       const std::map<std::string, std::string>& headers = {},
                                       const std::string& sid = "sid-1") {
    anycable::ConnectionRequest req;
    req.mutable_env()->set_url(url);
    for (const auto& [k, v] : headers) (*req.mutable_env()->mutable_headers())[k] = v;
    anycable::ConnectionResponse res;
    grpc::ClientContext ctx;
    ctx.AddMetadata("sid", sid);
    ctx.AddMetadata("protov", "v1");
    grpc::Status s = stub_->Connect(&ctx, req, &res);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return res;
  }

  struct CommandArgs {
    std::string command = "subscribe";
    std::string identifier;
    std::string data;
    std::string identifiers = "{}";
    std::string url = "http://localhost:8080/cable";
    std::map<std::string, std::string> istate;
    std::map<std::string, std::string> cstate;
    std::map<std::string, std::string> headers;
    std::string sid = "sid-1";
  };

  anycable::CommandResponse Command(const CommandArgs& a) {
    anycable::CommandMessage req;
    req.set_command(a.command);
    req.set_identifier(a.identifier);
    req.set_data(a.data);
    req.set_connection_identifiers(a.identifiers);
    req.mutable_env()->set_url(a.url);
    for (const auto& [k, v] : a.istate) (*req.mutable_env()->mutable_istate())[k] = v;
    for (const auto& [k, v] : a.cstate) (*req.mutable_env()->mutable_cstate())[k] = v;
    for (const auto& [k, v] : a.headers) (*req.mutable_env()->mutable_headers())[k] = v;
    anycable::CommandResponse res;
    grpc::ClientContext ctx;
    ctx.AddMetadata("sid", a.sid);
    grpc::Status s = stub_->Command(&ctx, req, &res);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return res;
  }

  anycable::CommandResponse Subscribe(const std::string& identifier,
                                      const std::string& url = "http://localhost:8080/cable") {
    CommandArgs a;
    a.identifier = identifier;
    a.url = url;
    return Command(a);
  }

  anycable::CommandResponse Perform(const std::string& identifier, const std::string& data,
                                    const std::map<std::string, std::string>& istate = {}) {
    CommandArgs a;
    a.command = "message";
    a.identifier = identifier;
    a.data = data;
    a.istate = istate;
    return Command(a);
  }

  anycable::DisconnectResponse Disconnect(const std::string& identifiers,
                                          const std::vector<std::string>& subscriptions,
                                          const std::map<std::string, std::string>& istate,
                                          const std::string& url = "http://localhost:8080/cable",
                                          const std::map<std::string, std::string>& headers = {}) {
    anycable::DisconnectRequest req;
    req.set_identifiers(identifiers);
    for (const auto& s : subscriptions) req.add_subscriptions(s);
    req.mutable_env()->set_url(url);
    for (const auto& [k, v] : istate) (*req.mutable_env()->mutable_istate())[k] = v;
    for (const auto& [k, v] : headers) (*req.mutable_env()->mutable_headers())[k] = v;
    anycable::DisconnectResponse res;
    grpc::ClientContext ctx;
    ctx.AddMetadata("sid", "sid-1");
    grpc::Status s = stub_->Disconnect(&ctx, req, &res);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return res;
  }

 private:
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<anycable::RPC::Stub> stub_;
  std::mutex mu_;
  std::vector<std::string> broadcasts_;
};

// `{"channel":"Anyt::TestChannels::<name>"<extra>}` as Ruby's to_json writes it.
inline std::string AnytId(const std::string& name, const std::string& extra = "") {
  return R"({"channel":"Anyt::TestChannels::)" + name + "\"" + extra + "}";
}

inline std::vector<std::string> List(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

inline std::map<std::string, std::string> Map(
    const google::protobuf::Map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

}  // namespace cable::rpc::testing
