#pragma once
// What the subcommands read the same way: a setting is its flag, else its
// environment variable (as `cable serve` and anycable-go resolve them), and
// JSON output is one line per value.

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cable::cli {

// The variable's value; empty when it is unset.
std::string Env(const char* name);

// `flag` when set, else the first non-empty variable of `env`, else `fallback`.
std::string FlagOrEnv(const std::string& flag, std::initializer_list<const char*> env,
                      const std::string& fallback = {});

// A specific secret's variable (ANYCABLE_JWT_SECRET, ...) beats --secret, as
// in the server; a flag losing silently is a surprise, so this says so on
// stderr when --secret was given, the specific flag was not, and the
// variable is set.
void NoteEnvBeatsSecretFlag(std::string_view command, const std::string& secret_flag,
                            const std::string& specific_flag, const char* specific_env);

// One line of JSON; invalid UTF-8 is replaced rather than thrown on.
std::string Dump(const nlohmann::ordered_json& value);

}  // namespace cable::cli
