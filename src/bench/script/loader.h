#pragma once
// Reads `cable bench run` scenario files (docs/bench.md, "Scripted
// scenarios") into a Script.
//
// The steps are the conformance language (conformance/step_loader.h reads
// each one), so a step means the same thing in both tools and a mistake is
// worded the same way. Loading is strict and complete before anything
// connects: unknown keys and steps, steps a load generator cannot run,
// undefined variables, receives that name no send step, a measured send
// without a {{stamp}} — each is one Error, "file:line:column: ...".

#include <string>
#include <string_view>
#include <vector>

#include "bench/script/script.h"
#include "common/result.h"

namespace cable::bench::script {

inline constexpr size_t kMaxScriptFileBytes = 1 << 20;
// Clients one run may ask for, after --scale.
inline constexpr int64_t kMaxScriptClients = 1'000'000;

// Variables every client has: run, client, index, group, group_index,
// target_host, target_port, target_path, and stamp (send steps only).
const std::vector<std::string_view>& ScriptVariables();

// The step keywords a script may use.
const std::vector<std::string_view>& ScriptStepKeywords();

// `file` names the text in messages. `scale` multiplies group counts.
Result<Script> LoadScriptText(const std::string& file, std::string_view text, int scale = 1);
Result<Script> LoadScript(const std::string& path, int scale = 1);

}  // namespace cable::bench::script
