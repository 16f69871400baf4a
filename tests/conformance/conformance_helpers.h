#pragma once
// Running `cable conformance` (the real binary) against `cable serve`, and
// finding the processes a run left behind.

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.h"

namespace cable::testing {

inline constexpr const char* kSecret = "conformance-s3cr3t";

// `cable serve` on per-job ports with the RPC backend the runner starts.
inline std::string ServeCommand(const std::string& extra = "",
                                const std::string& headers = "cookie,x-api-token",
                                const std::string& adapters = "http") {
  return CableBinary() +
         " serve --host 127.0.0.1 --port {port} --rpc_host {rpc_host} --secret {secret} "
         "--shutdown_timeout 5 --log_level warn --headers " +
         headers + " --broadcast_adapter " + adapters + (extra.empty() ? "" : " " + extra);
}

inline std::string Scenarios(const std::string& sub = "") {
  return SourcePath("scenarios/conformance" + sub);
}

inline RunResult Conformance(std::vector<std::string> args, const SpawnOptions& options = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(150)) {
  args.insert(args.begin(), {CableBinary(), "conformance"});
  return Run(args, options, timeout);
}

// The last line of the output, which must be the summary.
inline std::string LastLine(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

// "N passed, N failed, N skipped" -> {N, N, N}; {-1,-1,-1} when not that shape.
struct Summary {
  int passed = -1, failed = -1, skipped = -1;
};
inline Summary ParseSummary(const std::string& line) {
  std::smatch m;
  static const std::regex re(R"(^(\d+) passed, (\d+) failed, (\d+) skipped$)");
  Summary s;
  if (std::regex_match(line, m, re)) {
    s.passed = std::stoi(m[1]);
    s.failed = std::stoi(m[2]);
    s.skipped = std::stoi(m[3]);
  }
  return s;
}

inline std::string RandomMark() {
  std::random_device rd;
  return "mark" + std::to_string(rd()) + std::to_string(rd());
}

// Processes (other than this one) whose environment holds `mark`; children
// inherit the runner's environment, so this finds everything it started.
inline std::vector<pid_t> ProcessesWithMark(const std::string& mark) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0 || pid == getpid()) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/environ", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find("CABLE_TEST_MARK=" + mark) != std::string::npos)
      out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

// Whether `cable serve --help` lists a flag: feature groups whose flags the
// server does not have yet are not claimed.
inline bool ServeHasFlag(const std::string& flag) {
  static const std::string help = Run({CableBinary(), "serve", "--help"}).out;
  return help.find(flag) != std::string::npos;
}

}  // namespace cable::testing
