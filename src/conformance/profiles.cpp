#include "conformance/profiles.h"

#include <algorithm>
#include <set>

#include "conformance/features.h"

namespace cable::conformance {
namespace {

constexpr std::string_view kExtendedProtocol =
    "the extended protocol (actioncable-v1-ext-json) is AnyCable's";
constexpr std::string_view kAnyCableBroadcasts =
    "AnyCable's broadcast adapters; Action Cable takes broadcasts through its subscription "
    "adapter (--broadcast-adapter actioncable-redis)";
constexpr std::string_view kRestApi = "the REST API is AnyCable's";
constexpr std::string_view kSharedBroker =
    "the server and the runner must share a Redis/NATS: claim it with --features +redis (and "
    "--redis-url, --nats-url) for a server started that way";
constexpr std::string_view kJwtEnforcedMode =
    "a server mode (--enforce_jwt): claim it with --features +jwt_enforced for a server run "
    "that way";
constexpr std::string_view kPresenceUnavailableMode =
    "a server mode (no broker that keeps presence): claim it with --features "
    "+presence_unavailable for a server run that way";

// What `cable serve` does, and anycable-go (which it is a drop-in for),
// when started with a broker, public and Turbo streams and a secret.
const std::vector<std::string_view> kAnyCableFeatures = {
    "rpc",
    "ping",
    "ping_params",
    "broadcast",
    "broadcast_batch",
    "broadcast_auth",
    "exclude_socket",
    "remote_disconnect",
    "remote_disconnect_reason",
    "server_restart",
    "channel_state",
    "jwt",
    "signed_streams",
    "public_streams",
    "turbo",
    "whisper",
    "history",
    "session_restore",
    "ext_protocol",
    "presence",
    "rest_api",
    "rest_api_cors",
    "malformed_input",
    "max_message_size",
    "unmasked_frame_close",
    "slow_clients",
    "http",
};

const std::vector<std::pair<std::string_view, std::string_view>> kAnyCableUnclaimed = {
    {"jwt_enforced", kJwtEnforcedMode},
    {"presence_unavailable", kPresenceUnavailableMode},
    {"redis", kSharedBroker},
    {"redisx", kSharedBroker},
    {"nats", kSharedBroker},
};

}  // namespace

const std::vector<Profile>& Profiles() {
  static const std::vector<Profile> kProfiles = {
      {"actioncable",
       "Rails Action Cable: its channels in Ruby (no cable rpc), broadcasts through its Redis "
       "subscription adapter",
       "actioncable-redis",
       false,
       {"rpc", "ping", "broadcast", "remote_disconnect", "channel_state", "malformed_input"},
       {
           {"ping_params", "pi and ptp are AnyCable's; Action Cable pings every 3 s in seconds"},
           {"broadcast_batch", "batches are AnyCable's broadcast format"},
           {"broadcast_auth", "the HTTP broadcast endpoint and its key are AnyCable's"},
           {"exclude_socket", "Action Cable broadcasts carry no meta (exclude_socket)"},
           {"remote_disconnect_reason",
            "Action Cable 6.1 closes the socket without a disconnect message (7.0+ sends "
            "reason remote)"},
           {"server_restart",
            "Action Cable sends server_restart only from ActionCable.server.restart, not when "
            "its process stops"},
           {"jwt", "JWT identification is AnyCable's"},
           {"jwt_enforced", "JWT identification is AnyCable's"},
           {"signed_streams", "$pubsub signed streams are AnyCable's"},
           {"public_streams", "$pubsub public streams are AnyCable's"},
           {"turbo", "Turbo::StreamsChannel with signed names is turbo-rails', not Action Cable's"},
           {"whisper", "whispers are AnyCable's"},
           {"history", kExtendedProtocol},
           {"session_restore", kExtendedProtocol},
           {"ext_protocol", kExtendedProtocol},
           {"presence", "presence is AnyCable's"},
           {"presence_unavailable", "presence is AnyCable's"},
           {"rest_api", kRestApi},
           {"rest_api_cors", kRestApi},
           {"max_message_size",
            "AnyCable closes at 64 KiB with 1009; Action Cable (websocket-driver) takes "
            "messages up to 64 MiB"},
           {"unmasked_frame_close",
            "AnyCable closes with 1002; Action Cable (websocket-driver) closes with 1003"},
           {"slow_clients", "the too_slow disconnect is AnyCable's"},
           {"http", kAnyCableBroadcasts},
           {"redis", kAnyCableBroadcasts},
           {"redisx", kAnyCableBroadcasts},
           {"nats", kAnyCableBroadcasts},
       }},
      {"anycable-go",
       "anycable-go (open-source feature set) started with --broker memory, --public_streams, "
       "--turbo_streams and a secret",
       "http", true, kAnyCableFeatures, kAnyCableUnclaimed},
      {"cable",
       "cable serve started with --broker memory, --public_streams, --turbo_streams and a "
       "secret",
       "http", true, kAnyCableFeatures, kAnyCableUnclaimed},
  };
  return kProfiles;
}

const Profile* FindProfile(std::string_view name) {
  for (const auto& p : Profiles())
    if (p.name == name) return &p;
  return nullptr;
}

std::string ProfileNames() {
  std::string out;
  const auto& all = Profiles();
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) out += i + 1 == all.size() ? " or " : ", ";
    out += all[i].name;
  }
  return out;
}

bool FeatureClaims::Has(const std::string& feature) const {
  return std::binary_search(claimed.begin(), claimed.end(), feature);
}

Result<FeatureClaims> ResolveClaims(const Profile* profile, std::string_view features,
                                    std::string_view adapter) {
  FeatureClaims out;
  std::set<std::string> base;
  std::map<std::string, std::string> reasons;
  if (profile) {
    for (auto f : profile->features) base.emplace(f);
    for (auto [f, why] : profile->unclaimed)
      reasons.emplace(std::string(f), std::string(profile->name) + ": " + std::string(why));
    if (profile->name == "actioncable" && adapter != "actioncable-redis") {
      for (const char* f : {"broadcast", "remote_disconnect"}) {
        base.erase(f);
        reasons[f] =
            "actioncable: Action Cable receives broadcasts and remote disconnects only "
            "through its subscription adapter (--broadcast-adapter actioncable-redis), "
            "not through " +
            std::string(adapter);
      }
    }
  }
  auto set = profile ? ApplyFeatureList(std::move(base), features) : ParseFeatureList(features);
  if (!set.ok()) return set.error();
  out.claimed.assign(set->begin(), set->end());
  for (auto& [f, why] : reasons)
    if (!set->count(f)) out.reasons.emplace(f, std::move(why));
  return out;
}

}  // namespace cable::conformance
