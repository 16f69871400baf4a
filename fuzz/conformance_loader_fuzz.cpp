// Fuzzes the conformance scenario loader (conformance::LoadScenarioText):
// YAML parsed by yaml-cpp, then steps, values, match patterns (including
// !regex, compiled at load time), templates and variable checks. Scenario
// files are shared between teams and run in CI; a malformed one must end in
// an error message before anything runs, never a crash, a hang or unbounded
// memory.
//
// Input: the text of one scenario file. Relative backend paths resolve
// against a directory that does not exist, so the loader never reads files
// chosen by the input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "conformance/loader.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kFile = "/nonexistent-fuzz-dir/scenario.yml";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = cable::conformance::LoadScenarioText(kFile, text);
  if (!loaded.ok()) {
    FUZZ_CHECK(!loaded.error().message.empty(), "error without a message");
    return 0;
  }
  FUZZ_CHECK(!loaded->empty(), "a file loaded without scenarios");
  for (const auto& s : *loaded) {
    FUZZ_CHECK(!s.name.empty() && s.name.size() <= 200, "scenario name out of bounds");
    FUZZ_CHECK(!s.clients.empty(), "scenario without clients");
    FUZZ_CHECK(s.total_clients() <= 2000, "more clients than a scenario may have");
  }
  return 0;
}
