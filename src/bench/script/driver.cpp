#include "bench/script/driver.h"

#include <boost/asio/post.hpp>

#include "bench/connection.h"
#include "bench/loop.h"

namespace cable::bench::script {

namespace {

template <typename F>
void ForEachStep(const std::vector<ScriptStep>& steps, const F& fn) {
  for (const auto& s : steps) {
    fn(s);
    if (const auto* loop = std::get_if<LoopSpec>(&s.action)) ForEachStep(loop->steps, fn);
  }
}

}  // namespace

ScriptDriver::ScriptDriver(Loop& loop, ScriptShared& shared) : loop_(loop), shared_(shared) {
  const Script& script = shared.script();
  histograms_.resize(script.metrics.size());
  tallies_.resize(script.metrics.size());
  for (const auto& g : script.groups) {
    std::vector<SlotSpec> slots(g.pairs.size());
    ForEachStep(g.steps, [&](const ScriptStep& s) {
      const auto* r = std::get_if<ReceiveSpec>(&s.action);
      if (!r || r->pair < 0 || slots[static_cast<size_t>(r->slot)].receive) return;
      slots[static_cast<size_t>(r->slot)] = {
          r, static_cast<int64_t>(r->timeout.value_or(script.timeout).count()) * 1'000'000};
    });
    slots_.push_back(std::move(slots));
  }
  shared.AddDriver(this);
}

void ScriptDriver::Add(Connection* c) {
  auto [group, index] = shared_.GroupOf(c->client());
  auto client = std::make_unique<ScriptClient>(*this, *c, group, index);
  c->AttachScript(client.get());
  clients_.push_back(std::move(client));
}

void ScriptDriver::Begin(int64_t t0_ns) {
  boost::asio::post(loop_.io(), [this, t0_ns] {
    for (auto& c : clients_) {
      const Group& g = c->group();
      const int64_t ramp_ns = static_cast<int64_t>(g.ramp.count()) * 1'000'000;
      const int64_t slot = g.count > 0 ? ramp_ns * c->group_index() / g.count : 0;
      c->Begin(t0_ns + static_cast<int64_t>(g.start.count()) * 1'000'000 + slot);
    }
  });
}

void ScriptDriver::Stop() {
  for (auto& c : clients_) c->Stop();
}

void ScriptDriver::ReleaseBarrier(int64_t generation) {
  for (auto& c : clients_) c->ReleaseBarrier(generation);
}

void ScriptDriver::OnEnded(Connection& c, std::string_view reason, bool handshaking) {
  if (ScriptClient* s = c.script()) s->OnEnded(reason, handshaking);
}

void ScriptDriver::CountEnding(std::string_view reason, Ending ending) {
  auto& map = ending == Ending::kConnect ? failures_ : ending == Ending::kDrop ? drops_ : stops_;
  map[std::string(reason)]++;
}

}  // namespace cable::bench::script
