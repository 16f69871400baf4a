#pragma once
// How subcommands plug into the `cable` multi-call binary.
//
// Each subcommand lives in its own file and exposes one Add*Command function
// that registers a CLI11 subcommand on the root app and returns the function
// to run once parsing succeeded. The runner's return value is the process
// exit code: 0 success, 1 the operation failed (e.g. a token was rejected),
// 2 bad usage (flags, values, missing secrets).

#include <CLI/CLI.hpp>
#include <functional>
#include <map>

namespace cable::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

using Runner = std::function<int()>;
using Commands = std::map<const CLI::App*, Runner>;

// Thrown by runners for usage errors detected after parsing (e.g. a missing
// secret); main prints `cable <sub>: error: <message>` and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void AddVersionCommand(CLI::App& root, Commands& commands);
// "cable <version> (commit …, build type, compiler, OpenSSL)": what `cable
// version` and every command's --version print.
std::string VersionLine();
void AddTokenCommand(CLI::App& root, Commands& commands);
void AddSignCommand(CLI::App& root, Commands& commands);
void AddRpcCommand(CLI::App& root, Commands& commands);
void AddServeCommand(CLI::App& root, Commands& commands);
void AddBroadcastCommand(CLI::App& root, Commands& commands);
void AddConformanceCommand(CLI::App& root, Commands& commands);
void AddBenchCommand(CLI::App& root, Commands& commands);

}  // namespace cable::cli
