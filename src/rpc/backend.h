#pragma once
// The declarative mock backend: answers anycable.RPC calls from YAML
// definitions (docs/rpc-backend.md). Used over gRPC by `cable rpc` and
// in-process by `cable serve`.
//
// A Backend is immutable after loading and every call is const and
// thread-safe. Calls never throw: a malformed request yields status ERROR
// with error_msg, a rejection status FAILURE. Broadcasts made by handlers go
// to the sink (called from the calling thread, before the call returns; the
// sink must be thread-safe).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "anycable/rpc.pb.h"
#include "common/result.h"
#include "rpc/definitions.h"
#include "rpc/loader.h"

namespace cable::rpc {

// Receives `{"stream":..,"data":"<json>"}` publication bodies.
using BroadcastSink = std::function<void(const std::string& publication_json)>;

class Backend {
 public:
  explicit Backend(Definitions definitions);

  // Loads and merges definition files; errors name file:line:column.
  static Result<std::unique_ptr<Backend>> LoadSources(const std::vector<Source>& sources);

  // Called once before serving; without a sink broadcasts are dropped.
  void SetBroadcastSink(BroadcastSink sink);

  anycable::ConnectionResponse Connect(const anycable::ConnectionRequest& req,
                                       const std::string& sid) const;
  anycable::CommandResponse Command(const anycable::CommandMessage& req,
                                    const std::string& sid) const;
  anycable::DisconnectResponse Disconnect(const anycable::DisconnectRequest& req,
                                          const std::string& sid) const;

  // "3 connection handlers, 17 channels"
  std::string Summary() const;
  const Definitions& definitions() const { return defs_; }

 private:
  anycable::ConnectionResponse DoConnect(const anycable::ConnectionRequest& req,
                                         const std::string& sid) const;
  anycable::CommandResponse DoCommand(const anycable::CommandMessage& req,
                                      const std::string& sid) const;
  anycable::DisconnectResponse DoDisconnect(const anycable::DisconnectRequest& req,
                                            const std::string& sid) const;
  const ConnectionHandler* SelectConnection(const Scope& scope) const;
  void Publish(const std::vector<std::string>& publications) const;

  Definitions defs_;
  RootSet connect_roots_ = 0;     // every root any handler reads on Connect
  RootSet disconnect_roots_ = 0;  // ... and on Disconnect
  BroadcastSink sink_;
};

}  // namespace cable::rpc
