// The final human-readable summary, drawn from the JSON report.

#include <fmt/format.h>

#include "bench/report.h"
#include "bench/script/report.h"
#include "bench/threshold.h"

namespace cable::bench {

namespace {

double Num(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<double>();
}

std::string Ms(double us) {
  if (us >= 100000) return fmt::format("{:.0f}", us / 1000);
  if (us >= 10000) return fmt::format("{:.1f}", us / 1000);
  return fmt::format("{:.3f}", us / 1000);
}

std::string Row(const std::string& name, const Json& p) {
  if (Num(p, "count") == 0) return fmt::format("  {:<22} (no samples)\n", name);
  return fmt::format("  {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  n={}\n", name,
                     Ms(Num(p, "min")), Ms(Num(p, "p50")), Ms(Num(p, "p90")), Ms(Num(p, "p95")),
                     Ms(Num(p, "p99")), Ms(Num(p, "p999")), Ms(Num(p, "max")),
                     static_cast<int64_t>(Num(p, "count")));
}

std::string Header() {
  return fmt::format("  {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "(ms)", "min", "p50",
                     "p90", "p95", "p99", "p99.9", "max");
}

std::string Reasons(const Json& m) {
  std::string s;
  for (auto it = m.begin(); it != m.end(); ++it) {
    s += fmt::format("{}{}={}", s.empty() ? "" : ", ", it.key(), it.value().get<int64_t>());
  }
  return s;
}

// "Positions" and "Reconnect" sections, when the run checked them.
std::string ReliabilityLines(const Json& r) {
  std::string out;
  if (r.contains("positions") && r["positions"].value("checked", false)) {
    const Json& p = r["positions"];
    if (Num(p, "positioned") == 0) {
      out += "Positions    none sent by the server: not checked\n";
    } else {
      out += fmt::format(
          "Positions    {} checked  gaps {} ({} offsets skipped)  duplicates {}  epoch changes "
          "{}",
          static_cast<int64_t>(Num(p, "positioned")), static_cast<int64_t>(Num(p, "gaps")),
          static_cast<int64_t>(Num(p, "skipped")), static_cast<int64_t>(Num(p, "duplicates")),
          static_cast<int64_t>(Num(p, "epoch_changes")));
      if (Num(p, "unpositioned") > 0) {
        out += fmt::format("  without position {}", static_cast<int64_t>(Num(p, "unpositioned")));
      }
      out += "\n";
    }
  }
  if (!r.contains("reconnect") || Num(r["reconnect"], "clients") == 0) return out;
  const Json& c = r["reconnect"];
  const Json& cfg = r["config"];
  const double spread = Num(cfg, "reconnect_spread_s");
  out += fmt::format(
      "Reconnect    {} dropped at {:.2f}s{} for {:.2f}s  restored {}  not restored {}  failed {}\n",
      static_cast<int64_t>(Num(c, "dropped")), Num(cfg, "reconnect_at_s"),
      spread > 0 ? fmt::format(" (spread over {:.2f}s)", spread) : std::string(),
      Num(cfg, "reconnect_pause_s"), static_cast<int64_t>(Num(c, "restored")),
      static_cast<int64_t>(Num(c, "not_restored")), static_cast<int64_t>(Num(c, "failed")));
  if (!c["failures"].empty()) out += "  failures: " + Reasons(c["failures"]) + "\n";
  // Without positions nothing says which offsets a client missed (the
  // message accounting above still counts what never arrived).
  const bool positions = r.contains("positions") && Num(r["positions"], "positioned") > 0;
  out += fmt::format(
      "             replayed {} (+{} copies dropped)  missed {}  history confirmed {}  rejected "
      "{}  unanswered {}\n",
      static_cast<int64_t>(Num(c, "replayed")), static_cast<int64_t>(Num(c, "replay_duplicates")),
      positions ? std::to_string(static_cast<int64_t>(Num(c, "missed"))) : "n/a",
      static_cast<int64_t>(Num(c, "history_confirmed")),
      static_cast<int64_t>(Num(c, "history_rejected")),
      static_cast<int64_t>(Num(c, "history_unanswered")));
  out += Header();
  out += Row("reconnect -> ready", c["ready_us"]);
  out += Row("reconnect -> replayed", c["recovered_us"]);
  if (c.contains("history_us")) out += Row("history -> confirmed", c["history_us"]);
  return out;
}

// The "Presence" section of a presence run.
std::string PresenceLines(const Json& r) {
  if (!r.contains("presence") || !r["presence"].value("checked", false)) return {};
  const Json& p = r["presence"];
  const Json& cfg = r["config"];
  auto n = [&](const char* k) { return static_cast<int64_t>(Num(p, k)); };
  std::string out = fmt::format("Presence     joins {}  leaves {}  drops {}", n("joins"),
                                n("leaves"), n("drops"));
  if (n("churners") > 0) {
    out +=
        fmt::format("  ({} churning by {} at {:.0f}/s, {:.2f}s away)", n("churners"),
                    cfg.value("churn_mode", ""), Num(cfg, "churn_rate"), Num(cfg, "churn_pause_s"));
  }
  out += fmt::format(
      "\n             events: {} required members expected {}  seen {}  missing {}  "
      "duplicates {}  unknown {}  (+{} not required, {} own)\n",
      n("required_members"), n("expected"), n("seen"), n("missing"), n("duplicates"), n("unknown"),
      n("bonus"), n("own"));
  if (n("info_asked") > 0) {
    out += fmt::format(
        "             query: {} of {} replies list {} of this run's members ({} joined), total "
        "{}\n",
        n("info_answered"), n("info_asked"), n("info_listed"), n("info_expected"), n("info_total"));
  }
  if (Num(p, "server_cpu_us_per_action") > 0) {
    out += fmt::format("             server cpu per action {:.1f} us (its fan-out included)\n",
                       Num(p, "server_cpu_us_per_action"));
  }
  out += Header();
  out += Row("join -> seen", p["join_us"]);
  if (Num(p["leave_us"], "count") > 0) out += Row("leave -> seen", p["leave_us"]);
  if (Num(p["drop_us"], "count") > 0) out += Row("drop -> leave (TTL)", p["drop_us"]);
  return out;
}

// Which part of a sharded run this is, or which shards a merged report
// adds up ("" for a run of one generator).
std::string ShardLines(const Json& r) {
  if (!r.contains("shard") || !r["shard"].is_object() || Num(r["shard"], "count") <= 1) return "";
  const Json& sh = r["shard"];
  const auto count = static_cast<int64_t>(Num(sh, "count"));
  std::string out;
  if (sh.contains("index") && sh["index"].is_number()) {
    out += fmt::format("Shard        {}/{}: {} of the clients", sh["index"].get<int64_t>(), count,
                       static_cast<int64_t>(Num(sh, "clients")));
  } else {
    out += fmt::format("Merged       {} of {} shards", sh["merged"].size(), count);
  }
  if (sh.contains("start_at") && sh["start_at"].is_string()) {
    out += fmt::format("  start at {} (latest {:.3f}s after)", sh["start_at"].get<std::string>(),
                       Num(sh, "start_lag_ms") / 1000);
  }
  out += "\n";
  if (!r.contains("shards") || !r["shards"].is_array()) return out;
  out += fmt::format("  {:<7} {:<20} {:>9} {:>11} {:>9} {:>10} {:>10}\n", "shard", "host", "ready",
                     "received", "missing", "duplicates", "p99 (ms)");
  for (const auto& s : r["shards"]) {
    out +=
        fmt::format("  {:<7} {:<20} {:>9} {:>11} {:>9} {:>10} {:>10}\n",
                    fmt::format("{}/{}", static_cast<int64_t>(Num(s, "index")), count),
                    s.value("host", Json("")).is_string() ? s.value("host", "") : "",
                    static_cast<int64_t>(Num(s, "ready")), static_cast<int64_t>(Num(s, "unique")),
                    static_cast<int64_t>(Num(s, "missing")),
                    static_cast<int64_t>(Num(s, "duplicates")), Ms(Num(s, "latency_p99_us")));
  }
  return out;
}

}  // namespace

std::string FormatTable(const Json& r) {
  std::string out;
  const Json& cfg = r["config"];
  std::string scenario = r["scenario"].get<std::string>();
  if (scenario == "script") {
    out += fmt::format("cable bench run {}  {}  {} clients, {}",
                       r["script"]["file"].get<std::string>(), cfg["url"].get<std::string>(),
                       cfg["clients"].get<int64_t>(), cfg["subprotocol"].get<std::string>());
  } else {
    out += fmt::format("cable bench {}  {}  {} clients, {} stream(s) ({}), {}", scenario,
                       cfg["url"].get<std::string>(), cfg["clients"].get<int64_t>(),
                       cfg["streams"].get<int64_t>(), cfg["stream_type"].get<std::string>(),
                       cfg["subprotocol"].get<std::string>());
  }
  if (scenario == "broadcast") {
    out += fmt::format(", publish via {}, {} B payload", cfg["publish_via"].get<std::string>(),
                       cfg["payload_bytes"].get<int64_t>());
  } else if (scenario == "echo") {
    out += fmt::format(", {} B payload", cfg["payload_bytes"].get<int64_t>());
  } else if (scenario == "presence") {
    out += fmt::format(", joining at {:.0f}/s", Num(cfg, "rate"));
  }
  out += "\n";
  out += ShardLines(r);
  out += "\n";

  const Json& c = r["connections"];
  out +=
      fmt::format("Connections  ready {}/{}  failed {}  dropped {}  in {:.2f}s = {:.0f} conn/s\n",
                  static_cast<int64_t>(Num(c, "ready")), static_cast<int64_t>(Num(c, "target")),
                  static_cast<int64_t>(Num(c, "failed")), static_cast<int64_t>(Num(c, "dropped")),
                  Num(c, "phase_s"), Num(c, "rate_per_s"));
  if (!c["failures"].empty()) out += "  failures: " + Reasons(c["failures"]) + "\n";
  if (!c["drops"].empty()) out += "  drops: " + Reasons(c["drops"]) + "\n";
  out += Header();
  out += Row("tcp connect", c["tcp_connect_us"]);
  out += Row("welcome", c["welcome_us"]);
  out += Row(cfg["subscribe"].get<bool>() ? "confirmed (ready)" : "ready", c["ready_us"]);

  const Json& m = r["messages"];
  if (scenario != "connect") {
    out += fmt::format(
        "\nMessages     sent {} in {:.2f}s ({:.0f}/s)  expected {}  received {}  missing {}  "
        "duplicates {}  out-of-order {}\n",
        static_cast<int64_t>(Num(m, "published")), Num(m, "send_phase_s"), Num(m, "sent_per_s"),
        static_cast<int64_t>(Num(m, "expected")), static_cast<int64_t>(Num(m, "unique")),
        static_cast<int64_t>(Num(m, "missing")), static_cast<int64_t>(Num(m, "duplicates")),
        static_cast<int64_t>(Num(m, "out_of_order")));
    out += fmt::format("             delivered {:.0f}/s over {:.2f}s", Num(m, "received_per_s"),
                       Num(m, "phase_s"));
    if (Num(m, "publish_failed") > 0) {
      out += fmt::format("  publish failures {}", static_cast<int64_t>(Num(m, "publish_failed")));
    }
    if (Num(m, "publish_late") > 0) {
      out +=
          fmt::format("  late publishes {} (max lag {:.1f} ms)",
                      static_cast<int64_t>(Num(m, "publish_late")), Num(m, "publish_max_lag_ms"));
    }
    out += "\n";
    out += Header();
    out += Row(scenario == "echo"       ? "echo round trip"
               : scenario == "presence" ? "join/leave -> seen"
                                        : "publish -> receipt",
               r["latency_us"]);
    if (Num(r["ack_latency_us"], "count") > 0)
      out += Row("sender ack (result)", r["ack_latency_us"]);
  }

  out += script::FormatSteps(r);
  if (std::string lines = ReliabilityLines(r); !lines.empty()) out += "\n" + lines;
  if (std::string lines = PresenceLines(r); !lines.empty()) out += "\n" + lines;

  const Json& g = r["generator"];
  out += fmt::format(
      "\nGenerator    {} thread(s)  cpu {:.2f}s (user {:.2f}, sys {:.2f})  message phase {:.2f}s",
      static_cast<int64_t>(Num(g, "threads")), Num(g, "cpu_s"), Num(g, "cpu_user_s"),
      Num(g, "cpu_sys_s"), Num(g, "message_cpu_s"));
  if (Num(g, "cpu_us_per_message") > 0) {
    out += fmt::format(" = {:.2f} us/msg", Num(g, "cpu_us_per_message"));
  }
  out += fmt::format("  busiest thread {:.0f}%  rss {:.1f} MB\n", Num(g, "max_thread_cpu_pct"),
                     Num(g, "rss_kb") / 1024);

  const Json& s = r["server"];
  if (!s["pid"].is_null()) {
    out += fmt::format("Server       pid {}  cpu connect {:.2f}s, messages {:.2f}s (sys {:.2f})",
                       s["pid"].get<int64_t>(), Num(s, "connect_cpu_s"), Num(s, "message_cpu_s"),
                       Num(s, "message_sys_cpu_s"));
    if (Num(s, "cpu_us_per_message") > 0) {
      out += fmt::format(" = {:.2f} us/msg", Num(s, "cpu_us_per_message"));
    }
    out += fmt::format(
        "  max {:.0f}%\n             rss {:.1f} -> {:.1f} MB connected ({:.1f} KB/conn, pss "
        "{:.1f} KB/conn) -> {:.1f} MB at end\n",
        Num(s, "max_cpu_pct"), Num(s["before"], "rss_kb") / 1024,
        Num(s["connected"], "rss_kb") / 1024, Num(s, "rss_per_connection_bytes") / 1024,
        Num(s, "pss_per_connection_bytes") / 1024, Num(s["end"], "rss_kb") / 1024);
  }

  out += FormatThresholds(r);
  for (const auto& w : r["warnings"]) out += "\nwarning: " + w.get<std::string>();
  if (!r["warnings"].empty()) out += "\n";
  if (r["ok"].get<bool>()) {
    out += "\nResult       OK\n";
  } else {
    out += "\nResult       FAILED\n";
    for (const auto& p : r["problems"]) out += "  - " + p.get<std::string>() + "\n";
  }
  return out;
}

}  // namespace cable::bench
