#include "server/redis/outage_log.h"

#include "common/log.h"

namespace cable::server {

void OutageLog::Down(const std::string& why) {
  if (down_) {
    log::Debug("{}: still unavailable: {}", what_, why);
    return;
  }
  down_ = true;
  log::Warn("{}: {}; retrying in the background", what_, why);
}

void OutageLog::Up(const std::string& detail) {
  if (down_) {
    log::Info("{}: connection restored ({})", what_, detail);
  } else if (!ever_up_) {
    log::Info("{}: {}", what_, detail);
  }
  down_ = false;
  ever_up_ = true;
}

}  // namespace cable::server
