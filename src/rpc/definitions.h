#pragma once
// The backend model: what the YAML definitions compile to. Plain data,
// immutable once loaded; docs/rpc-backend.md describes the YAML form.

#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "rpc/condition.h"
#include "rpc/scope.h"
#include "rpc/template.h"

namespace cable::rpc {

struct Step;
using Steps = std::vector<Step>;
using NamedValues = std::vector<std::pair<std::string, ValueTemplate>>;

struct TransmitStep {
  ValueTemplate message;
};
struct BroadcastStep {
  Template stream;
  ValueTemplate message;
  bool to_others = false;  // meta.exclude_socket = the caller's sid
};
struct StreamFromStep {
  std::vector<Template> streams;
};
struct StopStreamFromStep {
  std::vector<Template> streams;
};
struct StopAllStreamsStep {};
struct SetStep {
  NamedValues values;
};
struct IncrementStep {
  NamedValues amounts;
};
struct UnsetStep {
  std::vector<std::string> keys;
};
// Join or leave the subscription's presence stream on the client's behalf
// (CommandResponse.presence); the server applies it after the rest of the
// reply, so `set: {$p: ...}` in the same handler counts.
struct PresenceStep {
  bool join = true;  // else leave
  Template id;       // the presence id, as text (join)
  bool has_info = false;
  ValueTemplate info;  // sent as JSON text (join)
};
struct DisconnectStep {};
struct RejectStep {};
struct RequireStep {
  Condition condition;
};
struct IfStep {
  Condition condition;
  Steps then_steps;
  Steps else_steps;
};

struct Step {
  std::variant<TransmitStep, BroadcastStep, StreamFromStep, StopStreamFromStep, StopAllStreamsStep,
               SetStep, IncrementStep, UnsetStep, PresenceStep, DisconnectStep, RejectStep,
               RequireStep, IfStep>
      action;
  std::string where;  // "file:line:column", for runtime error messages
};

// Steps plus the roots they read, so a request fills only what is needed.
struct Handler {
  Steps steps;
  RootSet roots = 0;
};

struct ConnectionHandler {
  std::string name;   // for logs and messages; defaults to "connection #N"
  std::string where;  // position of the handler in its file
  Condition when;     // selects the handler (empty = always)
  Condition require;  // rejects unless every check holds
  Condition reject_if;
  bool has_reject_if = false;
  bool reject = false;      // rejects unconditionally
  NamedValues identifiers;  // rendered into the identifiers JSON object
  NamedValues state;        // initial connection state (cstate)
  RootSet connect_roots = 0;
  Handler on_disconnect;
};

struct ChannelDefinition {
  std::string name;
  std::string where;
  Handler on_subscribe;
  std::unordered_map<std::string, Handler> actions;
  Handler on_unsubscribe;
};

struct Definitions {
  std::vector<ConnectionHandler> connections;  // tried in order
  std::unordered_map<std::string, ChannelDefinition> channels;
};

}  // namespace cable::rpc
