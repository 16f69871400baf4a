#include "conformance/instance.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common/auth/derived_key.h"
#include "common/http/url.h"
#include "common/net/free_port.h"

namespace cable::conformance {
namespace {

constexpr int kStartAttempts = 3;

bool Contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

bool AnyContains(const std::vector<std::string>& words, const char* needle) {
  for (const auto& w : words)
    if (Contains(w, needle)) return true;
  return false;
}

bool Accepts(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return false;
  bool ok = false;
  for (addrinfo* a = res; a && !ok; a = a->ai_next) {
    int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    close(fd);
  }
  freeaddrinfo(res);
  return ok;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

Result<int> FreePort() {
  return net::FreeLoopbackPort();
}

Instance::Instance(InstanceOptions options, int index)
    : options_(std::move(options)), index_(index) {}

Instance::~Instance() {
  Stop();
}

std::string Instance::Expand(const std::string& s) const {
  std::string out = s;
  for (const auto& [name, value] : values_) {
    for (size_t pos = out.find(name); pos != std::string::npos;
         pos = out.find(name, pos + value.size())) {
      out.replace(pos, name.size(), value);
    }
  }
  return out;
}

Status Instance::Allocate() {
  values_.clear();
  std::vector<std::string> all = options_.command;
  all.push_back(options_.target_url);
  all.push_back(options_.broadcast_url);
  all.push_back(options_.api_url);
  for (const char* name : {"{port}", "{broadcast_port}", "{api_port}"}) {
    if (!AnyContains(all, name)) continue;
    auto port = FreePort();
    if (!port.ok()) return port.error();
    values_[name] = std::to_string(*port);
  }
  // {rpc_host} has a value even when no backend is started (no scenario
  // names definitions), so the command never sees a raw placeholder.
  {
    rpc_host_ = options_.rpc_listen;
    if (rpc_host_.empty()) {
      if (AnyContains(all, "{rpc_host}") || AnyContains(all, "{rpc_port}")) {
        auto port = FreePort();
        if (!port.ok()) return port.error();
        rpc_host_ = "127.0.0.1:" + std::to_string(*port);
      } else {
        rpc_host_ = "127.0.0.1:50051";
      }
    }
    values_["{rpc_host}"] = rpc_host_;
    values_["{rpc_port}"] = rpc_host_.substr(rpc_host_.rfind(':') + 1);
  }
  values_["{secret}"] = options_.secret;

  std::string url = Expand(options_.target_url);
  std::string http_form = url;
  if (http_form.rfind("ws://", 0) == 0) {
    http_form = "http://" + http_form.substr(5);
  } else if (http_form.rfind("wss://", 0) == 0) {
    http_form = "https://" + http_form.substr(6);
  } else {
    return Error{"bad_url", "target URL \"" + url + "\" must start with ws:// or wss://"};
  }
  auto parsed = http::ParseUrl(http_form);
  if (!parsed.ok())
    return Error{"bad_url", "target URL \"" + url + "\": " + parsed.error().message};
  endpoint_.host = parsed->host;
  endpoint_.port = parsed->port;
  endpoint_.tls = parsed->scheme == "https";
  endpoint_.tls_ca_file = options_.tls_ca_file;
  endpoint_.tls_verify = !options_.tls_insecure;
  std::string target = parsed->target;
  auto q = target.find('?');
  endpoint_.path = target.substr(0, q);
  endpoint_.query = q == std::string::npos ? "" : target.substr(q + 1);

  if (!options_.broadcast_url.empty()) {
    broadcast_url_ = Expand(options_.broadcast_url);
  } else {
    // As anycable-go: broadcasts share the main port when a key is set,
    // else they have their own unauthenticated port 8090.
    std::string port = values_.count("{broadcast_port}")           ? values_["{broadcast_port}"]
                       : options_.publishing.broadcast_key.empty() ? "8090"
                                                                   : std::to_string(endpoint_.port);
    // A TLS server speaks TLS on every listener.
    broadcast_url_ = std::string(endpoint_.tls ? "https://" : "http://") + endpoint_.host + ":" +
                     port + "/_broadcast";
  }
  // As anycable-go: the REST API is on the main port unless --api_port says otherwise.
  api_url_ = !options_.api_url.empty()
                 ? Expand(options_.api_url)
                 : std::string(endpoint_.tls ? "https://" : "http://") + endpoint_.host + ":" +
                       std::to_string(endpoint_.port) + "/api";
  if (auto api = http::ParseUrl(api_url_); !api.ok() || api->target.find('?') != std::string::npos)
    return Error{"bad_url", "API URL \"" + api_url_ + "\": " +
                                (api.ok() ? "must not have a query" : api.error().message)};
  return Status::Ok();
}

broadcast::PublisherConfig Instance::Publishing(const std::string& adapter) const {
  broadcast::PublisherConfig c = options_.publishing;
  c.adapter = adapter;
  c.http_url = broadcast_url_;
  c.api_url = api_url_;
  c.api_key = options_.api_key;
  c.http_tls_ca_file = options_.tls_ca_file;
  c.http_tls_verify = !options_.tls_insecure;
  return c;
}

std::string Instance::LogPath(const std::string& role) const {
  if (options_.log_dir.empty()) return {};
  return options_.log_dir + "/" + role + "-" + std::to_string(index_) + ".log";
}

Status Instance::WaitReady(Process& p, const std::string& what, const std::string& log,
                           const std::vector<std::pair<std::string, int>>& ports) {
  auto timeout = std::chrono::milliseconds(
      static_cast<int64_t>(options_.start_timeout.count() * options_.timeout_scale));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t ready = 0;
  while (true) {
    if (!p.Running()) {
      std::string tail = log.empty() ? "" : FileTail(log, 2000);
      return Error{codes::kExited, what + " " + p.StatusText() + " before accepting connections" +
                                       (tail.empty() ? "" : "; its output ends with:\n" + tail)};
    }
    while (ready < ports.size() && Accepts(ports[ready].first, ports[ready].second)) ++ready;
    if (ready == ports.size()) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string where = ports[ready].first + ":" + std::to_string(ports[ready].second);
      std::string hint;
      if (ready > 0) {
        auto api = http::ParseUrl(api_url_);
        hint = api.ok() && api->port == ports[ready].second
                   ? " (its REST API, " + api_url_ + ": start the server with the API on that port)"
                   : " (its HTTP broadcast endpoint, " + broadcast_url_ +
                         ": give the runner the server's --secret, --broadcast-key or "
                         "--broadcast-url)";
      }
      return Error{codes::kTimeout, what + " does not accept connections on " + where + hint +
                                        " after " + std::to_string(timeout.count()) + " ms"};
    }
    // Polling the port is the readiness check; this only paces it.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status Instance::StartRpc() {
  std::vector<std::string> argv = {
      options_.self_exe, "rpc", "--channels", Join(options_.backends, ","), "--host", rpc_host_};
  if (options_.rpc_http) {
    argv.insert(argv.end(),
                {"--no-grpc", "--http-port", rpc_host_.substr(rpc_host_.rfind(':') + 1)});
    // The server derives its HTTP RPC secret from the same --secret.
    if (!options_.secret.empty()) {
      argv.insert(argv.end(),
                  {"--http-rpc-secret", auth::DeriveKey(options_.secret, auth::kRpcKeyPhrase)});
    }
  }
  const auto& pc = options_.publishing;
  argv.insert(argv.end(),
              {"--broadcast-adapter", options_.default_adapter, "--broadcast-url", broadcast_url_,
               "--broadcast-key", pc.broadcast_key.empty() ? "none" : pc.broadcast_key, "--api-url",
               api_url_, "--api-key", options_.api_key.empty() ? "none" : options_.api_key,
               "--redis-url", pc.redis_url, "--redis-channel", pc.redis_channel, "--nats-servers",
               pc.nats_servers, "--nats-channel", pc.nats_channel});
  if (!options_.tls_ca_file.empty())
    argv.insert(argv.end(), {"--broadcast-tls-ca", options_.tls_ca_file});
  if (options_.tls_insecure) argv.push_back("--broadcast-insecure");
  std::string log = LogPath("rpc");
  auto p = Process::Spawn(argv, log);
  if (!p.ok()) return p.error();
  rpc_ = std::move(*p);
  std::string host = rpc_host_.substr(0, rpc_host_.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  int port = std::atoi(rpc_host_.substr(rpc_host_.rfind(':') + 1).c_str());
  return WaitReady(*rpc_, "cable rpc", log, {{host, port}});
}

Status Instance::StartServer() {
  std::vector<std::string> argv;
  for (const auto& w : options_.command) argv.push_back(Expand(w));
  std::string log = LogPath("server");
  auto p = Process::Spawn(argv, log);
  if (!p.ok()) return p.error();
  server_ = std::move(*p);
  std::vector<std::pair<std::string, int>> ports = {{endpoint_.host, endpoint_.port}};
  // Another local port the scenarios need at once: the HTTP broadcast one,
  // or the REST API's when it has its own ({api_port}, or it is how they
  // broadcast).
  auto also_wait_for = [&](const std::string& u) {
    auto url = http::ParseUrl(u);
    if (url.ok() && url->port != endpoint_.port &&
        (url->host == endpoint_.host || url->host == "127.0.0.1" || url->host == "localhost"))
      ports.emplace_back(url->host, url->port);
  };
  if (options_.default_adapter == "http") also_wait_for(broadcast_url_);
  if (options_.default_adapter == "api" || values_.count("{api_port}")) also_wait_for(api_url_);
  return WaitReady(*server_, "the server under test (" + argv[0] + ")", log, ports);
}

Status Instance::Start() {
  std::lock_guard lock(mu_);
  Status last;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    // Each attempt's output alone explains its failure.
    for (const char* role : {"rpc", "server"}) {
      if (std::string log = LogPath(role); !log.empty()) unlink(log.c_str());
    }
    // Ports picked as free may be taken by the time a child binds them;
    // a fresh set is tried when a child exits during startup.
    if (auto s = Allocate(); !s.ok()) return s;
    last = Status::Ok();
    if (options_.start_rpc) last = StartRpc();
    if (last.ok() && !options_.command.empty()) last = StartServer();
    if (last.ok()) return last;
    if (server_) server_->Stop(options_.stop_grace);
    if (rpc_) rpc_->Stop(options_.stop_grace);
    server_.reset();
    rpc_.reset();
    // Only a child that died (a port taken meanwhile) deserves another try;
    // fixed ports or a child that never listens would fail alike.
    if (!values_.count("{port}") || !last.error().IsExited()) break;
  }
  return last;
}

void Instance::Stop() {
  std::lock_guard lock(mu_);
  if (server_) server_->Stop(options_.stop_grace);
  if (rpc_) rpc_->Stop(options_.stop_grace);
  server_.reset();
  rpc_.reset();
}

Status Instance::Restart() {
  std::lock_guard lock(mu_);
  if (options_.command.empty()) return Error{"restart", "no --command to restart"};
  auto grace = std::chrono::milliseconds(
      static_cast<int64_t>(options_.stop_grace.count() * options_.timeout_scale));
  if (server_) server_->Stop(grace);
  server_.reset();
  return StartServer();
}

std::string Instance::EnsureAlive() {
  std::lock_guard lock(mu_);
  std::string note;
  if (rpc_ && !rpc_->Running()) {
    note = "cable rpc " + rpc_->StatusText();
    if (auto s = StartRpc(); !s.ok()) note += "; restarting it failed: " + s.error().message;
  }
  if (server_ && !server_->Running()) {
    note +=
        std::string(note.empty() ? "" : "; ") + "the server under test " + server_->StatusText();
    if (auto s = StartServer(); !s.ok()) note += "; restarting it failed: " + s.error().message;
  }
  return note;
}

std::string Instance::Describe() const {
  std::string out = endpoint_.Url();
  if (!options_.command.empty()) {
    std::vector<std::string> words;
    for (const auto& w : options_.command) words.push_back(Expand(w));
    out += " (" + Join(words, " ") + ")";
  }
  return out;
}

}  // namespace cable::conformance
