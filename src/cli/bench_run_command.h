#pragma once
// `cable bench run`, a subcommand of `cable bench` (src/cli/bench_command.cpp).

#include "cli/command.h"

namespace cable::cli {

// Registers `run` on `bench`; the returned runner gives -1 when `run` was
// not the command given, else its exit code.
Runner AddBenchRunCommand(CLI::App& bench);

}  // namespace cable::cli
