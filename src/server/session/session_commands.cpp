#include "common/log.h"
#include "common/ws/frame.h"
#include "server/node.h"
#include "server/protocol/messages.h"
#include "server/session/session.h"
#include "server/session/session_internal.h"
#include "server/worker.h"

// Session: the Action Cable command queue, its dispatch to local channels
// or the controller, and replies applied in anycable-go's order.

namespace cable::server {

namespace {
// Commands waiting behind the one in flight before the session stops reading.
constexpr size_t kMaxPendingCommands = 64;
}  // namespace

void Session::HandleMessage(std::string_view text) {
  if (basics_.framing == Framing::kPusher) return HandlePusherEvent(text);
  auto parsed = protocol::ParseClientCommand(text);
  if (!parsed.ok()) {
    if (parsed.error().IsIgnored()) return;
    Inc(node_.metrics().failed_client_msg_total);
    WarnAboutClient("Ignored client message sid={}: {}", basics_.sid, parsed.error().message);
    return;
  }
  QueueCommand(std::move(parsed.value()));
}

void Session::QueueCommand(protocol::ClientCommand cmd) {
  WorkerCounters::Add(worker_.counters().client_msg_total);
  pending_.push_back(std::move(cmd));
  if (pending_.size() - pending_head_ > kMaxPendingCommands) reading_paused_ = true;
  if (!command_running_ && state_ == State::kOpen) ProcessNextCommand();
}

// ----------------------------------------------------------------- commands

void Session::ProcessNextCommand() {
  if (command_running_ || state_ != State::kOpen) return;
  if (pending_head_ == pending_.size()) {
    // An idle session keeps no command buffer: most clients send a few
    // commands after connecting and then only listen.
    pending_ = {};
    pending_head_ = 0;
    if (reading_paused_) {
      reading_paused_ = false;
      ArmRead();
    }
    // An SSE request's subscribes have all run.
    if (sse_start_) FinishSseSetup();
    return;
  }
  protocol::ClientCommand cmd = std::move(pending_[pending_head_++]);
  RunCommand(std::move(cmd));
}

void Session::CommandDone() {
  command_running_ = false;
  // Continue from the event loop, not the stack: an in-process controller
  // completes synchronously and a long queue must not recurse.
  auto self = shared_from_this();
  PostBack([self] { self->ProcessNextCommand(); });
}

void Session::RunCommand(protocol::ClientCommand cmd) {
  using protocol::CommandType;
  command_running_ = true;
  switch (cmd.type) {
    case CommandType::kSubscribe:
      return Subscribe(std::move(cmd));
    case CommandType::kUnsubscribe:
      return Unsubscribe(std::move(cmd));
    case CommandType::kMessage:
      return Perform(std::move(cmd));
    case CommandType::kPing:
      SendText(protocol::Pong());
      return CommandDone();
    case CommandType::kPong:
      return CommandDone();
    case CommandType::kWhisper:
      Whisper(cmd);
      return CommandDone();
    case CommandType::kHistory:
      return History(cmd.identifier, cmd.history);
    case CommandType::kJoin:
      return Join(cmd);
    case CommandType::kLeave:
      return Leave(cmd);
    case CommandType::kPresence:
      return QueryPresence(cmd);
    default:
      WarnAboutClient("Unsupported command sid={} identifier={}", basics_.sid, cmd.identifier);
      return CommandDone();
  }
}

Subscriptions::HubLink Session::hub_link() {
  return {this, worker_.hub(), node_, basics_.framing};
}

// The subscription a command names; a command for one the client does not
// have is logged (rate-limited) and skipped.
Subscription* Session::FindSubscribed(const protocol::ClientCommand& cmd) {
  Subscription* sub = subscriptions_.Find(cmd.identifier);
  if (!sub)
    WarnAboutClient("Unknown subscription sid={} identifier={}", basics_.sid, cmd.identifier);
  return sub;
}

void Session::Subscribe(protocol::ClientCommand cmd) {
  if (subscriptions_.Find(cmd.identifier)) {
    WarnAboutClient("Already subscribed sid={} identifier={}", basics_.sid, cmd.identifier);
    return CommandDone();
  }
  const int max = node_.config().max_subscriptions_per_connection;
  if (max > 0 && subscriptions_.size() >= static_cast<size_t>(max)) {
    WarnAboutClient(
        "Subscription rejected sid={}: the connection already has {} "
        "(--max_subscriptions_per_connection)",
        basics_.sid, subscriptions_.size());
    SendText(protocol::RejectSubscription(cmd.identifier));
    return CommandDone();
  }
  if (basics_.framing == Framing::kPusher) return SubscribePusher(std::move(cmd));
  switch (SubscribeLocally(cmd.identifier)) {
    case LocalAnswer::kConfirmed:
      // History and presence along with subscribe run once confirmed
      // (spec §2.2, §2.6), in that order.
      QueueJoinAfterSubscribe(cmd.identifier, std::move(cmd.presence));
      if (!cmd.history.empty()) return History(cmd.identifier, cmd.history);
      return CommandDone();
    case LocalAnswer::kRejected:
      return CommandDone();
    case LocalAnswer::kNotLocal:
      break;
  }
  CommandRequest request;
  request.command = "subscribe";
  request.identifier = cmd.identifier;
  request.connection_identifiers = identifiers();
  request.env = MakeEnv();
  CallCommand(std::move(request), true, std::move(cmd.history), std::move(cmd.presence));
}

void Session::Unsubscribe(protocol::ClientCommand cmd) {
  Subscription* sub = FindSubscribed(cmd);
  if (!sub) return CommandDone();
  LeaveOnUnsubscribe(*sub);
  if (sub->local) {
    subscriptions_.Remove(hub_link(), cmd.identifier);
    CommitSnapshot();
    return CommandDone();
  }
  CommandRequest request;
  request.command = "unsubscribe";
  request.identifier = cmd.identifier;
  request.connection_identifiers = identifiers();
  request.env = MakeEnv();
  request.env.istate = sub->State();
  request.cancel = cancel_flag();
  // Streams stop at once: the client considers itself unsubscribed now.
  subscriptions_.Remove(hub_link(), cmd.identifier);
  CommitSnapshot();
  auto self = shared_from_this();
  node_.controller().Command(basics_.sid, std::move(request), [self](CommandReply reply) {
    self->PostBack([self, reply = std::move(reply)]() mutable {
      if (reply.status == RpcStatus::kError && self->state_ != State::kClosed) {
        self->LogAboutClient(log::Level::kError, "Unsubscribe failed sid={}: {}", self->basics_.sid,
                             reply.error);
      } else if (self->state_ == State::kOpen) {
        self->cstate_.Merge(reply.cstate);
        for (const auto& t : reply.transmissions) self->SendText(t);
      }
      self->CommandDone();
    });
  });
}

void Session::Perform(protocol::ClientCommand cmd) {
  Subscription* sub = FindSubscribed(cmd);
  if (!sub) return CommandDone();
  CommandRequest request;
  request.command = "message";
  request.identifier = cmd.identifier;
  request.connection_identifiers = identifiers();
  request.data = std::move(cmd.data);
  request.env = MakeEnv();
  request.env.istate = sub->State();
  CallCommand(std::move(request), false);
}

// Sends a subscribe or message command and applies the reply on this worker.
void Session::CallCommand(CommandRequest request, bool subscribing, std::string history,
                          std::string presence) {
  auto self = shared_from_this();
  request.cancel = cancel_flag();
  std::string identifier = request.identifier;
  node_.controller().Command(
      basics_.sid, std::move(request),
      [self, identifier = std::move(identifier), subscribing, history = std::move(history),
       presence = std::move(presence)](CommandReply reply) mutable {
        self->PostBack([self, identifier, subscribing, history = std::move(history),
                        presence = std::move(presence), reply = std::move(reply)]() mutable {
          if (self->state_ == State::kOpen &&
              self->ApplyCommandReply(identifier, reply, subscribing)) {
            self->QueueJoinAfterSubscribe(identifier, std::move(presence));
            if (!history.empty()) return self->History(identifier, history);
          }
          self->CommandDone();
        });
      });
}

Session::LocalAnswer Session::SubscribeLocally(const std::string& identifier) {
  auto local = node_.local_channels().Subscribe(identifier);
  if (!local) return LocalAnswer::kNotLocal;
  if (!local->confirmed) {
    log::Debug("Subscription rejected sid={} identifier={}: {}", basics_.sid, identifier,
               local->log);
    SendText(protocol::RejectSubscription(identifier));
    return LocalAnswer::kRejected;
  }
  AddLocalSubscription(identifier, *local);
  SendText(protocol::ConfirmSubscription(identifier));
  CommitSnapshot();
  return LocalAnswer::kConfirmed;
}

void Session::AddLocalSubscription(const std::string& identifier, const LocalSubscription& local) {
  auto& sub = subscriptions_.Add(identifier, {}, /*local=*/true);
  sub.whisper_on_stream = local.whisper;
  sub.presence_on_stream = local.presence;
  subscriptions_.AddStream(hub_link(), sub, local.stream);
}

// Whispers go to the other subscribers of the subscription's whisper stream
// (`$w` in its state); the sender never gets its own whisper back.
void Session::Whisper(const protocol::ClientCommand& cmd) {
  Subscription* sub = FindSubscribed(cmd);
  if (!sub) return;
  const std::string* stream = sub->WhisperStream();
  if (!stream) {
    log::Debug("Whisper not allowed sid={} identifier={}", basics_.sid, cmd.identifier);
    return;
  }
  // Whispers are never stored and carry no position (spec §2.5).
  auto whisper = MakeBroadcast(*stream, cmd.data, basics_.sid);
  whisper->transient = true;
  node_.Publish(std::move(whisper));
}

// Applies a CommandResponse in anycable-go's order (spec §4.3).
bool Session::ApplyCommandReply(const std::string& identifier, CommandReply& reply,
                                bool subscribing) {
  if (reply.status == RpcStatus::kError) {
    LogAboutClient(log::Level::kError, "Command failed sid={} identifier={}: {}", basics_.sid,
                   identifier, reply.error);
    return false;
  }
  Subscription* sub = subscriptions_.Find(identifier);
  const bool confirmed = subscribing && reply.status == RpcStatus::kSuccess && !sub;
  if (confirmed) {
    disconnect_interest_ = true;
    sub = &subscriptions_.Add(identifier);
  }
  const bool changed = confirmed || reply.stop_streams || !reply.stopped_streams.empty() ||
                       !reply.streams.empty() || !reply.istate.empty() || !reply.cstate.empty();
  if (sub) {
    const auto link = hub_link();
    if (reply.stop_streams) {
      subscriptions_.RemoveAllStreams(link, *sub);
    } else {
      for (const auto& s : reply.stopped_streams) subscriptions_.RemoveStream(link, *sub, s);
    }
    for (const auto& s : reply.streams) subscriptions_.AddStream(link, *sub, s);
    sub->istate.Merge(reply.istate);
  }
  cstate_.Merge(reply.cstate);
  for (const auto& t : reply.transmissions) SendText(t);
  if (reply.disconnect) {
    // The application asked to drop the connection; its transmissions
    // (usually a disconnect message) went out first.
    Close(ws::kCloseNormal, "Command Failed");
    return false;
  }
  if (sub && reply.presence) QueuePresenceChange(identifier, *reply.presence);
  if (changed) CommitSnapshot();
  return confirmed;
}

}  // namespace cable::server
