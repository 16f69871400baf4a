#pragma once
// Runs a handler's steps for one request and collects what the response
// must carry. Steps run in order; `reject` and a failed `require` stop the
// handler. Stream effects are recorded so that the server, which applies
// stop_streams, then stopped_streams, then streams (spec §4.3), ends up with
// what the steps did in sequence.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "rpc/definitions.h"
#include "rpc/scope.h"

namespace cable::rpc {

// CommandResponse.presence: one per reply, the last presence step wins.
struct PresenceEffect {
  std::string type;  // join | leave
  std::string id;
  std::string info;  // JSON text; empty: none
};

struct Effects {
  std::vector<std::string> transmissions;  // encoded client messages
  std::vector<std::string> streams;
  std::vector<std::string> stopped_streams;
  bool stop_all_streams = false;
  bool disconnect = false;
  bool rejected = false;
  std::string reject_reason;
  std::vector<std::string> publications;  // encoded broadcast bodies
  std::optional<PresenceEffect> presence;
};

// `scope`'s state root must hold an object; steps change it in place.
// `identifier` is the channel identifier transmissions are addressed to.
// An Error (a step that cannot run, e.g. incrementing a string) names the
// step's position; effects gathered so far should then be discarded.
Status RunSteps(const Steps& steps, Scope& scope, std::string_view identifier, Effects* effects);

// `{"identifier":<identifier>,"message":<message>}`
std::string EncodeTransmission(std::string_view identifier, const Json& message);

}  // namespace cable::rpc
