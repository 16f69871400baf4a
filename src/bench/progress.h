#pragma once
// The live progress line on stderr: rewritten in place on a terminal, one
// plain line per interval otherwise (CI logs, pipes).

#include <cstdint>
#include <cstdio>
#include <string>

#include "bench/timeline.h"

namespace cable::bench {

class Progress {
 public:
  Progress(bool enabled, int64_t clients);
  void Update(const TimelinePoint& p);
  // Ends the in-place line so later output starts on a fresh one.
  void Finish();
  // Prints a message without garbling the in-place line.
  void Note(const std::string& text);
  // The wait for --start-at: "starts at <at> in 12.3s" (with the clients
  // connected so far unless `connected` < 0), in place of the interval
  // lines until EndCountdown(). Without a terminal, one line a second.
  void Countdown(double remaining_s, const std::string& at, int64_t connected);
  void EndCountdown();

 private:
  bool enabled_;
  bool tty_;
  bool dirty_ = false;
  bool counting_down_ = false;
  int64_t last_countdown_s_ = -1;
  int64_t clients_;
};

}  // namespace cable::bench
