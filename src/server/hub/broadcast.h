#pragma once
// A broadcast accepted by one of the ingress adapters, on its way to every
// worker's hub. Immutable once built and shared across threads.

#include <memory>
#include <string>

namespace cable::server {

struct Broadcast {
  std::string stream;
  std::string data;
  bool data_is_json = false;   // checked once per broadcast, not per subscriber
  std::string exclude_socket;  // sid that must not receive it
};

using BroadcastPtr = std::shared_ptr<const Broadcast>;

BroadcastPtr MakeBroadcast(std::string stream, std::string data, std::string exclude_socket = {});

}  // namespace cable::server
