#include "common/log.h"
#include "server/broker/broker.h"
#include "server/node.h"
#include "server/protocol/json_writer.h"
#include "server/protocol/presence_messages.h"
#include "server/session/session.h"
#include "server/session/session_internal.h"

// Session: presence (spec §2.6) — join, leave and the presence query, on
// the stream a subscription's `$p` state names. Each runs as a command, so
// a query sent after a join sees it. Events go out through the node to
// every subscriber of the stream; the broker decides whether there is one.

namespace cable::server {

// The subscription's presence stream when presence can be used on it; logs
// why not otherwise (nothing is sent: anycable-go's rule).
const std::string* Session::PresenceStream(const protocol::ClientCommand& cmd) {
  Subscription* sub = FindSubscribed(cmd);
  if (!sub) return nullptr;
  const std::string* stream = sub->PresenceStream();
  if (!stream) {
    log::Debug("Presence not enabled sid={} identifier={}", basics_.sid, cmd.identifier);
  }
  return stream;
}

Broker* Session::PresenceBroker() {
  Broker* broker = node_.broker();
  if (broker && broker->has_presence()) return broker;
  log::Debug("Presence ignored sid={}: the broker keeps no presence (--broker memory or redis)",
             basics_.sid);
  return nullptr;
}

void Session::QueueNext(protocol::ClientCommand cmd) {
  pending_.insert(pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_), std::move(cmd));
}

void Session::Join(const protocol::ClientCommand& cmd) {
  const std::string* stream = PresenceStream(cmd);
  Broker* broker = stream ? PresenceBroker() : nullptr;
  if (!broker) return CommandDone();
  auto member = protocol::ParsePresenceMember(cmd.presence);
  if (!member.ok()) {
    WarnAboutClient("Join ignored sid={} identifier={}: {}", basics_.sid, cmd.identifier,
                    member.error().message);
    return CommandDone();
  }
  in_presence_ = true;
  auto self = shared_from_this();
  broker->PresenceAdd(*stream, basics_.sid, std::move(member.value()),
                      [self, stream = *stream](Result<std::optional<PresenceEvent>> joined) {
                        if (joined.ok() && *joined) self->node_.PublishPresence(stream, **joined);
                        self->PostBack([self, joined = std::move(joined)] {
                          if (!joined.ok()) {
                            self->WarnAboutClient("Join failed sid={}: {}", self->basics_.sid,
                                                  joined.error().message);
                          }
                          self->CommandDone();
                        });
                      });
}

void Session::Leave(const protocol::ClientCommand& cmd) {
  const std::string* stream = PresenceStream(cmd);
  Broker* broker = stream ? PresenceBroker() : nullptr;
  if (!broker) return CommandDone();
  auto self = shared_from_this();
  broker->PresenceRemove(
      *stream, basics_.sid, [self, stream = *stream](Result<std::optional<PresenceEvent>> left) {
        if (left.ok() && *left) self->node_.PublishPresence(stream, **left);
        self->PostBack([self, left = std::move(left)] {
          if (!left.ok()) {
            log::Debug("Leave ignored sid={}: {}", self->basics_.sid, left.error().message);
          }
          self->CommandDone();
        });
      });
}

// Unsubscribing leaves the subscription's presence stream (not a command
// of its own: the caller goes on).
void Session::LeaveOnUnsubscribe(const Subscription& sub) {
  const std::string* stream = sub.PresenceStream();
  Broker* broker = node_.broker();
  if (!stream || !in_presence_ || !broker || !broker->has_presence()) return;
  Node& node = node_;
  broker->PresenceRemove(*stream, basics_.sid,
                         [&node, stream = *stream](Result<std::optional<PresenceEvent>> left) {
                           if (left.ok() && *left) node.PublishPresence(stream, **left);
                         });
}

void Session::QueryPresence(const protocol::ClientCommand& cmd) {
  const std::string* stream = PresenceStream(cmd);
  if (!stream) return CommandDone();
  Broker* broker = PresenceBroker();
  if (!broker) {
    SendText(protocol::PresenceErrorReply(cmd.identifier));
    return CommandDone();
  }
  const bool with_records = !protocol::PresenceQueryOmitsRecords(cmd.data);
  auto self = shared_from_this();
  broker->PresenceInfo(*stream, [self, identifier = cmd.identifier,
                                 with_records](Result<PresenceList> list) mutable {
    self->PostBack([self, identifier = std::move(identifier), with_records,
                    list = std::move(list)] {
      if (self->state_ == State::kOpen) {
        if (list.ok()) {
          self->SendText(protocol::PresenceReply(
              identifier, protocol::PresenceInfoJson(list.value(), with_records)));
        } else {
          log::Debug("Presence query failed sid={}: {}", self->basics_.sid, list.error().message);
          self->SendText(protocol::PresenceErrorReply(identifier));
        }
      }
      self->CommandDone();
    });
  });
}

// An RPC reply's presence (spec §4.3, last step): the join or leave runs
// as the next command, with the state the reply just set.
void Session::QueuePresenceChange(const std::string& identifier, const PresenceChange& change) {
  protocol::ClientCommand cmd;
  cmd.identifier = identifier;
  if (change.type == "leave") {
    cmd.type = protocol::CommandType::kLeave;
  } else if (change.type == "join") {
    auto member = protocol::PresenceMemberFromRpc(change.id, change.info);
    if (!member.ok()) {
      LogAboutClient(log::Level::kError, "RPC presence ignored sid={} identifier={}: {}",
                     basics_.sid, identifier, member.error().message);
      return;
    }
    cmd.type = protocol::CommandType::kJoin;
    cmd.presence = R"({"id":)";
    protocol::AppendJsonString(cmd.presence, member->id);
    if (!member->info.empty()) cmd.presence += R"(,"info":)" + member->info;
    cmd.presence += '}';
  } else {
    LogAboutClient(log::Level::kError, "RPC presence ignored sid={}: unknown type \"{}\"",
                   basics_.sid, change.type.substr(0, 32));
    return;
  }
  QueueNext(std::move(cmd));
}

void Session::QueueJoinAfterSubscribe(const std::string& identifier, std::string presence) {
  if (presence.empty()) return;
  protocol::ClientCommand cmd;
  cmd.type = protocol::CommandType::kJoin;
  cmd.identifier = identifier;
  cmd.presence = std::move(presence);
  QueueNext(std::move(cmd));
}

void Session::FinishPresence() {
  if (!in_presence_) return;
  if (Broker* broker = node_.broker()) broker->FinishPresence(basics_.sid);
}

}  // namespace cable::server
