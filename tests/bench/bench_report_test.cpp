// The machine-readable and human-readable reports: the JSON matches the
// schema published in docs/bench.schema.json, the HTML page is
// self-contained and renders, --compare reads both.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "bench_support.h"
#include "fake_cable_server.h"
#include "support/png_image.h"

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

// The plot frames of the page's charts, top to bottom: each is drawn with
// a 1 px grey stroke, which the browser spreads over one or two rows. All
// frames have one height, so a frame is a grey edge with another one that
// height below it.
struct Frame {
  int top, bottom, left, right;
};
std::vector<Frame> ChartFrames(const PngImage& img) {
  struct Edge {
    int y, x0, x1;
  };
  std::vector<Edge> edges;
  for (int y = 0; y < img.height; ++y) {
    int run = 0, best = 0, start = 0, best_start = 0;
    for (int x = 0; x < img.width; ++x) {
      const Rgb& p = img.at(x, y);
      if (p.r == p.g && p.g == p.b && p.r >= 120 && p.r <= 215) {
        if (run++ == 0) start = x;
        if (run > best) best = run, best_start = start;
      } else {
        run = 0;
      }
    }
    if (best < 300) continue;
    if (!edges.empty() && y - edges.back().y <= 1) {
      edges.back().y = y;  // the same edge's second row
    } else {
      edges.push_back({y, best_start, best_start + best});
    }
  }
  std::vector<Frame> frames;
  if (edges.size() < 2) return frames;
  const int height = edges[1].y - edges[0].y;
  for (size_t i = 0; i < edges.size(); ++i) {
    for (size_t j = i + 1; j < edges.size(); ++j) {
      if (std::abs(edges[j].y - edges[i].y - height) <= 2) {
        frames.push_back({edges[i].y + 1, edges[j].y - 2, edges[i].x0, edges[i].x1});
        break;
      }
    }
  }
  return frames;
}

// Pixels of `hex` inside `f`, below the legend row at the frame's top.
int CountColour(const PngImage& img, const Frame& f, const std::string& hex) {
  const Rgb want = ParseHexColor(hex);
  int n = 0;
  for (int y = f.top + 22; y < f.bottom; ++y) {
    for (int x = f.left; x < f.right; ++x) n += Near(img.at(x, y), want, 24) ? 1 : 0;
  }
  return n;
}

// Opens the page in headless Chromium and looks at the screenshot: the
// latency histogram's bars and the percentile lines must be drawn inside
// their charts. scripts/install-deps installs chromium; without it the test
// fails unless CABLE_BROWSER_OPTIONAL=1 says a browser is not expected.
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
  if (browser.empty()) {
    const char* optional = std::getenv("CABLE_BROWSER_OPTIONAL");
    if (optional && std::string(optional) == "1") {
      GTEST_SKIP() << "no chromium and CABLE_BROWSER_OPTIONAL=1: HTML rendering not checked";
    }
    FAIL() << "no chromium on this machine: run scripts/install-deps (or set "
              "CABLE_BROWSER_OPTIONAL=1 to skip this check)";
  }
  std::string png = TempPath("shot.png");
  auto r = cable::testing::Run(
      {browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
       "--force-device-scale-factor=1", "--window-size=1200,3000", "--screenshot=" + png,
       "file://" + *html_path_},
      {}, std::chrono::seconds(90));
  struct stat st {};
  ASSERT_EQ(stat(png.c_str(), &st), 0) << r.err;
  std::string bytes = ReadFile(png);
  std::remove(png.c_str());
  PngImage img;
  std::string error;
  ASSERT_TRUE(DecodePng(bytes, &img, &error)) << error;
  ASSERT_EQ(img.width, 1200);
  ASSERT_EQ(img.height, 3000);

  // Histogram, latency over time, time to ready, clients and rates, CPU,
  // server RSS (the run has --server-pid).
  std::vector<Frame> frames = ChartFrames(img);
  ASSERT_GE(frames.size(), 2u) << "no chart frames found in the screenshot";
  const Frame& histogram = frames[0];
  const Frame& over_time = frames[1];
  EXPECT_GT(histogram.right - histogram.left, 300);
  EXPECT_GT(over_time.top, histogram.bottom);
  const int bars = CountColour(img, histogram, "#4a78c2");
  EXPECT_GE(bars, 200) << "the latency histogram's bars are missing";
  // p50 is drawn first and max last: both must show. p90 and p99 may be
  // covered where they equal their neighbours.
  const int p50 = CountColour(img, over_time, "#2a7");
  const int max = CountColour(img, over_time, "#c22");
  EXPECT_GE(p50, 20) << "the p50 line is missing (" << frames.size() << " frames)";
  EXPECT_GE(max, 20) << "the max line is missing";
  EXPECT_LT(CountColour(img, histogram, "#2a7"), 20) << "a percentile line in the histogram";
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
