#pragma once
// One scenario client's WebSocket connection and its mailbox.
//
// Frames are read only while a step waits for something, so a client that
// is not waiting does not read at all (which is how a slow client is
// modelled). Frames read but not consumed by the step that read them (a
// subscribe waiting for its confirmation sees a transmission first) stay in
// the mailbox, in arrival order, for the next step. Frames matching the
// client's ignore rules (pings by default) are dropped on arrival.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ws/client.h"
#include "conformance/model.h"
#include "conformance/result.h"

namespace cable::conformance {

using Clock = std::chrono::steady_clock;

struct Message {
  Json json;  // the parsed frame; a string holding the text when not JSON
  bool is_json = false;
  std::string text;  // as received
};

class Connection {
 public:
  Connection(std::string name, const std::vector<IgnoreRule>* ignore, const RenderContext* ctx,
             Clock::time_point started, const std::atomic<bool>* abort);

  const std::string& name() const { return name_; }
  bool open() const { return client_.has_value() && !closed_; }
  bool connected() const { return client_.has_value(); }
  void Attach(ws::Client client);
  const ws::Client* client() const { return client_ ? &*client_ : nullptr; }

  Status SendText(const std::string& text);
  Status SendBinary(const std::string& data);
  Status SendRaw(const std::string& bytes);
  // Sends a close frame and waits (bounded) for the server's answer.
  void CloseGracefully(uint16_t code, Clock::time_point deadline);
  void Drop();

  enum class Event { kMessage, kClosed, kDropped, kTimeout, kAborted, kError };
  struct Next {
    Event event = Event::kTimeout;
    Message message;
    int close_code = 0;
    std::string close_reason;
    std::string error;
  };

  // The next unconsumed message, waiting until `deadline`.
  Next Take(Clock::time_point deadline);
  // The first message (queued or new) for which `wanted` holds; the others
  // stay queued in order.
  Next TakeMatching(const std::function<bool(const Message&)>& wanted, Clock::time_point deadline);
  bool mailbox_empty() const { return mailbox_.empty(); }
  const std::deque<Message>& mailbox() const { return mailbox_; }

  std::vector<FrameLogEntry> LastFrames() const;

 private:
  Next ReadOne(Clock::time_point deadline);
  Next ClosedEvent() const;
  void Log(bool outgoing, bool ignored, const std::string& text);
  bool Ignored(const Message& m) const;

  std::string name_;
  const std::vector<IgnoreRule>* ignore_;
  const RenderContext* ctx_;
  Clock::time_point started_;
  const std::atomic<bool>* abort_;
  std::optional<ws::Client> client_;
  std::deque<Message> mailbox_;
  std::deque<FrameLogEntry> log_;
  bool closed_ = false;   // a close frame arrived (or we closed)
  bool dropped_ = false;  // TCP closed without a close frame
  int close_code_ = 0;
  std::string close_reason_;
};

}  // namespace cable::conformance
