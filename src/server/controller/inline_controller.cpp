#include "server/controller/inline_controller.h"

#include "common/log.h"
#include "rpc/backend.h"
#include "rpc/builtin.h"
#include "server/broadcast/publication_parser.h"
#include "server/controller/proto_convert.h"
#include "server/node.h"

namespace cable::server {

Result<std::unique_ptr<InlineController>> InlineController::Load(
    const std::vector<std::string>& files) {
  std::vector<rpc::Source> sources;
  for (const auto& f : files) {
    auto source = rpc::ResolveDefinition(f);
    if (!source.ok()) return source.error();
    sources.push_back(std::move(source.value()));
  }
  auto backend = rpc::Backend::LoadSources(sources);
  if (!backend.ok()) return backend.error();
  return std::unique_ptr<InlineController>(new InlineController(std::move(backend.value())));
}

InlineController::InlineController(std::unique_ptr<rpc::Backend> backend)
    : backend_(std::move(backend)) {}
InlineController::~InlineController() = default;

void InlineController::AttachNode(Node* node) {
  backend_->SetBroadcastSink([node](const std::string& publication) {
    auto parsed = ParsePublication(publication);
    if (!parsed.ok()) {
      log::Error("Backend produced an invalid broadcast: {}", parsed.error().message);
      return;
    }
    for (auto& b : parsed->broadcasts) node->Publish(std::move(b));
    for (auto& d : parsed->disconnects) node->PublishRemoteDisconnect(d.identifiers, d.reconnect);
  });
}

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
