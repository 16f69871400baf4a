// Expectations about what the server sends: receive, expect_nothing,
// expect_close.

#include "conformance/client_runner.h"

namespace cable::conformance {

ClientRunner::Outcome ClientRunner::Do(const Step& s, const ReceiveStep& a) {
  auto deadline = Deadline(a.timeout);
  std::vector<bool> matched(a.frames.size(), false);
  auto describe_remaining = [&] {
    std::string out;
    for (size_t i = 0; i < a.frames.size(); ++i) {
      if (matched[i]) continue;
      if (!out.empty()) out += "\n";
      out += Describe(a.frames[i], *this);
    }
    return out;
  };
  for (size_t n = 0; n < a.frames.size(); ++n) {
    auto next = conn_.Take(deadline);
    if (next.event != Connection::Event::kMessage) {
      std::string what = a.frames.size() == 1 ? "a frame"
                                              : "frame " + std::to_string(n + 1) + " of " +
                                                    std::to_string(a.frames.size());
      return Unexpected(s, next, what, describe_remaining());
    }
    const Message& m = next.message;
    if (!m.is_json) {
      return Failed(s, "received a frame that is not JSON", describe_remaining(), {m.text});
    }
    if (!a.any_order) {
      auto r = Match(a.frames[n], m.json, a.exact, *this);
      if (!r.ok) {
        return Failed(s, "the frame does not match (" + r.why + ")", Describe(a.frames[n], *this),
                      {m.text});
      }
      run_.Bind(r.captures);
      matched[n] = true;
      continue;
    }
    bool found = false;
    std::string why;
    for (size_t i = 0; i < a.frames.size() && !found; ++i) {
      if (matched[i]) continue;
      auto r = Match(a.frames[i], m.json, a.exact, *this);
      if (r.ok) {
        run_.Bind(r.captures);
        matched[i] = found = true;
      } else if (why.empty()) {
        why = r.why;
      }
    }
    if (!found) {
      std::string expected = describe_remaining();
      return Failed(s, "the frame matches none of the expected frames (" + why + ")", expected,
                    {m.text});
    }
  }
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const ExpectNothingStep& a) {
  if (!conn_.mailbox_empty()) {
    return Failed(s, "a frame arrived earlier and was never consumed", "nothing",
                  {conn_.mailbox().front().text});
  }
  Millis quiet = a.duration.value_or(Millis(500));
  auto next = conn_.Take(DeadlineFor(quiet));
  switch (next.event) {
    case Connection::Event::kTimeout:
      return Ok();
    case Connection::Event::kMessage:
      return Failed(s, "expected nothing for " + std::to_string(run_.Scaled(quiet).count()) + " ms",
                    "nothing", {next.message.text});
    default:
      return Unexpected(s, next, "nothing", "nothing");
  }
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const ExpectCloseStep& a) {
  auto deadline = Deadline(a.timeout);
  std::string expected = "close frame";
  if (a.code) expected += " with code " + std::to_string(*a.code);
  if (a.disconnect) expected = Describe(*a.disconnect, *this) + " then a " + expected;
  bool disconnect_seen = !a.disconnect.has_value();
  std::vector<std::string> before;
  while (true) {
    auto next = conn_.Take(deadline);
    using E = Connection::Event;
    if (next.event == E::kMessage) {
      // Messages before the close are allowed (AnyT checks none of them)
      // unless a disconnect message is expected among them.
      if (!disconnect_seen && next.message.is_json) {
        auto r = Match(*a.disconnect, next.message.json, false, *this);
        if (r.ok) {
          disconnect_seen = true;
          run_.Bind(r.captures);
          continue;
        }
      }
      if (before.size() < 20) before.push_back(next.message.text);
      continue;
    }
    if (next.event == E::kAborted) return Aborted();
    if (next.event == E::kTimeout) {
      return Failed(s, "the connection is still open", expected, before);
    }
    if (next.event == E::kError) return Failed(s, next.error, expected, before);
    if (next.event == E::kDropped && !a.allow_drop) {
      return Failed(s, "the connection dropped without a close frame", expected, before);
    }
    if (!disconnect_seen) {
      return Failed(s, "closed without the expected disconnect message", expected, before);
    }
    if (next.event == E::kClosed && a.code && next.close_code != *a.code) {
      return Failed(s, "closed with code " + std::to_string(next.close_code), expected, before);
    }
    if (next.event == E::kClosed && a.reason) {
      auto reason = a.reason->RenderText(*this);
      if (!reason.ok()) return Failed(s, reason.error().message);
      if (next.close_reason != *reason) {
        return Failed(
            s, "closed with reason \"" + next.close_reason + "\"; expected \"" + *reason + "\"",
            expected, before);
      }
    }
    return Ok();
  }
}

}  // namespace cable::conformance
