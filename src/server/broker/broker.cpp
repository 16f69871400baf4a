#include "server/broker/broker.h"

namespace cable::server {

namespace {
Error NoPresence() {
  return Error{presence_codes::kUnsupported, "the broker does not keep presence"};
}
}  // namespace

void Broker::Tail(const std::string& stream, TailDone done) {
  std::vector<StreamHistoryQuery> query(1);
  query[0].stream = stream;
  History(std::move(query), [done = std::move(done)](Result<std::vector<BroadcastPtr>> messages) {
    if (!messages.ok()) return done(messages.error());
    if (messages->empty()) return done(std::optional<StreamPosition>());
    const Broadcast& last = *messages->back();
    return done(std::optional<StreamPosition>(StreamPosition{last.offset, last.epoch}));
  });
}

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
