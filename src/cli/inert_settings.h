#pragma once
// anycable-go settings that `cable serve` accepts but does not act on.
//
// A command line, environment or anycable.toml written for anycable-go must
// start cable rather than fail on a name it does not know, yet a setting
// that changes nothing must not pass silently either: each one here is
// accepted under anycable-go's flag, ANYCABLE_* variable and TOML key, with
// anycable-go's default, and when it is set the server says once, at start,
// why it has no effect.

#include <span>
#include <string_view>

namespace cable::cli {

enum class InertKind { kString, kInt, kBool, kList };

struct InertSetting {
  std::string_view flag;  // anycable-go's flag name; "" for file- or env-only settings
  std::string_view toml;  // dotted anycable.toml key; "" when the file has none
  std::string_view env;   // only for env-only settings (the flag's ANYCABLE_* otherwise)
  InertKind kind;
  std::string_view default_value;  // anycable-go's, as it would be written on the command line
  std::string_view reason;         // why it has no effect in cable
};

std::span<const InertSetting> InertSettings();

// The entry for a dotted TOML key; nullptr when there is none.
const InertSetting* FindInertToml(std::string_view dotted_key);

}  // namespace cable::cli
