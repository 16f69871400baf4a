#pragma once
// Publisher for AnyCable's HTTP broadcast endpoint (POST /_broadcast), and,
// with another URL and key, for the REST API's POST /api/publish, which takes
// the same bodies and answers the same way (api_publisher.h).
// Sends `Authorization: Bearer <key>` when a key is configured (and is not the
// literal "none"). 2xx is success (anycable-go answers 201, even for bodies it
// later fails to parse); 401 is "unauthorized"; any other status is
// "http_status" with the status in the message.

#include <chrono>
#include <memory>
#include <utility>

#include "common/broadcast/publisher.h"
#include "common/http/http_client.h"

namespace cable::broadcast {

// Plain (or system-trusted TLS) client options with this timeout; the
// server's answers to publications are short.
inline http::ClientOptions PublishClientOptions(std::chrono::milliseconds timeout) {
  http::ClientOptions options;
  options.timeout = timeout;
  options.max_response_body = 64 * 1024;
  return options;
}

class HttpPublisher : public Publisher {
 public:
  // `url` is http:// or https:// (TLS settings in `options`). `key_name`
  // names the key in error messages ("broadcast key", "API key").
  HttpPublisher(http::Url url, std::string broadcast_key, http::ClientOptions options,
                std::string key_name = "broadcast key");
  // Plain options with this timeout.
  HttpPublisher(http::Url url, std::string broadcast_key, std::chrono::milliseconds timeout)
      : HttpPublisher(std::move(url), std::move(broadcast_key), PublishClientOptions(timeout)) {}

  Status PublishRaw(const std::string& body) override;

  // Connections opened so far (keep-alive reuse is observable in tests).
  int connections_opened() const { return client_.connections_opened(); }

 private:
  http::Url url_;
  std::string key_;
  std::string key_name_;
  http::Client client_;
};

}  // namespace cable::broadcast
