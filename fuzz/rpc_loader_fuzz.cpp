// Fuzzes the `cable rpc` definitions loader (rpc::LoadDefinitions): YAML
// parsed by yaml-cpp, then templates, conditions and step lists compiled by
// our code. Definition files are written by operators, not attackers, but a
// typo must end in an error message, never a crash, a hang or unbounded
// memory (aliases, deep nesting, huge templates), and scenario suites load
// backend files that travel with them.
//
// Input: YAML text. A line "#fuzz-next-source" splits it into several
// sources, loaded together as `cable rpc --channels a.yml --channels b.yml`
// would load them, which exercises merging (connection handlers appended,
// channels defined twice).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "rpc/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::string_view kSplit = "\n#fuzz-next-source\n";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<cable::rpc::Source> sources;
  while (true) {
    const size_t cut = text.find(kSplit);
    sources.push_back(
        {"fuzz" + std::to_string(sources.size()) + ".yml", std::string(text.substr(0, cut))});
    if (cut == std::string_view::npos) break;
    text.remove_prefix(cut + kSplit.size());
  }
  auto defs = cable::rpc::LoadDefinitions(sources);
  if (!defs.ok()) {
    FUZZ_CHECK(!defs.error().message.empty(), "error without a message");
    return 0;
  }
  for (const auto& [name, channel] : defs->channels) {
    FUZZ_CHECK(name == channel.name, "channel filed under another name");
  }
  return 0;
}
