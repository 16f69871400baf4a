#pragma once
// Gives memory back to the system after a burst. glibc keeps freed heap
// pages mapped, so after a flood of 15,000 connections closes the RSS would
// stay at its peak; and it raises its mmap threshold each time a large
// buffer is freed, so later large bodies would come from (and stay in) the
// heap as well.
//
// A background thread samples the number of connections every two seconds
// and calls malloc_trim() once that number has fallen well below its peak
// since the last trim. Trimming runs off the event loops: it may take milliseconds on a
// large heap and no worker waits for it.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>

namespace cable::server {

class MemoryReclaimer {
 public:
  // Fixes glibc's mmap threshold at 128 KiB: large buffers (HTTP bodies,
  // big frames) are mapped on their own and unmapped when freed. Call once,
  // before the server allocates.
  static void TuneAllocator();

  struct Sample {
    size_t now = 0;
    size_t peak = 0;  // most at once since the previous sample
  };
  // `sample` is called from the reclaimer's thread.
  explicit MemoryReclaimer(std::function<Sample()> sample);
  ~MemoryReclaimer();  // stops the thread

  void Start();
  void Stop();

  // The decision, separate for tests: trim when `now` is at least 1,024
  // clients and a quarter below `peak`.
  static bool ShouldTrim(size_t peak, size_t now);

 private:
  void Run();

  std::function<Sample()> sample_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cable::server
