#pragma once
// The `cable rpc` backend running inside the server process: the same YAML
// model, called directly instead of over gRPC. Calls complete synchronously
// on the caller's thread; broadcasts made by actions go straight to the hub.

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/broadcast/broadcaster.h"
#include "server/controller/controller.h"

namespace cable::rpc {
class Backend;
}

namespace cable::server {

class InlineController : public Controller {
 public:
  // Broadcasts and remote commands made by actions go to `sink`.
  static Result<std::unique_ptr<InlineController>> Load(const std::vector<std::string>& files,
                                                        IngressSink sink);
  ~InlineController() override;

  std::string Summary() const;

  void Connect(const std::string& sid, ConnectRequest request,
               std::function<void(ConnectReply)> done) override;
  void Command(const std::string& sid, CommandRequest request,
               std::function<void(CommandReply)> done) override;
  void Disconnect(const std::string& sid, DisconnectRequest request,
                  std::function<void(DisconnectReply)> done) override;

 private:
  explicit InlineController(std::unique_ptr<rpc::Backend> backend);
  std::unique_ptr<rpc::Backend> backend_;
};

}  // namespace cable::server
