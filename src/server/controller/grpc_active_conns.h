#pragma once
// grpc_active_conn_num (spec §10.4): how many connections the gRPC client
// holds open to the application. anycable-go counts its HTTP/2 transports;
// gRPC C++ exposes them through channelz, where each connection is a
// subchannel of the channel: those in state READY are counted.

#include <string>

namespace cable::server {

// READY subchannels of the channel(s) created for `target` in this
// process; 0 when channelz knows none.
int CountReadyGrpcConnections(const std::string& target);

}  // namespace cable::server
