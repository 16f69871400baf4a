// `cable serve` reads anycable.toml as anycable-go does: file < ANYCABLE_*
// environment < flags, default locations, --print-config, and mistakes in
// the file reported with file:line:column before anything starts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/inert_settings.h"
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
                       "PORT",          "ANYCABLE_PRESETS",   "FLY_APP_NAME",
                       "FLY_ALLOC_ID",  "FLY_REGION",         "ANYCABLE_FLY_RPC_APP_NAME",
                       "HEROKU_APP_ID", "HEROKU_DYNO_ID"};
  for (const auto& s : cli::InertSettings()) {
    if (!s.env.empty()) options.unset_env.emplace_back(s.env);
  }
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

TEST(ServeConfigFile, UnknownSettingsAreWarnedAboutWithTheirPlaceAndTheNearestName) {
  TempDir dir;
  dir.Write("anycable.toml", "[server]\nport = 9191\n\n[pusher]\napp_idd = \"memory\"\n");
  auto r = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("anycable.toml:5:1: pusher.app_idd is not a cable serve or "
                               "anycable-go setting; ignored (did you mean pusher.app_id?)"));
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

TEST(ServeConfigFile, StatsdAndTheMetricsLogFilterAreRealSettings) {
  TempDir dir;
  dir.Write("anycable.toml",
            "[metrics]\nlog_filter = [\"rpc_call_total\", \"clients_num\"]\n"
            "[metrics.statsd]\nhost = \"127.0.0.1:8125\"\nprefix = \"cable.\"\n"
            "tags_format = \"graphite\"\nmax_packet_size = 512\n");
  auto r = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("log_filter = [ \"rpc_call_total\", \"clients_num\" ]"));
  EXPECT_THAT(r.out, HasSubstr("[metrics.statsd]\nhost = \"127.0.0.1:8125\""));
  EXPECT_THAT(r.out, HasSubstr("prefix = \"cable.\""));
  EXPECT_THAT(r.out, HasSubstr("tags_format = \"graphite\""));
  EXPECT_THAT(r.out, HasSubstr("max_packet_size = 512"));
  EXPECT_THAT(r.err, Not(HasSubstr("has no effect")));
  auto flag = Serve({"--print-config", "--statsd_max_packet_size", "900"}, Options(dir));
  EXPECT_THAT(flag.out, HasSubstr("max_packet_size = 900  # --statsd_max_packet_size"));
}

TEST(ServeConfigFile, ServerSentEventsAreRealSettings) {
  TempDir dir;
  auto defaults = Serve({"--print-config", "--ignore-config-path"}, Options(dir));
  ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
  EXPECT_THAT(defaults.out,
              HasSubstr("[sse]\nenabled = false  # --sse\npath = \"/events\"  # --sse_path\n"));
  dir.Write("anycable.toml", "[sse]\nenabled = true\npath = \"/stream\"\n");
  auto file = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_THAT(file.out, HasSubstr("enabled = true  # --sse\npath = \"/stream\"  # --sse_path"));
  EXPECT_THAT(file.err, Not(HasSubstr("has no effect")));
  auto env = Serve({"--print-config"}, Options(dir, {{"ANYCABLE_SSE_PATH", "/env-events"}}));
  EXPECT_THAT(env.out, HasSubstr("path = \"/env-events\"  # --sse_path"));
  auto flag = Serve({"--print-config", "--sse-path", "/flag-events"}, Options(dir));
  EXPECT_THAT(flag.out, HasSubstr("path = \"/flag-events\"  # --sse_path"));
  auto bad = Serve({"--print-config", "--sse_path", "events"}, Options(dir));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("must start with /"));
}

TEST(ServeConfigFile, DurableStreamsAreRealSettings) {
  TempDir dir;
  auto defaults = Serve({"--print-config", "--ignore-config-path"}, Options(dir));
  ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
  EXPECT_THAT(defaults.out, HasSubstr("[ds]\nenabled = false  # --ds\npath = \"/ds\"  # --ds_path\n"
                                      "skip_auth = false  # --ds_skip_auth\npoll_interval = 10  # "
                                      "--ds_poll_interval\nsse_ttl = 60  # --ds_sse_ttl\n"));
  dir.Write("anycable.toml", "[ds]\nenabled = true\npath = \"/streams\"\npoll_interval = 3\n");
  auto file = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_THAT(file.out, HasSubstr("enabled = true  # --ds\npath = \"/streams\"  # --ds_path"));
  EXPECT_THAT(file.out, HasSubstr("poll_interval = 3  # --ds_poll_interval"));
  EXPECT_THAT(file.err, Not(HasSubstr("has no effect")));
  auto env = Serve({"--print-config"},
                   Options(dir, {{"ANYCABLE_DS_SSE_TTL", "5"}, {"ANYCABLE_DS_SKIP_AUTH", "true"}}));
  EXPECT_THAT(env.out, HasSubstr("skip_auth = true  # --ds_skip_auth"));
  EXPECT_THAT(env.out, HasSubstr("sse_ttl = 5  # --ds_sse_ttl"));
  EXPECT_THAT(env.err, Not(HasSubstr("has no effect")));
  auto flag = Serve({"--print-config", "--ds", "--ds-path", "/flag-ds"}, Options(dir));
  EXPECT_THAT(flag.out, HasSubstr("path = \"/flag-ds\"  # --ds_path"));
  EXPECT_THAT(flag.err, Not(HasSubstr("has no effect")));
  for (const char* bad : {"ds", "/ds/"}) {
    auto r = Serve({"--print-config", "--ds_path", bad}, Options(dir));
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("must start with /")) << bad;
  }
  EXPECT_EQ(Serve({"--print-config", "--ds_poll_interval", "-1"}, Options(dir)).exit_code, 2);
}

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

// anycable-go settings cable does not act on: accepted from every source
// with one warning each saying why (docs/configuration.md lists them).

std::string Dashed(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = c == '_' ? '-' : c;
  return out;
}

std::string EnvName(std::string_view flag) {
  std::string env = "ANYCABLE_";
  for (char c : flag)
    env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return env;
}

// A value of the setting's kind, as the command line or environment takes it.
std::string SampleValue(cli::InertKind kind) {
  switch (kind) {
    case cli::InertKind::kBool:
      return "true";
    case cli::InertKind::kInt:
      return "7";
    case cli::InertKind::kString:
      return "x";
    case cli::InertKind::kList:
      return "a,b";
  }
  return "";
}

std::string TomlValue(cli::InertKind kind) {
  switch (kind) {
    case cli::InertKind::kBool:
      return "true";
    case cli::InertKind::kInt:
      return "7";
    case cli::InertKind::kString:
      return "\"x\"";
    case cli::InertKind::kList:
      return "[\"a\", \"b\"]";
  }
  return "";
}

std::string Warning(const cli::InertSetting& s) {
  return "--" + std::string(s.flag) + " has no effect: " + std::string(s.reason) + "\n";
}

TEST(ServeInertSettings, EveryFlagIsAcceptedInBothSpellingsAndNamedInOneWarning) {
  TempDir dir;
  for (bool dashed : {false, true}) {
    std::vector<std::string> args = {"--print-config", "--ignore-config-path"};
    for (const auto& s : cli::InertSettings()) {
      if (s.flag.empty()) continue;
      args.push_back("--" + (dashed ? Dashed(s.flag) : std::string(s.flag)) + "=" +
                     SampleValue(s.kind));
    }
    auto r = Serve(args, Options(dir));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& s : cli::InertSettings()) {
      if (s.flag.empty()) continue;
      EXPECT_THAT(r.err, HasSubstr(Warning(s))) << s.flag;
    }
  }
}

TEST(ServeInertSettings, EveryVariableIsAcceptedAndNamedInOneWarning) {
  TempDir dir;
  std::map<std::string, std::string> env;
  for (const auto& s : cli::InertSettings()) {
    env[s.env.empty() ? EnvName(s.flag) : std::string(s.env)] = SampleValue(s.kind);
  }
  env.erase("ANYCABLE_");
  auto r = Serve({"--print-config", "--ignore-config-path"}, Options(dir, env));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& s : cli::InertSettings()) {
    if (!s.flag.empty()) {
      EXPECT_THAT(r.err, HasSubstr(Warning(s))) << s.flag;
    } else if (!s.env.empty()) {
      EXPECT_THAT(r.err, HasSubstr(std::string(s.env) + " has no effect: ")) << s.env;
    }
  }
}

TEST(ServeInertSettings, EveryFileKeyIsAcceptedAndNamedInOneWarning) {
  TempDir dir;
  // Dotted keys: one line per setting, so each line number names one key.
  std::string file;
  std::vector<std::pair<const cli::InertSetting*, int>> lines;
  for (const auto& s : cli::InertSettings()) {
    if (s.toml.empty()) continue;
    file += std::string(s.toml) + " = " + TomlValue(s.kind) + "\n";
    lines.emplace_back(&s, static_cast<int>(lines.size()) + 1);
  }
  dir.Write("anycable.toml", file);
  auto r = Serve({"--print-config"}, Options(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& [s, line] : lines) {
    if (!s->flag.empty()) {
      EXPECT_THAT(r.err, HasSubstr(Warning(*s))) << s->toml;
    } else {
      // The place of a dotted key is that of its last part.
      const size_t column = s->toml.rfind('.') + 2;
      EXPECT_THAT(r.err,
                  HasSubstr("anycable.toml:" + std::to_string(line) + ":" + std::to_string(column) +
                            ": " + std::string(s->toml) + " has no effect: "))
          << s->toml;
    }
  }
  EXPECT_THAT(r.err, Not(HasSubstr("not a cable serve")));
}

TEST(ServeInertSettings, NothingIsSaidWhenNoneIsSetAndAWrongTypeIsAUsageError) {
  TempDir dir;
  auto quiet = Serve({"--print-config", "--ignore-config-path"}, Options(dir));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_THAT(quiet.err, Not(HasSubstr("has no effect")));
  auto bad = Serve({"--ignore-config-path", "--hub_gopool_size", "many"}, Options(dir));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--hub_gopool_size: expected an integer, got \"many\""));
  dir.Write("anycable.toml", "[metrics.statsd]\nhost = 1\n");
  auto file = Serve({"--print-config"}, Options(dir));
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_THAT(file.err, HasSubstr("anycable.toml:2:8: metrics.statsd.host: expected a string"));
}

TEST(ServeUnknownFlags, StillExitTwoNamingTheNearestSetting) {
  TempDir dir;
  auto r = Serve({"--ignore-config-path", "--enable_native_pingz"}, Options(dir));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--enable_native_pingz (did you mean --enable_native_pings?)"));
  auto far = Serve({"--ignore-config-path", "--completely-unknown"}, Options(dir));
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_THAT(far.err, HasSubstr("--completely-unknown"));
  EXPECT_THAT(far.err, Not(HasSubstr("did you mean")));
}

// anycable-go's old names map onto the current settings, with its warning.

TEST(ServeAliases, NodeIdIsASettingOfItsOwn) {
  TempDir dir;
  auto flag = Serve({"--print-config", "--ignore-config-path", "--node-id", "n1"}, Options(dir));
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_THAT(flag.out, HasSubstr("node_id = \"n1\""));
  dir.Write("anycable.toml", "node_id = \"n2\"\n");
  auto file = Serve({"--print-config"}, Options(dir, {{"ANYCABLE_NODE_ID", "n3"}}));
  EXPECT_THAT(file.out, HasSubstr("node_id = \"n3\""));
}

TEST(ServeAliases, RpcImplMustAgreeWithTheRpcHost) {
  TempDir dir;
  auto http = Serve({"--ignore-config-path", "--rpc_impl", "http"}, Options(dir));
  EXPECT_EQ(http.exit_code, 2);
  EXPECT_THAT(http.err,
              HasSubstr("--rpc_impl http: --rpc_host must be an http:// or https:// URL"));
  dir.Write("anycable.toml", "[rpc]\nimplementation = \"grpc\"\nhost = \"http://app/_anycable\"\n");
  auto grpc = Serve({}, Options(dir));
  EXPECT_EQ(grpc.exit_code, 2);
  EXPECT_THAT(grpc.err, HasSubstr("--rpc_impl grpc: --rpc_host is an HTTP URL"));
  auto bogus = Serve({"--ignore-config-path", "--rpc_impl", "thrift"}, Options(dir));
  EXPECT_EQ(bogus.exit_code, 2);
}

TEST(ServeAliases, HttpBroadcastSecretBecomesTheBroadcastKey) {
  TempDir dir;
  const int port = FreePort();
  ChildProcess server(
      {CableBinary(), "serve", "--ignore-config-path", "--norpc", "--port", std::to_string(port),
       "--broadcast_adapter", "http", "--http_broadcast_secret", "k"},
      Options(dir));
  EXPECT_TRUE(server.WaitForOutput("--http_broadcast_secret is deprecated, use --broadcast_key"))
      << server.Stderr();
  // With a key, broadcasts share the main port and require it.
  EXPECT_TRUE(server.WaitForOutput(":" + std::to_string(port) + "/_broadcast (Bearer key)"))
      << server.Stderr();
}

// Presets: fly and heroku from their variables, never over explicit values.

std::map<std::string, std::string> FlyEnv() {
  return {{"FLY_APP_NAME", "web"},
          {"FLY_ALLOC_ID", "a1"},
          {"FLY_REGION", "ams"},
          {"ANYCABLE_FLY_RPC_APP_NAME", "rpc"}};
}

TEST(ServePresets, FlyIsDetectedAndFillsInWhatWasNotGiven) {
  TempDir dir;
  const int port = FreePort();
  ChildProcess server(
      {CableBinary(), "serve", "--ignore-config-path", "--port", std::to_string(port)},
      Options(dir, FlyEnv()));
  EXPECT_TRUE(server.WaitForOutput("Presets: fly")) << server.Stderr();
  EXPECT_TRUE(server.WaitForOutput("listening on 0.0.0.0:" + std::to_string(port) + "/cable"))
      << server.Stderr();
  EXPECT_TRUE(server.WaitForOutput("RPC dns:///ams.rpc.internal:50051)")) << server.Stderr();
  EXPECT_TRUE(server.WaitForOutput("HTTP broadcasts: POST 0.0.0.0:" + std::to_string(port)))
      << server.Stderr();
}

TEST(ServePresets, NeverOverrideExplicitValues) {
  TempDir dir;
  const int port = FreePort();
  const int broadcast_port = FreePort();
  dir.Write("anycable.toml", "[http_broadcast]\nport = " + std::to_string(broadcast_port) + "\n");
  auto env = FlyEnv();
  env["ANYCABLE_RPC_HOST"] = "rpc.internal:50051";
  ChildProcess server({CableBinary(), "serve", "--host", "127.0.0.1", "--port",
                       std::to_string(port), "--broadcast_adapter", "http"},
                      Options(dir, env));
  EXPECT_TRUE(server.WaitForOutput("listening on 127.0.0.1:" + std::to_string(port)))
      << server.Stderr();
  EXPECT_TRUE(server.WaitForOutput("RPC rpc.internal:50051)")) << server.Stderr();
  EXPECT_TRUE(
      server.WaitForOutput("HTTP broadcasts: POST 127.0.0.1:" + std::to_string(broadcast_port)))
      << server.Stderr();
}

TEST(ServePresets, HerokuBroadcastsOnTheDynoPortAndNoneTurnsDetectionOff) {
  TempDir dir;
  const int port = FreePort();
  std::map<std::string, std::string> env = {
      {"HEROKU_APP_ID", "h"}, {"HEROKU_DYNO_ID", "d"}, {"PORT", std::to_string(port)}};
  {
    ChildProcess server(
        {CableBinary(), "serve", "--ignore-config-path", "--norpc", "--broadcast_adapter", "http"},
        Options(dir, env));
    EXPECT_TRUE(server.WaitForOutput("Presets: heroku")) << server.Stderr();
    EXPECT_TRUE(server.WaitForOutput("listening on 0.0.0.0:" + std::to_string(port)))
        << server.Stderr();
    EXPECT_TRUE(server.WaitForOutput("HTTP broadcasts: POST 0.0.0.0:" + std::to_string(port)))
        << server.Stderr();
  }
  ChildProcess plain(
      {CableBinary(), "serve", "--ignore-config-path", "--norpc", "--presets=none",
       "--broadcast_adapter", "http", "--http_broadcast_port", std::to_string(FreePort())},
      Options(dir, env));
  EXPECT_TRUE(plain.WaitForOutput("listening on localhost:" + std::to_string(port)))
      << plain.Stderr();
  EXPECT_THAT(plain.Stderr(), Not(HasSubstr("Presets:")));
}

TEST(ServePresets, FlyNeedsItsVariables) {
  TempDir dir;
  auto r = Serve({"--ignore-config-path", "--presets", "fly"}, Options(dir));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--presets fly: FLY_REGION env is missing"));
}

}  // namespace
}  // namespace cable::testing
