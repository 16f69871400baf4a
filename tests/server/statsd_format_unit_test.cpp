// StatsD lines and packets as anycable-go's client writes them: the three
// tags styles, counters as deltas (unchanged ones left out), and packets
// that never exceed the maximum size nor cut a line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/strings.h"
#include "server/metrics/statsd_format.h"

namespace cable::server {
namespace {

using ::testing::ElementsAre;

StatsdFormat Format(StatsdTagFormat style, MetricTags tags = {{"env", "prod"}, {"dc", "eu"}}) {
  StatsdFormat f;
  f.tag_format = style;
  f.tags = std::move(tags);
  return f;
}

TEST(StatsdFormatUnit, EachTagsStyleAsGoStatsdWritesIt) {
  EXPECT_EQ(StatsdLine(Format(StatsdTagFormat::kDatadog), "clients_num", 3, false),
            "anycable_go.clients_num:3|g|#env:prod,dc:eu");
  EXPECT_EQ(StatsdLine(Format(StatsdTagFormat::kInfluxDb), "rpc_call_total", 2, true),
            "anycable_go.rpc_call_total,env=prod,dc=eu:2|c");
  EXPECT_EQ(StatsdLine(Format(StatsdTagFormat::kGraphite), "rpc_call_total", 2, true),
            "anycable_go.rpc_call_total;env=prod;dc=eu:2|c");
  for (auto style :
       {StatsdTagFormat::kDatadog, StatsdTagFormat::kInfluxDb, StatsdTagFormat::kGraphite}) {
    EXPECT_EQ(StatsdLine(Format(style, {}), "clients_num", 0, false),
              "anycable_go.clients_num:0|g");
  }
  StatsdFormat prefixed = Format(StatsdTagFormat::kDatadog, {});
  prefixed.prefix = "cable.";
  EXPECT_EQ(StatsdLine(prefixed, "server_msg_total", 5, true), "cable.server_msg_total:5|c");
}

TEST(StatsdFormatUnit, TagsFormatNames) {
  StatsdTagFormat f = StatsdTagFormat::kDatadog;
  EXPECT_TRUE(ParseStatsdTagFormat("influxdb", &f));
  EXPECT_EQ(f, StatsdTagFormat::kInfluxDb);
  EXPECT_TRUE(ParseStatsdTagFormat("graphite", &f));
  EXPECT_EQ(f, StatsdTagFormat::kGraphite);
  EXPECT_TRUE(ParseStatsdTagFormat("datadog", &f));
  EXPECT_EQ(f, StatsdTagFormat::kDatadog);
  EXPECT_FALSE(ParseStatsdTagFormat("prometheus", &f));
}

TEST(StatsdFormatUnit, CountersAreDeltasAndUnchangedOnesAreLeftOut) {
  const StatsdFormat f = Format(StatsdTagFormat::kDatadog, {});
  const std::vector<MetricSample> before = {{"clients_num", false, "", 4},
                                            {"rpc_call_total", true, "", 10},
                                            {"rpc_error_total", true, "", 1}};
  const std::vector<MetricSample> after = {{"clients_num", false, "", 2},
                                           {"rpc_call_total", true, "", 13},
                                           {"rpc_error_total", true, "", 1}};
  EXPECT_THAT(StatsdPackets(f, after, before),
              ElementsAre("anycable_go.clients_num:2|g\nanycable_go.rpc_call_total:3|c"));
  // The first flush has nothing before it: totals since the start.
  EXPECT_THAT(StatsdPackets(f, before, {}),
              ElementsAre("anycable_go.clients_num:4|g\nanycable_go.rpc_call_total:10|c\n"
                          "anycable_go.rpc_error_total:1|c"));
}

TEST(StatsdFormatUnit, PacketsStayWithinTheMaximumAndKeepLinesWhole) {
  StatsdFormat f = Format(StatsdTagFormat::kDatadog);
  std::vector<MetricSample> samples;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("metric_number_" + std::to_string(i) + "_num");
  for (const auto& n : names) samples.push_back({n, false, "", 123456});
  size_t longest = 0;
  for (const auto& n : names) longest = std::max(longest, StatsdLine(f, n, 123456, false).size());
  for (size_t max : {longest, longest * 2 + 1, size_t{200}, size_t{1400}}) {
    f.max_packet_size = max;
    const auto packets = StatsdPackets(f, samples, {});
    std::vector<std::string> lines;
    for (const auto& p : packets) {
      EXPECT_LE(p.size(), max);
      EXPECT_NE(p.back(), '\n');
      for (auto& l : SplitList(p, '\n')) lines.push_back(l);
    }
    ASSERT_EQ(lines.size(), names.size()) << max;
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_EQ(lines[i], StatsdLine(f, names[i], 123456, false));
    }
    // Full packets: the next line would not have fitted.
    for (size_t i = 0; i + 1 < packets.size(); ++i) {
      EXPECT_GT(packets[i].size() + 1 + longest, max) << max;
    }
  }
  // A single line longer than the maximum goes alone, whole.
  f.max_packet_size = 10;
  const auto alone =
      StatsdPackets(f, {{"clients_num", false, "", 1}, {"rpc_pending_num", false, "", 2}}, {});
  EXPECT_THAT(alone, ElementsAre(StatsdLine(f, "clients_num", 1, false),
                                 StatsdLine(f, "rpc_pending_num", 2, false)));
}

}  // namespace
}  // namespace cable::server
