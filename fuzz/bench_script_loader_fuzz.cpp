// Fuzzes the `cable bench run` scenario loader (bench::script::LoadScriptText):
// the conformance step reader under it, plus groups, scaling, loops, step
// names, receive pairs and the stamp checks. A malformed file must end in an
// error message before anything connects, never a crash, a hang or unbounded
// memory — including through --scale.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/script/loader.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int scale : {1, 1000}) {
    auto loaded = cable::bench::script::LoadScriptText("fuzz.yml", text, scale);
    if (!loaded.ok()) {
      FUZZ_CHECK(!loaded.error().message.empty(), "error without a message");
      continue;
    }
    FUZZ_CHECK(!loaded->groups.empty(), "a script without groups");
    FUZZ_CHECK(loaded->total_clients() <= cable::bench::script::kMaxScriptClients,
               "more clients than a run may have");
    for (const auto& g : loaded->groups) {
      FUZZ_CHECK(g.count >= 1, "an empty group");
      FUZZ_CHECK(g.slot_of_metric.size() == loaded->metrics.size(), "slot table out of step");
      for (size_t i = 0; i < g.pairs.size(); ++i) {
        const int m = g.pairs[i];
        FUZZ_CHECK(m >= 0 && static_cast<size_t>(m) < loaded->metrics.size(), "bad pair");
        FUZZ_CHECK(loaded->metrics[static_cast<size_t>(m)].paired, "pair of an unpaired send");
      }
    }
  }
  return 0;
}
