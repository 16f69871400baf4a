#include "server/session/session_keeper.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "server/node.h"
#include "server/session/session.h"

namespace cable::server {

SessionKeeper::SessionKeeper(Node& node, int64_t ttl_s, Select select, Touch touch)
    : node_(node),
      // Half the ttl in milliseconds: a 1 s ttl is touched twice a second,
      // never once (which would race the expiry).
      interval_(std::max<int64_t>(100, ttl_s * 500)),
      select_(select),
      touch_(std::move(touch)) {}

SessionKeeper::~SessionKeeper() {
  Stop();
}

void SessionKeeper::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SessionKeeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SessionKeeper::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    TouchAll();
    lock.lock();
  }
}

void SessionKeeper::TouchAll() {
  for (auto& w : node_.workers()) {
    // Sessions are read on their worker; the keeper waits for the list
    // (bounded, so a stopped worker cannot hang it).
    auto promise = std::make_shared<std::promise<std::vector<std::string>>>();
    auto future = promise->get_future();
    Worker* worker = w.get();
    boost::asio::post(worker->context(), [worker, promise, select = select_] {
      std::vector<std::string> sids;
      for (const auto& s : worker->sessions()) {
        if (s->open() && select(*s)) sids.push_back(s->sid());
      }
      promise->set_value(std::move(sids));
    });
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) continue;
    auto sids = future.get();
    if (!sids.empty()) touch_(std::move(sids));
  }
}

}  // namespace cable::server
