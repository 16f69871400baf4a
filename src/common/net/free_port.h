#pragma once
// A TCP port on 127.0.0.1 for a server that is about to be started (tests,
// the conformance runner, benchmarks).
//
// It is taken below the kernel's ephemeral range: ports there are also the
// local ends of outgoing connections, so a port picked from it (as bind to
// port 0 does) can be taken by any client in the meantime — e.g. while a
// server restarts on the same port.

#include "common/result.h"

namespace cable::net {

Result<int> FreeLoopbackPort();

}  // namespace cable::net
