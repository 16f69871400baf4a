#pragma once
// The stamp a measured send step puts into its message (`{{stamp}}`), and
// the scan that finds it again in what a receiver gets.
//
// `~c<metric>.<client>.<seq>.<ts>~`: the step's metric, the sending client,
// a number unique among that step's messages, and the send time on the
// generator's monotonic clock (bench/clock.h). Only digits, dots, `~` and
// `c`: nothing a JSON or HTML encoder escapes, so the stamp arrives as it
// left however many times the server wraps the payload in strings.
//
// Both sides work on caller-owned bytes and never allocate.

#include <cstdint>
#include <string>
#include <string_view>

namespace cable::bench::script {

// What {{stamp}} renders to when a command is prepared; each send replaces
// it with a fresh stamp. It cannot be mistaken for a stamp.
inline constexpr std::string_view kStampSlot = "~cable-stamp~";

struct Stamp {
  int metric = 0;
  int64_t client = 0;
  int64_t seq = 0;
  int64_t ts_ns = 0;
};

void AppendStamp(std::string& out, const Stamp& stamp);

// The first well-formed stamp in `bytes`; false when there is none.
bool FindStamp(std::string_view bytes, Stamp* out);

}  // namespace cable::bench::script
