// The machine-readable and human-readable reports: the JSON matches the
// schema published in docs/bench.schema.json, the HTML page is
// self-contained and renders, --compare reads both.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bench_support.h"
#include "fake_cable_server.h"

namespace cable::testing {
namespace {

using nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/cable-bench-test-" + std::to_string(getpid()) + "-" +
         name;
}

// The JSON Schema subset the published schema uses: type, enum, minimum,
// required, properties, items and local $ref.
class SchemaChecker {
 public:
  explicit SchemaChecker(json root) : root_(std::move(root)) {}
  std::vector<std::string> Check(const json& value) {
    errors_.clear();
    Visit(root_, value, "$");
    return errors_;
  }

 private:
  static bool HasType(const json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    return false;
  }
  void Visit(const json& schema, const json& v, const std::string& where) {
    if (schema.contains("$ref")) {
      std::string ref = schema["$ref"];  // "#/$defs/name"
      Visit(root_["$defs"][ref.substr(ref.rfind('/') + 1)], v, where);
      return;
    }
    if (schema.contains("type")) {
      bool ok = false;
      if (schema["type"].is_array()) {
        for (const auto& t : schema["type"]) ok = ok || HasType(v, t);
      } else {
        ok = HasType(v, schema["type"]);
      }
      if (!ok) {
        errors_.push_back(where + ": expected " + schema["type"].dump() + ", got " + v.dump());
        return;
      }
    }
    if (schema.contains("enum")) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || e == v;
      if (!found) errors_.push_back(where + ": " + v.dump() + " not in " + schema["enum"].dump());
    }
    if (schema.contains("minimum") && v.is_number() &&
        v.get<double>() < schema["minimum"].get<double>()) {
      errors_.push_back(where + ": " + v.dump() + " below minimum");
    }
    if (v.is_object()) {
      for (const auto& k : schema.value("required", json::array())) {
        if (!v.contains(k.get<std::string>())) errors_.push_back(where + ": missing " + k.dump());
      }
      if (schema.contains("properties")) {
        for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
          if (v.contains(it.key())) Visit(it.value(), v[it.key()], where + "." + it.key());
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i)
        Visit(schema["items"], v[i], where + "[" + std::to_string(i) + "]");
    }
  }
  json root_;
  std::vector<std::string> errors_;
};

class BenchReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fake_ = new FakeCableServer();
    json_path_ = new std::string(TempPath("run.json"));
    html_path_ = new std::string(TempPath("run.html"));
    auto r = RunBench({"broadcast",       WsUrl(fake_->port()),
                       "--clients",       "50",
                       "--count",         "30",
                       "--rate",          "30",
                       "--broadcast-url", BroadcastUrl(fake_->port()),
                       "--settle",        "0.1",
                       "--interval",      "0.2",
                       "--json-file",     *json_path_,
                       "--report",        *html_path_,
                       "--server-pid",    std::to_string(getpid()),
                       "--label",         "report test"});
    run_ = new BenchRun(r);
  }
  static void TearDownTestSuite() {
    std::remove(json_path_->c_str());
    std::remove(html_path_->c_str());
    delete run_;
    delete fake_;
    delete json_path_;
    delete html_path_;
  }
  static FakeCableServer* fake_;
  static BenchRun* run_;
  static std::string* json_path_;
  static std::string* html_path_;
};
FakeCableServer* BenchReport::fake_ = nullptr;
BenchRun* BenchReport::run_ = nullptr;
std::string* BenchReport::json_path_ = nullptr;
std::string* BenchReport::html_path_ = nullptr;

TEST_F(BenchReport, JsonMatchesThePublishedSchema) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  SchemaChecker checker(json::parse(ReadFile(SourcePath("docs/bench.schema.json"))));
  auto errors = checker.Check(run_->report);
  for (const auto& e : errors) ADD_FAILURE() << e;
  // --json-file writes the same document.
  EXPECT_EQ(json::parse(ReadFile(*json_path_)), run_->report);
  EXPECT_GE(run_->report["timeline"].size(), 3u);
  EXPECT_EQ(run_->report["label"], "report test");
}

TEST_F(BenchReport, EveryScenarioMatchesTheSchema) {
  SchemaChecker checker(json::parse(ReadFile(SourcePath("docs/bench.schema.json"))));
  for (std::vector<std::string> args :
       {std::vector<std::string>{"echo", WsUrl(fake_->port()), "--clients", "20", "--count", "50"},
        std::vector<std::string>{"connect", WsUrl(fake_->port()), "--clients", "20", "--hold",
                                 "0.2"},
        std::vector<std::string>{"connect", WsUrl(FreePort()), "--clients", "5"},
        std::vector<std::string>{"broadcast", WsUrl(fake_->port()), "--clients", "20", "--count",
                                 "20", "--rate", "40", "--subprotocol", "actioncable-v1-ext-json",
                                 "--reconnect", "5", "--reconnect-pause", "0.1", "--broadcast-url",
                                 BroadcastUrl(fake_->port()), "--wait", "0.5"},
        std::vector<std::string>{"presence", WsUrl(fake_->port()), "--clients", "20", "--rate",
                                 "1000", "--churn", "5", "--churn-rate", "20", "--churn-pause",
                                 "0.1", "--duration", "0.5", "--wait", "0.5"}}) {
    auto r = RunBench(args);
    ASSERT_FALSE(r.report.is_null()) << r.err;
    for (const auto& e : checker.Check(r.report)) ADD_FAILURE() << args[0] << ": " << e;
  }
}

TEST_F(BenchReport, HtmlIsSelfContained) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  std::string html = ReadFile(*html_path_);
  ASSERT_FALSE(html.empty());
  EXPECT_NE(html.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Latency histogram"), std::string::npos);
  EXPECT_NE(html.find("Latency percentiles over time"), std::string::npos);
  EXPECT_NE(html.find("<rect x="), std::string::npos);     // histogram bars drawn
  EXPECT_NE(html.find("<path d=\"M"), std::string::npos);  // time series drawn
  for (const char* remote : {"src=\"http", "href=\"http", "url(http", "@import", "<link", "<img"}) {
    EXPECT_EQ(html.find(remote), std::string::npos) << remote;
  }
}

TEST_F(BenchReport, HtmlRendersInAHeadlessBrowser) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  std::string browser;
  for (const char* candidate : {"chromium", "chromium-browser", "google-chrome"}) {
    if (cable::testing::Run({"/bin/sh", "-c", std::string("command -v ") + candidate}).exit_code ==
        0) {
      browser = candidate;
      break;
    }
  }
  if (browser.empty()) GTEST_SKIP() << "no chromium on this machine: HTML rendering not checked";
  std::string png = TempPath("shot.png");
  auto r = cable::testing::Run(
      {browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,3000",
       "--screenshot=" + png, "file://" + *html_path_},
      {}, std::chrono::seconds(60));
  struct stat st {};
  ASSERT_EQ(stat(png.c_str(), &st), 0) << r.err;
  std::string bytes = ReadFile(png);
  std::remove(png.c_str());
  ASSERT_GT(bytes.size(), 20000u) << "screenshot looks blank";
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
}

TEST_F(BenchReport, CompareReadsJsonAndHtmlReports) {
  ASSERT_EQ(run_->exit_code, 0) << run_->err;
  auto r = cable::testing::Run({CableBinary(), "bench", "--compare", *json_path_, *html_path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("latency p50 us"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("delivered /s"), std::string::npos);
  auto bad =
      cable::testing::Run({CableBinary(), "bench", "--compare", *json_path_, "/nonexistent.json"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(BenchReport, TableOnStdoutWithoutJson) {
  auto r = cable::testing::Run({CableBinary(), "bench", "echo", WsUrl(fake_->port()), "--clients",
                                "10", "--count", "20", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("echo round trip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Result       OK"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cable::testing
