// `cable broadcast`: publish messages to an AnyCable server the way a backend
// does (HTTP /_broadcast, the REST API, Redis Pub/Sub, Redis Streams, NATS).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/redis_flags.h"
#include "cli/settings.h"
#include "common/auth/secrets.h"
#include "common/broadcast/api_publisher.h"
#include "common/broadcast/broadcast_key.h"
#include "common/broadcast/input.h"
#include "common/broadcast/publisher.h"

namespace cable::cli {
namespace {

using broadcast::Publication;

// A line longer than this is reported and skipped instead of being buffered.
constexpr size_t kMaxLineBytes = 4 << 20;
// --batch input is split into several array publications beyond these sizes,
// so memory stays bounded and no single body grows without limit.
constexpr size_t kMaxBatchMessages = 10000;
constexpr size_t kMaxBatchBytes = 16 << 20;

struct Options {
  std::string stream;
  std::optional<std::string> data;
  bool raw = false;
  std::optional<std::string> exclude_socket;
  bool transient = false;
  bool batch = false;
  std::optional<std::string> disconnect;
  bool reconnect = false;

  std::string adapter = "http";
  std::string url;
  std::string broadcast_key;
  std::string api_url;
  std::string api_key;
  std::string secret;
  std::string redis_url;
  std::string redis_channel;
  std::string redisx_stream;
  std::string channel_prefix;
  RedisFlags redis;
  std::string nats_servers;
  std::string nats_channel;
  double timeout_s = 5;

  bool quiet = false;
  bool json = false;
};

// Prints one line per message result and keeps the tally for the exit code.
class Reporter {
 public:
  Reporter(bool json, bool quiet) : json_(json), quiet_(quiet) {}

  void Sent(const std::string& stream, int line, size_t batch_size) {
    ++sent_;
    if (quiet_) return;
    if (json_) {
      nlohmann::ordered_json j{{"ok", true}, {"stream", stream}};
      if (line > 0) j["line"] = line;
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cout << (line > 0 ? "line " + std::to_string(line) + ": " : "") << "sent " << stream
                << (batch_size > 1 ? " (in a batch of " + std::to_string(batch_size) + ")" : "")
                << "\n";
    }
    std::cout.flush();  // progress is visible line by line when piped
  }

  void SentDisconnect(const std::string& identifiers) {
    ++sent_;
    if (quiet_) return;
    if (json_) {
      nlohmann::ordered_json j{{"ok", true}, {"disconnect", identifiers}};
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cout << "sent disconnect for " << identifiers << "\n";
    }
    std::cout.flush();
  }

  // `stream` may be empty (a line that never became a message).
  void Failed(const std::string& stream, int line, const Error& error) {
    ++failed_;
    if (json_) {
      nlohmann::ordered_json j{{"ok", false}};
      if (!stream.empty()) j["stream"] = stream;
      if (line > 0) j["line"] = line;
      j["code"] = error.code;
      j["error"] = error.message;
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cerr << "cable broadcast: " << (line > 0 ? "line " + std::to_string(line) + ": " : "")
                << (stream.empty() ? "" : stream + ": ") << error.message << "\n";
    }
    std::cout.flush();
  }

  void Summary() const {
    if (failed_ > 0 && sent_ + failed_ > 1 && !json_) {
      std::cerr << "cable broadcast: " << failed_ << " of " << sent_ + failed_
                << " messages failed\n";
    }
  }

  int ExitCode() const { return failed_ > 0 ? kExitFailure : kExitOk; }

 private:
  bool json_, quiet_;
  int sent_ = 0, failed_ = 0;
};

// Reads stdin line by line with a bounded buffer: over-long lines are
// reported (`too_long`) and skipped to their end.
class LineReader {
 public:
  // False at end of input.
  bool Next(std::string* line, bool* too_long) {
    line->clear();
    *too_long = false;
    if (eof_) return false;
    for (;;) {
      // Unlocked: this is the only reader of stdin, one call per byte.
      int c = getc_unlocked(stdin);
      if (c == EOF) {
        eof_ = true;
        return !line->empty() || *too_long;
      }
      if (c == '\n') return true;
      if (line->size() < kMaxLineBytes) {
        line->push_back(static_cast<char>(c));
      } else {
        *too_long = true;
      }
    }
  }

 private:
  bool eof_ = false;
};

bool IsBlank(const std::string& s) {
  return s.find_first_not_of(" \t\r") == std::string::npos;
}

// Settings resolve like the server's: each flag beats its environment
// variable; the broadcast key is --broadcast_key, else derived from
// --secret; the API key is --api-key, else derived from --secret too (with
// another phrase).
broadcast::PublisherConfig ResolveConfig(const Options& o) {
  broadcast::PublisherConfig c;
  c.adapter = o.adapter;
  auth::SecretSettings secrets;
  secrets.broadcast_key = o.broadcast_key;
  secrets.secret = o.secret;
  c.broadcast_key = auth::ResolveBroadcastKey(secrets);
  c.http_url = !o.url.empty() ? o.url : broadcast::DefaultBroadcastUrl(c.broadcast_key);
  c.api_key = broadcast::ResolveApiKey(o.api_key, o.secret);
  c.api_url = !o.api_url.empty() ? o.api_url : broadcast::kDefaultApiUrl;
  std::string redis_url = FlagOrEnv(o.redis_url, {"REDIS_URL"});
  if (!redis_url.empty()) c.redis_url = redis_url;
  if (!o.redis_channel.empty()) c.redis_channel = o.redis_channel;
  if (!o.redisx_stream.empty()) c.redisx_stream = o.redisx_stream;
  c.actioncable_channel_prefix = o.channel_prefix;
  ApplyRedisFlags(o.redis, c);
  if (!o.nats_servers.empty()) c.nats_servers = o.nats_servers;
  if (!o.nats_channel.empty()) c.nats_channel = o.nats_channel;
  c.timeout_ms = static_cast<int>(o.timeout_s * 1000);
  return c;
}

// Collects --batch messages and sends them as array publications.
class Batcher {
 public:
  Batcher(broadcast::Publisher& publisher, Reporter& reporter)
      : publisher_(publisher), reporter_(reporter) {}

  void Add(Publication p, int line) {
    const size_t size = p.stream.size() + p.data.size() + 64;
    if (!batch_.empty() && (batch_.size() >= kMaxBatchMessages || bytes_ + size > kMaxBatchBytes)) {
      Flush();
    }
    bytes_ += size;
    batch_.push_back(std::move(p));
    lines_.push_back(line);
  }

  void Flush() {
    if (batch_.empty()) return;
    Status s = publisher_.PublishBatch(batch_);
    for (size_t i = 0; i < batch_.size(); ++i) {
      if (s) {
        reporter_.Sent(batch_[i].stream, lines_[i], batch_.size());
      } else {
        reporter_.Failed(batch_[i].stream, lines_[i], s.error());
      }
    }
    batch_.clear();
    lines_.clear();
    bytes_ = 0;
  }

 private:
  broadcast::Publisher& publisher_;
  Reporter& reporter_;
  std::vector<Publication> batch_;
  std::vector<int> lines_;
  size_t bytes_ = 0;
};

int Run(const Options& o) {
  if (o.timeout_s <= 0) throw UsageError("--timeout must be positive");
  if (o.data && o.stream.empty()) throw UsageError("--stream is required with --data");
  if (o.data && o.data->size() > kMaxLineBytes) throw UsageError("--data is too large");

  // Validate --data before touching the network: a typo should not half-send.
  std::optional<Publication> single;
  if (o.data) {
    Publication p{o.stream, {}, o.exclude_socket, o.transient};
    if (o.raw) {
      p.data = broadcast::DataFromString(*o.data);
    } else {
      auto data = broadcast::DataFromJson(*o.data);
      if (!data) {
        std::string why = data.error().message;
        if (why.rfind("invalid JSON: ", 0) == 0) why = why.substr(14);
        throw UsageError("--data is not valid JSON (" + why +
                         "); add --raw to send it as a plain string");
      }
      p.data = std::move(*data);
    }
    single = std::move(p);
  }

  auto publisher = broadcast::MakePublisher(ResolveConfig(o));
  if (!publisher) throw UsageError(publisher.error().message);
  Reporter reporter(o.json, o.quiet);

  if (o.disconnect) {
    Status s = (*publisher)->Disconnect({*o.disconnect, o.reconnect});
    if (s) {
      reporter.SentDisconnect(*o.disconnect);
    } else {
      reporter.Failed("", 0, s.error());
    }
    return reporter.ExitCode();
  }

  Batcher batcher(**publisher, reporter);
  if (single) {
    if (o.batch) {
      batcher.Add(std::move(*single), 0);
      batcher.Flush();
    } else if (Status s = (*publisher)->Publish(*single); s) {
      reporter.Sent(single->stream, 0, 1);
    } else {
      reporter.Failed(single->stream, 0, s.error());
    }
    return reporter.ExitCode();
  }

  if (isatty(STDIN_FILENO)) {
    std::cerr << "cable broadcast: reading messages from stdin, one JSON per line (Ctrl-D ends)\n";
  }
  const broadcast::LineDefaults defaults{o.stream, o.exclude_socket, o.raw, o.transient};
  LineReader reader;
  std::string line;
  bool too_long = false;
  for (int number = 1; reader.Next(&line, &too_long); ++number) {
    if (too_long) {
      reporter.Failed("", number,
                      Error{"too_long", "line longer than " + std::to_string(kMaxLineBytes) +
                                            " bytes, skipped"});
      continue;
    }
    if (IsBlank(line)) continue;
    auto p = broadcast::ParseLine(line, defaults);
    if (!p) {
      reporter.Failed("", number, p.error());
      continue;
    }
    if (o.batch) {
      batcher.Add(std::move(*p), number);
    } else if (Status s = (*publisher)->Publish(*p); s) {
      reporter.Sent(p->stream, number, 1);
    } else {
      reporter.Failed(p->stream, number, s.error());
    }
  }
  batcher.Flush();
  reporter.Summary();
  return reporter.ExitCode();
}

constexpr const char* kFooter = R"(Messages:
  --data is the message clients receive, as JSON; it is re-serialised compactly
  and sent as the publication's "data" string. With --raw, --data is a plain
  string (clients receive a JSON string). Without --data (and --disconnect),
  messages are read from stdin, one per line: either an envelope
    {"stream":"chat/1","data":<any JSON>,"exclude_socket":"<sid>","transient":true}
  or any other JSON value, sent to --stream (with --raw: each line is a string).
  --batch sends them as one array publication (split above 10000 messages or
  16 MiB).

Where to:
  http    POST --url (env ANYCABLE_HTTP_BROADCAST_URL). Default: anycable-go serves
          /_broadcast on its main port when a broadcast key is configured, else on
          8090 without auth; so the default is http://localhost:8080/_broadcast
          when a key is known (--broadcast-key or --secret, or their env vars) and
          http://localhost:8090/_broadcast otherwise. The key is sent as
          "Authorization: Bearer <key>"; with only a secret it is derived like the
          server does: hex(HMAC-SHA256(secret, "broadcast-cable")); "none" sends none.
  api     POST <--api-url>/publish (default http://localhost:8080/api): the REST
          API of anycable-go 1.6.9+ and cable serve, same bodies and answers as
          http. The key is --api-key (env ANYCABLE_API_SECRET), else derived from
          --secret: hex(HMAC-SHA256(secret, "api-cable")); "none" sends none.
  redis   PUBLISH to --redis-channel (default __anycable__) on --redis-url
          (env ANYCABLE_REDIS_URL, then REDIS_URL; default redis://localhost:6379).
  redisx  XADD <--redisx-stream> * payload <json> (default stream __anycable__).
  nats    publish to --nats-channel (default __anycable__) on --nats-servers
          (default nats://127.0.0.1:4222).
  actioncable-redis
          a Rails Action Cable server's Redis subscription adapter, as
          ActionCable.server.broadcast does: PUBLISH <stream> <message JSON>
          on --redis-url, or <--channel-prefix>:<stream> when cable.yml sets a
          channel_prefix. --disconnect publishes {"type":"disconnect"} on
          [<prefix>:]action_cable/<identifier values sorted, joined by ':'>, as
          remote_connections.where(...).disconnect does. No batches (one
          PUBLISH each), no exclude_socket or transient.
  Flags beat environment variables.

Output and exit status:
  One line per message: "sent <stream>" on stdout, errors on stderr; -q keeps only
  errors. --json prints one object per message on stdout:
  {"ok":true,"stream":"chat/42"} or {"ok":false,"code":"...","error":"..."}.
  Exit 0 when everything was sent, 1 when anything failed (bad stdin lines are
  reported with their line number and skipped), 2 on bad usage.

Examples:
  cable broadcast --stream chat/42 --data '{"text":"hi"}'
  cable broadcast --secret s3cr3t --stream chat/42 --data '{"text":"hi"}'
  cable broadcast --stream news --data 'plain text' --raw
  cable broadcast --adapter redis --redis-url redis://localhost:6379/0 --stream chat/42 --data 1
  cable broadcast --adapter api --secret s3cr3t --stream chat/42 --data '{"text":"hi"}'
  printf '%s\n' '{"stream":"a","data":{"n":1}}' '{"stream":"b","data":2}' | cable broadcast --batch
  cable broadcast --disconnect '{"user_id":42}' --reconnect
  cable broadcast --adapter actioncable-redis --channel-prefix myapp_production --stream chat_42 --data '{"text":"hi"}')";

}  // namespace

void AddBroadcastCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand("broadcast", "Publish broadcasts to an AnyCable server");
  auto o = std::make_shared<Options>();
  sub->footer(kFooter);

  sub->add_option("--stream,-s", o->stream, "Stream to publish to (default for stdin lines)");
  auto data_text = std::make_shared<std::string>();
  auto exclude_text = std::make_shared<std::string>();
  auto disconnect_text = std::make_shared<std::string>();
  auto* data = sub->add_option("--data,-d", *data_text, "Message as JSON (see Messages below)");
  sub->add_flag("--raw", o->raw, "Treat --data / stdin lines as plain strings");
  auto* exclude =
      sub->add_option("--exclude-socket,--exclude_socket", *exclude_text,
                      "Session id that must not receive the message (meta.exclude_socket)");
  sub->add_flag("--transient", o->transient,
                "Not stored in the stream's history, no position (meta.transient)");
  auto* batch = sub->add_flag("--batch", o->batch, "Send all messages as one array publication");
  auto* disconnect = sub->add_option(
      "--disconnect", *disconnect_text,
      "Send a remote disconnect for this connection identifiers string, e.g. '{\"user_id\":42}'");
  sub->add_flag("--reconnect", o->reconnect, "With --disconnect: allow the client to reconnect")
      ->needs(disconnect);
  disconnect->excludes(data)->excludes(batch);

  sub->add_option("--adapter,-a", o->adapter, "http, api, redis, redisx, nats or actioncable-redis")
      ->check(CLI::IsMember({"http", "api", "redis", "redisx", "nats", "actioncable-redis"}))
      ->capture_default_str();
  sub->add_option("--url,--http-broadcast-url,--http_broadcast_url", o->url,
                  "HTTP broadcast URL (default: see below)")
      ->envname("ANYCABLE_HTTP_BROADCAST_URL");
  sub->add_option("--broadcast-key,--broadcast_key", o->broadcast_key, "HTTP broadcast key")
      ->envname("ANYCABLE_BROADCAST_KEY");
  sub->add_option("--api-url", o->api_url,
                  "REST API base URL for --adapter api (default http://localhost:8080/api)");
  sub->add_option("--api-key,--api-secret,--api_secret", o->api_key, "REST API key")
      ->envname("ANYCABLE_API_SECRET");
  sub->add_option("--secret", o->secret,
                  "Application secret to derive the broadcast and API keys from")
      ->envname("ANYCABLE_SECRET");
  sub->add_option("--redis-url,--redis_url", o->redis_url, "Redis URL (also REDIS_URL)")
      ->envname("ANYCABLE_REDIS_URL");
  sub->add_option("--redis-channel,--redis_channel", o->redis_channel,
                  "Redis Pub/Sub channel (default __anycable__)")
      ->envname("ANYCABLE_REDIS_CHANNEL");
  sub->add_option("--redisx-stream,--redisx_stream", o->redisx_stream,
                  "Redis stream key (default __anycable__)")
      ->envname("ANYCABLE_REDISX_STREAM");
  sub->add_option("--channel-prefix", o->channel_prefix,
                  "actioncable-redis: Action Cable's channel_prefix (cable.yml)");
  AddRedisFlags(sub, o->redis, "", true);
  sub->add_option("--nats-servers,--nats_servers", o->nats_servers,
                  "Comma-separated NATS server URLs (default nats://127.0.0.1:4222)")
      ->envname("ANYCABLE_NATS_SERVERS");
  sub->add_option("--nats-channel,--nats_channel", o->nats_channel,
                  "NATS subject (default __anycable__)")
      ->envname("ANYCABLE_NATS_CHANNEL");
  sub->add_option("--timeout", o->timeout_s, "Seconds allowed for each send (connect included)")
      ->capture_default_str();
  sub->add_flag("--quiet,-q", o->quiet, "Print only failures");
  sub->add_flag("--json", o->json, "Print one JSON object per message result");

  // Presence, not content, decides: `--data ''` is an (invalid) message.
  commands[sub] = [=] {
    if (data->count() > 0) o->data = *data_text;
    if (exclude->count() > 0) o->exclude_socket = *exclude_text;
    if (disconnect->count() > 0) o->disconnect = *disconnect_text;
    return Run(*o);
  };
}

}  // namespace cable::cli
