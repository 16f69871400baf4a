// `cable serve` reads anycable.toml as anycable-go does: file < ANYCABLE_*
// environment < flags, default locations, --print-config, and mistakes in
// the file reported with file:line:column before anything starts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace cable::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kConfig = R"(secret = "file-secret"
broadcast_adapters = ["http"]

[server]
host = "127.0.0.1"
port = 9191

[rpc]
proxy_headers = ["cookie", "x-api-token"]

[streams]
turbo = true

[pusher]
app_id = "memory"
)";

// A clean environment: no ANYCABLE_* setting leaks in from the caller.
SpawnOptions Options(const TempDir& dir, std::map<std::string, std::string> env = {}) {
  SpawnOptions options;
  options.cwd = dir.path();
  options.unset_env = {"ANYCABLE_PORT", "ANYCABLE_HOST",      "ANYCABLE_SECRET",
                       "REDIS_URL",     "ANYCABLE_REDIS_URL", "ANYCABLE_CONFIG_PATH",
                       "PORT"};
  options.env = std::move(env);
  return options;
}

RunResult Serve(std::vector<std::string> args, const SpawnOptions& options) {
  args.insert(args.begin(), {CableBinary(), "serve"});
  return Run(args, options);
}

TEST(ServeConfigFile, AnycableTomlInTheWorkingDirectoryIsRead) {
  TempDir dir;
  dir.Write("anycable.toml", kConfig);
  auto r = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("port = 9191"));
  EXPECT_THAT(r.out, HasSubstr("host = \"127.0.0.1\""));
  EXPECT_THAT(r.out, HasSubstr("secret = \"file-secret\""));
  EXPECT_THAT(r.out, HasSubstr("broadcast_adapters = [ \"http\" ]"));
  EXPECT_THAT(r.out, HasSubstr("proxy_headers = [ \"cookie\", \"x-api-token\" ]"));
  EXPECT_THAT(r.out, HasSubstr("turbo = true"));
}

TEST(ServeConfigFile, EnvironmentBeatsTheFileAndFlagsBeatBoth) {
  TempDir dir;
  dir.Write("anycable.toml", kConfig);
  auto env = Serve({"--print-config"}, Options(dir, {{"ANYCABLE_PORT", "7000"}}));
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_THAT(env.out, HasSubstr("port = 7000  # --port"));
  auto flag =
      Serve({"--print-config", "--port", "7100"}, Options(dir, {{"ANYCABLE_PORT", "7000"}}));
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_THAT(flag.out, HasSubstr("port = 7100  # --port"));
  // PORT and REDIS_URL are environment variables too, after ANYCABLE_*.
  auto conventional = Serve({"--print-config"}, Options(dir, {{"PORT", "7200"}}));
  ASSERT_EQ(conventional.exit_code, 0) << conventional.err;
  EXPECT_THAT(conventional.out, HasSubstr("port = 7200  # --port"));
  auto both =
      Serve({"--print-config"}, Options(dir, {{"PORT", "7200"}, {"ANYCABLE_PORT", "7000"}}));
  EXPECT_THAT(both.out, HasSubstr("port = 7000  # --port"));
  dir.Write("anycable.toml", "[redis]\nurl = \"redis://file:6379\"\n");
  auto redis = Serve({"--print-config"}, Options(dir, {{"REDIS_URL", "redis://env:6379"}}));
  ASSERT_EQ(redis.exit_code, 0) << redis.err;
  EXPECT_THAT(redis.out, HasSubstr("url = \"redis://env:6379\""));
}

TEST(ServeConfigFile, IgnoreConfigPathSkipsTheDefaultFile) {
  TempDir dir;
  dir.Write("anycable.toml", kConfig);
  auto r = Serve({"--print-config", "--ignore-config-path"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("port = 8080"));
}

TEST(ServeConfigFile, PrintedConfigReadsBackToTheSameSettings) {
  TempDir dir;
  dir.Write("anycable.toml", kConfig);
  auto first = Serve({"--print-config", "--pong_timeout", "7"}, Options(dir));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  TempDir other;
  const std::string copy = other.Write("printed.toml", first.out);
  auto second = Serve({"--print-config", "--config-path", copy}, Options(other));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
}

TEST(ServeConfigFile, UnknownSettingsAreWarnedAboutWithTheirPlace) {
  TempDir dir;
  dir.Write("anycable.toml", kConfig);
  auto r = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("anycable.toml:15:1: pusher.app_id is not a cable serve setting"));
}

TEST(ServeConfigFile, BrokerSettingsAndPresetsAreRead) {
  TempDir dir;
  dir.Write("anycable.toml",
            "presets = [\"broker\"]\n[broker]\nhistory_limit = 7\nsessions_ttl = 0\n");
  auto r = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("history_limit = 7"));
  EXPECT_THAT(r.out, HasSubstr("sessions_ttl = 0"));
  EXPECT_THAT(r.out, HasSubstr("presets = [ \"broker\" ]"));
  auto unknown = Serve({"--presets", "bogus", "--port", "0"}, Options(dir));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.err, HasSubstr("unknown preset \"bogus\""));
}

struct BadFile {
  const char* text;
  const char* expected;
};

class ServeConfigFileErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(ServeConfigFileErrors, AreReportedWithFileLineAndColumnAndExitTwo) {
  TempDir dir;
  const std::string path = dir.Write("bad.toml", GetParam().text);
  auto r = Serve({"--config-path", path}, Options(dir));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(GetParam().expected));
  EXPECT_THAT(r.err, Not(HasSubstr("Listening")));
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, ServeConfigFileErrors,
    ::testing::Values(
        BadFile{"[server]\nport = \"x\"\n", "bad.toml:2:8: server.port: expected an integer"},
        BadFile{"[server]\nport = 99999\n", "bad.toml:2:8: server.port: --port"},
        BadFile{"[app]\ndisconnect_mode = \"sometimes\"\n", "bad.toml:2:19: app.disconnect_mode"},
        BadFile{"[server\nport = 1\n", "bad.toml:1:8: "},
        BadFile{"[jwt]\nforce = \"yes\"\n", "bad.toml:2:9: jwt.force: expected true or false"}));

TEST(ServeConfigFile, AMissingExplicitFileIsAUsageError) {
  TempDir dir;
  auto r = Serve({"--config-path", dir.path() + "/nope.toml"}, Options(dir));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("nope.toml: no such file"));
}

TEST(ServeConfigFile, TheServerListensWhereTheFileSays) {
  TempDir dir;
  const int port = FreePort();
  dir.Write("anycable.toml",
            "broadcast_adapters = [\"http\"]\n[server]\nhost = \"127.0.0.1\"\nport = " +
                std::to_string(port) + "\n[http_broadcast]\nport = " + std::to_string(FreePort()) +
                "\n");
  SpawnOptions options = Options(dir);
  ChildProcess server({CableBinary(), "serve", "--norpc"}, options);
  EXPECT_TRUE(WaitForPort(port)) << server.Stderr();
  EXPECT_TRUE(server.WaitForOutput("Settings read from anycable.toml")) << server.Stderr();
}

}  // namespace
}  // namespace cable::testing
