#pragma once
// How a failed RPC call is described, whatever carried it: gRPC statuses
// as they are, HTTP RPC outcomes mapped onto the gRPC code that means the
// same (spec §4.5), so a session reacts alike and the log reads alike, e.g.
// "rpc error: code = Unauthenticated desc = http returned 401".

#include <grpcpp/support/status_code_enum.h>

#include <string>
#include <string_view>

namespace cable::server {

// "Unavailable", "DeadlineExceeded", ... as gRPC and anycable-go spell them.
const char* RpcCodeName(grpc::StatusCode code);

std::string RpcErrorText(grpc::StatusCode code, std::string_view message);

}  // namespace cable::server
