// Action Cable commands: subscribe, unsubscribe, perform, whisper, the
// presence commands (join, leave, presence), and the sync round trip that
// stands in for the acknowledgement unsubscribe lacks.

#include "conformance/client_runner.h"

namespace cable::conformance {
namespace {

// Subscribing to a channel no backend defines is answered with a confirm or
// a reject only after the commands sent before it were handled (servers
// handle one connection's commands in order), and subscribes nothing.
constexpr const char* kSyncChannel = "CableConformance::Sync";

bool IsSubscriptionAnswer(const Message& m, const std::string& identifier) {
  if (!m.is_json || !m.json.is_object()) return false;
  auto type = m.json.find("type");
  auto id = m.json.find("identifier");
  if (type == m.json.end() || id == m.json.end() || !type->is_string() || !id->is_string())
    return false;
  const auto& t = type->get_ref<const std::string&>();
  return (t == "confirm_subscription" || t == "reject_subscription") &&
         id->get_ref<const std::string&>() == identifier;
}

}  // namespace

ClientRunner::Outcome ClientRunner::SendCommand(const Step& s, const Json& command) {
  Status st = conn_.SendText(Dump(command));
  if (!st.ok()) return Failed(s, "cannot send: " + st.error().message);
  return Ok();
}

ClientRunner::Outcome ClientRunner::AwaitSubscription(const Step& s, const std::string& identifier,
                                                      bool want_confirm, bool any_answer,
                                                      const std::optional<Millis>& timeout) {
  const std::string wanted = want_confirm ? "confirm_subscription" : "reject_subscription";
  Json expected_frame = {{"identifier", identifier}, {"type", wanted}};
  std::string expected = any_answer
                             ? "confirm_subscription or reject_subscription for " + identifier
                             : Dump(expected_frame);
  auto next = conn_.TakeMatching(
      [&](const Message& m) { return IsSubscriptionAnswer(m, identifier); }, Deadline(timeout));
  if (next.event != Connection::Event::kMessage) {
    return Unexpected(s, next, any_answer ? "the answer to the sync subscription" : wanted,
                      expected);
  }
  if (!any_answer && next.message.json["type"] != wanted) {
    return Failed(
        s, "the subscription was answered with " + next.message.json["type"].get<std::string>(),
        expected, {next.message.text});
  }
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const SubscribeStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  Json cmd = {{"command", "subscribe"}, {"identifier", *id}};
  if (a.history) {
    auto h = a.history->Render(*this);
    if (!h.ok()) return Failed(s, h.error().message);
    cmd["history"] = *h;
  }
  if (a.presence) {
    auto p = a.presence->Render(*this);
    if (!p.ok()) return Failed(s, p.error().message);
    cmd["presence"] = *p;
  }
  if (auto o = SendCommand(s, cmd); o.kind != Outcome::kOk) return o;
  if (a.expect == SubscribeStep::Expect::kNone) return Ok();
  return AwaitSubscription(s, *id, a.expect == SubscribeStep::Expect::kConfirm, false, a.timeout);
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const UnsubscribeStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  if (auto o = SendCommand(s, {{"command", "unsubscribe"}, {"identifier", *id}});
      o.kind != Outcome::kOk)
    return o;
  if (!a.sync) return Ok();
  return Do(s, SyncStep{});
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const JoinStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  Json presence = Json::object();
  if (a.presence) {
    auto p = a.presence->Render(*this);
    if (!p.ok()) return Failed(s, p.error().message);
    presence = *p;
  } else {
    if (a.presence_id) {
      auto v = a.presence_id->Render(*this);
      if (!v.ok()) return Failed(s, v.error().message);
      presence["id"] = *v;
    }
    if (a.info) {
      auto v = a.info->Render(*this);
      if (!v.ok()) return Failed(s, v.error().message);
      presence["info"] = *v;
    }
  }
  return SendCommand(s, {{"command", "join"}, {"identifier", *id}, {"presence", presence}});
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const LeaveStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  return SendCommand(s, {{"command", "leave"}, {"identifier", *id}});
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const PresenceStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  auto d = a.data.Render(*this);
  if (!d.ok()) return Failed(s, d.error().message);
  return SendCommand(s, {{"command", "presence"}, {"identifier", *id}, {"data", *d}});
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const SyncStep& a) {
  Json id = {{"channel", kSyncChannel}, {"n", ++sync_counter_}};
  std::string identifier = Dump(id);
  if (auto o = SendCommand(s, {{"command", "subscribe"}, {"identifier", identifier}});
      o.kind != Outcome::kOk)
    return o;
  return AwaitSubscription(s, identifier, false, true, a.timeout);
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const PerformStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  Json cmd = {{"command", "message"}, {"identifier", *id}};
  if (a.raw_data) {
    auto d = a.raw_data->Render(*this);
    if (!d.ok()) return Failed(s, d.error().message);
    cmd["data"] = *d;
  } else {
    Json data = Json::object();
    if (a.action) {
      auto action = a.action->RenderText(*this);
      if (!action.ok()) return Failed(s, action.error().message);
      data["action"] = *action;
    }
    for (const auto& [k, v] : a.data) {
      auto r = v.Render(*this);
      if (!r.ok()) return Failed(s, r.error().message);
      data[k] = *r;
    }
    cmd["data"] = Dump(data);
  }
  return SendCommand(s, cmd);
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const WhisperStep& a) {
  auto id = a.id.Render(*this);
  if (!id.ok()) return Failed(s, id.error().message);
  auto d = a.data.Render(*this);
  if (!d.ok()) return Failed(s, d.error().message);
  return SendCommand(s, {{"command", "whisper"}, {"identifier", *id}, {"data", *d}});
}

}  // namespace cable::conformance
