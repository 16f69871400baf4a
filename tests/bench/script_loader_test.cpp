// `cable bench run` scenario files: what loads (groups, scale, ramps, loops,
// step names and the pairs they form) and how every mistake is reported
// as file:line:column before anything connects.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bench/script/loader.h"
#include "bench/script/stamp.h"

namespace cable::bench::script {
namespace {

Script Load(const std::string& text, int scale = 1) {
  auto r = LoadScriptText("s.yml", text, scale);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? std::move(*r) : Script{};
}

std::string LoadError(const std::string& text) {
  auto r = LoadScriptText("s.yml", text);
  EXPECT_FALSE(r.ok()) << "loaded: " << text;
  return r.ok() ? "" : r.error().message;
}

int MetricOf(const Script& s, const std::string& name) {
  for (size_t i = 0; i < s.metrics.size(); ++i)
    if (s.metrics[i].name == name) return static_cast<int>(i);
  return -1;
}

constexpr const char* kChat = R"(
name: chat
timeout: 2s
vars:
  room: "r-{{run}}"
clients:
  - name: chatters
    count: 3
    ramp: 1s
    steps:
      - connect: {name: connect, query: {user: "{{client}}"}}
      - subscribe: {name: join, channel: Chat, params: {room: "{{room}}"}}
      - wait_all
      - loop:
          count: 4
          every: 100ms
          steps:
            - perform: {name: speak, channel: Chat, params: {room: "{{room}}"}, action: speak, data: {text: "{{stamp}}"}}
      - receive:
          name: "speak → heard by the others"
          channel: Chat
          params: {room: "{{room}}"}
          message: {text: !string}
      - whisper: {name: typing, channel: Chat, params: {room: "{{room}}"}, data: {at: "{{stamp}}"}}
  - name: listeners
    count: 2
    scale: false
    rate: 4
    steps:
      - connect
      - subscribe: {channel: Chat, params: {room: "{{room}}"}}
      - wait_all
      - receive: {name: "speak -> heard by listeners", channel: Chat, params: {room: "{{room}}"}, message: !any}
      - receive: {name: notice, type: notice, count: 2, timeout: 1s}
      - history: {name: replay, channel: Chat, params: {room: "{{room}}"}}
      - sleep: 10ms
      - unsubscribe: {channel: Chat, params: {room: "{{room}}"}}
      - close
)";

TEST(ScriptLoader, LoadsGroupsStepsAndPairs) {
  Script s = Load(kChat, 10);
  EXPECT_EQ(s.name, "chat");
  EXPECT_EQ(s.timeout.count(), 2000);
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].count, 30);  // scaled
  EXPECT_EQ(s.groups[1].count, 2);   // scale: false
  EXPECT_EQ(s.groups[0].ramp.count(), 1000);
  EXPECT_EQ(s.groups[1].ramp.count(), 500);  // 2 clients at 4 per second
  EXPECT_EQ(s.total_clients(), 32);

  const int speak = MetricOf(s, "speak");
  ASSERT_GE(speak, 0);
  const Metric& m = s.metrics[static_cast<size_t>(speak)];
  EXPECT_EQ(m.kind, Metric::Kind::kSend);
  EXPECT_TRUE(m.paired);
  EXPECT_EQ(m.label, "speak → heard by the others; speak -> heard by listeners");
  EXPECT_EQ(m.senders, 30);
  EXPECT_EQ(s.metrics[static_cast<size_t>(MetricOf(s, "typing"))].senders, 30);
  EXPECT_FALSE(s.metrics[static_cast<size_t>(MetricOf(s, "typing"))].paired);
  EXPECT_EQ(s.metrics[static_cast<size_t>(MetricOf(s, "join"))].kind, Metric::Kind::kSubscribe);
  EXPECT_EQ(s.metrics[static_cast<size_t>(MetricOf(s, "notice"))].kind, Metric::Kind::kReceive);
  EXPECT_EQ(s.metrics[static_cast<size_t>(MetricOf(s, "replay"))].kind, Metric::Kind::kHistory);
  // The receive names are labels, not metrics of their own.
  EXPECT_EQ(MetricOf(s, "speak → heard by the others"), -1);

  // Both groups measure speak; the chatters stop sending it after the loop
  // (top-level step 3).
  EXPECT_EQ(s.groups[0].pairs, std::vector<int>{speak});
  EXPECT_EQ(s.groups[1].pairs, std::vector<int>{speak});
  EXPECT_EQ(s.groups[0].last_send_step[static_cast<size_t>(speak)], 3);
  EXPECT_EQ(s.groups[1].last_send_step[static_cast<size_t>(speak)], -1);

  const auto& loop = std::get<LoopSpec>(s.groups[0].steps[3].action);
  EXPECT_EQ(loop.count, 4);
  EXPECT_EQ(loop.every.count(), 100);
  EXPECT_TRUE(loop.steps[0].stamps);
  const auto& notice = std::get<ReceiveSpec>(s.groups[1].steps[4].action);
  EXPECT_EQ(notice.count, 2);
  EXPECT_EQ(notice.pair, -1);
  EXPECT_EQ(notice.timeout->count(), 1000);
}

TEST(ScriptLoader, ShippedScenariosLoad) {
  for (const char* file : {"scenarios/bench/chat.yml", "scenarios/bench/turbo.yml"}) {
    auto r = LoadScript(std::string(CABLE_SOURCE_DIR) + "/" + file, 3);
    ASSERT_TRUE(r.ok()) << file << ": " << r.error().message;
    EXPECT_FALSE(r->metrics.empty()) << file;
  }
}

// A mistake in line 12 of a copy of chat.yml is reported at chat.yml:12.
TEST(ScriptLoader, AMistakeInACopyOfChatIsReportedAtItsLine) {
  std::ifstream in(std::string(CABLE_SOURCE_DIR) + "/scenarios/bench/chat.yml");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GT(lines.size(), 20u);
  // Line 12 is the scenario's name; a mapping there is not a name.
  ASSERT_EQ(lines[11].rfind("name:", 0), 0u) << lines[11];
  lines[11] = "name: {oops: 1}";
  const std::string copy = ::testing::TempDir() + "chat.yml";
  {
    std::ofstream out(copy);
    for (const auto& l : lines) out << l << "\n";
  }
  auto r = LoadScript(copy);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(copy + ":12:", 0), 0u) << r.error().message;
}

struct Mistake {
  const char* yaml;
  const char* where;  // "s.yml:L:C"
  const char* says;
};

TEST(ScriptLoader, EveryMistakeHasItsPosition) {
  const Mistake cases[] = {
      {"clients:\n  - steps:\n      - conect\n", "s.yml:3:9", "did you mean \"connect\""},
      {"clients:\n  - steps:\n      - expect_close\n", "s.yml:3:9",
       "`expect_close` is not a cable bench run step"},
      {"clients:\n  - steps:\n      - connect: {status: 401}\n", "s.yml:3:27",
       "status is not supported"},
      {"clients:\n  - steps:\n      - connect: {qurey: {a: 1}}\n", "s.yml:3:19", "qurey"},
      {"clients:\n  - steps:\n      - sleep: 1s\n      - receive: {name: \"talk → x\", type: "
       "t}\n",
       "s.yml:4:25", "no perform, whisper or broadcast step has that name"},
      {"clients:\n  - steps:\n      - perform: {name: speak, channel: C, action: a, data: {t: "
       "x}}\n      - receive: {name: \"speak → x\", type: t}\n",
       "s.yml:3:9", "needs {{stamp}}"},
      {"clients:\n  - steps:\n      - perform: {channel: C, action: a, data: {t: "
       "\"{{stamp}}\"}}\n",
       "s.yml:3:9", "add `name:`"},
      {"clients:\n  - steps:\n      - subscribe: {channel: \"{{stamp}}\"}\n", "s.yml:3:9",
       "{{stamp}} belongs in the data"},
      {"clients:\n  - steps:\n      - perform: {name: p, channel: \"{{nope}}\", action: a}\n",
       "s.yml:3:9", "{{nope}} is not defined"},
      {"clients:\n  - steps:\n      - loop: {count: 2, steps: [{perform: {name: s, channel: C, "
       "action: a, data: {t: \"{{stamp}}\"}}}, {receive: {name: \"s → x\", type: t}}]}\n",
       "s.yml:3:9", "put it after the loop"},
      {"clients:\n  - steps:\n      - loop: {steps: [sleep: 1s]}\n", "s.yml:3:9",
       "loop needs count, duration or both"},
      {"clients:\n  - count: 0\n    steps: [connect]\n", "s.yml:2:12", ""},
      {"clients:\n  - ramp: 1s\n    rate: 5\n    steps: [connect]\n", "s.yml:3:11",
       "either ramp or rate"},
      {"clients:\n  - steps:\n      - receive: {name: \"a b\", type: t}\n", "s.yml:3:25",
       "letters, digits"},
      {"clients:\n  - steps:\n      - sleep: {name: x}\n", "s.yml:3:23", ""},
      {"clients:\n  - steps:\n      - connect: {name: c}\n      - subscribe: {name: c, channel: "
       "C}\n",
       "s.yml:4:27", "already used by the connect step at s.yml:3:9"},
      {"clients:\n  - steps:\n      - receive: {messages: [{type: a}]}\n", "s.yml:3:29",
       "messages is not supported"},
      {"vars:\n  run: 1\nsteps: [connect]\n", "s.yml:2:3", "built in"},
      {"name: x\nclients:\n  - name: a\n    steps: [connect]\n  - name: a\n    steps: "
       "[connect]\n",
       "s.yml:5:5", "used twice"},
      {"steps:\n  - subscribe: {channel: C, expect: reject}\n", "s.yml:2:37", "expect: reject"},
      {"steps:\n  - history: {channel: C, since: 1}\n", "s.yml:2:27", "since"},
  };
  for (const auto& c : cases) {
    const std::string message = LoadError(c.yaml);
    EXPECT_EQ(message.rfind(std::string(c.where) + ": ", 0), 0u) << c.yaml << "\n-> " << message;
    EXPECT_NE(message.find(c.says), std::string::npos) << c.yaml << "\n-> " << message;
  }
}

TEST(ScriptLoader, ScaleIsBounded) {
  auto r = LoadScriptText("s.yml", "clients:\n  - count: 100000\n    steps: [connect]\n", 11);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 1000000 clients"), std::string::npos);
}

TEST(Stamp, RoundTripsThroughEscapedText) {
  std::string out = "<p data-x=\\\"";
  AppendStamp(out, Stamp{3, 17, 42, 1234567890123});
  out += "\\\"> ~c not a stamp ~c1.2~";
  Stamp s;
  ASSERT_TRUE(FindStamp(out, &s));
  EXPECT_EQ(s.metric, 3);
  EXPECT_EQ(s.client, 17);
  EXPECT_EQ(s.seq, 42);
  EXPECT_EQ(s.ts_ns, 1234567890123);
  EXPECT_FALSE(FindStamp("~c1.2.3~ ~cable-stamp~ ~c99999999999999999999.1.1.1~", &s));
  EXPECT_FALSE(FindStamp(kStampSlot, &s));
}

}  // namespace
}  // namespace cable::bench::script
