#include "cli/settings.h"

#include <cstdlib>
#include <iostream>

namespace cable::cli {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string FlagOrEnv(const std::string& flag, std::initializer_list<const char*> env,
                      const std::string& fallback) {
  if (!flag.empty()) return flag;
  for (const char* name : env) {
    if (std::string v = Env(name); !v.empty()) return v;
  }
  return fallback;
}

void NoteEnvBeatsSecretFlag(std::string_view command, const std::string& secret_flag,
                            const std::string& specific_flag, const char* specific_env) {
  if (secret_flag.empty() || !specific_flag.empty() || Env(specific_env).empty()) return;
  std::cerr << "cable " << command << ": note: using " << specific_env
            << ", which takes precedence over --secret as it does in the server\n";
}

std::string Dump(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace cable::cli
