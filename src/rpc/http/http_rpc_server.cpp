#include "rpc/http/http_rpc_server.h"

#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "anycable/rpc.pb.h"
#include "common/auth/constant_time.h"
#include "common/log.h"
#include "rpc/backend.h"
#include "server/transport/http_text.h"
#include "server/transport/socket_stream.h"
#include "server/transport/tls.h"

namespace cable::rpc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using server::SV;
namespace pb = google::protobuf;
using tcp = asio::ip::tcp;
using server::SocketStream;

namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxSidBytes = 256;
// Lingering close after an early answer: at most this long and this much.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr size_t kLingerChunk = 4096;

// Debug lines show request fields up to this many bytes.
std::string_view Clip(std::string_view s) {
  return s.substr(0, 300);
}

enum class Method { kConnect, kCommand, kDisconnect };

// The request message parsed from its JSON body, or why it is not one (400).
template <typename Req>
Result<Req> ParseRequest(const std::string& body) {
  Req request;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (auto s = pb::util::JsonStringToMessage(body, &request, options); !s.ok()) {
    return Error{"bad_request", "the body is not a " + std::string(Req::descriptor()->name()) +
                                    " in JSON: " + std::string(s.message())};
  }
  return request;
}

std::string ToJson(const pb::Message& message) {
  std::string out;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_enums_as_ints = true;
  (void)pb::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace

struct HttpRpcServer::Impl {
  const Backend& backend;
  HttpRpcServerOptions options;
  std::shared_ptr<server::tls::TlsContext> tls;
  std::atomic<size_t> connections{0};
  // Requests being answered, for a graceful shutdown.
  std::mutex mu;
  std::condition_variable idle;
  size_t handling = 0;
  // Declared after what connections use, so it is destroyed (with the
  // connections its handlers hold) first.
  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::vector<std::thread> threads;
  int port = 0;
  bool stopped = false;

  Impl(const Backend& b, HttpRpcServerOptions o) : backend(b), options(std::move(o)) {
    while (options.path.size() > 1 && options.path.back() == '/') options.path.pop_back();
    if (options.path == "/") options.path.clear();
  }

  void Accept();

  std::optional<Method> Route(std::string_view path) const {
    if (path.size() <= options.path.size() || path.substr(0, options.path.size()) != options.path)
      return std::nullopt;
    const std::string_view rest = path.substr(options.path.size());
    if (rest == "/connect") return Method::kConnect;
    if (rest == "/command") return Method::kCommand;
    if (rest == "/disconnect") return Method::kDisconnect;
    return std::nullopt;
  }

  bool Authorized(std::string_view header) const {
    if (options.secret.empty()) return true;
    static constexpr std::string_view kBearer = "Bearer ";
    return header.size() > kBearer.size() && header.substr(0, kBearer.size()) == kBearer &&
           auth::ConstantTimeEquals(header.substr(kBearer.size()), options.secret);
  }

  // The reply's status and JSON body for one admitted request.
  std::pair<unsigned, std::string> Answer(Method method, const std::string& body,
                                          const std::string& sid) const {
    switch (method) {
      case Method::kConnect: {
        auto req = ParseRequest<anycable::ConnectionRequest>(body);
        if (!req.ok()) return {400, req.error().message + "\n"};
        auto res = backend.Connect(*req, sid);
        log::Debug("http rpc connect sid={} url={} status={}", sid, Clip(req->env().url()),
                   static_cast<int>(res.status()));
        return {200, ToJson(res)};
      }
      case Method::kCommand: {
        auto req = ParseRequest<anycable::CommandMessage>(body);
        if (!req.ok()) return {400, req.error().message + "\n"};
        auto res = backend.Command(*req, sid);
        log::Debug("http rpc command sid={} command={} identifier={} status={}", sid,
                   Clip(req->command()), Clip(req->identifier()), static_cast<int>(res.status()));
        return {200, ToJson(res)};
      }
      case Method::kDisconnect: {
        auto req = ParseRequest<anycable::DisconnectRequest>(body);
        if (!req.ok()) return {400, req.error().message + "\n"};
        auto res = backend.Disconnect(*req, sid);
        log::Debug("http rpc disconnect sid={} identifiers={} status={}", sid,
                   Clip(req->identifiers()), static_cast<int>(res.status()));
        return {200, ToJson(res)};
      }
    }
    return {500, "\n"};
  }
};

namespace {

// One accepted connection: requests in turn (keep-alive), each judged from
// its headers before its body is read. All its handlers run on one strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpRpcServer::Impl& server, tcp::socket socket, server::tls::SslPtr ssl)
      : server_(server),
        stream_(std::move(socket), std::move(ssl)),
        deadline_(stream_.get_executor()) {}
  ~Connection() { server_.connections.fetch_sub(1); }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(server_.options.max_body_bytes);
    ArmDeadline(server_.options.idle_timeout);
    auto self = shared_from_this();
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self](const beast::error_code& ec, size_t) {
                               self->deadline_.cancel();
                               if (ec == bhttp::error::header_limit)
                                 return self->Respond(431, "request headers too large\n", false);
                               if (ec == bhttp::error::body_limit) return self->RefuseLargeBody();
                               if (ec) return self->Close();
                               self->OnHeader();
                             });
  }

 private:
  using Request = bhttp::request<bhttp::string_body>;

  bool HasBody() const { return parser_->chunked() || parser_->content_length().value_or(0) > 0; }

  void OnHeader() {
    Request& req = parser_->get();
    const std::string_view target = SV(req.target());
    const auto method = server_.Route(target.substr(0, target.find('?')));
    // A refused request's body is never read, so its connection closes.
    const bool keep_alive = req.keep_alive() && !HasBody();
    if (!method) return Respond(404, "not found\n", keep_alive);
    if (req.method() != bhttp::verb::post) {
      return Respond(405, "use POST\n", keep_alive, "POST");
    }
    if (!server_.Authorized(SV(req[bhttp::field::authorization]))) {
      return Respond(401, "unauthorized\n", keep_alive);
    }
    if (parser_->content_length().value_or(0) > server_.options.max_body_bytes) {
      return RefuseLargeBody();
    }
    method_ = *method;
    if (beast::iequals(req[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto self = shared_from_this();
      return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self](const beast::error_code& ec, size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Handle();
    ArmDeadline(server_.options.body_timeout);
    auto self = shared_from_this();
    bhttp::async_read(stream_, buffer_, *parser_, [self](const beast::error_code& ec, size_t) {
      self->deadline_.cancel();
      if (ec == bhttp::error::body_limit) return self->RefuseLargeBody();
      if (ec) return self->Close();
      self->Handle();
    });
  }

  void RefuseLargeBody() {
    Respond(413,
            "body too large: the limit is " + std::to_string(server_.options.max_body_bytes) +
                " bytes\n",
            false);
  }

  void Handle() {
    Request& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    std::string sid(SV(req["X-Anycable-Meta-Sid"]).substr(0, kMaxSidBytes));
    {
      std::lock_guard lock(server_.mu);
      ++server_.handling;
    }
    auto [status, body] = server_.Answer(method_, req.body(), sid);
    {
      std::lock_guard lock(server_.mu);
      --server_.handling;
    }
    server_.idle.notify_all();
    parser_.reset();  // the request body's memory goes back now
    Respond(status, std::move(body), keep_alive, {}, status == 200);
  }

  void Respond(unsigned status, std::string body, bool keep_alive, std::string_view allow = {},
               bool json = false) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(status), 11);
    res->set(bhttp::field::server, "cable rpc");
    res->set(bhttp::field::content_type, json ? "application/json" : "text/plain; charset=utf-8");
    if (!allow.empty())
      res->set(bhttp::field::allow, beast::string_view(allow.data(), allow.size()));
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    const bool unread = parser_ && !parser_->is_done();
    auto self = shared_from_this();
    bhttp::async_write(stream_, *res,
                       [self, res, keep_alive, unread](const beast::error_code& ec, size_t) {
                         if (ec) return self->Close();
                         if (unread) return self->LingerAndClose();
                         if (!keep_alive) return self->Close();
                         self->ReadHeader();
                       });
  }

  // Closing with unread bytes makes the kernel send a reset that can
  // overtake the answer (the client would see "connection reset", not 401
  // or 413): the send side is shut and what still arrives is drained,
  // bounded in bytes and time, as the server's HTTP connections do.
  void LingerAndClose() {
    if (stream_.secure()) return Close();  // TLS closes with close_notify instead
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    ArmDeadline(kLingerTimeout);
    linger_buffer_ = std::make_unique<char[]>(kLingerChunk);
    Drain();
  }

  void Drain() {
    auto self = shared_from_this();
    stream_.socket().async_read_some(asio::buffer(linger_buffer_.get(), kLingerChunk),
                                     [self](const beast::error_code& ec, size_t n) {
                                       self->lingered_ += n;
                                       if (ec || self->lingered_ >= kMaxLingerBytes)
                                         return self->Close();
                                       self->Drain();
                                     });
  }

  void ArmDeadline(std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    std::weak_ptr<Connection> weak = shared_from_this();
    deadline_.async_wait([weak](const beast::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Close();
    });
  }

  void Close() {
    deadline_.cancel();
    stream_.Close();
  }

  HttpRpcServer::Impl& server_;
  SocketStream stream_;
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_{kMaxHeaderBytes};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Method method_ = Method::kConnect;
  std::unique_ptr<char[]> linger_buffer_;
  size_t lingered_ = 0;
};

}  // namespace

void HttpRpcServer::Impl::Accept() {
  // A strand per connection: its reads, writes and deadline never run at
  // once on two of the pool's threads.
  acceptor.async_accept(
      asio::make_strand(ioc), [this](const beast::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec) {
          if (connections.fetch_add(1) >= options.max_connections) {
            connections.fetch_sub(1);
            log::Warn("http rpc: {} connections open, closing a new one", options.max_connections);
            beast::error_code ignored;
            socket.close(ignored);
          } else {
            server::tls::SslPtr ssl;
            beast::error_code nb;
            socket.non_blocking(true, nb);
            if (tls) ssl = tls->Accept(socket.native_handle());
            if (tls && !ssl) {
              connections.fetch_sub(1);
              log::Warn("http rpc: TLS setup failed: {}", server::tls::ErrorText("out of memory"));
            } else {
              std::make_shared<Connection>(*this, std::move(socket), std::move(ssl))->ReadHeader();
            }
          }
        }
        Accept();
      });
}

Result<std::unique_ptr<HttpRpcServer>> HttpRpcServer::Start(const Backend& backend,
                                                            const HttpRpcServerOptions& options) {
  auto impl = std::make_shared<Impl>(backend, options);
  if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    if (options.tls_cert.empty() || options.tls_key.empty()) {
      return Error{"tls", "TLS needs both a certificate and a key"};
    }
    auto tls = server::tls::TlsContext::Load(options.tls_cert, options.tls_key);
    if (!tls.ok()) return Error{"tls", tls.error().message};
    impl->tls = std::move(tls.value());
  }
  beast::error_code ec;
  auto address =
      asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, ec);
  const std::string where = options.host + ":" + std::to_string(options.port);
  if (ec) return Error{"listen_failed", "cannot listen on " + where + ": not an IP address"};
  tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{"listen_failed", "cannot listen on " + where + ": " + ec.message()};
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  impl->guard.emplace(impl->ioc.get_executor());
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->threads.emplace_back([raw = impl.get()] { raw->ioc.run(); });
  }
  return std::unique_ptr<HttpRpcServer>(new HttpRpcServer(std::move(impl)));
}

int HttpRpcServer::port() const {
  return impl_->port;
}

void HttpRpcServer::Shutdown(std::chrono::milliseconds grace) {
  Impl& d = *impl_;
  if (d.stopped) return;
  d.stopped = true;
  asio::post(d.acceptor.get_executor(), [&d] {
    beast::error_code ignored;
    d.acceptor.close(ignored);
  });
  {
    std::unique_lock lock(d.mu);
    d.idle.wait_for(lock, grace, [&] { return d.handling == 0; });
  }
  d.guard.reset();
  d.ioc.stop();
  for (auto& t : d.threads) t.join();
}

HttpRpcServer::~HttpRpcServer() {
  Shutdown(std::chrono::milliseconds(0));
}

}  // namespace cable::rpc
