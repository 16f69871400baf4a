#include "bench/script/loader.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "common/read_file.h"
#include "conformance/step_loader.h"
#include "conformance/step_values.h"
#include "conformance/yaml_reader.h"

namespace cable::bench::script {
namespace {

using conformance::LoadError;
using conformance::Pattern;
using conformance::TextTemplate;
using conformance::Value;
using conformance::YamlReader;

constexpr int64_t kMaxGroupCount = 100000;
constexpr int64_t kMaxLoopCount = 10'000'000;
constexpr int kMaxLoopDepth = 4;
constexpr int kMaxGroups = 100;
constexpr int kMaxReceiveCount = 100000;

// Steps a load generator cannot run, and why, for the error message.
const std::map<std::string_view, std::string_view>& Unsupported() {
  static const std::map<std::string_view, std::string_view> kWhy = {
      {"send", "raw frames are a conformance concern"},
      {"presence", "presence queries are measured by `cable bench presence`"},
      {"sync", "use wait_all or a receive to wait"},
      {"expect_nothing", "a load run cannot prove an absence"},
      {"expect_close", "a load run does not script server closes"},
      {"http", "the REST API is not a load target here"},
      {"remote_disconnect", "remote disconnects are a conformance concern"},
      {"restart", "the generator does not manage the server"},
      {"drop", "use close"},
  };
  return kWhy;
}

// Keys of conformance steps that only make sense when checking a server.
const std::map<std::string_view, std::vector<std::string_view>>& UnsupportedKeys() {
  static const std::map<std::string_view, std::vector<std::string_view>> kKeys = {
      {"connect", {"status", "subprotocol", "welcome"}},
      {"subscribe", {"presence"}},
      {"broadcast", {"body", "adapter", "key", "expect_error", "repeat"}},
      {"receive", {"messages", "any_order"}},
  };
  return kKeys;
}

bool Measurable(std::string_view keyword) {
  return keyword == "connect" || keyword == "subscribe" || keyword == "history" ||
         keyword == "perform" || keyword == "whisper" || keyword == "broadcast" ||
         keyword == "receive";
}

bool IsSend(std::string_view keyword) {
  return keyword == "perform" || keyword == "whisper" || keyword == "broadcast";
}

// A report key: it appears in threshold paths, so no dots and no spaces.
bool ValidKey(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

// "speak → received by the others" -> "speak" (also "->"); "" without arrow.
std::string PairedSend(std::string_view name) {
  for (std::string_view arrow : {"\u2192", "->"}) {
    if (size_t at = name.find(arrow); at != std::string_view::npos) {
      return Trim(name.substr(0, at));
    }
  }
  return "";
}

// Variables a step uses and captures.
struct Uses {
  std::vector<std::string> used, captured;

  void V(const Value& v) { v.CollectVariables(&used); }
  void T(const TextTemplate& t) {
    for (auto& n : t.variables()) used.push_back(n);
  }
  void P(const Pattern& p) { p.CollectVariables(&used, &captured); }

  // The steps conformance scenarios share (conformance/step_values.h).
  template <typename S>
  void Step(const S& s) {
    conformance::VisitStepValues(*this, s);
  }
  void Step(const HistoryStep& s) {
    V(s.id.value);
    if (s.history) V(*s.history);
  }
  void Step(const ReceiveSpec& s) { P(s.pattern); }
  void Step(const conformance::SleepStep&) {}
  void Step(const conformance::WaitAllStep&) {}
  void Step(const conformance::CloseStep&) {}
  void Step(const LoopSpec&) {}  // the body is walked step by step
};

int StampCount(const std::vector<std::string>& used) {
  return static_cast<int>(std::count(used.begin(), used.end(), "stamp"));
}

// {{stamp}}s in the data of a send step (the only place they may be: an
// identifier or a stream name must stay the same for every message).
int DataStampCount(const ScriptStep& s) {
  Uses u;
  if (auto* p = std::get_if<conformance::PerformStep>(&s.action)) {
    for (const auto& [k, v] : p->data) u.V(v);
    if (p->raw_data) u.V(*p->raw_data);
  } else if (auto* w = std::get_if<conformance::WhisperStep>(&s.action)) {
    u.V(w->data);
  } else if (auto* b = std::get_if<conformance::BroadcastStep>(&s.action)) {
    for (const auto& p : b->publications) u.V(p.data);
  }
  return StampCount(u.used);
}

template <typename F>
void ForEachStep(std::vector<ScriptStep>& steps, const F& fn) {
  for (auto& s : steps) {
    fn(s);
    if (auto* loop = std::get_if<LoopSpec>(&s.action)) ForEachStep(loop->steps, fn);
  }
}

template <typename F>
void ForEachStep(const std::vector<ScriptStep>& steps, const F& fn) {
  for (const auto& s : steps) {
    fn(s);
    if (const auto* loop = std::get_if<LoopSpec>(&s.action)) ForEachStep(loop->steps, fn);
  }
}

class ScriptLoader {
 public:
  explicit ScriptLoader(const std::string& file) : r_(file) {}
  const YamlReader& reader() const { return r_; }

  Script Document(const YAML::Node& root, int scale) {
    if (r_.IsNull(root)) r_.Fail(root, "empty scenario file; expected a mapping with clients");
    if (!root.IsMap()) r_.Expected(root, "a mapping with name, vars, timeout and clients");
    r_.CheckMap(root, "the top level", {"name", "timeout", "vars", "clients", "steps"});
    s_.file = r_.file();
    s_.scale = scale;
    s_.name = root["name"] ? r_.String(root["name"], "a scenario name")
                           : std::filesystem::path(r_.file()).stem().string();
    if (root["timeout"]) s_.timeout = r_.Duration(root["timeout"]);
    if (root["vars"]) Vars(root["vars"]);
    if (root["clients"] && root["steps"])
      r_.Fail(root["steps"], "give either clients (groups) or steps (one client)");
    if (root["steps"]) {
      Group g;
      g.name = "client";
      g.pos = r_.Pos(root["steps"]);
      g.steps = Steps(root["steps"], 0);
      s_.groups.push_back(std::move(g));
    } else if (root["clients"]) {
      const YAML::Node list = root["clients"];
      if (!list.IsSequence() || list.size() == 0) r_.Expected(list, "a non-empty list of groups");
      if (list.size() > kMaxGroups) r_.Fail(list, "more than 100 client groups");
      int index = 0;
      for (const auto& item : list) s_.groups.push_back(GroupOf(item, ++index, list.size()));
    } else {
      r_.Fail(root, "a scenario needs clients (groups of clients) or steps (one client)");
    }
    std::set<std::string> names;
    for (const auto& g : s_.groups) {
      if (!names.insert(g.name).second)
        throw LoadError{g.pos.str() + ": group name \"" + g.name + "\" is used twice"};
    }
    int64_t total = 0;
    for (auto& g : s_.groups) {
      if (g.scaled)
        g.count = static_cast<int>(
            std::min<int64_t>(static_cast<int64_t>(g.count) * scale, kMaxScriptClients + 1));
      total += g.count;
      if (total > kMaxScriptClients)
        throw LoadError{g.pos.str() + ": more than 1000000 clients with --scale " +
                        std::to_string(scale)};
    }
    ResolvePairs();
    for (auto& g : s_.groups) Plan(g);
    return std::move(s_);
  }

 private:
  void Vars(const YAML::Node& vars) {
    if (!vars.IsMap()) r_.Expected(vars, "a mapping of variable names to values");
    for (auto it = vars.begin(); it != vars.end(); ++it) {
      std::string name = r_.String(it->first, "a variable name");
      std::string error;
      if (!TextTemplate::Parse("{{" + name + "}}", &error) || name.find('|') != std::string::npos)
        r_.Fail(it->first, "bad variable name \"" + name.substr(0, 128) +
                               "\" (expected letters, digits, _ . -)");
      for (auto b : ScriptVariables()) {
        if (name == b) r_.Fail(it->first, "{{" + name + "}} is built in; choose another name");
      }
      s_.vars.emplace_back(name, r_.ReadValue(it->second));
    }
  }

  Group GroupOf(const YAML::Node& n, int index, size_t total) {
    r_.CheckMap(n, "a client group", {"name", "count", "scale", "start", "ramp", "rate", "steps"});
    Group g;
    g.pos = r_.Pos(n);
    g.name = n["name"] ? r_.String(n["name"], "a group name")
                       : (total == 1 ? "client" : "group" + std::to_string(index));
    if (!ValidKey(g.name))
      r_.Expected(n["name"] ? n["name"] : n, "a group name of letters, digits, _ and -");
    if (n["count"]) g.count = static_cast<int>(r_.Int(n["count"], 1, kMaxGroupCount));
    if (n["scale"]) g.scaled = r_.Bool(n["scale"]);
    if (n["start"]) g.start = r_.Duration(n["start"], std::chrono::hours(1));
    if (n["ramp"] && n["rate"]) r_.Fail(n["rate"], "give either ramp or rate, not both");
    if (n["ramp"]) g.ramp = r_.Duration(n["ramp"], std::chrono::hours(1));
    if (!n["steps"]) r_.Fail(n, "a group needs steps");
    g.steps = Steps(n["steps"], 0);
    if (g.steps.empty()) r_.Expected(n["steps"], "at least one step");
    if (n["rate"]) {
      // Starts per second: the ramp follows from the (scaled) count.
      const YAML::Node rate = n["rate"];
      double per_s = 0;
      try {
        per_s = std::stod(r_.String(rate, "starts per second"));
      } catch (...) {
        r_.Expected(rate, "a number of client starts per second");
      }
      if (!(per_s > 0) || per_s > 1e6) r_.Expected(rate, "a rate above 0 and at most 1000000");
      g.ramp = Millis(-1);
      pending_rates_.push_back({s_.groups.size(), per_s});
    }
    Check(g);
    return g;
  }

  std::vector<ScriptStep> Steps(const YAML::Node& node, int depth) {
    if (!node.IsSequence()) r_.Expected(node, "a list of steps");
    std::vector<ScriptStep> out;
    for (const auto& item : node) out.push_back(Step(item, depth));
    return out;
  }

  ScriptStep Step(const YAML::Node& item, int depth) {
    // yaml-cpp's Node assignment writes through to the node already held,
    // so every handle here is bound once.
    const bool bare = item.IsScalar();
    if (!bare && !(item.IsMap() && item.size() == 1)) {
      // The conformance reader words every other shape the same way.
      (void)conformance::ReadStep(r_, item, depth);
      r_.Expected(item, "a step such as `- receive: {...}`");
    }
    const YAML::Node key_node = bare ? item : item.begin()->first;
    YAML::Node args = bare ? YAML::Node() : item.begin()->second;
    const std::string keyword = r_.String(key_node, bare ? "a step" : "a step name");
    const auto& keywords = ScriptStepKeywords();
    if (std::find(keywords.begin(), keywords.end(), keyword) == keywords.end()) {
      if (auto why = Unsupported().find(keyword); why != Unsupported().end()) {
        r_.Fail(key_node, "`" + keyword + "` is not a cable bench run step (" +
                              std::string(why->second) + ")");
      }
      std::string list;
      for (auto k : keywords) list += (list.empty() ? "" : ", ") + std::string(k);
      r_.Fail(key_node, "unknown step \"" + keyword.substr(0, 64) + "\"" +
                            yaml::DidYouMean(keyword, keywords) + "; expected one of " + list);
    }
    ScriptStep step;
    step.keyword = keyword;
    step.pos = r_.Pos(item);
    step.id = s_.step_count++;
    const bool has_args = args && args.IsMap();
    if (has_args) {
      if (auto bad = UnsupportedKeys().find(keyword); bad != UnsupportedKeys().end()) {
        for (auto k : bad->second) {
          if (args[std::string(k)])
            r_.Fail(args[std::string(k)], std::string(k) + " is not supported by cable bench run");
        }
      }
    }
    // The bench's own keys are taken out before the conformance reader
    // checks the rest.
    std::string name;
    YAML::Node name_node;
    int count = 0;
    if (has_args && args["name"]) {
      name_node = args["name"];
      if (!Measurable(keyword))
        r_.Fail(name_node,
                "only connect, subscribe, history, perform, whisper, broadcast and "
                "receive steps are named (a name makes a report metric)");
      name = r_.String(name_node, "a step name");
      args.remove("name");
    }
    if (has_args && keyword == "receive" && args["count"]) {
      count = static_cast<int>(r_.Int(args["count"], 1, kMaxReceiveCount));
      count_nodes_[step.id] = args["count"];
      args.remove("count");
    }

    if (keyword == "loop") {
      step.action = Loop(args, item, depth);
    } else if (keyword == "history") {
      step.action = History(args, item);
    } else {
      conformance::Step parsed = conformance::ReadStep(r_, item, depth);
      std::visit([&](auto& a) { Adopt(step, std::move(a), args); }, parsed.action);
    }
    if (auto* rec = std::get_if<ReceiveSpec>(&step.action); rec && count > 0) rec->count = count;
    step.stamps = DataStampCount(step) > 0;
    if (!name.empty()) Name(step, name, name_node);
    if (step.stamps && step.metric < 0) {
      r_.Fail(item, "{{stamp}} marks the messages of a named step: add `name:` to this " + keyword);
    }
    return step;
  }

  template <typename A>
  void Adopt(ScriptStep& step, A&& action, const YAML::Node& args) {
    using T = std::decay_t<A>;
    if constexpr (std::is_same_v<T, conformance::ReceiveStep>) {
      ReceiveSpec r;
      r.pattern = std::move(action.frames.at(0));
      r.exact = action.exact;
      r.timeout = action.timeout;
      step.action = std::move(r);
    } else if constexpr (std::is_same_v<T, conformance::SubscribeStep>) {
      if (action.expect == conformance::SubscribeStep::Expect::kReject)
        r_.Fail(args["expect"], "expect: reject is not supported by cable bench run");
      step.action = std::move(action);
    } else if constexpr (std::is_same_v<T, conformance::UnsubscribeStep> ||
                         std::is_same_v<T, conformance::ConnectStep> ||
                         std::is_same_v<T, conformance::PerformStep> ||
                         std::is_same_v<T, conformance::WhisperStep> ||
                         std::is_same_v<T, conformance::JoinStep> ||
                         std::is_same_v<T, conformance::LeaveStep> ||
                         std::is_same_v<T, conformance::BroadcastStep> ||
                         std::is_same_v<T, conformance::SleepStep> ||
                         std::is_same_v<T, conformance::WaitAllStep> ||
                         std::is_same_v<T, conformance::CloseStep>) {
      step.action = std::move(action);
    } else {
      // Keywords are filtered before the conformance reader runs.
      throw LoadError{step.pos.str() + ": `" + step.keyword + "` is not a cable bench run step"};
    }
  }

  LoopSpec Loop(const YAML::Node& args, const YAML::Node& at, int depth) {
    if (!args || !args.IsMap()) r_.Expected(at, "a mapping with count (or duration) and steps");
    r_.CheckMap(args, "loop", {"count", "every", "rate", "duration", "steps"});
    if (depth + 1 > kMaxLoopDepth) r_.Fail(at, "loops nest at most 4 deep");
    if (!args["steps"]) r_.Fail(at, "loop needs steps");
    if (!args["count"] && !args["duration"]) r_.Fail(at, "loop needs count, duration or both");
    if (args["every"] && args["rate"]) r_.Fail(args["rate"], "give either every or rate");
    LoopSpec l;
    if (args["count"]) l.count = r_.Int(args["count"], 1, kMaxLoopCount);
    if (args["duration"]) l.duration = r_.Duration(args["duration"], std::chrono::hours(24));
    if (args["every"]) l.every = r_.Duration(args["every"], std::chrono::hours(1));
    if (args["rate"]) {
      double per_s = 0;
      try {
        per_s = std::stod(r_.String(args["rate"], "iterations per second"));
      } catch (...) {
        r_.Expected(args["rate"], "a number of iterations per second");
      }
      if (!(per_s > 0) || per_s > 1e6)
        r_.Expected(args["rate"], "a rate above 0 and at most 1000000 per second");
      l.every = std::chrono::duration_cast<Millis>(std::chrono::duration<double>(1.0 / per_s));
      if (l.every.count() == 0) l.every = Millis(1);
    }
    l.steps = Steps(args["steps"], depth + 1);
    if (l.steps.empty()) r_.Expected(args["steps"], "at least one step");
    return l;
  }

  HistoryStep History(const YAML::Node& args, const YAML::Node& at) {
    if (!args || !args.IsMap()) r_.Expected(at, "a mapping with channel (or identifier)");
    r_.CheckMap(args, "history", {"channel", "params", "identifier", "history", "timeout"});
    // The identifier keys and `history` read exactly as subscribe's do.
    YAML::Node as_subscribe(YAML::NodeType::Map);
    as_subscribe["subscribe"] = args;
    conformance::Step parsed = conformance::ReadStep(r_, as_subscribe);
    auto& sub = std::get<conformance::SubscribeStep>(parsed.action);
    return HistoryStep{std::move(sub.id), std::move(sub.history), sub.timeout};
  }

  void Name(ScriptStep& step, const std::string& name, const YAML::Node& at) {
    Metric m;
    m.keyword = step.keyword;
    m.pos = step.pos;
    m.name = name;
    if (step.keyword == "receive") {
      if (std::string send = PairedSend(name); !send.empty()) {
        if (count_nodes_.count(step.id))
          r_.Fail(count_nodes_[step.id],
                  "a measured receive expects every message the other clients send; drop count");
        pending_pairs_[step.id] = {send, name, r_.Pos(at)};
        return;
      }
    }
    if (!ValidKey(name)) {
      r_.Expected(at, std::string("a step name of letters, digits, _ and -") +
                          (step.keyword == "receive"
                               ? " (or \"<send step> \u2192 what it measures\" to measure a send)"
                               : ""));
    }
    m.kind = step.keyword == "connect"     ? Metric::Kind::kConnect
             : step.keyword == "subscribe" ? Metric::Kind::kSubscribe
             : step.keyword == "history"   ? Metric::Kind::kHistory
             : step.keyword == "receive"   ? Metric::Kind::kReceive
                                           : Metric::Kind::kSend;
    for (size_t i = 0; i < s_.metrics.size(); ++i) {
      const Metric& other = s_.metrics[i];
      if (other.name != name) continue;
      if (other.keyword != step.keyword)
        r_.Fail(at, "name \"" + name + "\" is already used by the " + other.keyword + " step at " +
                        other.pos.str());
      step.metric = static_cast<int>(i);
      return;
    }
    step.metric = static_cast<int>(s_.metrics.size());
    s_.metrics.push_back(std::move(m));
  }

  // Receives named "<send> → ..." measure that send; sends are known once
  // every group is read.
  void ResolvePairs() {
    std::vector<ScriptStep*> receives;
    for (auto& g : s_.groups) {
      ForEachStep(g.steps, [&](ScriptStep& s) {
        if (pending_pairs_.count(s.id)) receives.push_back(&s);
      });
    }
    for (ScriptStep* step : receives) {
      const PendingPair& p = pending_pairs_[step->id];
      int found = -1;
      std::vector<std::string> sends;
      for (size_t i = 0; i < s_.metrics.size(); ++i) {
        if (s_.metrics[i].kind != Metric::Kind::kSend) continue;
        sends.push_back(s_.metrics[i].name);
        if (s_.metrics[i].name == p.send) found = static_cast<int>(i);
      }
      if (found < 0) {
        r_.FailAt(p.pos, "receive \"" + p.label + "\" measures \"" + p.send +
                             "\", but no perform, whisper or broadcast step has that name" +
                             yaml::DidYouMean(p.send, sends));
      }
      Metric& m = s_.metrics[static_cast<size_t>(found)];
      if (!m.paired) {
        m.paired = true;
        m.label = p.label;
      } else if (m.label.find(p.label) == std::string::npos) {
        m.label += "; " + p.label;
      }
      step->metric = found;
      std::get<ReceiveSpec>(step->action).pair = found;
    }
    // A measured send must say where its stamp goes.
    for (auto& g : s_.groups) {
      ForEachStep(g.steps, [&](const ScriptStep& s) {
        if (s.metric < 0 || !IsSend(s.keyword)) return;
        const Metric& m = s_.metrics[static_cast<size_t>(s.metric)];
        if (m.paired && !s.stamps) {
          r_.FailAt(s.pos, "\"" + m.name + "\" is measured by the receive \"" + m.label +
                               "\", so its data needs {{stamp}} (the send time receivers "
                               "measure from)");
        }
      });
    }
  }

  // Per-group tables the run needs: receipt slots, the step after which a
  // client sends a metric no more, and the senders of each metric.
  void Plan(Group& g) {
    for (auto& [index, per_s] : pending_rates_) {
      if (&s_.groups[index] != &g) continue;
      g.ramp = std::chrono::duration_cast<Millis>(
          std::chrono::duration<double>(static_cast<double>(g.count) / per_s));
    }
    if (g.ramp.count() < 0) g.ramp = Millis(0);
    g.slot_of_metric.assign(s_.metrics.size(), -1);
    g.last_send_step.assign(s_.metrics.size(), -1);
    ForEachStep(g.steps, [&](ScriptStep& s) {
      auto* rec = std::get_if<ReceiveSpec>(&s.action);
      if (!rec || rec->pair < 0) return;
      int& slot = g.slot_of_metric[static_cast<size_t>(rec->pair)];
      if (slot < 0) {
        slot = static_cast<int>(g.pairs.size());
        g.pairs.push_back(rec->pair);
      }
      rec->slot = slot;
    });
    for (size_t i = 0; i < g.steps.size(); ++i) {
      std::vector<int> sends, receives;
      auto collect = [&](const ScriptStep& s) {
        if (s.metric >= 0 && IsSend(s.keyword)) sends.push_back(s.metric);
        if (const auto* rec = std::get_if<ReceiveSpec>(&s.action); rec && rec->pair >= 0)
          receives.push_back(rec->pair);
      };
      collect(g.steps[i]);
      if (const auto* loop = std::get_if<LoopSpec>(&g.steps[i].action)) {
        ForEachStep(loop->steps, collect);
        for (int m : receives) {
          if (std::find(sends.begin(), sends.end(), m) == sends.end()) continue;
          r_.FailAt(g.steps[i].pos,
                    "this loop both sends \"" + s_.metrics[static_cast<size_t>(m)].name +
                        "\" and waits to receive it: a measured receive waits until every "
                        "client has sent its last one, so put it after the loop");
        }
      }
      for (int m : sends) g.last_send_step[static_cast<size_t>(m)] = static_cast<int>(i);
    }
    for (size_t m = 0; m < s_.metrics.size(); ++m) {
      if (g.last_send_step[m] >= 0) s_.metrics[m].senders += g.count;
    }
  }

  // Every variable a step uses is built in, a var, or captured by some step
  // of the same group (captures belong to the client that made them).
  void Check(const Group& g) {
    std::set<std::string> defined;
    for (auto b : ScriptVariables()) defined.insert(std::string(b));
    for (const auto& [k, v] : s_.vars) defined.insert(k);
    ForEachStep(g.steps, [&](const ScriptStep& s) {
      Uses u;
      std::visit([&](const auto& a) { u.Step(a); }, s.action);
      for (auto& c : u.captured) defined.insert(c);
    });
    Uses vars;
    for (const auto& [k, v] : s_.vars) vars.V(v);
    for (const auto& name : vars.used) {
      if (name == "stamp")
        throw LoadError{g.pos.str() +
                        ": {{stamp}} belongs in the data of a send step, not in vars"};
    }
    ForEachStep(g.steps, [&](const ScriptStep& s) {
      Uses u;
      std::visit([&](const auto& a) { u.Step(a); }, s.action);
      for (const auto& name : u.used) {
        if (name == "stamp" && !IsSend(s.keyword)) {
          r_.FailAt(s.pos, "{{stamp}} belongs in the data of perform, whisper or broadcast");
        }
        if (!defined.count(name)) {
          r_.FailAt(s.pos, "{{" + name +
                               "}} is not defined (vars, a !capture in this group, or a built-in: "
                               "run, client, index, group, group_index, target_host, "
                               "target_port, target_path, stamp)");
        }
      }
      const int stamps = StampCount(u.used);
      if (stamps > 0 && !IsSend(s.keyword))
        r_.FailAt(s.pos, "{{stamp}} belongs in the data of perform, whisper or broadcast");
      if (stamps > DataStampCount(s))
        r_.FailAt(s.pos, "{{stamp}} belongs in the data, not the identifier or stream");
    });
  }

  struct PendingPair {
    std::string send, label;
    Position pos;
  };

  YamlReader r_;
  Script s_;
  std::map<int, PendingPair> pending_pairs_;  // by step id
  std::vector<std::pair<size_t, double>> pending_rates_;
  std::map<int, YAML::Node> count_nodes_;
};

}  // namespace

const std::vector<std::string_view>& ScriptVariables() {
  static const std::vector<std::string_view> kNames = {"run",         "client",      "index",
                                                       "group",       "group_index", "target_host",
                                                       "target_port", "target_path", "stamp"};
  return kNames;
}

const std::vector<std::string_view>& ScriptStepKeywords() {
  static const std::vector<std::string_view> kKeywords = {
      "connect", "subscribe", "unsubscribe", "perform", "whisper",  "join",  "leave",
      "history", "broadcast", "receive",     "sleep",   "wait_all", "close", "loop"};
  return kKeywords;
}

Result<Script> LoadScriptText(const std::string& file, std::string_view text, int scale) {
  if (text.size() > kMaxScriptFileBytes) return Error{"too_large", file + ": larger than 1 MiB"};
  if (scale < 1) return Error{"usage", "--scale must be at least 1"};
  ScriptLoader loader(file);
  YAML::Node root;
  try {
    root = loader.reader().Parse(std::string(text));
  } catch (const LoadError& e) {
    return Error{"yaml", e.message};
  }
  try {
    return loader.Document(root, scale);
  } catch (const LoadError& e) {
    return Error{"load", e.message};
  } catch (const YAML::Exception& e) {
    return Error{"yaml", loader.reader().Message(e)};
  }
}

Result<Script> LoadScript(const std::string& path, int scale) {
  auto text = ReadFile(path, kMaxScriptFileBytes);
  if (!text.ok()) return text.error();
  return LoadScriptText(path, *text, scale);
}

}  // namespace cable::bench::script
