#pragma once
// The live progress line on stderr: rewritten in place on a terminal, one
// plain line per interval otherwise (CI logs, pipes).

#include <cstdio>

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

 private:
  bool enabled_;
  bool tty_;
  bool dirty_ = false;
  int64_t clients_;
};

}  // namespace cable::bench
