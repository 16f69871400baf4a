#include "conformance/client_runner.h"

#include "common/auth/message_verifier.h"

namespace cable::conformance {

ClientRunner::ClientRunner(ScenarioRun& run, const ClientSpec& spec, int index, std::string name)
    : run_(run),
      spec_(spec),
      index_(index),
      name_(name),
      conn_(std::move(name), &spec.ignore, this, run.started(), &run.aborted()) {}

std::optional<Json> ClientRunner::Variable(std::string_view name) const {
  if (name == "client") return Json(name_);
  if (name == "index") return Json(index_);
  return run_.Variable(name);
}

Result<std::string> ClientRunner::Sign(std::string_view stream, SignKey key) const {
  const auto& s = run_.settings();
  const std::string& secret = key == SignKey::kTurbo ? s.turbo_secret : s.streams_secret;
  if (secret.empty()) {
    return Error{"no_secret", key == SignKey::kTurbo
                                  ? "no Turbo Streams secret (pass --secret or --turbo-secret)"
                                  : "no streams secret (pass --secret or --streams-secret)"};
  }
  return auth::SignStream(stream, secret);
}

Clock::time_point ClientRunner::Deadline(const std::optional<Millis>& timeout) const {
  return Clock::now() + run_.Scaled(timeout.value_or(run_.scenario().timeout));
}

Clock::time_point ClientRunner::DeadlineFor(Millis duration) const {
  return Clock::now() + run_.Scaled(duration);
}

namespace {

// Reports quote frames; a 64 KB broadcast must not become a 64 KB line.
constexpr size_t kQuoteBytes = 600;
constexpr size_t kMaxQuotes = 5;

std::string Quote(std::string text) {
  if (text.size() <= kQuoteBytes) return text;
  size_t total = text.size();
  text.resize(kQuoteBytes);
  return text + "... (" + std::to_string(total) + " bytes)";
}

}  // namespace

ClientRunner::Outcome ClientRunner::Failed(const Step& step, std::string message,
                                           std::string expected,
                                           std::vector<std::string> received) {
  if (received.size() > kMaxQuotes) {
    size_t more = received.size() - kMaxQuotes;
    received.resize(kMaxQuotes);
    received.push_back("... and " + std::to_string(more) + " more");
  }
  for (auto& r : received) r = Quote(std::move(r));
  if (expected.size() > 4 * kQuoteBytes) expected = Quote(std::move(expected));
  Outcome o;
  o.kind = Outcome::kFailed;
  o.failure.client = name_;
  o.failure.step = step.keyword;
  o.failure.pos = step.pos;
  o.failure.message = std::move(message);
  o.failure.expected = std::move(expected);
  o.failure.received = std::move(received);
  return o;
}

ClientRunner::Outcome ClientRunner::Unexpected(const Step& step, const Connection::Next& next,
                                               const std::string& waiting_for,
                                               const std::string& expected) {
  using E = Connection::Event;
  std::vector<std::string> queued;
  for (const auto& m : conn_.mailbox()) queued.push_back(m.text);
  switch (next.event) {
    case E::kAborted:
      return Aborted();
    case E::kTimeout:
      return Failed(step, "timed out waiting for " + waiting_for, expected, queued);
    case E::kClosed:
      return Failed(step,
                    "the server closed the connection (code " + std::to_string(next.close_code) +
                        (next.close_reason.empty() ? "" : " \"" + next.close_reason + "\"") +
                        ") while waiting for " + waiting_for,
                    expected, queued);
    case E::kDropped:
      return Failed(step,
                    "the connection dropped (no close frame) while waiting for " + waiting_for,
                    expected, queued);
    case E::kError:
      return Failed(step, next.error, expected, queued);
    case E::kMessage:
      return Failed(step, "unexpected frame while waiting for " + waiting_for, expected,
                    {next.message.text});
  }
  return Ok();
}

ClientRunner::Outcome ClientRunner::Dispatch(const Step& step) {
  return std::visit([&](const auto& action) { return Do(step, action); }, step.action);
}

bool ClientRunner::RunSteps(const Steps& steps) {
  for (const auto& step : steps) {
    if (run_.aborted().load()) return false;
    Outcome o = Dispatch(step);
    if (o.kind == Outcome::kOk) continue;
    if (o.kind == Outcome::kFailed) {
      o.failure.last_frames = conn_.LastFrames();
      run_.Fail(std::move(o.failure));
    }
    return false;
  }
  return true;
}

void ClientRunner::Run() {
  RunSteps(spec_.steps);
  // Done (or stopped): the others must not wait for this client at a barrier.
  run_.barrier().Leave();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const LoopStep& a) {
  for (int i = 0; i < a.count; ++i) {
    for (const auto& step : a.steps) {
      if (run_.aborted().load()) return Aborted();
      Outcome o = Dispatch(step);
      if (o.kind != Outcome::kOk) return o;
    }
  }
  return Ok();
}

}  // namespace cable::conformance
