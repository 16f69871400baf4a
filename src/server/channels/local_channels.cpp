#include "server/channels/local_channels.h"

#include <nlohmann/json.hpp>

#include "common/auth/message_verifier.h"
#include "common/auth/secrets.h"
#include "common/json_depth.h"

namespace cable::server {

LocalChannels::LocalChannels(const ServerConfig& config)
    : pubsub_channel_(config.pubsub_channel),
      public_streams_(config.public_streams || config.is_public),
      whisper_(config.streams_whisper),
      presence_(config.streams_presence) {
  auth::SecretSettings secrets;
  secrets.secret = config.secret;
  secrets.streams_secret = config.streams_secret;
  secrets.turbo_streams_secret = config.turbo_streams_secret;
  streams_secret_ = auth::ResolveStreamsSecret(secrets);
  // A feature enabled without any secret is not routed locally: the
  // application may implement the channel itself (anycable-go does the same).
  if (config.turbo_streams) turbo_secret_ = auth::ResolveTurboStreamsSecret(secrets);
  if (config.cable_ready) {
    cable_ready_secret_ =
        config.cable_ready_secret.empty() ? streams_secret_ : config.cable_ready_secret;
  }
}

std::optional<LocalSubscription> LocalChannels::Subscribe(const std::string& identifier) const {
  if (!JsonDepthWithin(identifier)) return std::nullopt;
  auto doc = nlohmann::json::parse(identifier, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto channel_it = doc.find("channel");
  if (channel_it == doc.end() || !channel_it->is_string()) return std::nullopt;
  const auto& channel = channel_it->get_ref<const std::string&>();

  auto param = [&](const char* key) -> std::optional<std::string> {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto verified = [](const std::optional<std::string>& signed_name, const std::string& secret,
                     LocalSubscription& out) {
    if (!signed_name) {
      out.log = "no signed stream name";
      return false;
    }
    auto name = auth::VerifyStream(*signed_name, secret);
    if (!name.ok()) {
      out.log = name.error().message;
      return false;
    }
    out.stream = std::move(name.value());
    return true;
  };

  LocalSubscription out;
  if (channel == pubsub_channel_) {
    if (auto signed_name = param("signed_stream_name")) {
      if (streams_secret_.empty()) {
        out.log = "signed streams need --streams_secret or --secret";
      } else if (verified(signed_name, streams_secret_, out)) {
        out.confirmed = true;
        out.whisper = whisper_;
        out.presence = presence_;
      }
    } else if (auto name = param("stream_name")) {
      if (!public_streams_) {
        out.log = "public streams are disabled (--public_streams)";
      } else if (name->empty()) {
        out.log = "empty stream name";
      } else {
        out.confirmed = true;
        out.stream = *name;
        out.whisper = true;
        out.presence = true;
      }
    } else {
      out.log = "neither signed_stream_name nor stream_name given";
    }
    return out;
  }
  if (channel == "Turbo::StreamsChannel" && !turbo_secret_.empty()) {
    out.confirmed = verified(param("signed_stream_name"), turbo_secret_, out);
    return out;
  }
  if (channel == "CableReady::Stream" && !cable_ready_secret_.empty()) {
    out.confirmed = verified(param("identifier"), cable_ready_secret_, out);
    return out;
  }
  return std::nullopt;
}

}  // namespace cable::server
