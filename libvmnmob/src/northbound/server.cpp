#include "vmnmob/northbound/server.hpp"

#include <deque>
#include <limits>
#include <optional>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace vmnmob::northbound {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Every byte of `given` is looked at whatever matches, and the length difference is folded
  // into the same accumulator, so the time says nothing about where the first difference is.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    const unsigned char e = expected.empty() ? 0 : static_cast<unsigned char>(expected[i % expected.size()]);
    diff |= static_cast<unsigned char>(static_cast<unsigned char>(given[i]) ^ e);
  }
  return diff == 0;
}

class Session;

struct detail::ServerState {
  ServerState(asio::io_context& context, const Router& routes, ServerOptions opts)
      : io(context), router(routes), options(std::move(opts)), acceptor(context) {}

  asio::io_context& io;
  const Router& router;
  ServerOptions options;
  tcp::acceptor acceptor;
  ServerCounters counters;
  std::unordered_set<Session*> sessions;
  std::unordered_set<Session*> event_clients;
  bool stopped = false;

  void accept(std::shared_ptr<ServerState> self);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<detail::ServerState> server)
      : stream_(std::move(socket)), server_(std::move(server)), timer_(stream_.get_executor()) {
    server_->sessions.insert(this);
    ++server_->counters.connections_open;
  }
  ~Session() {
    server_->sessions.erase(this);
    if (server_->event_clients.erase(this) != 0) --server_->counters.event_clients;
    --server_->counters.connections_open;
  }

  void start() { read_request(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (server_->event_clients.erase(this) != 0) --server_->counters.event_clients;
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  /// Queues one SSE event; false when the client's buffer is full (it is then closed).
  bool push_event(const std::shared_ptr<const std::string>& event) {
    if (closed_) return true;
    if (queued_bytes_ + event->size() > server_->options.event_buffer_bytes) {
      ++server_->counters.event_clients_dropped;
      close();
      return false;
    }
    queued_bytes_ += event->size();
    queue_.push_back(event);
    if (!writing_) write_events();
    return true;
  }

 private:
  beast::tcp_stream stream_;
  std::shared_ptr<detail::ServerState> server_;
  asio::steady_timer timer_;  // event stream: write deadline
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool first_request_ = true;
  bool closed_ = false;
  // Event stream.
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::string header_;
  std::array<char, 512> discard_{};
  std::size_t lingered_ = 0;

  const ServerOptions& options() const { return server_->options; }

  void read_request() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
    // The body limit is checked after authentication (a stranger learns 401 first), then set
    // on the parser for chunked bodies, which announce no length.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    // The deadline covers the whole header, however slowly it trickles in.
    stream_.expires_after(first_request_ ? options().header_timeout : options().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (closed_) return;
    if (ec == beast::error::timeout) {
      ++server_->counters.timeouts;
      return close();
    }
    if (ec == http::error::header_limit)
      return respond(error_response(431, "headers_too_large",
                                    fmt::format("request headers exceed {} bytes", options().header_limit)),
                     false);
    if (ec == http::error::body_limit) {  // Beast checks Content-Length against the limit with the header
      ++server_->counters.bodies_too_large;
      const auto length = parser_->content_length();
      return respond(error_response(413, "body_too_large",
                                    fmt::format("request body of {} bytes exceeds the limit of {}",
                                                length ? *length : 0, options().body_limit)),
                     false);
    }
    if (ec) return close();
    first_request_ = false;
    const auto& req = parser_->get();
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (!options().token.empty() && !(req.method() == http::verb::get && path == "/healthz")) {
      const auto auth = req[http::field::authorization];
      const std::string_view given(auth.data(), auth.size());
      constexpr std::string_view kBearer = "Bearer ";
      const bool ok = given.size() > kBearer.size() && given.substr(0, kBearer.size()) == kBearer &&
                      constant_time_equal(given.substr(kBearer.size()), options().token);
      if (!ok) {
        ++server_->counters.unauthorized;
        auto r = error_response(401, "unauthorized",
                                given.empty() ? "this API needs an Authorization: Bearer token"
                                              : "the bearer token is not the configured one");
        r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"vmnctl-ofc\"");
        return respond(std::move(r), parser_->is_done());
      }
    }
    if (auto length = parser_->content_length(); length && *length > options().body_limit) {
      ++server_->counters.bodies_too_large;
      return respond(error_response(413, "body_too_large",
                                    fmt::format("request body of {} bytes exceeds the limit of {}", *length,
                                                options().body_limit)),
                     false);
    }
    if (parser_->is_done()) return on_body({});
    parser_->body_limit(options().body_limit);
    stream_.expires_after(options().body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_body(e); });
  }

  void on_body(beast::error_code ec) {
    if (closed_) return;
    if (ec == beast::error::timeout) {
      ++server_->counters.timeouts;
      return close();
    }
    if (ec == http::error::body_limit) {  // chunked: no length announced
      ++server_->counters.bodies_too_large;
      return respond(error_response(413, "body_too_large",
                                    fmt::format("request body exceeds the limit of {} bytes", options().body_limit)),
                     false);
    }
    if (ec) return close();
    auto req = parser_->release();
    Request request;
    request.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    request.body = std::move(req.body());
    ++server_->counters.requests;
    Response response = server_->router.dispatch(request);
    if (response.event_stream && response.status == 200) return start_event_stream();
    respond(std::move(response), req.keep_alive());
  }

  void respond(Response r, bool keep_alive) {
    response_ = {};
    response_.version(11);
    response_.result(r.status);
    response_.set(http::field::server, "vmnctl-ofc");
    response_.set(http::field::content_type, "application/json");
    response_.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : r.headers) response_.set(name, value);
    response_.body() = r.body.dump(2);
    response_.body() += '\n';
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(options().write_timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->closed_) return;
      if (ec == beast::error::timeout) ++self->server_->counters.timeouts;
      if (ec) return self->close();
      if (self->response_.keep_alive()) return self->read_request();
      self->linger_close();
    });
  }

  /// Closing a socket with unread input sends a reset that may destroy the response before
  /// the client read it (413, 401): stop sending, then read and discard what the client still
  /// sends (bounded in bytes and time) before closing.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    discard();
  }
  void discard() {
    stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > 1024 * 1024) return self->close();
      self->discard();
    });
  }

  void start_event_stream() {
    stream_.expires_never();
    header_ =
        "HTTP/1.1 200 OK\r\nServer: vmnctl-ofc\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "Connection: close\r\n\r\n: vmnctl-ofc events\n\n";
    server_->event_clients.insert(this);
    ++server_->counters.event_clients;
    queue_.push_front(std::make_shared<const std::string>(std::move(header_)));
    queued_bytes_ += queue_.front()->size();
    write_events();
    watch_for_close();
  }

  /// The client sends nothing after its request; a read that ends means it went away.
  void watch_for_close() {
    stream_.socket().async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->watch_for_close();
    });
  }

  void write_events() {
    if (closed_ || queue_.empty()) return;
    writing_ = true;
    auto event = queue_.front();
    timer_.expires_after(options().write_timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      ++self->server_->counters.timeouts;
      self->close();
    });
    asio::async_write(stream_.socket(), asio::buffer(*event),
                      [self = shared_from_this(), event](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->timer_.cancel();
                        if (self->closed_) return;
                        if (ec) return self->close();
                        self->queued_bytes_ -= event->size();
                        self->queue_.pop_front();
                        self->write_events();
                      });
  }
};

void detail::ServerState::accept(std::shared_ptr<ServerState> self) {
  acceptor.async_accept([self](beast::error_code ec, tcp::socket socket) {
    if (self->stopped || !self->acceptor.is_open()) return;
    if (!ec) {
      if (self->sessions.size() >= self->options.max_connections) {
        ++self->counters.connections_refused;
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        ++self->counters.connections_accepted;
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), self)->start();
      }
    }
    self->accept(self);
  });
}

Server::Server(asio::io_context& io, const Router& router, ServerOptions options)
    : impl_(std::make_shared<detail::ServerState>(io, router, std::move(options))) {}

Server::~Server() { stop(); }

Expected<std::uint16_t, std::string> Server::listen(const std::string& address, std::uint16_t port) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return unexpected(fmt::format("not an IP address: \"{}\"", address));
  const tcp::endpoint endpoint(ip, port);
  auto& a = impl_->acceptor;
  if (a.open(endpoint.protocol(), ec); ec) return unexpected(ec.message());
  a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (a.bind(endpoint, ec); ec) {
    a.close(ec);
    return unexpected(fmt::format("cannot bind {}:{}: {}", address, port, ec.message()));
  }
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) return unexpected(ec.message());
  const auto bound = a.local_endpoint(ec).port();
  impl_->accept(impl_);
  return bound;
}

void Server::stop() {
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  const auto sessions = impl_->sessions;  // close() may end a session's life
  for (Session* s : sessions) s->close();
}

void Server::publish(std::string_view data) {
  ++impl_->counters.events_published;
  if (impl_->event_clients.empty()) return;
  auto event = std::make_shared<const std::string>(fmt::format("data: {}\n\n", data));
  const auto clients = impl_->event_clients;  // a dropped client leaves the set
  for (Session* s : clients) s->push_event(event);
}

ServerCounters Server::counters() const { return impl_->counters; }
const ServerOptions& Server::options() const { return impl_->options; }

}  // namespace vmnmob::northbound
