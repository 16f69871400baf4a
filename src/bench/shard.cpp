#include "bench/shard.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "bench/clock.h"

namespace cable::bench {

namespace {

Error Usage(std::string message) {
  return Error{codes::kUsage, std::move(message)};
}

// A whole decimal number filling `s` exactly; nullopt otherwise.
bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// "2", "2.5" (seconds, or the unit's) as nanoseconds; false for junk.
bool ParseDecimal(std::string_view s, int64_t unit_ns, int64_t* out_ns) {
  size_t dot = s.find('.');
  int64_t whole = 0;
  if (!ParseInt(s.substr(0, dot), &whole)) return false;
  double frac = 0;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    int64_t digits = 0;
    if (f.empty() || f.size() > 9 || !ParseInt(f, &digits)) return false;
    frac = static_cast<double>(digits) / std::pow(10.0, static_cast<double>(f.size()));
  }
  if (whole > INT64_MAX / unit_ns - 1) return false;
  *out_ns =
      whole * unit_ns + static_cast<int64_t>(std::llround(frac * static_cast<double>(unit_ns)));
  return true;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm).
bool ParseRfc3339(std::string_view s, int64_t* out_ns) {
  auto digits = [&](size_t at, size_t n, int* v) {
    int64_t x = 0;
    if (at + n > s.size() || !ParseInt(s.substr(at, n), &x)) return false;
    *v = static_cast<int>(x);
    return true;
  };
  int year, mon, day, hour, min, sec;
  if (s.size() < 20 || !digits(0, 4, &year) || s[4] != '-' || !digits(5, 2, &mon) || s[7] != '-' ||
      !digits(8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(11, 2, &hour) || s[13] != ':' || !digits(14, 2, &min) || s[16] != ':' ||
      !digits(17, 2, &sec)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  size_t at = 19;
  int64_t frac_ns = 0;
  if (at < s.size() && s[at] == '.') {
    size_t end = at + 1;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    if (!ParseDecimal(std::string("0") + std::string(s.substr(at, end - at)), 1'000'000'000,
                      &frac_ns)) {
      return false;
    }
    at = end;
  }
  int64_t offset_s = 0;
  std::string_view zone = s.substr(at);
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh, om;
    if (!digits(at + 1, 2, &oh) || !digits(at + 4, 2, &om) || oh > 23 || om > 59) return false;
    offset_s = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return false;
  *out_ns = (static_cast<int64_t>(t) - offset_s) * 1'000'000'000 + frac_ns;
  return true;
}

}  // namespace

Result<ShardSpec> ParseShard(const std::string& text, const char* job_index) {
  const std::string bad = "--shard: '" + text +
                          "' is not I/N (1 <= I <= N, e.g. 2/3) or auto/N (I from "
                          "JOB_COMPLETION_INDEX)";
  size_t slash = text.find('/');
  if (slash == std::string::npos) return Usage(bad);
  std::string_view index = std::string_view(text).substr(0, slash);
  int64_t n = 0, i = 0;
  if (!ParseInt(std::string_view(text).substr(slash + 1), &n) || n < 1) return Usage(bad);
  if (n > kMaxShards) {
    return Usage(fmt::format("--shard: at most {} shards, not {}", kMaxShards, n));
  }
  if (index.empty() || index == "auto") {
    if (!job_index || !*job_index) {
      return Usage("--shard " + text +
                   ": JOB_COMPLETION_INDEX is not set (it is in a Kubernetes Indexed Job); "
                   "give the shard as I/N");
    }
    if (!ParseInt(job_index, &i)) {
      return Usage(std::string("--shard ") + text + ": JOB_COMPLETION_INDEX '" + job_index +
                   "' is not a number");
    }
    ++i;  // the index is 0-based, shards are not
  } else if (!ParseInt(index, &i)) {
    return Usage(bad);
  }
  if (i < 1 || i > n) {
    return Usage(
        fmt::format("--shard {}: shard {} of {} does not exist (shards are 1..{})", text, i, n, n));
  }
  return ShardSpec{static_cast<int>(i), static_cast<int>(n)};
}

Result<int64_t> ParseStartAt(const std::string& text, int64_t now_unix_ns) {
  int64_t at = 0;
  std::string_view s = text;
  if (!s.empty() && s[0] == '+') {
    std::string_view amount = s.substr(1);
    int64_t unit = 1'000'000'000;
    for (auto [suffix, ns] : {std::pair<std::string_view, int64_t>{"ms", 1'000'000},
                              {"s", 1'000'000'000},
                              {"m", 60'000'000'000},
                              {"h", 3'600'000'000'000}}) {
      if (amount.size() > suffix.size() && amount.substr(amount.size() - suffix.size()) == suffix) {
        amount.remove_suffix(suffix.size());
        unit = ns;
        break;
      }
    }
    int64_t delta = 0;
    if (!ParseDecimal(amount, unit, &delta)) {
      return Usage("--start-at: '" + text + "' is not a relative time such as +10s or +2m");
    }
    at = now_unix_ns + delta;
  } else if (!ParseDecimal(s, 1'000'000'000, &at) && !ParseRfc3339(s, &at)) {
    return Usage("--start-at: '" + text +
                 "' is not a time: RFC 3339 (2025-01-02T03:04:05Z), unix seconds or +10s");
  }
  if (at < now_unix_ns - kStartAtGraceNs) {
    return Usage(fmt::format("--start-at {} ({}) is {:.1f}s in the past", text, FormatUtcMillis(at),
                             static_cast<double>(now_unix_ns - at) / 1e9));
  }
  if (at > now_unix_ns + 86'400'000'000'000) {
    return Usage("--start-at " + text + " (" + FormatUtcMillis(at) +
                 ") is more than a day away (milliseconds given where seconds are expected?)");
  }
  return at;
}

std::string FormatUtcMillis(int64_t unix_ns) {
  int64_t ms = unix_ns / 1'000'000;
  if (unix_ns < 0 && unix_ns % 1'000'000 != 0) --ms;
  time_t t = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  int64_t rem = ((ms % 1000) + 1000) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
}

int64_t ShareOf(int64_t total, int64_t slot, int64_t slots) {
  return total / slots + (slot < total % slots ? 1 : 0);
}

int ShardClients(const BenchOptions& o) {
  return static_cast<int>(ShareOf(o.clients, o.shard_index - 1, o.shard_count));
}

int OwnedStreams(const BenchOptions& o) {
  return static_cast<int>(ShareOf(o.streams, o.shard_index - 1, o.shard_count));
}

Status ApplyShardFlags(const std::string& shard, const std::string& start_at, BenchOptions& o) {
  if (!shard.empty()) {
    auto spec = ParseShard(shard, std::getenv("JOB_COMPLETION_INDEX"));
    if (!spec.ok()) return spec.error();
    o.shard_index = spec->index;
    o.shard_count = spec->count;
  }
  if (!start_at.empty()) {
    auto at = ParseStartAt(start_at, RealtimeNs());
    if (!at.ok()) return at.error();
    o.start_at_unix_ns = *at;
  }
  return Status::Ok();
}

Status ValidateShard(const BenchOptions& o) {
  if (o.shard_count < 1 || o.shard_index < 1 || o.shard_index > o.shard_count) {
    return Usage("--shard: the shard must be between 1 and the number of shards");
  }
  if (o.shard_count == 1) return Status::Ok();
  const int n = o.shard_count;
  if (o.scenario == Scenario::kPresence) {
    return Usage(
        "--shard applies to the broadcast, echo and connect scenarios: presence members of "
        "different generators could not tell each other's events apart");
  }
  if (o.clients < n) {
    return Usage(
        fmt::format("--shard .../{}: --clients must be at least {} (a client or more per "
                    "shard)",
                    n, n));
  }
  if (o.scenario == Scenario::kBroadcast && o.streams % n != 0) {
    return Usage(fmt::format(
        "--shard .../{} with the broadcast scenario needs --streams to be a multiple of {} "
        "(each shard publishes to its own streams, which only its own clients subscribe to), "
        "e.g. --streams {}",
        n, n, o.streams < n ? n : (o.streams / n + 1) * n));
  }
  return Status::Ok();
}

}  // namespace cable::bench
