// `--version` on the root and on every command prints the same line as
// `cable version`, with the build's real version, and exits 0.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "cable/build_info.h"
#include "support/process.h"

namespace cable {
namespace {

using testing::CableBinary;

using ::testing::StartsWith;

TEST(VersionFlag, EveryCommandAnswersWithTheBuildsVersion) {
  const auto reference = testing::Run({CableBinary(), "version"});
  ASSERT_EQ(reference.exit_code, 0);
  EXPECT_THAT(reference.out, StartsWith(std::string("cable ") + build::kVersion + " (commit "));
  for (const char* command :
       {"", "serve", "rpc", "bench", "broadcast", "conformance", "token", "sign"}) {
    std::vector<std::string> argv = {CableBinary()};
    if (*command) argv.push_back(command);
    argv.push_back("--version");
    const auto r = testing::Run(argv);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_EQ(r.out, reference.out) << command;
  }
}

}  // namespace
}  // namespace cable
