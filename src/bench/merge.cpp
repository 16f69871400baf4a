#include "bench/merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "bench/histogram_json.h"

namespace cable::bench {

namespace {

// Sections every report has as objects; merged field by field below.
constexpr const char* kSections[] = {"config",    "environment", "connections", "messages",
                                     "positions", "reconnect",   "presence",    "histograms",
                                     "generator", "server",      "shard",       "histograms_exact"};

// The settings that make the load: shards of one run agree on all of them.
constexpr const char* kLoadKeys[] = {"clients",
                                     "subprotocol",
                                     "auth",
                                     "subscribe",
                                     "stream_type",
                                     "channel",
                                     "streams",
                                     "connect_rate",
                                     "connect_concurrency",
                                     "connect_timeout_s",
                                     "payload_bytes",
                                     "publish_via",
                                     "publish_batch",
                                     "rate",
                                     "count",
                                     "duration_s",
                                     "burst",
                                     "bursts",
                                     "burst_interval_s",
                                     "concurrent",
                                     "warmup",
                                     "hold_s",
                                     "reconnect",
                                     "reconnect_at_s",
                                     "reconnect_pause_s",
                                     "reconnect_spread_s"};

// The histograms whose exact states a shard report carries, and where
// their percentiles go in the report.
struct HistogramSlot {
  const char* name;
  std::vector<const char*> percentiles;  // path of the percentile object
  const char* buckets;                   // key under "histograms", or null
};
const std::vector<HistogramSlot>& Slots() {
  static const std::vector<HistogramSlot> slots = {
      {"latency", {"latency_us"}, "latency"},
      {"ack_latency", {"ack_latency_us"}, "ack_latency"},
      {"tcp_connect", {"connections", "tcp_connect_us"}, nullptr},
      {"welcome", {"connections", "welcome_us"}, nullptr},
      {"ready", {"connections", "ready_us"}, "ready"},
      {"reconnect_ready", {"reconnect", "ready_us"}, nullptr},
      {"reconnect_recovered", {"reconnect", "recovered_us"}, nullptr},
      {"reconnect_history", {"reconnect", "history_us"}, nullptr},
  };
  return slots;
}

Error Format(const std::string& message) {
  return Error{"format", message};
}
Error Mismatch(const std::string& message) {
  return Error{"mismatch", message};
}

int64_t Int(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].is_number_integer() ? j[key].get<int64_t>()
                                    : static_cast<int64_t>(j[key].get<double>());
}
double Num(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<double>();
}
// Sums of untrusted counts saturate instead of overflowing.
int64_t Add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}
double Round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}

struct Shard {
  const MergeInput* input;
  int index = 0;
  int64_t started_ms = 0;
};

// Sums `keys` of section `name` over the shards into `out`.
void SumInts(const std::vector<Shard>& shards, const char* name,
             std::initializer_list<const char*> keys, Json& out) {
  for (const char* k : keys) {
    int64_t total = 0;
    for (const auto& s : shards) total = Add(total, Int(s.input->report[name], k));
    out[name][k] = total;
  }
}
void SumNums(const std::vector<Shard>& shards, const char* name,
             std::initializer_list<const char*> keys, Json& out) {
  for (const char* k : keys) {
    double total = 0;
    for (const auto& s : shards) total += Num(s.input->report[name], k);
    out[name][k] = Round3(total);
  }
}
void MaxNums(const std::vector<Shard>& shards, const char* name,
             std::initializer_list<const char*> keys, Json& out) {
  for (const char* k : keys) {
    double top = 0;
    for (const auto& s : shards) top = std::max(top, Num(s.input->report[name], k));
    out[name][k] = Round3(top);
  }
}
// {"reason": count} maps (failures, drops) added up.
Json SumReasons(const std::vector<Shard>& shards, const char* section, const char* key) {
  std::map<std::string, int64_t> total;
  for (const auto& s : shards) {
    const Json& sec = s.input->report[section];
    if (!sec.contains(key) || !sec[key].is_object()) continue;
    for (auto it = sec[key].begin(); it != sec[key].end(); ++it) {
      if (it.value().is_number_integer()) {
        total[it.key()] = Add(total[it.key()], it.value().get<int64_t>());
      }
    }
  }
  Json j = Json::object();
  for (auto& [k, v] : total) j[k] = v;
  return j;
}

// What one report must have to merge at all.
Status CheckShape(const MergeInput& in) {
  const Json& r = in.report;
  if (!r.is_object()) return Format(in.name + " is not a JSON object");
  for (const char* s : kSections) {
    if (!r.contains(s) || !r[s].is_object()) {
      if (std::string(s) == "shard" || std::string(s) == "histograms_exact") {
        return Format(in.name +
                      " has no exact histograms (written by a cable bench without --shard "
                      "support?): run the shards with this version");
      }
      return Format(in.name + ": \"" + s + "\" is missing or not an object");
    }
  }
  if (!r.contains("problems") || !r["problems"].is_array() || !r.contains("warnings") ||
      !r["warnings"].is_array()) {
    return Format(in.name + ": \"problems\" and \"warnings\" must be arrays");
  }
  const Json& shard = r["shard"];
  if (!shard.contains("index") || !shard["index"].is_number_integer() || !shard.contains("count") ||
      !shard["count"].is_number_integer()) {
    return Format(in.name + " is not a shard report (\"shard\" has no index; a merged report?)");
  }
  const int64_t i = shard["index"].get<int64_t>(), n = shard["count"].get<int64_t>();
  if (n < 1 || i < 1 || i > n) {
    return Format(fmt::format("{}: shard {}/{} does not exist", in.name, i, n));
  }
  // Key by key: a report rewritten by another tool may order keys
  // differently, and ordered_json compares order too.
  const Json layout = r["histograms_exact"].value("layout", Json());
  bool same_layout = layout.is_object();
  const Json ours = HistogramLayoutJson();
  for (auto it = ours.begin(); same_layout && it != ours.end(); ++it) {
    same_layout = layout.contains(it.key()) && layout[it.key()] == it.value();
  }
  if (!same_layout) {
    return Mismatch(in.name + ": histogram layout " + layout.dump() + " is not this " +
                    "version's " + ours.dump());
  }
  if (!r.value("timeline", Json()).is_array()) {
    return Format(in.name + ": \"timeline\" is not an array");
  }
  return Status::Ok();
}

// Every report against the first: one run, split the same way.
Status CheckSameRun(const std::vector<Shard>& shards, std::vector<std::string>* warnings) {
  const MergeInput& a = *shards[0].input;
  for (size_t i = 1; i < shards.size(); ++i) {
    const MergeInput& b = *shards[i].input;
    if (b.report.value("scenario", Json()) != a.report.value("scenario", Json())) {
      return Mismatch(fmt::format("{} is a {} run, {} a {} run", a.name,
                                  a.report.value("scenario", Json()).dump(), b.name,
                                  b.report.value("scenario", Json()).dump()));
    }
    if (b.report["shard"]["count"] != a.report["shard"]["count"]) {
      return Mismatch(fmt::format("{} is one of {} shards, {} one of {}", a.name,
                                  a.report["shard"]["count"].dump(), b.name,
                                  b.report["shard"]["count"].dump()));
    }
    for (const char* k : kLoadKeys) {
      const Json va = a.report["config"].value(k, Json()), vb = b.report["config"].value(k, Json());
      if (va != vb) {
        return Mismatch(
            fmt::format("{} and {} differ in config.{} ({} vs {}): not shards of one run", a.name,
                        b.name, k, va.dump(), vb.dump()));
      }
    }
    if (shards[i].index == shards[i - 1].index) {
      return Mismatch(fmt::format("{} and {} are both shard {}/{}", shards[i - 1].input->name,
                                  b.name, shards[i].index, a.report["shard"]["count"].dump()));
    }
    if (b.report["config"].value("url", Json()) != a.report["config"].value("url", Json())) {
      warnings->push_back(fmt::format("{} and {} targeted different URLs ({} and {})", a.name,
                                      b.name, a.report["config"].value("url", Json()).dump(),
                                      b.report["config"].value("url", Json()).dump()));
    }
    if (b.report.value("tool", Json()) != a.report.value("tool", Json())) {
      warnings->push_back(fmt::format("{} and {} were written by different versions ({} and {})",
                                      a.name, b.name, a.report.value("tool", Json()).dump(),
                                      b.report.value("tool", Json()).dump()));
    }
    // Relative start times (+10s) differ by the moments the shards were
    // launched; a second apart is still one run.
    const Json& sa = a.report["shard"];
    const Json& sb = b.report["shard"];
    if (sa.value("start_at", Json()).is_null() != sb.value("start_at", Json()).is_null() ||
        std::fabs(static_cast<double>(Int(sa, "start_at_unix_ms")) -
                  static_cast<double>(Int(sb, "start_at_unix_ms"))) > 1000) {
      warnings->push_back(fmt::format(
          "{} and {} began their measured phases at different times (--start-at {} and {})", a.name,
          b.name, sa.value("start_at", Json()).dump(), sb.value("start_at", Json()).dump()));
    }
  }
  return Status::Ok();
}

Json* Path(Json& root, const std::vector<const char*>& path) {
  Json* j = &root;
  for (const char* k : path) j = &(*j)[k];
  return j;
}

Status MergeHistograms(const std::vector<Shard>& shards, Json& out) {
  Json exact;
  exact["layout"] = HistogramLayoutJson();
  for (const auto& slot : Slots()) {
    Histogram merged;
    for (const auto& s : shards) {
      const Json& states = s.input->report["histograms_exact"];
      if (!states.contains(slot.name)) {
        return Format(s.input->name + ": histograms_exact." + slot.name + " is missing");
      }
      auto h = HistogramFromStateJson(states[slot.name],
                                      s.input->name + ": histograms_exact." + slot.name);
      if (!h.ok()) return h.error();
      if (merged.count() > INT64_MAX / 4 - h->count() ||
          merged.sum_ns() > INT64_MAX / 2 - h->sum_ns()) {
        return Format(s.input->name + ": histograms_exact." + slot.name + " is too large to add");
      }
      merged.Merge(*h);
    }
    exact[slot.name] = HistogramStateJson(merged);
    *Path(out, slot.percentiles) = PercentilesJson(Summarize(merged));
    if (slot.buckets) out["histograms"][slot.buckets] = BucketsJson(merged);
  }
  out["histograms_exact"] = exact;
  return Status::Ok();
}

void MergeConnections(const std::vector<Shard>& shards, Json& out) {
  SumInts(shards, "connections", {"target", "started", "ready", "failed", "dropped", "late_starts"},
          out);
  MaxNums(shards, "connections", {"phase_s", "max_start_lag_ms"}, out);
  out["connections"]["failures"] = SumReasons(shards, "connections", "failures");
  out["connections"]["drops"] = SumReasons(shards, "connections", "drops");
  // The shards connect side by side: the rate is everyone's clients over
  // the longest connect phase.
  const double phase = Num(out["connections"], "phase_s");
  out["connections"]["rate_per_s"] =
      phase > 0 ? std::round(static_cast<double>(Int(out["connections"], "ready")) / phase) : 0;
}

void MergeMessages(const std::vector<Shard>& shards, Json& out) {
  SumInts(shards, "messages",
          {"measured_clients", "published", "publish_failed", "publish_requests", "publish_late",
           "expected", "received", "unique", "missing", "duplicates", "unexpected", "out_of_order",
           "acks"},
          out);
  MaxNums(shards, "messages", {"publish_max_lag_ms", "send_phase_s", "phase_s"}, out);
  bool drained = true;
  for (const auto& s : shards)
    drained = drained && s.input->report["messages"].value("drained", true);
  Json& m = out["messages"];
  m["drained"] = drained;
  const double phase = Num(m, "phase_s"), send = Num(m, "send_phase_s");
  m["received_per_s"] = phase > 0 ? std::round(static_cast<double>(Int(m, "unique")) / phase) : 0;
  m["sent_per_s"] = send > 0 ? std::round(static_cast<double>(Int(m, "published")) / send) : 0;

  bool checked = false;
  for (const auto& s : shards)
    checked = checked || s.input->report["positions"].value("checked", false);
  out["positions"]["checked"] = checked;
  SumInts(shards, "positions",
          {"positioned", "unpositioned", "gaps", "skipped", "duplicates", "epoch_changes"}, out);
  SumInts(shards, "reconnect",
          {"clients", "dropped", "restored", "not_restored", "failed", "history_confirmed",
           "history_rejected", "history_unanswered", "replayed", "replay_duplicates", "missed"},
          out);
  out["reconnect"]["failures"] = SumReasons(shards, "reconnect", "failures");
}

void MergeGenerators(const std::vector<Shard>& shards, Json& out) {
  SumInts(shards, "generator", {"threads", "saturated_intervals", "rss_kb"}, out);
  SumNums(shards, "generator",
          {"cpu_s", "cpu_user_s", "cpu_sys_s", "publisher_cpu_s", "connect_cpu_s", "message_cpu_s"},
          out);
  MaxNums(shards, "generator", {"max_thread_cpu_pct"}, out);
  int64_t max_rss = 0;
  bool saturated = false;
  Json threads = Json::array();
  for (const auto& s : shards) {
    const Json& g = s.input->report["generator"];
    max_rss = std::max(max_rss, Int(g, "max_rss_kb"));
    saturated = saturated || g.value("saturated", false);
    if (g.contains("thread_cpu_s") && g["thread_cpu_s"].is_array()) {
      for (const auto& t : g["thread_cpu_s"]) threads.push_back(t);
    }
  }
  Json& g = out["generator"];
  g["max_rss_kb"] = max_rss;
  g["saturated"] = saturated;
  g["thread_cpu_s"] = threads;
  const int64_t unique = Int(out["messages"], "unique");
  g["cpu_us_per_message"] =
      unique > 0 ? Round3(Num(g, "message_cpu_s") / static_cast<double>(unique) * 1e6) : 0;
  out["config"]["threads"] = Int(g, "threads");

  // One server under test, sampled by every shard that was given its pid:
  // the shard that saw it with the most memory (the last to finish
  // connecting) speaks for it, and what a shard divided by its own clients
  // and messages is divided again by the whole run's.
  for (const auto& s : shards) {
    const Json& srv = s.input->report["server"];
    if (!srv.contains("pid") || srv["pid"].is_null()) continue;
    if (!out.contains("server") ||
        Int(srv["connected"], "rss_kb") > Int(out["server"]["connected"], "rss_kb")) {
      out["server"] = srv;
    }
  }
  if (out.contains("server")) {
    Json& srv = out["server"];
    const int64_t conns = Int(out["connections"], "ready") - Int(out["connections"], "dropped");
    for (const char* kind : {"rss", "pss"}) {
      const std::string key = std::string(kind) + "_kb";
      srv[std::string(kind) + "_per_connection_bytes"] =
          conns > 0 ? (Int(srv["connected"], key.c_str()) - Int(srv["before"], key.c_str())) *
                          1024 / conns
                    : 0;
    }
    srv["cpu_us_per_message"] =
        unique > 0 ? Round3(Num(srv, "message_cpu_s") / static_cast<double>(unique) * 1e6) : 0;
  }
  std::set<std::string> hosts;
  std::string host_list;
  int64_t cpus = 0, online = 0;
  for (const auto& s : shards) {
    const Json& env = s.input->report["environment"];
    std::string host = env.value("host", Json("?")).is_string() ? env.value("host", "?") : "?";
    if (hosts.insert(host).second) host_list += (host_list.empty() ? "" : ", ") + host;
    cpus += Int(env, "generator_cpus");
    online += Int(env, "cpus_online");
  }
  out["environment"]["host"] = host_list;
  out["environment"]["generator_cpus"] = cpus;
  out["environment"]["cpus_online"] = online;
}

// Interval rows of every shard, lined up on wall-clock time: row k ends
// k intervals after the earliest start. Levels and rates add up; interval
// percentiles cannot, so the highest shard's is shown.
Json MergeTimelines(const std::vector<Shard>& shards, int64_t t0_ms, double interval_s) {
  const double interval_ms = std::max(100.0, interval_s * 1000);
  std::map<int64_t, std::vector<const Json*>> rows;  // row -> one point per shard
  for (const auto& s : shards) {
    std::map<int64_t, const Json*> mine;
    for (const auto& p : s.input->report["timeline"]) {
      if (!p.is_object()) continue;
      const double at = static_cast<double>(s.started_ms - t0_ms) + Num(p, "t_s") * 1000;
      mine[std::llround(at / interval_ms)] = &p;
    }
    for (auto& [k, p] : mine) rows[k].push_back(p);
  }
  Json tl = Json::array();
  for (const auto& [k, points] : rows) {
    Json row;
    row["t_s"] = Round3(static_cast<double>(k) * interval_ms / 1000);
    row["phase"] = points.front()->value("phase", Json("")).is_string()
                       ? points.front()->value("phase", "")
                       : "";
    for (const char* key : {"connected", "failed", "dropped", "latency_count"}) {
      int64_t v = 0;
      for (const Json* p : points) v = Add(v, Int(*p, key));
      row[key] = v;
    }
    for (const char* key : {"connects_per_s", "sent_per_s", "received_per_s", "gen_cpu_pct"}) {
      double v = 0;
      for (const Json* p : points) v += Num(*p, key);
      row[key] = Round3(v);
    }
    for (const char* key : {"ready_p50_us", "ready_p99_us", "latency_p50_us", "latency_p90_us",
                            "latency_p99_us", "latency_max_us", "gen_max_thread_cpu_pct"}) {
      double v = 0;
      for (const Json* p : points) v = std::max(v, Num(*p, key));
      row[key] = Round3(v);
    }
    Json server_cpu, server_rss;
    for (const Json* p : points) {
      if (p->contains("server_cpu_pct") && (*p)["server_cpu_pct"].is_number()) {
        server_cpu = (*p)["server_cpu_pct"];
        server_rss = p->value("server_rss_kb", Json());
        break;
      }
    }
    row["server_cpu_pct"] = server_cpu;
    row["server_rss_kb"] = server_rss;
    tl.push_back(row);
  }
  return tl;
}

// A shard's problems, minus the failures of the thresholds it ran with:
// thresholds are judged again on the merged report.
std::vector<std::string> OwnProblems(const Json& r) {
  std::set<std::string> threshold_prefixes;
  if (r.contains("thresholds") && r["thresholds"].is_array()) {
    for (const auto& t : r["thresholds"]) {
      if (t.is_object() && t.contains("expression") && t["expression"].is_string()) {
        threshold_prefixes.insert("threshold " + t["expression"].get<std::string>() + " failed:");
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& p : r["problems"]) {
    if (!p.is_string()) continue;
    const std::string text = p.get<std::string>();
    bool from_threshold = false;
    for (const auto& prefix : threshold_prefixes) {
      from_threshold = from_threshold || text.rfind(prefix, 0) == 0;
    }
    if (!from_threshold) out.push_back(text);
  }
  return out;
}

Json ShardSummary(const Shard& s) {
  const Json& r = s.input->report;
  Json j;
  j["index"] = s.index;
  j["file"] = s.input->name;
  j["host"] = r["environment"].value("host", Json());
  j["started_at"] = r.value("started_at", Json());
  j["start_lag_ms"] = r["shard"].value("start_lag_ms", Json(0));
  j["ok"] = OwnProblems(r).empty();
  j["clients"] = Int(r["connections"], "target");
  j["ready"] = Int(r["connections"], "ready");
  j["published"] = Int(r["messages"], "published");
  j["unique"] = Int(r["messages"], "unique");
  j["missing"] = Int(r["messages"], "missing");
  j["duplicates"] = Int(r["messages"], "duplicates");
  j["latency_p99_us"] = r.value("latency_us", Json::object()).value("p99", Json(0));
  j["generator_cpu_s"] = r["generator"].value("cpu_s", Json(0));
  return j;
}

Result<Merged> Merge(const std::vector<MergeInput>& inputs) {
  if (inputs.empty()) return Format("no reports to merge");
  Merged result;
  std::vector<Shard> shards;
  for (const auto& in : inputs) {
    if (auto st = CheckShape(in); !st.ok()) return st.error();
    Shard s;
    s.input = &in;
    s.index = static_cast<int>(in.report["shard"]["index"].get<int64_t>());
    s.started_ms = Int(in.report["shard"], "started_unix_ms");
    shards.push_back(s);
  }
  std::stable_sort(shards.begin(), shards.end(),
                   [](const Shard& a, const Shard& b) { return a.index < b.index; });
  if (auto st = CheckSameRun(shards, &result.warnings); !st.ok()) return st.error();
  const int count = static_cast<int>(shards[0].input->report["shard"]["count"].get<int64_t>());
  std::vector<int> missing;
  for (int i = 1, at = 0; i <= count; ++i) {
    if (at < static_cast<int>(shards.size()) && shards[static_cast<size_t>(at)].index == i) {
      ++at;
    } else {
      missing.push_back(i);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 20; ++i) {
      list += (i ? ", " : "") + std::to_string(missing[i]);
    }
    if (missing.size() > 20) list += ", …";
    result.warnings.push_back(
        fmt::format("{} of {} shards missing ({}): the merged figures cover only the shards given",
                    missing.size(), count, list));
  }

  const Json& first = shards[0].input->report;
  Json out = first;
  out.erase("thresholds");
  int64_t t0_ms = INT64_MAX, end_ms = 0;
  const Shard* earliest = &shards[0];
  double lag_ms = 0;
  for (const auto& s : shards) {
    if (s.started_ms < t0_ms) {
      t0_ms = s.started_ms;
      earliest = &s;
    }
    end_ms = std::max(
        end_ms, s.started_ms + static_cast<int64_t>(Num(s.input->report, "duration_s") * 1000));
    lag_ms = std::max(lag_ms, Num(s.input->report["shard"], "start_lag_ms"));
  }
  out["started_at"] = earliest->input->report.value("started_at", Json(""));
  out["duration_s"] = Round3(static_cast<double>(end_ms - t0_ms) / 1000);

  Json shard;
  shard["index"] = nullptr;  // every shard given
  shard["count"] = count;
  shard["merged"] = Json::array();
  for (const auto& s : shards) shard["merged"].push_back(s.index);
  shard["missing"] = missing;
  shard["clients"] = 0;
  shard["streams"] = first["config"].value("streams", Json(0));
  shard["start_at"] = first["shard"].value("start_at", Json());
  shard["start_lag_ms"] = Round3(lag_ms);
  shard["started_unix_ms"] = t0_ms;
  shard["interval_s"] = first["shard"].value("interval_s", Json(1));
  out["shard"] = shard;

  if (auto st = MergeHistograms(shards, out); !st.ok()) return st.error();
  MergeConnections(shards, out);
  out["shard"]["clients"] = Int(out["connections"], "target");
  MergeMessages(shards, out);
  MergeGenerators(shards, out);
  out["timeline"] = MergeTimelines(shards, t0_ms, Num(first["shard"], "interval_s"));

  Json problems = Json::array(), warnings = Json::array(), summaries = Json::array();
  for (const auto& s : shards) {
    const std::string tag = fmt::format("shard {}/{}: ", s.index, count);
    for (const auto& p : OwnProblems(s.input->report)) problems.push_back(tag + p);
    for (const auto& w : s.input->report["warnings"]) {
      if (w.is_string()) warnings.push_back(tag + w.get<std::string>());
    }
    summaries.push_back(ShardSummary(s));
  }
  for (const auto& w : result.warnings) warnings.push_back(w);
  const bool ok = problems.empty();
  out["ok"] = ok;
  out["exit_code"] = ok ? 0 : 1;
  out["problems"] = problems;
  out["warnings"] = warnings;
  out["shards"] = summaries;
  result.report = std::move(out);
  return result;
}

}  // namespace

Result<Merged> MergeReports(const std::vector<MergeInput>& inputs) {
  // Every access above checks types; this only guards against a shape the
  // checks did not foresee turning into an exception past the caller.
  try {
    return Merge(inputs);
  } catch (const nlohmann::json::exception& e) {
    return Format(std::string("a report has an unexpected shape: ") + e.what());
  }
}

}  // namespace cable::bench
