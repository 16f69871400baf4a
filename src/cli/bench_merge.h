#pragma once
// `cable bench merge FILE...`: one report from the reports of a sharded run
// (bench/merge.h). A subcommand of `cable bench`; its runner is called by
// bench's when `merge` was given.

#include "cli/command.h"

namespace cable::cli {

// Registers `merge` under `bench` and returns what runs it.
Runner AddBenchMergeCommand(CLI::App* bench);

}  // namespace cable::cli
