#pragma once
// The application side of a session: authentication, subscriptions, actions
// and disconnect callbacks (spec §4, §5). Implementations: gRPC anycable.RPC
// client, the in-process `cable rpc` backend, and the null controller of
// `--norpc`. Plain structs keep protobuf and gRPC headers out of the session.
//
// Callbacks may run on any thread; callers re-post them to their worker.
// `done` is called exactly once per call.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cable::server {

// Wire values of anycable.Status.
enum class RpcStatus { kError = 0, kSuccess = 1, kFailure = 2 };

using StateMap = std::map<std::string, std::string>;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Raised by the caller once it no longer wants the reply (its session
// closed). A call still waiting for a concurrency slot is then not made:
// `done` gets kError with kCanceledError. Empty: never canceled.
using CancelFlag = std::shared_ptr<const std::atomic<bool>>;
inline constexpr const char* kCanceledError = "canceled: the session closed while the call waited";

struct RequestEnv {
  std::string url;
  HeaderList headers;
  StateMap cstate;
  StateMap istate;  // Command: this channel's state; Disconnect: identifier -> JSON object
};

struct ConnectRequest {
  RequestEnv env;
  CancelFlag cancel;
};

struct ConnectReply {
  RpcStatus status = RpcStatus::kError;
  std::string identifiers;
  std::vector<std::string> transmissions;
  std::string error;
  StateMap cstate;  // changes: an empty value deletes the key
};

struct CommandRequest {
  std::string command;  // subscribe | unsubscribe | message
  std::string identifier;
  std::string connection_identifiers;
  std::string data;
  RequestEnv env;
  CancelFlag cancel;
};

// Join or leave on the session's behalf (CommandResponse.presence).
struct PresenceChange {
  std::string type;  // join | leave
  std::string id;
  std::string info;  // JSON text (a plain string is sent as a JSON string)
};

struct CommandReply {
  RpcStatus status = RpcStatus::kError;
  bool disconnect = false;
  bool stop_streams = false;
  std::vector<std::string> streams;
  std::vector<std::string> stopped_streams;
  std::vector<std::string> transmissions;
  std::string error;
  StateMap istate;  // changes to this channel's state
  StateMap cstate;  // changes to the connection state
  std::optional<PresenceChange> presence;
};

struct DisconnectRequest {
  std::string identifiers;
  std::vector<std::string> subscriptions;
  RequestEnv env;
};

struct DisconnectReply {
  RpcStatus status = RpcStatus::kError;
  std::string error;
};

class Controller {
 public:
  virtual ~Controller() = default;
  virtual void Connect(const std::string& sid, ConnectRequest request,
                       std::function<void(ConnectReply)> done) = 0;
  virtual void Command(const std::string& sid, CommandRequest request,
                       std::function<void(CommandReply)> done) = 0;
  virtual void Disconnect(const std::string& sid, DisconnectRequest request,
                          std::function<void(DisconnectReply)> done) = 0;
  // Stops accepting calls and waits up to `timeout_ms` for calls in flight.
  virtual void Shutdown(int timeout_ms) {}
  // Connections open to the application (grpc_active_conn_num), or -1 when
  // the controller has no such count (anycable-go exports it for gRPC only).
  virtual int ActiveConnections() { return -1; }
};

// Applies anycable's state merge rule: an empty value deletes the key.
inline void MergeState(StateMap& into, const StateMap& changes) {
  for (const auto& [k, v] : changes) {
    if (v.empty()) {
      into.erase(k);
    } else {
      into[k] = v;
    }
  }
}

}  // namespace cable::server
