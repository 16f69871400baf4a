#include "conformance/connection.h"

#include <algorithm>

namespace cable::conformance {
namespace {

constexpr size_t kLogEntries = 12;
constexpr size_t kLogTextBytes = 300;
constexpr size_t kMaxMailbox = 10000;
// Waits are cut into slices so an aborted scenario stops within this.
constexpr auto kSlice = std::chrono::milliseconds(50);

}  // namespace

Connection::Connection(std::string name, const std::vector<IgnoreRule>* ignore,
                       const RenderContext* ctx, Clock::time_point started,
                       const std::atomic<bool>* abort)
    : name_(std::move(name)), ignore_(ignore), ctx_(ctx), started_(started), abort_(abort) {}

void Connection::Attach(ws::Client client) {
  client_ = std::move(client);
  closed_ = dropped_ = false;
  close_code_ = 0;
  close_reason_.clear();
  mailbox_.clear();
}

void Connection::Log(bool outgoing, bool ignored, const std::string& text) {
  FrameLogEntry e;
  e.at_s = std::chrono::duration<double>(Clock::now() - started_).count();
  e.outgoing = outgoing;
  e.ignored = ignored;
  e.text = text.size() > kLogTextBytes
               ? text.substr(0, kLogTextBytes) + "... (" + std::to_string(text.size()) + " bytes)"
               : text;
  log_.push_back(std::move(e));
  if (log_.size() > kLogEntries) log_.pop_front();
}

std::vector<FrameLogEntry> Connection::LastFrames() const {
  return {log_.begin(), log_.end()};
}

Status Connection::SendText(const std::string& text) {
  if (!client_) return Error{"not_connected", "the client is not connected"};
  if (closed_ || dropped_) return Error{codes::kClosed, "the connection is closed"};
  Log(true, false, text);
  return client_->SendText(text);
}

Status Connection::SendBinary(const std::string& data) {
  if (!client_) return Error{"not_connected", "the client is not connected"};
  Log(true, false, "<binary " + std::to_string(data.size()) + " bytes>");
  return client_->SendBinary(data);
}

Status Connection::SendRaw(const std::string& bytes) {
  if (!client_) return Error{"not_connected", "the client is not connected"};
  Log(true, false, "<raw " + std::to_string(bytes.size()) + " bytes>");
  return client_->SendRaw(bytes);
}

void Connection::CloseGracefully(uint16_t code, Clock::time_point deadline) {
  if (!client_) return;
  if (!closed_ && !dropped_) {
    Log(true, false, "<close " + std::to_string(code) + ">");
    // A close that cannot be sent ends the wait below at the first read.
    client_->SendClose(code).IgnoreError();
    // The server answers with its own close frame; waiting for it (not for
    // a fixed time) lets it finish the session before the next step.
    while (Clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      auto f = client_->Receive(std::max(std::chrono::milliseconds(1), left));
      if (!f.ok() || f->kind == ws::Frame::kClose) break;
    }
  }
  closed_ = true;
  client_->Close();
}

void Connection::Drop() {
  if (client_) client_->Close();
  closed_ = true;
}

bool Connection::Ignored(const Message& m) const {
  if (!m.is_json) return false;
  for (const auto& rule : *ignore_) {
    if (rule.pattern) {
      if (Match(*rule.pattern, m.json, false, *ctx_).ok) return true;
    } else if (m.json.is_object()) {
      auto it = m.json.find("type");
      if (it != m.json.end() && it->is_string() && it->get<std::string>() == rule.type) return true;
    }
  }
  return false;
}

Connection::Next Connection::ClosedEvent() const {
  Next n;
  n.event = dropped_ ? Event::kDropped : Event::kClosed;
  n.close_code = close_code_;
  n.close_reason = close_reason_;
  return n;
}

Connection::Next Connection::ReadOne(Clock::time_point deadline) {
  Next n;
  if (!client_) {
    n.event = Event::kError;
    n.error = "the client is not connected (add a connect step first)";
    return n;
  }
  if (closed_ || dropped_) return ClosedEvent();
  while (true) {
    if (abort_->load()) {
      n.event = Event::kAborted;
      return n;
    }
    auto now = Clock::now();
    if (now >= deadline) {
      n.event = Event::kTimeout;
      return n;
    }
    auto slice = std::min<Clock::duration>(deadline - now, kSlice);
    auto f =
        client_->Receive(std::max(std::chrono::milliseconds(1),
                                  std::chrono::duration_cast<std::chrono::milliseconds>(slice)));
    if (!f.ok()) {
      if (f.error().IsTimeout()) continue;
      if (f.error().IsClosed()) {
        dropped_ = true;
        Log(false, false, "<connection dropped without a close frame>");
        return ClosedEvent();
      }
      n.event = Event::kError;
      n.error = f.error().message;
      return n;
    }
    if (f->kind == ws::Frame::kClose) {
      closed_ = true;
      close_code_ = f->close_code;
      close_reason_ = f->payload;
      Log(false, false,
          "<close " + std::to_string(f->close_code) +
              (f->payload.empty() ? "" : " \"" + f->payload + "\"") + ">");
      // Completing the closing handshake lets the server end the session now;
      // the connection is closed right after either way, so a failure is moot.
      client_->SendClose(f->close_code == 1005 ? 1000 : f->close_code).IgnoreError();
      client_->Close();
      return ClosedEvent();
    }
    Message m;
    if (f->kind == ws::Frame::kBinary) {
      m.text = f->payload;
      m.json = Json("<binary " + std::to_string(f->payload.size()) + " bytes>");
    } else {
      m.text = std::move(f->payload);
      try {
        m.json = Json::parse(m.text);
        m.is_json = true;
      } catch (...) {
        m.json = Json(m.text);
      }
    }
    bool ignored = Ignored(m);
    Log(false, ignored, m.is_json ? m.text : m.json.get<std::string>());
    if (ignored) continue;
    n.event = Event::kMessage;
    n.message = std::move(m);
    return n;
  }
}

Connection::Next Connection::Take(Clock::time_point deadline) {
  if (!mailbox_.empty()) {
    Next n;
    n.event = Event::kMessage;
    n.message = std::move(mailbox_.front());
    mailbox_.pop_front();
    return n;
  }
  return ReadOne(deadline);
}

Connection::Next Connection::TakeMatching(const std::function<bool(const Message&)>& wanted,
                                          Clock::time_point deadline) {
  for (auto it = mailbox_.begin(); it != mailbox_.end(); ++it) {
    if (wanted(*it)) {
      Next n;
      n.event = Event::kMessage;
      n.message = std::move(*it);
      mailbox_.erase(it);
      return n;
    }
  }
  while (true) {
    Next n = ReadOne(deadline);
    if (n.event != Event::kMessage || wanted(n.message)) return n;
    if (mailbox_.size() >= kMaxMailbox) {
      n.event = Event::kError;
      n.error = "more than 10000 frames arrived that no step consumed";
      return n;
    }
    mailbox_.push_back(std::move(n.message));
  }
}

}  // namespace cable::conformance
