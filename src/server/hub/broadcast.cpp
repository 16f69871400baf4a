#include "server/hub/broadcast.h"

#include "server/protocol/messages.h"

namespace cable::server {

std::shared_ptr<Broadcast> MakeBroadcast(std::string stream, std::string data,
                                         std::string exclude_socket) {
  auto b = std::make_shared<Broadcast>();
  b->data_is_json = protocol::IsEmbeddableJson(data);
  b->stream = std::move(stream);
  b->data = std::move(data);
  b->exclude_socket = std::move(exclude_socket);
  return b;
}

BroadcastPtr WithPosition(const Broadcast& broadcast, uint64_t offset, std::string epoch) {
  auto b = std::make_shared<Broadcast>(broadcast);
  b->offset = offset;
  b->epoch = std::move(epoch);
  return b;
}

}  // namespace cable::server
