#include "common/log.h"
#include "server/broker/broker.h"
#include "server/node.h"
#include "server/protocol/history_request.h"
#include "server/protocol/messages.h"
#include "server/session/session.h"
#include "server/session/session_internal.h"
#include "server/session/session_snapshot.h"

// Session: reliable streams on the extended protocol (spec §2.2–2.3) —
// history replay, the snapshot the broker keeps of this session, and
// restoring a previous session on reconnect.

namespace cable::server {

bool Session::restorable() const {
  return node_.sessions_cached() && basics_.extended_protocol;
}

// ------------------------------------------------------------------ history

// Runs as a command: ends with CommandDone(), after the replay and
// confirm_history (or reject_history) are queued.
void Session::History(const std::string& identifier, const std::string& request) {
  Inc(node_.metrics().history_requests_total);
  Subscription* sub = subscriptions_.Find(identifier);
  if (!sub) {
    WarnAboutClient("History for an unknown subscription sid={} identifier={}", basics_.sid,
                    identifier);
    return CommandDone();
  }
  protocol::HistoryRequest parsed;
  if (!request.empty()) {
    auto result = protocol::ParseHistoryRequest(request);
    if (!result.ok()) {
      WarnAboutClient("History rejected sid={} identifier={}: {}", basics_.sid, identifier,
                      result.error().message);
      RejectHistory(identifier);
      return CommandDone();
    }
    parsed = std::move(result.value());
  }
  if (parsed.empty()) {
    // anycable-go's rule: no reply, a log line.
    LogAboutClient(log::Level::kError,
                   "History request without \"since\" or \"streams\" ignored sid={} identifier={}",
                   basics_.sid, identifier);
    return CommandDone();
  }
  Broker* broker = node_.broker();
  if (!broker) {
    log::Debug("History rejected sid={}: no broker is configured (--broker)", basics_.sid);
    RejectHistory(identifier);
    return CommandDone();
  }
  auto self = shared_from_this();
  auto read = [self, broker, identifier, queries = parsed.QueriesFor(sub->streams)]() mutable {
    broker->History(std::move(queries),
                    [self, identifier](Result<std::vector<BroadcastPtr>> messages) {
                      self->PostBack([self, identifier, messages = std::move(messages)]() mutable {
                        if (self->state_ == State::kOpen) self->SendHistory(identifier, messages);
                        self->CommandDone();
                      });
                    });
  };
  // Read only once this node receives the streams live: a message stored
  // between the read and the subscription would otherwise be in neither.
  if (PubSub* pubsub = node_.pubsub()) {
    pubsub->AfterSubscribed(std::move(read));
  } else {
    read();
  }
}

void Session::RejectHistory(const std::string& identifier) {
  Inc(node_.metrics().history_rejected_total);
  SendText(protocol::RejectHistory(identifier));
}

void Session::SendHistory(const std::string& identifier,
                          Result<std::vector<BroadcastPtr>>& messages) {
  if (!messages.ok()) {
    log::Debug("History rejected sid={} identifier={}: {}", basics_.sid, identifier,
               messages.error().message);
    RejectHistory(identifier);
    return;
  }
  for (const BroadcastPtr& m : *messages) {
    // A message its sender asked not to get back stays that way.
    if (!m->exclude_socket.empty() && m->exclude_socket == basics_.sid) continue;
    if (FrameRef frame = EncodeBroadcast(basics_.framing, identifier, *m)) Send(frame);
  }
  SendText(protocol::ConfirmHistory(identifier));
  // Out now rather than behind every session the worker flushes in turn:
  // on a busy worker the reply would otherwise wait for a whole round of
  // broadcast writes. What was queued before goes out with it, in order.
  if (!write_armed_) Flush();
}

// ---------------------------------------------------------------- snapshots

namespace {
// A snapshot is rewritten after every subscribe: without a bound, a client
// holding many subscriptions with huge identifiers would make each new one
// cost the encoding of all (quadratic) and the broker hold megabytes.
constexpr size_t kMaxSnapshotBytes = 1 << 20;

size_t StateBytes(const StateMap& state) {
  size_t n = 0;
  for (const auto& [k, v] : state) n += k.size() + v.size();
  return n;
}
}  // namespace

void Session::CommitSnapshot() {
  if (!restorable() || state_ != State::kOpen || snapshot_too_large_) return;
  // Counted before anything is encoded or copied.
  size_t bytes = identifiers().size() + StateBytes(cstate());
  for (const auto& sub : subscriptions_.list()) {
    bytes += 2 * sub.identifier.size() + StateBytes(sub.State());
    for (const auto& stream : sub.streams) bytes += stream.size();
  }
  if (bytes > kMaxSnapshotBytes) {
    // The broker keeps the last snapshot that fit; a restore brings back
    // that one, and restored_ids tells the client which subscriptions.
    snapshot_too_large_ = true;
    WarnAboutClient("Session sid={} is no longer saved for restore: its state exceeds {} bytes",
                    basics_.sid, kMaxSnapshotBytes);
    return;
  }
  SessionSnapshot snapshot;
  snapshot.identifiers = identifiers();
  snapshot.cstate = cstate();
  snapshot.disconnectable = disconnect_interest_;
  snapshot.subscriptions = subscriptions_.list();
  node_.broker()->SaveSession(basics_.sid, EncodeSessionSnapshot(snapshot));
}

// The snapshot outlives the session by sessions_ttl from now.
void Session::FinishSnapshot() {
  if (!restorable() || !authenticated_) return;
  node_.broker()->TouchSessions({basics_.sid});
}

// ------------------------------------------------------------------ restore

void Session::TryRestore() {
  auto self = shared_from_this();
  node_.broker()->FetchSession(
      request_->restore_sid, [self](Result<std::optional<std::string>> fetched) {
        self->PostBack([self, fetched = std::move(fetched)]() mutable {
          if (self->state_ != State::kConnecting) return;
          const std::string from = self->request_->restore_sid;
          if (!fetched.ok()) {
            log::Warn("Session restore unavailable sid={}: {}", self->basics_.sid,
                      fetched.error().message);
          } else if (!fetched->has_value()) {
            log::Debug("No session to restore sid={} from={}", self->basics_.sid, from);
          } else if (auto snapshot = DecodeSessionSnapshot(**fetched); !snapshot.ok()) {
            log::Warn("Session not restored sid={}: {}", self->basics_.sid,
                      snapshot.error().message);
          } else {
            return self->Restore(std::move(snapshot.value()), from);
          }
          self->AuthenticateAfresh();
        });
      });
}

// No RPC Connect: identifiers, states, subscriptions and their streams come
// back as they were (spec §2.3).
void Session::Restore(SessionSnapshot snapshot, const std::string& from_sid) {
  cstate_ = LazyState(std::move(snapshot.cstate));
  disconnect_interest_ = snapshot.disconnectable;
  const int max = node_.config().max_subscriptions_per_connection;
  std::vector<std::string> restored_ids;
  for (auto& s : snapshot.subscriptions) {
    if (max > 0 && subscriptions_.size() >= static_cast<size_t>(max)) break;
    if (subscriptions_.Find(s.identifier)) continue;
    // Channels the server answers itself are recognised again, so that an
    // unsubscribe makes no RPC call, as before the reconnect.
    const bool local = node_.local_channels().Subscribe(s.identifier).has_value();
    auto& sub = subscriptions_.Add(s.identifier, s.istate.get(), local);
    for (const auto& stream : s.streams) subscriptions_.AddStream(hub_link(), sub, stream);
    restored_ids.push_back(sub.identifier);
  }
  Inc(node_.metrics().sessions_restored_total);
  log::Debug("Session restored sid={} from={} subscriptions={}", basics_.sid, from_sid,
             restored_ids.size());
  Accept(std::move(snapshot.identifiers), {protocol::WelcomeRestored(basics_.sid, restored_ids)});
}

}  // namespace cable::server
