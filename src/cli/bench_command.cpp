// `cable bench`: load generator for Action Cable / AnyCable servers.
// Scenarios: broadcast (publish -> every subscriber), echo (perform round
// trip), connect (connection + welcome + subscribe rate, idle hold) and
// presence (join / leave -> every other member).
// websocket-bench spellings (--concurrent, --sample-size, --payload-padding,
// --sub-protocol, --wait-broadcasts, --server-type) are accepted.

#include <fmt/format.h>

#include <iostream>

#include "bench/options.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "bench/shard.h"
#include "bench/threshold.h"
#include "cli/bench_merge.h"
#include "cli/bench_report_flags.h"
#include "cli/bench_run_command.h"
#include "cli/command.h"
#include "cli/redis_flags.h"

namespace cable::cli {

namespace {

struct CliOptions {
  bench::BenchOptions o;
  std::string scenario;
  std::string positional_url;
  std::string stream_type = "rpc";
  std::string publish = "http";
  std::string server_type = "actioncable";
  std::string connect_timeout = "10s", duration, burst_interval = "1s", settle = "1s", wait = "5s",
              hold = "0", reconnect_at, reconnect_pause = "1s", reconnect_spread = "0",
              churn_mode = "leave", churn_pause = "1s", presence_ttl = "15s";
  bool no_subscribe = false;
  std::vector<std::string> compare;
  RedisFlags redis;
  std::vector<std::string> thresholds;
  ReportFlags report;
  std::string shard, start_at;
};

int RunCompare(const std::vector<std::string>& files) {
  auto a = bench::LoadReport(files[0]);
  if (!a.ok()) throw UsageError("--compare: " + a.error().message);
  auto b = bench::LoadReport(files[1]);
  if (!b.ok()) throw UsageError("--compare: " + b.error().message);
  std::cout << bench::CompareReports(*a, *b, files[0], files[1]);
  return kExitOk;
}

}  // namespace

void AddBenchCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand(
      "bench",
      "Load-test an Action Cable / AnyCable server: broadcast latency, echo RTT, connects, "
      "presence");
  auto c = std::make_shared<CliOptions>();
  auto& o = c->o;
  // Unset endpoints are derived from the target URL (bench/options.cpp), not
  // the library's localhost defaults.
  o.publisher.http_url.clear();
  o.publisher.api_url.clear();
  sub->footer(
      "Exit codes: 0 clean run, 1 loss/duplicates/failed connects or publishes (with\n"
      "actioncable-v1-ext-json also position gaps, repeats, epoch changes and messages\n"
      "missed across --reconnect; presence: events missed, duplicated or unexplained, a query\n"
      "listing other members than joined) or a violated --threshold, 2 bad flags or a bad\n"
      "--threshold expression (reported before anything connects).\n"
      "Examples:\n"
      "  cable bench --clients 10000              # broadcast against ./scripts/run's server\n"
      "  cable bench broadcast ws://127.0.0.1:8080/cable --clients 10000 --burst 100\n"
      "  cable bench --threshold 'latency.p99<50ms' --threshold missing==0 --format junit\n"
      "  cable bench broadcast --clients 1000 --rate 50 --duration 20s --report run.html\n"
      "  cable bench echo --clients 500 --rate 5000 --count 50000 --json > echo.json\n"
      "  cable bench connect --clients 10000 --connect-rate 2000 --hold 30s --server-pid 1234\n"
      "  cable bench broadcast --subprotocol actioncable-v1-ext-json --reconnect 100 --count 200\n"
      "  cable bench presence --clients 1000 --rate 200 --server-pid 1234\n"
      "  cable bench presence --clients 500 --churn 100 --churn-mode disconnect --presence-ttl 2s\n"
      "  cable bench --compare before.json after.json\n"
      "  cable bench --clients 30000 --streams 3 --shard 2/3 --start-at +30s -o shard-2.json\n"
      "  cable bench merge shard-1.json shard-2.json shard-3.json --report run.html\n"
      "  cable bench run scenarios/bench/chat.yml --scale 10   # scripted scenario\n"
      "See docs/bench.md for the JSON schema and the method.");

  // Unchecked here: `cable bench ws://host/cable` names the URL in the
  // scenario's place, which the command sorts out below.
  sub->add_option("SCENARIO", c->scenario, "broadcast (default), echo, connect or presence");
  sub->add_option("URL", c->positional_url, "Server URL (same as --url)");
  sub->add_option("--scenario", c->scenario, "broadcast, echo, connect or presence")
      ->check(CLI::IsMember({"broadcast", "echo", "connect", "presence"}));

  const std::string kTarget = "Target";
  sub->add_option("-u,--url", o.url, "WebSocket URL of the server (ws:// or wss://)")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("--tls-ca", o.tls_ca_file,
                  "wss://: trust this CA certificate (PEM) instead of the system store (also "
                  "for an https:// broadcast URL)")
      ->check(CLI::ExistingFile)
      ->group(kTarget);
  sub->add_flag("--insecure", o.tls_insecure,
                "wss://: do not verify the server's certificate (nor an https:// broadcast URL's)")
      ->group(kTarget);
  sub->add_option("--subprotocol,--sub-protocol", o.subprotocol,
                  "actioncable-v1-json or actioncable-v1-ext-json (broadcast: also checks "
                  "every delivery's stream position)")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("--origin", o.origin, "Origin header (empty: none)")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)")
      ->group(kTarget);
  sub->add_option("-l,--local-addr", o.local_addrs,
                  "Source address for client sockets (repeatable; spreads ports over 127.0.0.x)")
      ->group(kTarget);
  sub->add_option("--server-type", c->server_type, "Protocol (websocket-bench compatibility)")
      ->check(CLI::IsMember({"actioncable"}))
      ->group(kTarget);

  const std::string kClients = "Clients";
  sub->add_option("-n,--clients,--step-size", o.clients, "Number of clients")
      ->capture_default_str()
      ->group(kClients);
  sub->add_option("-t,--threads", o.threads, "Event-loop threads (0: one per usable CPU)")
      ->capture_default_str()
      ->group(kClients);
  sub->add_option("--connect-rate,--ramp-rate", o.connect_rate,
                  "Connects started per second (0: as fast as --connect-concurrency allows)")
      ->capture_default_str()
      ->group(kClients);
  sub->add_option("--connect-concurrency,--connect-concurrent", o.connect_concurrency,
                  "Handshakes in flight at once")
      ->capture_default_str()
      ->group(kClients);
  sub->add_option("--connect-timeout", c->connect_timeout,
                  "Time allowed from TCP connect to confirmed subscription")
      ->capture_default_str()
      ->group(kClients);
  sub->add_option("--jwt-secret", o.jwt_secret,
                  "Sign a JWT per client (ext {\"user_id\":\"bench-N\"}) with this secret")
      ->group(kClients);
  sub->add_option("--jwt-param", o.jwt_param, "Query parameter carrying the token")
      ->capture_default_str()
      ->group(kClients);
  sub->add_option("--token", o.token, "One token for every client (query parameter)")
      ->group(kClients);

  const std::string kSub = "Subscription";
  sub->add_flag("--no-subscribe", c->no_subscribe, "connect: stop at welcome")->group(kSub);
  auto* stream_type = sub->add_option("--stream-type", c->stream_type,
                                      "rpc (a channel, default BenchmarkChannel), public or signed "
                                      "($pubsub); presence: public "
                                      "by default")
                          ->check(CLI::IsMember({"rpc", "public", "signed"}))
                          ->capture_default_str()
                          ->group(kSub);
  sub->add_option("--channel", o.channel, "RPC channel name or JSON identifier")
      ->capture_default_str()
      ->group(kSub);
  sub->add_option("--streams", o.streams,
                  "Streams the clients are spread over (rpc: identifier id 0..N-1 -> stream allN)")
      ->capture_default_str()
      ->group(kSub);
  sub->add_option("--stream-prefix", o.stream_prefix, "Stream names: prefix, or prefix<N>")
      ->capture_default_str()
      ->group(kSub);
  sub->add_option("--streams-secret", o.streams_secret, "Secret for --stream-type signed")
      ->group(kSub);

  const std::string kMsg = "Messages";
  sub->add_option("--payload-size", o.payload_size, "Bytes of each message's JSON")
      ->capture_default_str()
      ->group(kMsg);
  sub->add_option("--payload-padding", o.payload_padding,
                  "Pad field of exactly N bytes instead of --payload-size")
      ->group(kMsg);
  sub->add_option("-r,--rate", o.rate,
                  "Messages per second (broadcast: 10, echo: 1000 when no other shape is given); "
                  "presence: joins per second (100)")
      ->group(kMsg);
  sub->add_option("--count,-s,--sample-size", o.count,
                  "Messages in total (broadcast: 100, echo: 10000 by default)")
      ->group(kMsg);
  sub->add_option("-d,--duration", c->duration,
                  "Publishing time (instead of or with --count); presence: churn time (10s "
                  "with --churn)")
      ->group(kMsg);
  sub->add_option("--burst", o.burst, "broadcast: bursts of N messages sent back to back")
      ->group(kMsg);
  sub->add_option("--bursts", o.bursts, "Number of bursts")->capture_default_str()->group(kMsg);
  sub->add_option("--burst-interval", c->burst_interval, "Time between burst starts")
      ->capture_default_str()
      ->group(kMsg);
  sub->add_option("-c,--concurrent", o.concurrent,
                  "echo: keep N requests in flight (closed loop) instead of a rate")
      ->group(kMsg);
  sub->add_option("--warmup", o.warmup, "Leave the first N messages of each stream unmeasured")
      ->capture_default_str()
      ->group(kMsg);
  sub->add_option("--settle", c->settle, "Pause between connecting and publishing")
      ->capture_default_str()
      ->group(kMsg);
  sub->add_option("--wait,--wait-broadcasts", c->wait, "How long to wait for late deliveries")
      ->capture_default_str()
      ->group(kMsg);
  sub->add_option("--hold", c->hold, "connect: keep the connections open (idle) this long")
      ->capture_default_str()
      ->group(kMsg);

  const std::string kRec = "Reconnect (broadcast, actioncable-v1-ext-json)";
  sub->add_option("--reconnect", o.reconnect,
                  "Clients that drop mid-run and come back (?sid=, then `history`)")
      ->group(kRec);
  sub->add_option("--reconnect-at", c->reconnect_at,
                  "When they drop, from the start of publishing (default: halfway)")
      ->group(kRec);
  sub->add_option("--reconnect-pause", c->reconnect_pause, "How long they stay away")
      ->capture_default_str()
      ->group(kRec);
  sub->add_option("--reconnect-spread", c->reconnect_spread,
                  "Spread the drops evenly over this long instead of all at once (each client "
                  "still stays away --reconnect-pause)")
      ->capture_default_str()
      ->group(kRec);

  const std::string kPres = "Presence";
  sub->add_option("--churn", o.churn,
                  "presence: the last N clients leave and come back after joining")
      ->group(kPres);
  sub->add_option("--churn-mode", c->churn_mode,
                  "leave (leave, then join again) or disconnect (drop the connection, then a new "
                  "one subscribes with presence; its old member leaves after the TTL)")
      ->check(CLI::IsMember({"leave", "disconnect"}))
      ->capture_default_str()
      ->group(kPres);
  sub->add_option("--churn-rate", o.churn_rate, "Churn actions (leaves or drops) per second")
      ->capture_default_str()
      ->group(kPres);
  sub->add_option("--churn-pause", c->churn_pause, "How long a churning client stays away")
      ->capture_default_str()
      ->group(kPres);
  sub->add_option("--presence-ttl", c->presence_ttl,
                  "The server's --presence_ttl: how much longer to wait for a dropped member's "
                  "leave")
      ->capture_default_str()
      ->group(kPres);

  const std::string kPub = "Publishing (broadcast)";
  sub->add_option("--publish,--broadcast-adapter", c->publish,
                  "http, api, redis, redisx, nats, actioncable-redis (Action Cable's Redis "
                  "adapter), or perform (a client performs `broadcast`)")
      ->check(
          CLI::IsMember({"http", "api", "redis", "redisx", "nats", "actioncable-redis", "perform"}))
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--broadcast-url", o.publisher.http_url,
                  "HTTP broadcast endpoint (default http://<host>:8090/_broadcast, https:// "
                  "for a wss:// URL)")
      ->group(kPub);
  sub->add_option("--broadcast-key", o.publisher.broadcast_key, "Bearer key for HTTP broadcasts")
      ->group(kPub);
  sub->add_option("--api-url", o.publisher.api_url,
                  "REST API base URL for --publish api (default http://<host>:<port>/api)")
      ->group(kPub);
  sub->add_option("--api-key", o.publisher.api_key, "Bearer key for the REST API")->group(kPub);
  sub->add_option("--redis-url", o.publisher.redis_url, "Redis URL")
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--redis-channel", o.publisher.redis_channel, "Redis channel")
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--channel-prefix", o.publisher.actioncable_channel_prefix,
                  "actioncable-redis: Action Cable's channel_prefix (cable.yml)")
      ->group(kPub);
  sub->add_option("--redisx-stream", o.publisher.redisx_stream, "Redis Stream")
      ->capture_default_str()
      ->group(kPub);
  AddRedisFlags(sub, c->redis, kPub, false);
  sub->add_option("--nats-url", o.publisher.nats_servers, "NATS servers")
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--nats-channel", o.publisher.nats_channel, "NATS subject")
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--publish-batch", o.publish_batch,
                  "Most publications coalesced into one request when behind schedule")
      ->capture_default_str()
      ->group(kPub);

  AddReportFlags(sub, o, c->report);
  sub->add_option("--compare", c->compare, "Compare two JSON (or HTML) reports and exit")
      ->expected(2)
      ->group("Output");

  const std::string kThr = "Thresholds";
  sub->add_option("--threshold", c->thresholds,
                  "Pass/fail criterion METRIC OP VALUE (repeatable), e.g. 'latency.p99<50ms', "
                  "missing==0, 'connect.rate_per_s>=5000'. METRIC is a dotted path of the JSON "
                  "report (or latency.*, connect.*, bare messages/connections names); OP < <= > "
                  ">= == !=; VALUE in the metric's unit or with us, ms, s, %, KB, MB. A violated "
                  "threshold exits 1")
      ->group(kThr);

  const std::string kShard = "Sharding (one run from several generators, docs/bench.md)";
  sub->add_option("--shard", c->shard,
                  "I/N: run the I-th of N generators' share of the clients and streams (each "
                  "publishes to its own streams; merge the reports with `cable bench merge`); "
                  "auto/N takes I from JOB_COMPLETION_INDEX + 1")
      ->group(kShard);
  sub->add_option("--start-at", c->start_at,
                  "Begin the measured phase (publishing, echoes; connect: the connects) at this "
                  "wall-clock time: RFC 3339 (2025-01-02T03:04:05Z), unix seconds or +10s")
      ->group(kShard);
  Runner merge = AddBenchMergeCommand(sub);
  const CLI::App* merge_app = sub->get_subcommand("merge");

  Runner run = AddBenchRunCommand(*sub);

  commands[sub] = [c, stream_type, merge, merge_app, run] {
    if (merge_app->parsed()) return merge();
    if (int code = run(); code >= 0) return code;
    if (!c->compare.empty()) return RunCompare(c->compare);
    auto& o = c->o;
    // Broadcast is what most runs measure, and what works against the
    // server ./scripts/run starts.
    if (c->scenario.find("://") != std::string::npos && c->positional_url.empty()) {
      c->positional_url = c->scenario;
      c->scenario.clear();
    }
    if (c->scenario.empty()) c->scenario = "broadcast";
    if (c->scenario != "broadcast" && c->scenario != "echo" && c->scenario != "connect" &&
        c->scenario != "presence") {
      throw UsageError("unknown scenario '" + c->scenario +
                       "': broadcast (default), echo, connect or presence");
    }
    // Checked before anything connects: a typo must not cost a run.
    std::vector<bench::Threshold> thresholds;
    for (const auto& text : c->thresholds) {
      auto t = bench::ParseThreshold(text);
      if (!t.ok()) throw UsageError(t.error().message);
      thresholds.push_back(*t);
    }
    o.scenario = c->scenario == "echo"       ? bench::Scenario::kEcho
                 : c->scenario == "connect"  ? bench::Scenario::kConnect
                 : c->scenario == "presence" ? bench::Scenario::kPresence
                                             : bench::Scenario::kBroadcast;
    // Presence needs a channel that grants it: $pubsub streams do.
    if (o.scenario == bench::Scenario::kPresence && stream_type->count() == 0) {
      c->stream_type = "public";
    }
    o.churn_mode =
        c->churn_mode == "disconnect" ? bench::ChurnMode::kDisconnect : bench::ChurnMode::kLeave;
    if (!c->positional_url.empty()) o.url = c->positional_url;
    ApplyRedisFlags(c->redis, o.publisher);
    o.subscribe = !c->no_subscribe;
    o.stream_type = c->stream_type == "public"   ? bench::StreamType::kPublic
                    : c->stream_type == "signed" ? bench::StreamType::kSigned
                                                 : bench::StreamType::kRpc;
    o.publish_via = c->publish == "api"                 ? bench::PublishVia::kApi
                    : c->publish == "redis"             ? bench::PublishVia::kRedis
                    : c->publish == "redisx"            ? bench::PublishVia::kRedisx
                    : c->publish == "nats"              ? bench::PublishVia::kNats
                    : c->publish == "actioncable-redis" ? bench::PublishVia::kActionCableRedis
                    : c->publish == "perform"           ? bench::PublishVia::kPerform
                                                        : bench::PublishVia::kHttp;
    Duration("--connect-timeout", c->connect_timeout, &o.connect_timeout_s);
    Duration("--duration", c->duration, &o.duration_s);
    Duration("--burst-interval", c->burst_interval, &o.burst_interval_s);
    Duration("--settle", c->settle, &o.settle_s);
    Duration("--wait", c->wait, &o.wait_s);
    Duration("--hold", c->hold, &o.hold_s);
    ApplyReportFlags(c->report, o);
    Duration("--reconnect-at", c->reconnect_at, &o.reconnect_at_s);
    Duration("--reconnect-pause", c->reconnect_pause, &o.reconnect_pause_s);
    Duration("--reconnect-spread", c->reconnect_spread, &o.reconnect_spread_s);
    Duration("--churn-pause", c->churn_pause, &o.churn_pause_s);
    Duration("--presence-ttl", c->presence_ttl, &o.presence_ttl_s);
    if (auto s = bench::ApplyShardFlags(c->shard, c->start_at, o); !s.ok()) {
      throw UsageError(s.error().message);
    }
    if (auto s = bench::Validate(o); !s.ok()) throw UsageError(s.error().message);

    bench::RunOutcome outcome = bench::RunBenchmark(o);
    if (!outcome.fatal.empty()) {
      std::cerr << "cable bench: error: " << outcome.fatal << "\n";
      return outcome.exit_code;
    }
    return DeliverReport(outcome, thresholds, o, c->report, "cable bench");
  };
}

}  // namespace cable::cli
