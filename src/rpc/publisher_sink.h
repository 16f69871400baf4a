#pragma once
// Adapts a broadcast Publisher (single-threaded by contract) into the
// thread-safe BroadcastSink the Backend calls from many gRPC threads.
// Publications are sent one at a time under a mutex; a failed publish is
// logged and never fails the RPC call that caused it.

#include <memory>

#include "common/broadcast/publisher.h"
#include "rpc/backend.h"

namespace cable::rpc {

BroadcastSink MakePublisherSink(std::unique_ptr<broadcast::Publisher> publisher);

}  // namespace cable::rpc
