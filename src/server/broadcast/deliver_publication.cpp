#include "common/log.h"
#include "server/broadcast/broadcaster.h"

namespace cable::server {

void DeliverPublication(std::string_view body, const IngressSink& sink, std::string_view source) {
  auto parsed = ParsePublication(body);
  if (!parsed.ok()) {
    if (sink.metrics) Inc(sink.metrics->failed_broadcast_msg_total);
    constexpr size_t kShown = 200;  // enough to recognise it, bounded for the log
    log::Warn("{}: {}: {}{}", source, parsed.error().message, body.substr(0, kShown),
              body.size() > kShown ? "..." : "");
    return;
  }
  for (auto& b : parsed->broadcasts) sink.broadcast(std::move(b));
  for (const auto& d : parsed->disconnects) sink.command(d);
}

}  // namespace cable::server
