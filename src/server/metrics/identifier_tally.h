#pragma once
// clients_uniq_num: how many distinct identifiers strings the authenticated
// sessions of this process carry, as anycable-go's hub counts them (all
// anonymous sessions share the empty string, so they count once). Sessions
// of every worker add and remove here, once per connection, never per
// message, so one lock is cheap enough.
//
// The tally also interns the strings: a session keeps a pointer to the
// tally's copy instead of its own, so a thousand tabs of one user hold
// their identifiers once. A key stays put (node-based map) until the last
// session carrying it has removed it.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cable::server {

class IdentifierTally {
 public:
  // Returns the interned copy, valid until the matching Remove.
  const std::string& Add(std::string identifiers) {
    identifiers.shrink_to_fit();  // kept for the session's life: no spare capacity
    std::lock_guard lock(mu_);
    auto it = sessions_.try_emplace(std::move(identifiers), 0).first;
    ++it->second;
    return it->first;
  }
  void Remove(const std::string& identifiers) {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(identifiers);
    if (it != sessions_.end() && --it->second == 0) sessions_.erase(it);
  }
  int64_t size() const {
    std::lock_guard lock(mu_);
    return static_cast<int64_t>(sessions_.size());
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> sessions_;  // identifiers -> sessions
};

}  // namespace cable::server
