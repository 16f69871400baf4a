#pragma once
// Parses what broadcast adapters receive (spec §8.1): a single publication
// `{"stream","data","meta"}`, a batch (JSON array of publications), or a
// remote command `{"command":"disconnect","payload":{...}}`. Shared by every
// ingress adapter so they all accept exactly the same bodies.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/hub/broadcast.h"

namespace cable::server {

struct RemoteCommand {
  std::string identifiers;
  bool reconnect = false;
};

struct IngressMessage {
  std::vector<BroadcastPtr> broadcasts;  // in order
  std::vector<RemoteCommand> disconnects;
};

// An Error explains what is wrong with the body (code "invalid_publication").
Result<IngressMessage> ParsePublication(std::string_view body);

}  // namespace cable::server
