#include "common/log.h"
#include "common/ws/frame.h"
#include "server/broker/broker.h"
#include "server/node.h"
#include "server/protocol/messages.h"
#include "server/protocol/presence_messages.h"
#include "server/pusher/channels.h"
#include "server/pusher/client_events.h"
#include "server/pusher/encoder.h"
#include "server/session/session.h"
#include "server/session/session_internal.h"

// Session: Pusher clients (spec §11.4). Their events become the session's
// own commands (pusher/client_events.h) and run through the same queue;
// their channels are subscribed here, without RPC. A presence channel is
// confirmed with its members, read from the broker before this client
// joins (it is added to the list it receives), and joined right after, so
// the others get member_added — anycable-go's order.

namespace cable::server {

void Session::HandlePusherEvent(std::string_view text) {
  auto event = pusher::TranslateClientEvent(text, node_.config().pusher, basics_.sid);
  if (!event.command) {
    Inc(node_.metrics().failed_client_msg_total);
    WarnAboutClient("Ignored Pusher message sid={}: {}", basics_.sid, event.problem);
    Send(FrameRef::Make(ws::EncodeFrame(ws::Opcode::kText, event.reply)));
    return;
  }
  QueueCommand(std::move(*event.command));
}

void Session::SubscribePusher(protocol::ClientCommand cmd) {
  Broker* broker = node_.broker();
  const bool presence_kept = broker && broker->has_presence();
  LocalSubscription local = pusher::Subscribe(cmd.identifier, presence_kept);
  if (!local.confirmed) {
    log::Debug("Subscription rejected sid={} identifier={}: {}", basics_.sid, cmd.identifier,
               local.log);
    SendText(protocol::RejectSubscription(cmd.identifier));
    return CommandDone();
  }
  AddLocalSubscription(cmd.identifier, local);
  if (local.presence) return ConfirmPusherPresence(cmd.identifier, std::move(cmd.presence));
  SendText(protocol::ConfirmSubscription(cmd.identifier));
  CommandDone();
}

void Session::ConfirmPusherPresence(const std::string& identifier, std::string presence) {
  // The subscription is dropped again and the client told it was refused.
  auto refuse = [this, identifier](std::string_view why) {
    WarnAboutClient("Presence subscription rejected sid={} identifier={}: {}", basics_.sid,
                    identifier, why);
    subscriptions_.Remove(hub_link(), identifier);
    SendText(protocol::RejectSubscription(identifier));
    CommandDone();
  };
  auto self = protocol::ParsePresenceMember(presence);
  if (!self.ok()) return refuse(self.error().message);
  auto keep = shared_from_this();
  const std::string channel = pusher::ChannelOf(identifier);
  node_.broker()->PresenceInfo(
      channel, [keep, refuse, identifier, channel, presence = std::move(presence),
                self = std::move(self.value())](Result<PresenceList> list) mutable {
        keep->PostBack([keep, refuse, identifier, channel, presence = std::move(presence),
                        self = std::move(self), list = std::move(list)]() mutable {
          if (keep->state_ != State::kOpen || !keep->subscriptions_.Find(identifier)) {
            return keep->CommandDone();
          }
          if (!list.ok()) return refuse(list.error().message);
          keep->Send(FrameRef::Make(
              ws::EncodeFrame(ws::Opcode::kText,
                              pusher::PresenceSubscriptionSucceeded(channel, list.value(), self))));
          keep->QueueJoinAfterSubscribe(identifier, std::move(presence));
          keep->CommandDone();
        });
      });
}

}  // namespace cable::server
