#pragma once
// Channels the server answers itself, without RPC (spec §7): `$pubsub`
// (signed stream names, and plain names with --public_streams),
// `Turbo::StreamsChannel` (--turbo_streams) and `CableReady::Stream`
// (--cable_ready). Everything else goes to the controller.

#include <optional>
#include <string>

#include "server/config.h"
#include "server/controller/controller.h"

namespace cable::server {

struct LocalSubscription {
  bool confirmed = false;
  std::string stream;
  bool whisper = false;   // `$w`: clients may whisper on the stream
  bool presence = false;  // `$p`: clients may join presence on the stream
  std::string log;        // why a subscription was rejected
};

class LocalChannels {
 public:
  explicit LocalChannels(const ServerConfig& config);

  // nullopt when `identifier` names no local channel: the controller decides.
  std::optional<LocalSubscription> Subscribe(const std::string& identifier) const;

 private:
  std::string pubsub_channel_;
  std::string streams_secret_;
  std::string turbo_secret_;
  std::string cable_ready_secret_;
  bool public_streams_;
  bool whisper_;
  bool presence_;
};

}  // namespace cable::server
