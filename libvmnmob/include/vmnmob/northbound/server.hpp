// The northbound HTTP/1.1 server (Boost.Beast) on the controller's io_context.
//
// Fully asynchronous on the one io_context thread that also serves the switches, so nothing it
// does may wait for a client: headers and bodies are read under deadlines, a connection that
// does not finish in time is closed (a slow-loris client costs a socket, never the loop),
// connections are capped, keep-alive connections close when idle, a body announced larger than
// the limit is answered 413 without reading it, and an event-stream client that does not read
// is dropped when its bounded buffer is full. Every member runs on the io_context thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/base/time.hpp"
#include "vmnmob/northbound/router.hpp"

namespace boost::asio {
class io_context;
}

namespace vmnmob::northbound {

namespace detail {
struct ServerState;
}

struct ServerOptions {
  /// Bearer token required on every request but GET /healthz; empty: none. Compared in
  /// constant time.
  std::string token;
  std::size_t max_connections = 64;
  std::size_t header_limit = 8 * 1024;    // bytes of request line + headers (431 beyond)
  std::size_t body_limit = 64 * 1024;     // bytes (413 beyond)
  Duration header_timeout = std::chrono::seconds(10);  // first request: connect -> end of headers
  Duration body_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(30);    // keep-alive: between requests
  Duration write_timeout = std::chrono::seconds(10);
  /// Bytes queued for one event-stream client; one more event and it is dropped.
  std::size_t event_buffer_bytes = 256 * 1024;
};

struct ServerCounters {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over max_connections: accepted and closed at once
  std::uint64_t connections_open = 0;
  std::uint64_t requests = 0;             // requests answered by the router
  std::uint64_t unauthorized = 0;         // 401
  std::uint64_t bodies_too_large = 0;     // 413
  std::uint64_t timeouts = 0;             // connections closed by a read or write deadline
  std::uint64_t event_clients = 0;        // connected now
  std::uint64_t event_clients_dropped = 0;  // dropped for not reading
  std::uint64_t events_published = 0;
};

/// Whether `given` equals `expected`, in time that depends on their lengths only.
bool constant_time_equal(std::string_view given, std::string_view expected);

class Server {
 public:
  /// `router` must outlive the server.
  Server(boost::asio::io_context& io, const Router& router, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Listens on an IPv4/IPv6 literal; port 0 picks a free port. Returns the bound port.
  Expected<std::uint16_t, std::string> listen(const std::string& address, std::uint16_t port);
  /// Closes the listener and every connection.
  void stop();
  /// Sends `data` (one JSON object, no newline) as one SSE event ("data: ...\n\n") to every
  /// event-stream client; a client whose buffer would exceed event_buffer_bytes is dropped.
  void publish(std::string_view data);
  ServerCounters counters() const;
  const ServerOptions& options() const;

 private:
  std::shared_ptr<detail::ServerState> impl_;
};

}  // namespace vmnmob::northbound
