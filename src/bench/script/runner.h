#pragma once
// Runs a loaded script (`cable bench run`): every client walks its group's
// steps on the bench event loops, broadcasts go out through one publisher
// thread, and the report is the usual cable-bench/1 document with the
// script's `steps` added. Printing is left to the caller.

#include "bench/runner.h"
#include "bench/script/script.h"
#include "bench/script/shared.h"

namespace cable::bench::script {

RunOutcome RunScript(const Script& script, const ScriptOptions& options);

}  // namespace cable::bench::script
