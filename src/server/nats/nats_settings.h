#pragma once
// The server's NATS settings (--nats_servers and the nats.* settings) as the
// NatsSettings every NATS connection of the server is opened with.

#include "server/config.h"
#include "server/nats/nats_connection.h"

namespace cable::server {

inline NatsSettings NatsSettingsOf(const ServerConfig& config) {
  NatsSettings settings;
  settings.servers = config.nats_servers;
  settings.dont_randomize = config.nats_dont_randomize_servers;
  return settings;
}

}  // namespace cable::server
