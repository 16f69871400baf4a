#include "common/broadcast/redis_sentinel_roster.h"

#include <map>

#include "common/broadcast/redis_sentinel.h"
#include "common/broadcast/redis_wire.h"
#include "common/log.h"
#include "common/net/host_port.h"

namespace cable::broadcast {
namespace {

constexpr auto kAskTimeout = std::chrono::seconds(2);

bool Same(const RedisSentinel& a, const RedisSentinel& b) {
  return a.host == b.host && a.port == b.port;
}

// The sentinels `sentinel` knows for `master` besides itself.
Result<std::vector<RedisSentinel>> AskForOthers(const RedisSentinel& sentinel,
                                                const std::string& master,
                                                std::chrono::milliseconds timeout) {
  auto reply = AskSentinel(sentinel, {"SENTINELS", master}, timeout);
  if (!reply.ok()) return reply.error();
  const redisReply* r = reply->get();
  if (r->type != REDIS_REPLY_ARRAY) {
    return Error{codes::kRedisError, std::string(ReplyString(r))};
  }
  std::vector<RedisSentinel> out;
  // Each element: a flat list of field, value (RESP2) or a map (RESP3).
  for (size_t i = 0; i < r->elements && out.size() < SentinelRoster::kMaxSentinels; ++i) {
    const redisReply* fields = r->element[i];
    if (fields->type != REDIS_REPLY_ARRAY) continue;
    RedisSentinel found{"", 0};
    for (size_t f = 0; f + 1 < fields->elements; f += 2) {
      const std::string_view key = ReplyString(fields->element[f]);
      const std::string_view value = ReplyString(fields->element[f + 1]);
      if (key == "ip") found.host = std::string(value.substr(0, 255));
      if (key == "port") {
        try {
          found.port = std::stoi(std::string(value.substr(0, 8)));
        } catch (...) {
          found.port = 0;
        }
      }
    }
    if (!found.host.empty() && found.port > 0 && found.port <= 65535) out.push_back(found);
  }
  return out;
}

}  // namespace

std::shared_ptr<SentinelRoster> SentinelRoster::Shared(const std::string& master,
                                                       const std::vector<RedisSentinel>& listed,
                                                       std::chrono::seconds interval) {
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<SentinelRoster>> registry;
  std::string key = master;
  for (const auto& s : listed) key += "|" + net::JoinHostPort(s.host, s.port);
  std::lock_guard lock(registry_mu);
  if (auto existing = registry[key].lock()) return existing;
  auto roster = std::make_shared<SentinelRoster>(master, listed);
  if (interval.count() > 0) {
    roster->thread_ = std::thread([r = roster.get(), interval] { r->Every(interval); });
  }
  registry[key] = roster;
  return roster;
}

SentinelRoster::SentinelRoster(std::string master, std::vector<RedisSentinel> listed)
    : master_(std::move(master)), known_(std::move(listed)) {}

SentinelRoster::~SentinelRoster() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<RedisSentinel> SentinelRoster::Known() const {
  std::lock_guard lock(mu_);
  return known_;
}

size_t SentinelRoster::Discover(std::chrono::milliseconds timeout) {
  size_t added = 0;
  for (const auto& sentinel : Known()) {
    auto others = AskForOthers(sentinel, master_, timeout);
    if (!others.ok()) {
      log::Debug("Redis Sentinel {}: cannot list the other sentinels of \"{}\": {}",
                 net::JoinHostPort(sentinel.host, sentinel.port), master_, others.error().message);
      continue;
    }
    std::lock_guard lock(mu_);
    for (const auto& other : *others) {
      bool known = false;
      for (const auto& k : known_) known = known || Same(k, other);
      if (known || known_.size() >= kMaxSentinels) continue;
      known_.push_back(other);
      ++added;
      log::Info("Redis Sentinel: discovered {} (monitoring \"{}\")",
                net::JoinHostPort(other.host, other.port), master_);
    }
  }
  return added;
}

void SentinelRoster::Every(std::chrono::seconds interval) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stop_cv_.wait_for(lock, interval, [this] { return stopping_; })) return;
    lock.unlock();
    Discover(kAskTimeout);
    lock.lock();
  }
}

}  // namespace cable::broadcast
