#pragma once
// Processes the runner starts (the `cable rpc` backend, the server under
// test), and the guarantee that none outlives the runner.
//
// Every child runs in its own process group, so stopping it also stops
// anything it started, and gets SIGKILL from the kernel if the runner dies
// (PR_SET_PDEATHSIG; children are forked from one long-lived thread because
// the kernel ties that signal to the forking thread). Live groups are kept
// in a registry that the signal watcher (SIGINT/SIGTERM/SIGHUP) stops
// before the runner exits with 130.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace cable::conformance {

class Process {
 public:
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Runs argv[0] (searched in PATH when it has no '/'). Output goes to
  // `log_path` (appended), or is inherited when empty. An Error says why
  // the program could not be started (e.g. no such file).
  static Result<std::unique_ptr<Process>> Spawn(const std::vector<std::string>& argv,
                                                const std::string& log_path);

  pid_t pid() const { return pid_; }
  bool Running();
  std::optional<int> exit_code() const { return exit_code_; }
  // SIGTERM to the group, SIGKILL after `grace`; returns the exit code
  // (128 + signal when killed).
  int Stop(std::chrono::milliseconds grace);
  // "exited with code 2" / "killed by signal 9" / "running".
  std::string StatusText();

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  bool Reap(bool block);
  pid_t pid_;
  std::optional<int> exit_code_;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (call before any
// other thread starts, so every thread inherits the mask) and starts the
// watcher thread that stops all children and exits on the first of them.
void InstallSignalWatcher();
// When an interrupt is being handled, blocks until the watcher exits the
// process (with 128 + signal); returns at once otherwise.
void AwaitInterruptExit();
// A directory the watcher removes before exiting (the children's logs).
void RemoveOnInterrupt(const std::string& dir);

// The last `max_bytes` of a file, for showing why a child failed.
std::string FileTail(const std::string& path, size_t max_bytes);

}  // namespace cable::conformance
