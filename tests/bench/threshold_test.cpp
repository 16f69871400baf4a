// --threshold expressions: paths, aliases, operators and units, checked
// against the report's layout; evaluation against a report document.

#include "bench/threshold.h"

#include <gtest/gtest.h>

namespace cable::bench {
namespace {

Threshold Parse(const std::string& text) {
  auto t = ParseThreshold(text);
  EXPECT_TRUE(t.ok()) << text << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : Threshold{};
}

std::string Mistake(const std::string& text) {
  auto t = ParseThreshold(text);
  EXPECT_FALSE(t.ok()) << text << " was accepted as " << (t.ok() ? t->path : "");
  return t.ok() ? "" : t.error().message;
}

TEST(Threshold, EveryJsonPathWorksAsWritten) {
  EXPECT_EQ(Parse("latency_us.p99<50000").path, "latency_us.p99");
  EXPECT_EQ(Parse("messages.received_per_s>20000").path, "messages.received_per_s");
  EXPECT_EQ(Parse("connections.failed==0").path, "connections.failed");
  EXPECT_EQ(Parse("server.before.rss_kb<100000").path, "server.before.rss_kb");
  EXPECT_EQ(Parse("generator.max_thread_cpu_pct<80").path, "generator.max_thread_cpu_pct");
  EXPECT_EQ(Parse("presence.join_us.p50<1000").path, "presence.join_us.p50");
  EXPECT_EQ(Parse("connections.failures.refused==0").path, "connections.failures.refused");
}

TEST(Threshold, ShortFormsResolveToTheirJsonPath) {
  EXPECT_EQ(Parse("latency.p99<50ms").path, "latency_us.p99");
  EXPECT_EQ(Parse("connect.rate_per_s>=5000").path, "connections.rate_per_s");
  EXPECT_EQ(Parse("connect.ready.p99<1s").path, "connections.ready_us.p99");
  EXPECT_EQ(Parse("connect.ready>=100").path, "connections.ready");
  EXPECT_EQ(Parse("missing==0").path, "messages.missing");
  EXPECT_EQ(Parse("failed==0").path, "connections.failed");
  EXPECT_EQ(Parse("p99<20ms").path, "latency_us.p99");
}

TEST(Threshold, UnitsAreConvertedToTheMetricsOwnUnit) {
  EXPECT_DOUBLE_EQ(Parse("latency.p99<50ms").limit, 50000);
  EXPECT_DOUBLE_EQ(Parse("latency.p99<2s").limit, 2e6);
  EXPECT_DOUBLE_EQ(Parse("latency.p99<750us").limit, 750);
  EXPECT_DOUBLE_EQ(Parse("latency.p99<750").limit, 750);  // plain: the metric's unit (µs)
  EXPECT_DOUBLE_EQ(Parse("messages.publish_max_lag_ms<1s").limit, 1000);
  EXPECT_DOUBLE_EQ(Parse("connections.phase_s<500ms").limit, 0.5);
  EXPECT_DOUBLE_EQ(Parse("generator.max_thread_cpu_pct<80%").limit, 80);
  EXPECT_DOUBLE_EQ(Parse("server.max_rss_kb<2MB").limit, 2048);
  EXPECT_DOUBLE_EQ(Parse("server.rss_per_connection_bytes<10KB").limit, 10240);
  EXPECT_DOUBLE_EQ(Parse(" missing == 0 ").limit, 0);
}

TEST(Threshold, OperatorsAreParsed) {
  EXPECT_EQ(Parse("missing<1").op, ThresholdOp::kLess);
  EXPECT_EQ(Parse("missing<=1").op, ThresholdOp::kLessEqual);
  EXPECT_EQ(Parse("missing>1").op, ThresholdOp::kGreater);
  EXPECT_EQ(Parse("missing>=1").op, ThresholdOp::kGreaterEqual);
  EXPECT_EQ(Parse("missing==1").op, ThresholdOp::kEqual);
  EXPECT_EQ(Parse("missing!=1").op, ThresholdOp::kNotEqual);
}

TEST(Threshold, MistakesAreNamedWithTheNearestPath) {
  EXPECT_NE(Mistake("latency.p9999<50ms").find("did you mean 'latency_us.p999'"),
            std::string::npos);
  EXPECT_NE(Mistake("mesages.missing==0").find("did you mean 'messages.missing'"),
            std::string::npos);
  EXPECT_NE(Mistake("missing=0").find("unknown operator '='"), std::string::npos);
  EXPECT_NE(Mistake("missing=<0").find("unknown operator"), std::string::npos);
  EXPECT_NE(Mistake("missing").find("no comparison"), std::string::npos);
  EXPECT_NE(Mistake("missing==").find("expected a number"), std::string::npos);
  EXPECT_NE(Mistake("latency.p99<50 parsecs").find("unknown unit"), std::string::npos);
  EXPECT_NE(Mistake("missing<5ms").find("does not fit messages.missing, which is a count"),
            std::string::npos);
  EXPECT_NE(Mistake("latency.p99<5%").find("which is a time in us"), std::string::npos);
  // A percentile object's count is a count, not a time.
  EXPECT_NE(Mistake("latency.count>5ms").find("a count"), std::string::npos);
  // Objects and strings are not figures.
  Mistake("latency_us<5ms");
  Mistake("scenario==1");
}

Json Report() {
  Json r;
  r["ok"] = true;
  r["exit_code"] = 0;
  r["problems"] = Json::array();
  r["scenario"] = "broadcast";
  r["duration_s"] = 1.5;
  r["latency_us"] = {{"p99", 1234.5}, {"count", 10}};
  r["messages"] = {{"missing", 0}, {"received_per_s", 2000}};
  r["connections"] = {{"failures", Json::object()}};
  r["server"] = {{"pid", nullptr}};
  return r;
}

TEST(Threshold, EvaluationComparesInTheMetricsUnit) {
  auto results = EvaluateThresholds(
      {Parse("latency.p99<2ms"), Parse("latency.p99<1ms"), Parse("latency.p99<=1234.5"),
       Parse("missing==0"), Parse("missing!=0"), Parse("messages.received_per_s>2000"),
       Parse("messages.received_per_s>=2000")},
      Report());
  ASSERT_EQ(results.size(), 7u);
  std::vector<bool> passed;
  for (const auto& r : results) passed.push_back(r.passed);
  EXPECT_EQ(passed, (std::vector<bool>{true, false, true, true, false, false, true}));
  EXPECT_DOUBLE_EQ(results[0].value, 1234.5);
}

TEST(Threshold, AReasonThatNeverOccurredCountsZeroAndAnAbsentFigureFails) {
  auto results = EvaluateThresholds(
      {Parse("connections.failures.refused==0"), Parse("server.max_rss_kb<1GB")}, Report());
  EXPECT_TRUE(results[0].measured);
  EXPECT_TRUE(results[0].passed);
  EXPECT_FALSE(results[1].measured) << "server figures need --server-pid";
  EXPECT_FALSE(results[1].passed);
}

TEST(Threshold, AViolationFailsTheReportAndShowsInEveryFormat) {
  Json report = Report();
  RecordThresholds(EvaluateThresholds({Parse("latency.p99<2ms"), Parse("latency.p99<1ms")}, report),
                   report);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["exit_code"], 1);
  ASSERT_EQ(report["thresholds"].size(), 2u);
  EXPECT_EQ(report["thresholds"][1]["metric"], "latency_us.p99");
  EXPECT_EQ(report["thresholds"][1]["op"], "<");
  EXPECT_DOUBLE_EQ(report["thresholds"][1]["limit"].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(report["thresholds"][1]["value"].get<double>(), 1234.5);
  EXPECT_EQ(report["thresholds"][1]["measured"], "1.2345ms");
  EXPECT_FALSE(report["thresholds"][1]["ok"].get<bool>());
  EXPECT_TRUE(report["thresholds"][0]["ok"].get<bool>());
  ASSERT_EQ(report["problems"].size(), 1u);
  EXPECT_NE(report["problems"][0].get<std::string>().find("latency.p99<1ms"), std::string::npos);

  const std::string table = FormatThresholds(report);
  EXPECT_NE(table.find("latency.p99<2ms"), std::string::npos);
  EXPECT_NE(table.find("pass"), std::string::npos);
  EXPECT_NE(table.find("FAIL"), std::string::npos);

  const std::string junit = ThresholdsJunit(report);
  EXPECT_NE(junit.find("tests=\"2\" failures=\"1\""), std::string::npos) << junit;
  EXPECT_NE(
      junit.find("<testcase classname=\"cable bench broadcast\" name=\"latency.p99&lt;2ms\"/>"),
      std::string::npos)
      << junit;
  EXPECT_NE(junit.find("name=\"latency.p99&lt;1ms\">"), std::string::npos) << junit;
  EXPECT_NE(junit.find("<failure message=\"latency.p99&lt;1ms: measured 1.2345ms"),
            std::string::npos)
      << junit;
}

TEST(Threshold, PassingThresholdsLeaveTheReportAlone) {
  Json report = Report();
  RecordThresholds(EvaluateThresholds({Parse("missing==0")}, report), report);
  EXPECT_TRUE(report["ok"].get<bool>());
  EXPECT_EQ(report["exit_code"], 0);
  EXPECT_TRUE(report["problems"].empty());
  Json none = Report();
  RecordThresholds({}, none);
  EXPECT_TRUE(none["thresholds"].is_array());
  EXPECT_EQ(FormatThresholds(none), "");
}

}  // namespace
}  // namespace cable::bench
