#pragma once
// Builds the request roots of a Scope (url, host, path, query, headers,
// cookies, sid) from an anycable.Env. Only the roots a handler reads are
// built, so a Command that only echoes its data parses no URL or cookies.

#include <string_view>

#include "anycable/rpc.pb.h"
#include "common/result.h"
#include "rpc/scope.h"

namespace cable::rpc {

// Rejects an env whose URL, headers or state exceed the limits in limits.h.
Status ValidateEnv(const anycable::Env& env);

void FillRequestRoots(const anycable::Env& env, std::string_view sid, RootSet needed, Scope* scope);

// A state map from the wire (cstate or a Command's istate) as a JSON object.
Json DecodeStateMap(const google::protobuf::Map<std::string, std::string>& wire);

}  // namespace cable::rpc
