#include "support/cable_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

namespace cable::testing {

namespace {
int HttpRequest(int port, const std::string& request, std::string* body) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return 0;
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  close(fd);
  if (response.size() < 12) return 0;
  if (body) {
    size_t pos = response.find("\r\n\r\n");
    *body = pos == std::string::npos ? "" : response.substr(pos + 4);
  }
  return std::atoi(response.c_str() + 9);
}
}  // namespace

int HttpPost(int port, const std::string& path, const std::string& body,
             const std::string& bearer) {
  std::string req = "POST " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
  if (!bearer.empty()) req += "Authorization: Bearer " + bearer + "\r\n";
  req += "\r\n" + body;
  return HttpRequest(port, req, nullptr);
}

int HttpGet(int port, const std::string& path, std::string* body, const std::string& bearer) {
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!bearer.empty()) req += "Authorization: Bearer " + bearer + "\r\n";
  return HttpRequest(port, req + "\r\n", body);
}

CableServer::CableServer(const ServeOptions& options) {
  port_ = FreePort();
  std::vector<std::string> argv = {CableBinary(), "serve",  "--host",
                                   "127.0.0.1",   "--port", std::to_string(port_)};
  if (!options.broadcast_key.empty()) {
    argv.insert(argv.end(), {"--broadcast_key", options.broadcast_key});
    broadcast_port_ = port_;
  } else if (options.default_broadcast_port) {
    broadcast_port_ = port_;
  } else {
    broadcast_port_ = FreePort();
    argv.insert(argv.end(), {"--http_broadcast_port", std::to_string(broadcast_port_)});
  }
  if (!options.backend.empty()) argv.insert(argv.end(), {"--backend", options.backend});
  argv.insert(argv.end(), {"--broadcast_adapter", "http"});
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  SpawnOptions spawn;
  spawn.env = options.env;
  // A developer's environment must not change what the tests see.
  spawn.unset_env = {"ANYCABLE_SECRET",     "ANYCABLE_BROADCAST_KEY",  "ANYCABLE_RPC_HOST",
                     "ANYCABLE_JWT_SECRET", "ANYCABLE_STREAMS_SECRET", "REDIS_URL",
                     "ANYCABLE_REDIS_URL"};
  process_ = ChildProcess(argv, spawn);
  if (!WaitForPort(port_) || (broadcast_port_ != port_ && !WaitForPort(broadcast_port_))) {
    throw std::runtime_error("cable serve did not start: " + process_.Stderr());
  }
}

Result<ws::Client> CableServer::Connect(const std::string& target,
                                        std::vector<std::pair<std::string, std::string>> headers,
                                        std::vector<std::string> subprotocols) const {
  ws::ConnectOptions o;
  o.port = port_;
  o.target = target;
  o.headers = std::move(headers);
  o.subprotocols = std::move(subprotocols);
  return ws::Client::Connect(o);
}

int CableServer::Broadcast(const std::string& body, const std::string& bearer) const {
  return HttpPost(broadcast_port_, "/_broadcast", body, bearer);
}

std::string ScrapeMetrics(int port) {
  std::string body;
  if (HttpGet(port, "/metrics", &body) != 200) return "";
  return body;
}

double MetricValue(const std::string& text, const std::string& name) {
  std::smatch m;
  const std::regex line("(^|\n)anycable_go_" + name + "(\\{[^}]*\\})? ([0-9.e+-]+)");
  if (!std::regex_search(text, m, line)) return -1;
  return std::stod(m[3]);
}

}  // namespace cable::testing
