#pragma once
// Logs a connection's outages without flooding: a warning when it is lost
// (or cannot be made at start), debug lines for the retries that follow, and
// one info line when it is back.

#include <string>

namespace cable::server {

class OutageLog {
 public:
  // `what` names the connection in messages, e.g. "Redis broadcast adapter".
  explicit OutageLog(std::string what) : what_(std::move(what)) {}

  void Down(const std::string& why);
  // `detail` completes the first "connected" line, e.g. "subscribed to x".
  void Up(const std::string& detail);
  bool down() const { return down_; }

 private:
  std::string what_;
  bool down_ = false;
  bool ever_up_ = false;
};

}  // namespace cable::server
