#pragma once
// `cable broadcast` as tests run it: the real binary, with the developer's
// ANYCABLE_*/REDIS_URL variables kept out so only the test's flags count.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support/process.h"

namespace cable::testing {

inline RunResult CableBroadcast(std::vector<std::string> args, std::string stdin_data = "",
                                std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {CableBinary(), "broadcast"});
  SpawnOptions options;
  options.unset_env = {"ANYCABLE_BROADCAST_KEY", "ANYCABLE_API_SECRET",
                       "ANYCABLE_SECRET",        "ANYCABLE_HTTP_BROADCAST_URL",
                       "ANYCABLE_REDIS_URL",     "REDIS_URL",
                       "ANYCABLE_REDIS_CHANNEL", "ANYCABLE_REDISX_STREAM",
                       "ANYCABLE_NATS_SERVERS",  "ANYCABLE_NATS_CHANNEL"};
  options.env = std::move(env);
  options.stdin_data = std::move(stdin_data);
  return Run(args, options, std::chrono::seconds(30));
}

}  // namespace cable::testing
