#pragma once
// Running the real `cable bench` binary from tests and reading its report.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cable_server.h"
#include "support/process.h"

namespace cable::testing {

struct BenchRun {
  int exit_code = -1;
  nlohmann::json report;  // parsed stdout (null when stdout was not JSON)
  std::string out, err;
};

// Runs `cable bench <args> --json --quiet`, bounded by `timeout_s`.
inline BenchRun RunBench(std::vector<std::string> args, int timeout_s = 90) {
  std::vector<std::string> argv = {CableBinary(), "bench"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--json");
  argv.push_back("--quiet");
  RunResult r = Run(argv, {}, std::chrono::seconds(timeout_s));
  BenchRun b;
  b.exit_code = r.exit_code;
  b.out = r.out;
  b.err = r.err;
  b.report = nlohmann::json::parse(r.out, nullptr, false);
  if (b.report.is_discarded()) b.report = nullptr;
  return b;
}

// What a failed run printed, for the assertion message.
inline std::string Dump(const BenchRun& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstderr: " + r.err +
         "\nstdout: " + r.out.substr(0, 6000);
}

// `cable serve` with BenchmarkChannel from the in-process benchmark backend.
inline ServeOptions Benchmark() {
  ServeOptions o;
  o.backend = "benchmark";
  return o;
}

inline std::string WsUrl(int port) {
  return "ws://127.0.0.1:" + std::to_string(port) + "/cable";
}
inline std::string BroadcastUrl(int port) {
  return "http://127.0.0.1:" + std::to_string(port) + "/_broadcast";
}

}  // namespace cable::testing
