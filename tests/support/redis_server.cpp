#include "support/redis_server.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <stdexcept>

#include "support/tls_certs.h"

namespace cable::testing {
namespace {

using Clock = std::chrono::steady_clock;

redisContext* ConnectOrThrow(int port) {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(port) +
                             ": " + why);
  }
  redisSetTimeout(c, timeval{5, 0});
  return c;
}

nlohmann::json ToJson(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return r->integer;
    case REDIS_REPLY_NIL:
      return nullptr;
    case REDIS_REPLY_ERROR:
      return nlohmann::json{{"error", std::string(r->str, r->len)}};
    case REDIS_REPLY_ARRAY: {
      auto arr = nlohmann::json::array();
      for (size_t i = 0; i < r->elements; ++i) arr.push_back(ToJson(r->element[i]));
      return arr;
    }
    default:
      return nullptr;
  }
}

redisReply* RunArgv(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

}  // namespace

bool RedisServer::Available() {
  return Run({"/bin/sh", "-c", "command -v redis-server"}, {}, std::chrono::seconds(5)).exit_code ==
         0;
}

RedisServer::RedisServer(RedisServerOptions options)
    : options_(std::move(options)), port_(FreePort()), tls_port_(options_.tls ? FreePort() : 0) {
  Start();
}

RedisServer::~RedisServer() = default;

std::string RedisServer::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_);
}

std::string RedisServer::tls_url() const {
  return "rediss://127.0.0.1:" + std::to_string(tls_port_);
}

void RedisServer::Start() {
  std::vector<std::string> argv{
      "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
      "--save",       "",       "--appendonly",        "no"};
  if (options_.tls) {
    const auto& certs = Certs();
    argv.insert(argv.end(), {"--tls-port", std::to_string(tls_port_), "--tls-cert-file", certs.cert,
                             "--tls-key-file", certs.key, "--tls-ca-cert-file", certs.cert,
                             "--tls-auth-clients", options_.tls_auth_clients ? "yes" : "no"});
  }
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  process_ = ChildProcess(argv);
  // redis-server logs this line once it serves clients (after loading).
  if (!process_.WaitForOutput("Ready to accept connections") || !WaitForPort(port_) ||
      (options_.tls && !WaitForPort(tls_port_))) {
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_) + ": " +
                             process_.Stdout() + process_.Stderr());
  }
  if (Command({"PING"}) != "PONG") {
    throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                             " does not answer PING");
  }
}

void RedisServer::Stop() {
  if (process_.pid() > 0 && process_.running()) process_.Stop();
}

void RedisServer::Restart() {
  Stop();
  Start();
}

nlohmann::json RedisServer::Command(const std::vector<std::string>& args) const {
  return RedisCommand(port_, args);
}

nlohmann::json RedisCommand(int port, const std::vector<std::string>& args) {
  redisContext* c = ConnectOrThrow(port);
  redisReply* reply = RunArgv(c, args);
  if (reply == nullptr) {
    std::string why = c->errstr;
    redisFree(c);
    throw std::runtime_error("redis command " + args.at(0) + " failed: " + why);
  }
  nlohmann::json out = ToJson(reply);
  freeReplyObject(reply);
  redisFree(c);
  return out;
}

RedisSubscriber::RedisSubscriber(int port, const std::string& channel)
    : ctx_(ConnectOrThrow(port)) {
  // SUBSCRIBE's reply is the confirmation; once read, publishes reach us.
  redisReply* reply = RunArgv(ctx_, {"SUBSCRIBE", channel});
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    if (reply) freeReplyObject(reply);
    redisFree(ctx_);
    throw std::runtime_error("SUBSCRIBE " + channel + " failed");
  }
  freeReplyObject(reply);
}

RedisSubscriber::~RedisSubscriber() {
  if (ctx_) redisFree(ctx_);
}

std::optional<std::string> RedisSubscriber::Next(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Parse what is already buffered before waiting on the socket, so a
    // timeout never leaves the hiredis context in an error state.
    void* raw = nullptr;
    if (redisReaderGetReply(ctx_->reader, &raw) != REDIS_OK) return std::nullopt;
    if (raw != nullptr) {
      auto* reply = static_cast<redisReply*>(raw);
      std::optional<std::string> payload;
      if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
          std::string(reply->element[0]->str, reply->element[0]->len) == "message") {
        payload = std::string(reply->element[2]->str, reply->element[2]->len);
      }
      freeReplyObject(reply);
      if (payload) return payload;
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{ctx_->fd, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0) return std::nullopt;
    if (ready == 0) continue;
    if (redisBufferRead(ctx_) != REDIS_OK) return std::nullopt;
  }
}

}  // namespace cable::testing
