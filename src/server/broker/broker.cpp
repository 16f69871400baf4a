#include "server/broker/broker.h"

namespace cable::server {

namespace {
Error NoPresence() {
  return Error{presence_codes::kUnsupported, "the broker does not keep presence"};
}
}  // namespace

void Broker::PresenceAdd(const std::string&, const std::string&, PresenceMember,
                         PresenceDone done) {
  done(NoPresence());
}

void Broker::PresenceRemove(const std::string&, const std::string&, PresenceDone done) {
  done(NoPresence());
}

void Broker::PresenceInfo(const std::string&, PresenceListDone done) {
  done(NoPresence());
}

}  // namespace cable::server
