// One run split between generators: `cable bench --shard I/N` processes
// against one real `cable serve`, merged with `cable bench merge`, count
// exactly what one generator counts alone; merge refuses reports that are
// not shards of one run.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "bench/clock.h"
#include "bench_support.h"
#include "support/cable_server.h"
#include "support/temp_dir.h"

namespace cable::testing {
namespace {

using nlohmann::json;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), nullptr, false);
}

RunResult Merge(std::vector<std::string> args) {
  std::vector<std::string> argv = {CableBinary(), "bench", "merge"};
  argv.insert(argv.end(), args.begin(), args.end());
  return cable::testing::Run(argv, {}, std::chrono::seconds(30));
}

// The same broadcast load, run whole or as shards.
std::vector<std::string> Load(CableServer& server) {
  return {"broadcast",       WsUrl(server.port()),
          "--clients",       "450",
          "--streams",       "3",
          "--count",         "30",
          "--rate",          "30",
          "--broadcast-url", BroadcastUrl(server.broadcast_port()),
          "--settle",        "0.2",
          "--threads",       "1",
          "--server-pid",    std::to_string(server.process().pid()),
          "--quiet"};
}

class BenchShard : public ::testing::Test {
 protected:
  // Three shards and one whole run against one server, once for the suite.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new CableServer(Benchmark());
    // Far enough ahead for three processes to start and connect.
    const double start = static_cast<double>(bench::RealtimeNs()) / 1e9 + 4;
    char at[32];
    snprintf(at, sizeof at, "%.3f", start);
    std::vector<ChildProcess> shards;
    for (int i = 1; i <= 3; ++i) {
      std::vector<std::string> argv = {CableBinary(), "bench"};
      for (const auto& a : Load(*server_)) argv.push_back(a);
      for (const std::string& a :
           {std::string("--shard"), std::to_string(i) + "/3", std::string("--start-at"),
            std::string(at), std::string("--json-file"), ShardPath(i)}) {
        argv.push_back(a);
      }
      shards.emplace_back(argv);
    }
    for (int i = 0; i < 3; ++i) {
      auto code = shards[static_cast<size_t>(i)].Wait(std::chrono::seconds(60));
      shard_exit_[i] = code ? *code : -1;
      shard_err_[i] = shards[static_cast<size_t>(i)].Stderr();
    }
    std::vector<std::string> argv = {CableBinary(), "bench"};
    for (const auto& a : Load(*server_)) argv.push_back(a);
    argv.push_back("--json-file");
    argv.push_back(dir_->path() + "/whole.json");
    whole_ = new RunResult(cable::testing::Run(argv, {}, std::chrono::seconds(60)));
  }
  static void TearDownTestSuite() {
    delete whole_;
    delete server_;
    delete dir_;
  }
  static std::string ShardPath(int i) {
    return dir_->path() + "/shard-" + std::to_string(i) + ".json";
  }
  void SetUp() override {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(shard_exit_[i], 0) << shard_err_[i];
    ASSERT_EQ(whole_->exit_code, 0) << whole_->err;
  }
  // A shard report changed by `spoil`, written next to the others.
  static std::string Spoiled(const std::string& name, int shard,
                             const std::function<void(json&)>& spoil) {
    json j = ReadJson(ShardPath(shard));
    spoil(j);
    return dir_->Write(name, j.dump());
  }

  static TempDir* dir_;
  static CableServer* server_;
  static RunResult* whole_;
  static int shard_exit_[3];
  static std::string shard_err_[3];
};
TempDir* BenchShard::dir_ = nullptr;
CableServer* BenchShard::server_ = nullptr;
RunResult* BenchShard::whole_ = nullptr;
int BenchShard::shard_exit_[3] = {-1, -1, -1};
std::string BenchShard::shard_err_[3];

TEST_F(BenchShard, EachShardRunsItsShareOfClientsAndMessages) {
  for (int i = 1; i <= 3; ++i) {
    json r = ReadJson(ShardPath(i));
    ASSERT_TRUE(r.is_object());
    EXPECT_EQ(r["shard"]["index"], i);
    EXPECT_EQ(r["shard"]["count"], 3);
    EXPECT_EQ(r["shard"]["streams"], 1) << "one of the three streams";
    EXPECT_TRUE(r["shard"]["start_at"].is_string());
    EXPECT_EQ(r["shard"]["start_lag_ms"], 0) << "connected before --start-at";
    EXPECT_EQ(r["config"]["clients"], 450) << "the config names the whole run";
    EXPECT_EQ(r["connections"]["ready"], 150);
    EXPECT_EQ(r["messages"]["published"], 10) << "every third message";
    EXPECT_EQ(r["messages"]["expected"], 1500);
    EXPECT_EQ(r["messages"]["missing"], 0);
    EXPECT_EQ(r["histograms_exact"]["latency"]["count"], 1500);
    EXPECT_EQ(r["histograms_exact"]["layout"]["buckets"], 4096);
  }
}

TEST_F(BenchShard, MergedShardsCountWhatOneRunCounts) {
  const std::string out = dir_->path() + "/merged.json", html = dir_->path() + "/merged.html";
  auto m = Merge({ShardPath(1), ShardPath(2), ShardPath(3), "--json-file", out, "--report", html,
                  "--threshold", "missing==0", "--threshold", "connections.ready==450"});
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  EXPECT_EQ(m.err, "") << "no warning for a complete set";
  EXPECT_NE(m.out.find("Merged       3 of 3 shards"), std::string::npos) << m.out;
  json merged = ReadJson(out), whole = ReadJson(dir_->path() + "/whole.json");
  ASSERT_TRUE(merged.is_object());
  for (const char* k : {"target", "ready", "failed", "dropped"}) {
    EXPECT_EQ(merged["connections"][k], whole["connections"][k]) << k;
  }
  for (const char* k : {"measured_clients", "published", "expected", "received", "unique",
                        "missing", "duplicates", "unexpected"}) {
    EXPECT_EQ(merged["messages"][k], whole["messages"][k]) << k;
  }
  EXPECT_EQ(merged["messages"]["unique"], 450 * 10);
  EXPECT_EQ(merged["latency_us"]["count"], 4500);
  EXPECT_EQ(merged["connections"]["ready_us"]["count"], 450);
  EXPECT_TRUE(merged["ok"].get<bool>());
  EXPECT_EQ(merged["shard"]["merged"], json::array({1, 2, 3}));
  EXPECT_EQ(merged["shards"].size(), 3u);
  EXPECT_EQ(merged["thresholds"].size(), 2u);
  // The merged percentiles are those of the shards' samples together.
  std::vector<std::vector<int64_t>> buckets;
  int64_t total = 0;
  for (int i = 1; i <= 3; ++i) {
    total += ReadJson(ShardPath(i))["histograms_exact"]["latency"]["count"].get<int64_t>();
  }
  EXPECT_EQ(merged["histograms_exact"]["latency"]["count"], total);
  // The server's figures per client and per message are the whole run's,
  // not those of the one shard whose sample speaks for the server.
  const json& srv = merged["server"];
  ASSERT_TRUE(srv.is_object()) << merged.dump();
  EXPECT_EQ(srv["rss_per_connection_bytes"].get<int64_t>(),
            (srv["connected"]["rss_kb"].get<int64_t>() - srv["before"]["rss_kb"].get<int64_t>()) *
                1024 / 450);
  EXPECT_NEAR(srv["cpu_us_per_message"].get<double>(),
              srv["message_cpu_s"].get<double>() / 4500 * 1e6, 0.01);
  std::ifstream page(html);
  std::stringstream ss;
  ss << page.rdbuf();
  EXPECT_NE(ss.str().find("Latency histogram"), std::string::npos);
}

TEST_F(BenchShard, ThresholdsAreJudgedOnTheMergedReport) {
  auto m = Merge({ShardPath(1), ShardPath(2), ShardPath(3), "--threshold", "connections.ready>=451",
                  "--format", "junit"});
  EXPECT_EQ(m.exit_code, 1) << m.err;
  EXPECT_NE(m.out.find("<testsuite"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find("failure"), std::string::npos) << m.out;
  auto bad = Merge({ShardPath(1), "--threshold", "latency.p99<<5"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(BenchShard, MissingShardsWarn) {
  auto m = Merge({ShardPath(1), ShardPath(3), "--format", "json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("1 of 3 shards missing (2)"), std::string::npos) << m.err;
  json j = json::parse(m.out);
  EXPECT_EQ(j["connections"]["ready"], 300);
  EXPECT_EQ(j["shard"]["missing"], json::array({2}));
}

TEST_F(BenchShard, MergeRefusesReportsThatAreNotShardsOfOneRun) {
  struct Case {
    std::vector<std::string> files;
    std::string message;
  };
  const std::string whole = dir_->path() + "/whole.json";
  const std::vector<Case> cases = {
      {{ShardPath(1), ShardPath(1)}, "are both shard 1/3"},
      {{ShardPath(1), whole}, "one of 3 shards"},
      {{ShardPath(1), Spoiled("echo.json", 2, [](json& j) { j["scenario"] = "echo"; })},
       "a \"echo\" run"},
      {{ShardPath(1),
        Spoiled("payload.json", 2, [](json& j) { j["config"]["payload_bytes"] = 200; })},
       "config.payload_bytes"},
      {{ShardPath(1), Spoiled("rate.json", 2, [](json& j) { j["config"]["rate"] = 31; })},
       "config.rate"},
      {{ShardPath(1), Spoiled("layout.json", 2,
                              [](json& j) { j["histograms_exact"]["layout"]["sub_bits"] = 5; })},
       "histogram layout"},
      {{ShardPath(1), Spoiled("old.json", 2, [](json& j) { j.erase("histograms_exact"); })},
       "no exact histograms"},
      {{ShardPath(1),
        Spoiled("counts.json", 2, [](json& j) { j["histograms_exact"]["latency"]["count"] = 7; })},
       "do not add up"},
      {{ShardPath(1), Spoiled("index.json", 2, [](json& j) { j["shard"]["index"] = 4; })},
       "shard 4/3 does not exist"},
      {{ShardPath(1), dir_->Write("deep.json", std::string(100, '[') + std::string(100, ']'))},
       "nests deeper"},
      {{ShardPath(1), dir_->Write("junk.json", "{\"schema\": \"nope\"}")},
       "not a cable bench report"},
  };
  for (const auto& c : cases) {
    auto m = Merge(c.files);
    EXPECT_EQ(m.exit_code, 2) << c.message << "\n" << m.err << m.out;
    EXPECT_NE(m.err.find(c.message), std::string::npos) << m.err;
  }
  // A merged report is not a shard report.
  const std::string merged = dir_->path() + "/m.json";
  ASSERT_EQ(Merge({ShardPath(1), ShardPath(2), ShardPath(3), "-o", merged}).exit_code, 0);
  auto again = Merge({merged, ShardPath(1)});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("not a shard report"), std::string::npos) << again.err;
}

TEST_F(BenchShard, MergeBoundsTheFilesItReads) {
  const std::string big = dir_->path() + "/big.json";
  {
    std::ofstream f(big);
    f << "{";
  }
  ASSERT_EQ(truncate(big.c_str(), (64 << 20) + 1), 0);
  auto m = Merge({ShardPath(1), big});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("the limit is"), std::string::npos) << m.err;
}

TEST(BenchShardFlags, BadShardsAndStartTimesExitTwoBeforeConnecting) {
  const int port = FreePort();  // nothing listens: only the flags are checked
  for (std::vector<std::string> flags : {std::vector<std::string>{"--shard", "0/3"},
                                         {"--shard", "4/3"},
                                         {"--shard", "junk"},
                                         {"--shard", "auto/3"},
                                         {"--shard", "1/3", "--streams", "2"},
                                         {"--start-at", "2001-01-01T00:00:00Z"},
                                         {"--start-at", "tomorrow"}}) {
    std::vector<std::string> argv = {CableBinary(), "bench", WsUrl(port), "--clients", "6"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    SpawnOptions env;
    env.unset_env = {"JOB_COMPLETION_INDEX"};
    auto r = cable::testing::Run(argv, env);
    EXPECT_EQ(r.exit_code, 2) << flags[1] << ": " << r.err;
    EXPECT_NE(r.err.find(flags[0]), std::string::npos) << r.err;
  }
}

TEST(BenchShardFlags, AutoShardComesFromTheJobCompletionIndex) {
  CableServer server(Benchmark());
  SpawnOptions env;
  env.env["JOB_COMPLETION_INDEX"] = "1";
  auto r = cable::testing::Run({CableBinary(), "bench", "connect", WsUrl(server.port()),
                                "--clients", "9", "--shard", "auto/3", "--json", "--quiet"},
                               env, std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["shard"]["index"], 2);
  EXPECT_EQ(j["connections"]["ready"], 3);
}

}  // namespace
}  // namespace cable::testing
