#pragma once
// One client of a running scenario: executes its steps in order on its own
// thread. Each step family lives in its own file (steps_*.cpp).

#include <memory>
#include <optional>
#include <string>

#include "common/broadcast/publisher.h"
#include "common/http/http_client.h"
#include "conformance/connection.h"
#include "conformance/scenario_run.h"

namespace cable::conformance {

class ClientRunner : public RenderContext {
 public:
  ClientRunner(ScenarioRun& run, const ClientSpec& spec, int index, std::string name);

  // Runs every step; a failure is reported to the ScenarioRun.
  void Run();
  Connection& connection() { return conn_; }

  std::optional<Json> Variable(std::string_view name) const override;
  Result<std::string> Sign(std::string_view stream, SignKey key) const override;

 private:
  struct Outcome {
    enum Kind { kOk, kFailed, kAborted } kind = kOk;
    StepFailure failure;
  };
  static Outcome Ok() { return {}; }
  static Outcome Aborted() { return {Outcome::kAborted, {}}; }
  Outcome Failed(const Step& step, std::string message, std::string expected = {},
                 std::vector<std::string> received = {});
  // Turns a non-message event of a wait into the failure (or abort) it is.
  Outcome Unexpected(const Step& step, const Connection::Next& next, const std::string& waiting_for,
                     const std::string& expected);

  bool RunSteps(const Steps& steps);
  Outcome Dispatch(const Step& step);
  Clock::time_point Deadline(const std::optional<Millis>& timeout) const;
  Clock::time_point DeadlineFor(Millis duration) const;

  // steps_connection.cpp
  Outcome Do(const Step& s, const ConnectStep& a);
  Outcome Do(const Step& s, const SendStep& a);
  Outcome Do(const Step& s, const CloseStep& a);
  Outcome Do(const Step& s, const SleepStep& a);
  Outcome Do(const Step& s, const WaitAllStep& a);
  Outcome Do(const Step& s, const DropStep& a);
  Outcome Do(const Step& s, const LoopStep& a);
  // steps_cable.cpp
  Outcome Do(const Step& s, const SubscribeStep& a);
  Outcome Do(const Step& s, const UnsubscribeStep& a);
  Outcome Do(const Step& s, const PerformStep& a);
  Outcome Do(const Step& s, const WhisperStep& a);
  Outcome Do(const Step& s, const JoinStep& a);
  Outcome Do(const Step& s, const LeaveStep& a);
  Outcome Do(const Step& s, const PresenceStep& a);
  Outcome Do(const Step& s, const SyncStep& a);
  Outcome SendCommand(const Step& s, const Json& command);
  Outcome AwaitSubscription(const Step& s, const std::string& identifier, bool want_confirm,
                            bool any_answer, const std::optional<Millis>& timeout);
  // steps_expect.cpp
  Outcome Do(const Step& s, const ReceiveStep& a);
  Outcome Do(const Step& s, const ExpectNothingStep& a);
  Outcome Do(const Step& s, const ExpectCloseStep& a);
  // steps_server.cpp
  Outcome Do(const Step& s, const BroadcastStep& a);
  Outcome Do(const Step& s, const RemoteDisconnectStep& a);
  Outcome Do(const Step& s, const RestartStep& a);
  Result<broadcast::Publisher*> PublisherFor(const std::string& adapter, const std::string& key,
                                             bool override_key);
  // steps_http.cpp
  Outcome Do(const Step& s, const HttpStep& a);
  Result<http::Client*> ApiClient(Millis timeout);

  ScenarioRun& run_;
  const ClientSpec& spec_;
  int index_;
  std::string name_;
  Connection conn_;
  int sync_counter_ = 0;
  std::string publisher_id_;
  std::unique_ptr<broadcast::Publisher> publisher_;
  std::unique_ptr<http::Client> http_;  // kept alive across `http` steps
  Millis http_timeout_{0};
};

}  // namespace cable::conformance
