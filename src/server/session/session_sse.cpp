#include <cassert>

#include "common/log.h"
#include "common/ws/frame.h"
#include "server/node.h"
#include "server/session/session.h"
#include "server/session/session_internal.h"
#include "server/worker.h"

// Session: the HTTP response of a Server-Sent Events client (spec §11.1).
// Its status says whether authentication and every subscription succeeded,
// which takes RPC calls; until then what the session sends (welcome,
// confirmations, even broadcasts) is held in its outbox, as anycable-go's
// backlog. Then the 200 head goes in front of it, or everything is dropped
// for a 401/400 that ends the connection.

namespace cable::server {

namespace {
std::string_view StatusText(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}
}  // namespace

unsigned SseRefusalStatus(uint16_t close_code, std::string_view close_reason) {
  if (close_reason == kAuthFailed) return 401;
  // Shutting down: the client may come back to another node.
  if (close_code == ws::kCloseGoingAway) return 503;
  // Authentication errors, rejected subscriptions, an application that
  // asked to disconnect: anycable-go answers all of them 400.
  return 400;
}

void Session::StartSse(SseStart start, bool watched) {
  assert(worker_.InThread() && "a session is touched only on its worker");
  if (!Attach(watched)) return;
  output_held_ = true;
  // Queued now, run once authenticated, in order; the originals stay to
  // check the outcome against.
  pending_ = start.subscribes;
  sse_start_ = std::make_unique<SseStart>(std::move(start));
  Authenticate();
  ArmRead();
}

void Session::FinishSseSetup() {
  if (state_ != State::kOpen) return;
  for (const auto& cmd : sse_start_->subscribes) {
    if (!subscriptions_.Find(cmd.identifier)) {
      log::Debug("SSE subscription rejected sid={} identifier={}", basics_.sid, cmd.identifier);
      return RefuseSse(400, "subscription rejected");
    }
  }
  outbox_.PushFront(FrameRef::Make(std::move(sse_start_->head)));
  sse_start_.reset();
  output_held_ = false;
  counted_as_sse_ = true;
  node_.metrics().sse_clients_num.fetch_add(1, std::memory_order_relaxed);
  log::Debug("SSE session established sid={}", basics_.sid);
  MarkDirty();
}

// Nothing was written yet, so the client gets a plain HTTP error instead of
// the events held for it, and the connection closes once it is sent.
void Session::RefuseSse(unsigned status, std::string_view why) {
  std::string body = fmt::format("{}\n", why.empty() ? StatusText(status) : why);
  std::string response = fmt::format(
      "HTTP/1.1 {} {}\r\nServer: cable\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: {}\r\nConnection: close\r\n{}\r\n{}",
      status, StatusText(status), body.size(), sse_start_ ? sse_start_->refusal_headers : "", body);
  outbox_.Clear();
  outbox_.Push(FrameRef::Make(std::move(response)));
  sse_start_.reset();
  output_held_ = false;
  state_ = State::kClosing;
  MarkDirty();
}

}  // namespace cable::server
