#include "support/http_sink.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <functional>

namespace cable::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kMaxBody = 8 << 20;
constexpr size_t kMaxRecorded = 100000;
}  // namespace

std::string RecordedRequest::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpSink::Impl : std::enable_shared_from_this<HttpSink::Impl> {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<RecordedRequest> recorded;
  int status = 201;
  std::string body;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  bool close_after = false;
  bool unresponsive = false;
  bool hold = false;
  std::vector<std::function<void()>> held;
  int accepted = 0;
  int closed = 0;

  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl* o, tcp::socket s, int i) : owner(o), socket(std::move(s)), index(i) {}
    Impl* owner;
    tcp::socket socket;
    int index;
    beast::flat_buffer buffer{kMaxBody + 65536};
    std::unique_ptr<bhttp::request_parser<bhttp::string_body>> parser;
    bhttp::response<bhttp::string_body> response;

    void Read() {
      parser = std::make_unique<bhttp::request_parser<bhttp::string_body>>();
      parser->body_limit(kMaxBody);
      bhttp::async_read(socket, buffer, *parser,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Finish();
                          self->OnRequest();
                        });
    }

    void OnRequest() {
      auto req = parser->release();
      RecordedRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(field.value());
      }
      r.body = std::move(req.body());
      r.connection = index;
      int status;
      std::string body;
      std::vector<std::pair<std::string, std::string>> extra_headers;
      bool close_after, unresponsive, hold;
      {
        std::lock_guard lock(owner->mu);
        if (owner->recorded.size() < kMaxRecorded) owner->recorded.push_back(std::move(r));
        status = owner->status;
        body = owner->body;
        extra_headers = owner->extra_headers;
        close_after = owner->close_after;
        unresponsive = owner->unresponsive;
        hold = owner->hold;
        if (hold) {
          owner->held.push_back([self = shared_from_this(), keep_alive = req.keep_alive()] {
            std::string held_body;
            int held_status;
            {
              std::lock_guard lock(self->owner->mu);
              held_status = self->owner->status;
              held_body = self->owner->body;
            }
            self->Answer(held_status, std::move(held_body), {}, false, keep_alive);
          });
        }
      }
      owner->cv.notify_all();
      if (unresponsive) return Read();  // keeps the connection open, never answers
      if (hold) return;
      Answer(status, std::move(body), extra_headers, close_after, req.keep_alive());
    }

    void Answer(int status, std::string body,
                const std::vector<std::pair<std::string, std::string>>& extra_headers,
                bool close_after, bool keep_alive) {
      response = {};
      response.result(static_cast<unsigned>(status));
      response.version(11);
      response.set(bhttp::field::content_type, "text/plain");
      for (const auto& [name, value] : extra_headers) response.set(name, value);
      response.body() = std::move(body);
      response.keep_alive(keep_alive);
      response.prepare_payload();
      bhttp::async_write(socket, response,
                         [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
                           if (ec || close_after || !self->response.keep_alive()) {
                             return self->Finish();
                           }
                           self->Read();
                         });
    }

    void Finish() {
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      {
        std::lock_guard lock(owner->mu);
        ++owner->closed;
      }
      owner->cv.notify_all();
    }
  };

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      int index;
      {
        std::lock_guard lock(mu);
        index = ++accepted;
      }
      std::make_shared<Session>(this, std::move(socket), index)->Read();
      Accept();
    });
  }
};

HttpSink::HttpSink() : impl_(std::make_shared<Impl>()) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

HttpSink::~HttpSink() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string HttpSink::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpSink::set_status(int status, std::string body) {
  std::lock_guard lock(impl_->mu);
  impl_->status = status;
  impl_->body = std::move(body);
}

void HttpSink::set_response_header(std::string name, std::string value) {
  std::lock_guard lock(impl_->mu);
  impl_->extra_headers.emplace_back(std::move(name), std::move(value));
}

void HttpSink::set_close_after_response(bool close) {
  std::lock_guard lock(impl_->mu);
  impl_->close_after = close;
}

void HttpSink::set_hold(bool hold) {
  std::lock_guard lock(impl_->mu);
  impl_->hold = hold;
}

void HttpSink::ReleaseHeld() {
  std::vector<std::function<void()>> held;
  {
    std::lock_guard lock(impl_->mu);
    held.swap(impl_->held);
  }
  for (auto& answer : held) asio::post(impl_->ioc, std::move(answer));
}

void HttpSink::set_unresponsive(bool unresponsive) {
  std::lock_guard lock(impl_->mu);
  impl_->unresponsive = unresponsive;
}

bool HttpSink::WaitForRequests(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->recorded.size() >= n; });
}

bool HttpSink::WaitForClosedConnections(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed >= n; });
}

std::vector<RecordedRequest> HttpSink::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->recorded;
}

int HttpSink::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

}  // namespace cable::testing
