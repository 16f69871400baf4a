#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "bench/histogram_json.h"
#include "bench/report.h"
#include "bench/run_record.h"
#include "bench/shard.h"
#include "cable/build_info.h"
#include "common/json_depth.h"
#include "common/read_file.h"

namespace cable::bench {

namespace {

// Figures with at most 3 decimals (µs, seconds): finer precision is noise
// here and shorter numbers keep reports diff-friendly.
double Round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}
// Percentages with one decimal, load averages with two.
double Round1(double v) {
  return std::round(v * 10) / 10;
}
double Round2(double v) {
  return std::round(v * 100) / 100;
}
// Nanoseconds as milliseconds with 3 decimals.
double MillisFromNanos(int64_t ns) {
  return std::round(ns / 1e3) / 1e3;
}
double Seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

Json SampleJson(const ProcessSample& s) {
  Json j;
  j["rss_kb"] = s.rss_kb;
  j["pss_kb"] = s.pss_kb;
  j["cpu_s"] = Round3(s.cpu_s());
  j["threads"] = s.threads;
  return j;
}

Json ConfigJson(const BenchOptions& o) {
  Json cfg;
  cfg["url"] = o.url;
  cfg["clients"] = o.clients;
  cfg["threads"] = o.threads;
  cfg["subprotocol"] = o.subprotocol;
  cfg["auth"] = !o.jwt_secret.empty() ? "jwt" : (!o.token.empty() ? "token" : "none");
  cfg["subscribe"] = o.subscribe;
  cfg["stream_type"] = StreamTypeName(o.stream_type);
  cfg["channel"] = o.channel;
  cfg["streams"] = o.streams;
  cfg["connect_rate"] = o.connect_rate;
  cfg["connect_concurrency"] = o.connect_concurrency;
  cfg["connect_timeout_s"] = o.connect_timeout_s;
  cfg["payload_bytes"] = o.payload_size;
  cfg["publish_via"] = o.scenario == Scenario::kBroadcast ? PublishViaName(o.publish_via) : "";
  cfg["publish_batch"] = o.publish_batch;
  cfg["rate"] = o.rate;
  cfg["count"] = o.count;
  cfg["duration_s"] = o.duration_s;
  cfg["burst"] = o.burst;
  cfg["bursts"] = o.bursts;
  cfg["burst_interval_s"] = o.burst_interval_s;
  cfg["concurrent"] = o.concurrent;
  cfg["warmup"] = o.warmup;
  cfg["settle_s"] = o.settle_s;
  cfg["wait_s"] = o.wait_s;
  cfg["hold_s"] = o.hold_s;
  cfg["server_pid"] = o.server_pid;
  cfg["reconnect"] = o.reconnect;
  cfg["reconnect_at_s"] = o.reconnect > 0 ? Round3(o.reconnect_at_s) : 0;
  cfg["reconnect_pause_s"] = o.reconnect_pause_s;
  cfg["reconnect_spread_s"] = o.reconnect_spread_s;
  const bool presence = o.scenario == Scenario::kPresence;
  cfg["churn"] = o.churn;
  cfg["churn_mode"] = presence ? ChurnModeName(o.churn_mode) : "";
  cfg["churn_rate"] = presence && o.churn > 0 ? o.churn_rate : 0;
  cfg["churn_pause_s"] = presence && o.churn > 0 ? o.churn_pause_s : 0;
  cfg["presence_ttl_s"] = presence ? o.presence_ttl_s : 0;
  return cfg;
}

Json EnvironmentJson(const RunRecord& run) {
  Json env;
  env["host"] = run.machine.host;
  env["kernel"] = run.machine.kernel;
  env["cpu_model"] = run.machine.cpu_model;
  env["cpus_online"] = run.machine.cpus_online;
  env["generator_cpus"] = run.machine.generator_cpus;
  env["fd_limit"] = run.start.fd_limit;
  env["loadavg_1m_start"] = Round2(run.start.load_avg_1m);
  env["loadavg_1m_end"] = Round2(run.machine.load_avg_1m);
  return env;
}

Json ConnectionsJson(const BenchOptions& o, const RunRecord& run) {
  const Totals& t = run.totals;
  const double span_s = run.connect.span_s;
  Json conn;
  conn["target"] = ShardClients(o);
  conn["started"] = t.started;
  conn["ready"] = t.ready_count;
  conn["failed"] = t.failed;
  conn["dropped"] = t.dropped;
  conn["failures"] = Json::object();
  for (auto& [k, v] : t.failures) conn["failures"][k] = v;
  conn["drops"] = Json::object();
  for (auto& [k, v] : t.drops) conn["drops"][k] = v;
  conn["phase_s"] = Round3(span_s);
  conn["rate_per_s"] = span_s > 0 ? std::round(t.ready_count / span_s) : 0;
  conn["late_starts"] = t.late_starts;
  conn["max_start_lag_ms"] = MillisFromNanos(t.max_connect_lag_ns);
  conn["tcp_connect_us"] = PercentilesJson(Summarize(t.tcp));
  conn["welcome_us"] = PercentilesJson(Summarize(t.welcome));
  conn["ready_us"] = PercentilesJson(Summarize(t.ready));
  return conn;
}

Json MessagesJson(const RunRecord& run) {
  const Totals& t = run.totals;
  const MessagePhase& m = run.message;
  const double send_s = m.send_end_ns > m.t0_ns ? Seconds(m.send_end_ns - m.t0_ns) : 0;
  const double msg_s = m.end_ns > m.t0_ns ? Seconds(m.end_ns - m.t0_ns) : 0;
  Json msg;
  msg["measured_clients"] = t.measured_clients;
  msg["published"] = t.published;
  msg["publish_failed"] = t.publish_failed;
  msg["publish_requests"] = t.publish_requests;
  msg["publish_late"] = t.publish_late;
  msg["publish_max_lag_ms"] = MillisFromNanos(t.publish_max_lag_ns);
  msg["send_phase_s"] = Round3(send_s);
  msg["phase_s"] = Round3(msg_s);
  msg["expected"] = m.expected;
  msg["received"] = t.received;
  msg["unique"] = t.unique;
  msg["missing"] = t.missing;
  msg["duplicates"] = t.duplicates;
  msg["unexpected"] = t.extra;
  msg["out_of_order"] = t.out_of_order;
  msg["acks"] = t.acks;
  msg["drained"] = m.drained;
  msg["received_per_s"] = msg_s > 0 ? std::round(t.unique / msg_s) : 0;
  msg["sent_per_s"] = send_s > 0 ? std::round(t.published / send_s) : 0;
  return msg;
}

Json PositionsJson(const PositionTotals& p) {
  Json j;
  j["checked"] = p.checked;
  j["positioned"] = p.positioned;
  j["unpositioned"] = p.unpositioned;
  j["gaps"] = p.gaps;
  j["skipped"] = p.skipped;
  j["duplicates"] = p.duplicates;
  j["epoch_changes"] = p.epoch_changes;
  return j;
}

Json ReconnectJson(const BenchOptions& o, const ReconnectTotals& r) {
  Json j;
  // This generator's share of the last --reconnect clients (all of them
  // unless sharded).
  int reconnecting = 0;
  for (int local = 0; local < ShardClients(o); ++local) {
    if (ShardClient(o, local) >= o.clients - o.reconnect) ++reconnecting;
  }
  j["clients"] = reconnecting;
  j["dropped"] = r.dropped;
  j["restored"] = r.restored;
  j["not_restored"] = r.not_restored;
  j["failed"] = r.failed;
  j["failures"] = Json::object();
  for (auto& [k, v] : r.failures) j["failures"][k] = v;
  j["history_confirmed"] = r.history_confirmed;
  j["history_rejected"] = r.history_rejected;
  j["history_unanswered"] = r.history_unanswered;
  j["replayed"] = r.replayed;
  j["replay_duplicates"] = r.replay_duplicates;
  j["missed"] = r.missed;
  j["ready_us"] = PercentilesJson(Summarize(r.ready));
  j["recovered_us"] = PercentilesJson(Summarize(r.recovered));
  j["history_us"] = PercentilesJson(Summarize(r.history));
  return j;
}

Json PresenceJson(const RunRecord& run) {
  const PresenceTotals& p = run.totals.presence;
  Json j;
  j["checked"] = p.active;
  j["tag"] = p.tag;
  j["churners"] = p.churners;
  j["joins"] = p.joins;
  j["leaves"] = p.leaves;
  j["drops"] = p.drops;
  j["required_members"] = p.required;
  j["expected"] = p.expected;
  j["seen"] = p.seen;
  j["missing"] = p.missing;
  j["unexpected"] = p.unexpected;
  j["received"] = p.received;
  j["duplicates"] = p.duplicates;
  j["own"] = p.own;
  j["bonus"] = p.bonus;
  j["unknown"] = p.unknown;
  j["foreign"] = p.foreign;
  j["bad_info"] = p.bad_info;
  j["errors"] = p.errors;
  j["churn_skipped"] = p.skipped;
  j["late_actions"] = p.late;
  j["rejoin_failed"] = p.rejoin_failed;
  j["rejoin_failures"] = Json::object();
  for (auto& [k, v] : p.rejoin_failures) j["rejoin_failures"][k] = v;
  j["info_asked"] = p.info_asked;
  j["info_answered"] = p.info_answered;
  j["info_expected"] = p.info_expected;
  j["info_listed"] = p.info_listed;
  j["info_total"] = p.info_total;
  j["info_records"] = p.info_records;
  // Server CPU in the message phase per action (join, leave or drop): what
  // one presence event costs, its fan-out included.
  const int64_t actions = p.joins + p.leaves + p.drops;
  const double server_cpu = run.message.after.server_s - run.message.before.server_s;
  j["server_cpu_us_per_action"] =
      actions > 0 && run.message.after.server_s > 0 ? Round3(server_cpu / actions * 1e6) : 0;
  j["join_us"] = PercentilesJson(Summarize(p.join));
  j["leave_us"] = PercentilesJson(Summarize(p.leave));
  j["drop_us"] = PercentilesJson(Summarize(p.drop));
  return j;
}

// CPU microseconds per unique delivery, 0 when nothing was delivered.
double MicrosPerMessage(double cpu_s, int64_t unique) {
  return unique > 0 ? Round3(cpu_s / static_cast<double>(unique) * 1e6) : 0;
}

Json ShardJson(const BenchOptions& o, const RunRecord& run) {
  Json j;
  j["index"] = o.shard_index;
  j["count"] = o.shard_count;
  j["clients"] = ShardClients(o);
  j["streams"] = o.scenario == Scenario::kBroadcast ? OwnedStreams(o) : o.streams;
  j["start_at"] = o.start_at_unix_ns > 0 ? Json(FormatUtcMillis(o.start_at_unix_ns)) : Json();
  j["start_at_unix_ms"] = o.start_at_unix_ns > 0 ? Json(o.start_at_unix_ns / 1'000'000) : Json();
  j["start_lag_ms"] = MillisFromNanos(run.start_lag_ns);
  j["started_unix_ms"] = run.start.unix_ns / 1'000'000;
  j["interval_s"] = o.interval_s;
  return j;
}

Json GeneratorJson(const BenchOptions& o, const RunRecord& run) {
  const MessagePhase& m = run.message;
  Json gen;
  gen["threads"] = o.threads;
  gen["cpu_s"] = Round3(run.end.cpu_s);
  gen["cpu_user_s"] = Round3(run.end.cpu_user_s);
  gen["cpu_sys_s"] = Round3(run.end.cpu_sys_s);
  gen["thread_cpu_s"] = Json::array();
  for (double c : run.end.thread_cpu_s) gen["thread_cpu_s"].push_back(Round3(c));
  gen["publisher_cpu_s"] = Round3(m.publisher_cpu_s);
  gen["connect_cpu_s"] = Round3(run.connect.after.generator_s - run.connect.before.generator_s);
  const double msg_cpu = m.after.generator_s - m.before.generator_s;
  gen["message_cpu_s"] = Round3(msg_cpu);
  gen["cpu_us_per_message"] = MicrosPerMessage(msg_cpu, run.totals.unique);
  gen["max_thread_cpu_pct"] = Round1(run.peaks.max_thread_pct);
  gen["saturated_intervals"] = run.peaks.saturated_intervals;
  gen["saturated"] = run.peaks.saturated_intervals > 0;
  gen["rss_kb"] = run.machine.self.rss_kb;
  gen["max_rss_kb"] = run.machine.self.hwm_kb;
  return gen;
}

Json ServerJson(const BenchOptions& o, const RunRecord& run) {
  const Totals& t = run.totals;
  const ProcessSample& before = run.start.server;
  const ProcessSample& connected = run.connect.server;
  const MessagePhase& m = run.message;
  Json srv;
  if (o.server_pid > 0) {
    srv["pid"] = o.server_pid;
    srv["before"] = SampleJson(before);
    srv["connected"] = SampleJson(connected);
    srv["end"] = SampleJson(run.end.server);
    int64_t conns = std::max<int64_t>(1, t.ready_count - t.dropped);
    srv["rss_per_connection_bytes"] =
        t.ready_count > 0 ? (connected.rss_kb - before.rss_kb) * 1024 / conns : 0;
    srv["pss_per_connection_bytes"] =
        t.ready_count > 0 ? (connected.pss_kb - before.pss_kb) * 1024 / conns : 0;
    srv["connect_cpu_s"] = Round3(run.connect.after.server_s - run.connect.before.server_s);
    const double msg_cpu = m.after.server_s - m.before.server_s;
    srv["message_cpu_s"] = Round3(msg_cpu);
    // Kernel share: what the sends themselves cost, the floor for the rest.
    srv["message_sys_cpu_s"] = Round3(m.after.server_sys_s - m.before.server_sys_s);
    srv["cpu_us_per_message"] = MicrosPerMessage(msg_cpu, t.unique);
    srv["max_cpu_pct"] = Round1(run.peaks.max_server_pct);
    srv["max_rss_kb"] = std::max(run.peaks.max_server_rss_kb, run.end.server.rss_kb);
  } else {
    srv["pid"] = nullptr;
  }
  srv["kernel_tcp_mem_kb"] = {{"before", run.start.kernel.mem_kb},
                              {"connected", run.connect.kernel.mem_kb}};
  srv["kernel_tcp_sockets"] = {{"before", run.start.kernel.inuse},
                               {"connected", run.connect.kernel.inuse}};
  return srv;
}

}  // namespace

Json BuildRunReport(const BenchOptions& o, const RunRecord& run) {
  const bool ok = run.diagnosis.problems.empty();
  Json r;
  r["schema"] = kReportSchema;
  r["tool"] = {{"name", "cable bench"}, {"version", build::kVersion}};
  r["scenario"] = ScenarioName(o.scenario);
  r["label"] = o.label;
  r["shard"] = ShardJson(o, run);
  r["started_at"] = run.start.started_at;
  r["duration_s"] = Round3(Seconds(run.end.t_ns - run.start.t_ns));
  r["ok"] = ok;
  r["exit_code"] = ok ? 0 : 1;
  r["problems"] = run.diagnosis.problems;
  r["warnings"] = run.diagnosis.warnings;
  r["config"] = ConfigJson(o);
  r["environment"] = EnvironmentJson(run);
  r["connections"] = ConnectionsJson(o, run);
  r["messages"] = MessagesJson(run);
  r["positions"] = PositionsJson(run.totals.positions);
  r["reconnect"] = ReconnectJson(o, run.totals.reconnect);
  r["presence"] = PresenceJson(run);

  const Totals& t = run.totals;
  const Histogram& primary = o.scenario == Scenario::kConnect ? t.ready : t.latency;
  r["latency_us"] = PercentilesJson(Summarize(primary));
  r["ack_latency_us"] = PercentilesJson(Summarize(t.ack));
  Json hist;
  hist["latency"] = BucketsJson(primary);
  hist["ack_latency"] = BucketsJson(t.ack);
  hist["ready"] = BucketsJson(t.ready);
  hist["presence_drop"] = BucketsJson(t.presence.drop);
  r["histograms"] = hist;
  // Exact states, for `cable bench merge` (histogram_json.h).
  Json exact;
  exact["layout"] = HistogramLayoutJson();
  exact["latency"] = HistogramStateJson(primary);
  exact["ack_latency"] = HistogramStateJson(t.ack);
  exact["tcp_connect"] = HistogramStateJson(t.tcp);
  exact["welcome"] = HistogramStateJson(t.welcome);
  exact["ready"] = HistogramStateJson(t.ready);
  exact["reconnect_ready"] = HistogramStateJson(t.reconnect.ready);
  exact["reconnect_recovered"] = HistogramStateJson(t.reconnect.recovered);
  exact["reconnect_history"] = HistogramStateJson(t.reconnect.history);
  r["histograms_exact"] = exact;

  r["generator"] = GeneratorJson(o, run);
  r["server"] = ServerJson(o, run);
  Json tl = Json::array();
  for (const auto& p : run.timeline) tl.push_back(TimelineJson(p));
  r["timeline"] = tl;
  return r;
}

Json PercentilesJson(const Percentiles& p) {
  Json j;
  j["count"] = p.count;
  j["min"] = Round3(p.min_us);
  j["mean"] = Round3(p.mean_us);
  j["p50"] = Round3(p.p50_us);
  j["p90"] = Round3(p.p90_us);
  j["p95"] = Round3(p.p95_us);
  j["p99"] = Round3(p.p99_us);
  j["p999"] = Round3(p.p999_us);
  j["max"] = Round3(p.max_us);
  return j;
}

Json BucketsJson(const Histogram& h) {
  Json arr = Json::array();
  for (const auto& b : h.Buckets()) arr.push_back(Json::array({b.low_us, b.high_us, b.count}));
  return arr;
}

Json TimelineJson(const TimelinePoint& p) {
  Json j;
  j["t_s"] = Round3(p.t_s);
  j["phase"] = p.phase;
  j["connected"] = p.connected;
  j["failed"] = p.failed;
  j["dropped"] = p.dropped;
  j["connects_per_s"] = Round3(p.connects_per_s);
  j["sent_per_s"] = Round3(p.sent_per_s);
  j["received_per_s"] = Round3(p.received_per_s);
  j["ready_p50_us"] = Round3(p.connect.p50_us);
  j["ready_p99_us"] = Round3(p.connect.p99_us);
  j["latency_count"] = p.message.count;
  j["latency_p50_us"] = Round3(p.message.p50_us);
  j["latency_p90_us"] = Round3(p.message.p90_us);
  j["latency_p99_us"] = Round3(p.message.p99_us);
  j["latency_max_us"] = Round3(p.message.max_us);
  j["gen_cpu_pct"] = Round3(p.gen_cpu_pct);
  j["gen_max_thread_cpu_pct"] = Round3(p.gen_max_thread_pct);
  if (p.server_cpu_pct >= 0) {
    j["server_cpu_pct"] = Round3(p.server_cpu_pct);
    j["server_rss_kb"] = p.server_rss_kb;
  } else {
    j["server_cpu_pct"] = nullptr;
    j["server_rss_kb"] = nullptr;
  }
  return j;
}

Result<Json> LoadReport(const std::string& path) {
  auto read = ReadFile(path, kMaxReportBytes);
  if (!read.ok()) return Error{"io", read.error().message};
  std::string text = std::move(*read);
  // An HTML report carries its JSON in a script block.
  const std::string marker = "id=\"cable-bench-report\">";
  if (size_t at = text.find(marker); at != std::string::npos) {
    size_t begin = at + marker.size();
    size_t end = text.find("</script>", begin);
    std::string embedded = text.substr(begin, end == std::string::npos ? end : end - begin);
    text.clear();
    for (size_t i = 0; i < embedded.size(); ++i) {
      if (embedded.compare(i, 3, "<\\/") == 0) {
        text += "</";
        i += 2;
      } else {
        text += embedded[i];
      }
    }
  }
  if (!JsonDepthWithin(text)) {
    return Error{"format", path + " nests deeper than " + std::to_string(kMaxJsonDepth) +
                               " levels: not a cable bench report"};
  }
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{"format", path + " is not JSON"};
  if (!j.contains("schema") || !j["schema"].is_string() ||
      j["schema"].get<std::string>().rfind("cable-bench/", 0) != 0) {
    return Error{"format",
                 path + " is not a cable bench report (no \"schema\": \"cable-bench/1\")"};
  }
  return j;
}

}  // namespace cable::bench
