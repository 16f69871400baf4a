#pragma once
// Child processes for integration tests: the real `cable` binary, redis-server,
// nats-server. A ChildProcess is killed (SIGKILL after a SIGTERM grace period)
// when it goes out of scope, so a failing test never leaves servers behind.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cable::testing {

struct SpawnOptions {
  std::map<std::string, std::string> env;  // added to (and overriding) the parent's environment
  std::vector<std::string> unset_env;      // removed from the environment
  std::string stdin_data;                  // written to the child's stdin, then closed
  bool capture_output = true;              // stdout/stderr go to temporary files
  std::string cwd;                         // working directory (empty: the parent's)
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `sig` (default SIGTERM).
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed) or
  // nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  std::string Stdout() const;
  std::string Stderr() const;
  // Polls the captured stdout+stderr until `needle` appears.
  bool WaitForOutput(const std::string& needle,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_, err_path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs to completion (bounded by `timeout`, then killed) and captures output.
RunResult Run(const std::vector<std::string>& argv, const SpawnOptions& options = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Path of the cable binary under test.
std::string CableBinary();
// Absolute path inside the source tree, e.g. SourcePath("tests/vectors/auth.json").
std::string SourcePath(const std::string& relative);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// Polls until something accepts TCP connections on 127.0.0.1:port.
bool WaitForPort(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace cable::testing
