#include "server/controller/inline_controller.h"

#include "rpc/backend.h"
#include "rpc/builtin.h"
#include "server/controller/proto_convert.h"

namespace cable::server {

Result<std::unique_ptr<InlineController>> InlineController::Load(
    const std::vector<std::string>& files, IngressSink sink) {
  std::vector<rpc::Source> sources;
  for (const auto& f : files) {
    auto source = rpc::ResolveDefinition(f);
    if (!source.ok()) return source.error();
    sources.push_back(std::move(source.value()));
  }
  auto backend = rpc::Backend::LoadSources(sources);
  if (!backend.ok()) return backend.error();
  backend.value()->SetBroadcastSink([sink = std::move(sink)](const std::string& publication) {
    DeliverPublication(publication, sink, "in-process backend");
  });
  return std::unique_ptr<InlineController>(new InlineController(std::move(backend.value())));
}

InlineController::InlineController(std::unique_ptr<rpc::Backend> backend)
    : backend_(std::move(backend)) {}
InlineController::~InlineController() = default;

std::string InlineController::Summary() const {
  return backend_->Summary();
}

void InlineController::Connect(const std::string& sid, ConnectRequest request,
                               std::function<void(ConnectReply)> done) {
  done(FromProto(backend_->Connect(ToProto(request), sid)));
}

void InlineController::Command(const std::string& sid, CommandRequest request,
                               std::function<void(CommandReply)> done) {
  done(FromProto(backend_->Command(ToProto(request), sid)));
}

void InlineController::Disconnect(const std::string& sid, DisconnectRequest request,
                                  std::function<void(DisconnectReply)> done) {
  done(FromProto(backend_->Disconnect(ToProto(request), sid)));
}

}  // namespace cable::server
