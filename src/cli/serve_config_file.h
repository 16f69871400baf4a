#pragma once
// anycable.toml for `cable serve`: the same file anycable-go reads, with the
// same precedence (file < ANYCABLE_* environment < flags). Each TOML key maps
// onto one serve flag, so a value from the file goes through exactly the
// conversion and validation the flag does.

#include <CLI/CLI.hpp>
#include <string>

namespace cable::cli {

// The file to read: `explicit_path` (which must exist), else ./anycable.toml,
// else /etc/anycable/anycable.toml unless `ignore_default`; empty when none.
// Throws UsageError for an explicit path that cannot be read.
std::string FindServeConfigFile(const std::string& explicit_path, bool ignore_default);

// Applies the settings in `path` to the options of `serve` that no flag or
// environment variable has set. Unknown keys (features cable does not have)
// are warned about and skipped; a value of the wrong type or one its flag
// rejects throws UsageError naming file:line:column and the key.
void ApplyServeConfigFile(CLI::App& serve, const std::string& path);

// The effective settings as an anycable.toml document.
std::string RenderServeConfigToml(const CLI::App& serve);

}  // namespace cable::cli
