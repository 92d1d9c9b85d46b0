#include "vmnmob/connection/switch_manager.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "connection/connection.hpp"
#include "connection/detail/tls.hpp"

namespace vmnmob::connection {
namespace detail {

// ---- Hub ----

std::shared_ptr<Connection> Hub::adopt(tcp::socket socket, std::function<void(bool)> on_closed,
                                       std::function<void()> on_up,
                                       std::shared_ptr<asio::ssl::context> tls, bool tls_server) {
  auto conn = std::make_shared<Connection>(shared_from_this(), std::move(socket), std::move(tls), tls_server);
  {
    std::lock_guard lock(mutex_);
    connections_[conn.get()] = conn;
  }
  conn->start(std::move(on_closed), std::move(on_up));
  return conn;
}

Expected<std::shared_ptr<asio::ssl::context>, std::string> Hub::tls_context(bool server) {
  if (!options_.tls) return unexpected(std::string("TLS needs ManagerOptions::tls (certificate, key, CA)"));
  std::lock_guard lock(mutex_);
  auto& slot = server ? tls_server_ : tls_client_;
  if (!slot) {
    auto made = make_tls_context(*options_.tls, server);
    if (!made) return unexpected(made.error());
    slot = std::move(*made);
  }
  return slot;
}

void Hub::switch_up(const std::shared_ptr<Connection>& conn) {
  DatapathId id = conn->datapath_id();
  std::shared_ptr<Connection> old;
  {
    std::lock_guard lock(mutex_);
    auto& slot = registry_[id];
    old = slot.lock();
    slot = conn;
  }
  if (old && old != conn) {
    // Report the old connection down before the new one up, so observers see a clean
    // down/up sequence for the datapath id; then close the old one on its own strand.
    if (old->claim_down_report()) {
      SwitchDown event{id, DisconnectReason::Replaced,
                       "from " + conn->peer(),
                       old->counters_snapshot()};
      notify([&](SwitchObserver& o) { o.on_switch_down(event); });
    }
    old->replace();
  }
  auto ports = conn->ports();
  auto features = conn->features();
  auto meters = conn->meter_features();
  SwitchUp event{*conn, id, features, ports, meters};
  notify([&](SwitchObserver& o) { o.on_switch_up(event); });
}

void Hub::switch_down(Connection& conn, const SwitchDown& event) {
  {
    std::lock_guard lock(mutex_);
    auto it = registry_.find(event.datapath_id);
    if (it != registry_.end()) {
      auto current = it->second.lock();
      if (!current || current.get() == &conn) registry_.erase(it);
    }
  }
  notify([&](SwitchObserver& o) { o.on_switch_down(event); });
}

void Hub::forget(const Connection* conn) {
  std::lock_guard lock(mutex_);
  connections_.erase(conn);
  if (auto it = address_of_.find(conn); it != address_of_.end()) {
    if (auto count = per_address_.find(it->second); count != per_address_.end() && --count->second == 0)
      per_address_.erase(count);
    address_of_.erase(it);
  }
}

// ---- Limits ----

void Hub::report(LimitHit::Kind kind, std::string detail, std::uint64_t count, TimePoint now) {
  TimePoint& last = last_hit_[static_cast<std::size_t>(kind)];
  const bool new_burst = last == TimePoint{} || now - last >= options_.limits.burst_gap;
  last = now;
  if (!new_burst) return;
  LimitHit event{kind, std::move(detail), count};
  notify([&](SwitchObserver& o) { o.on_limit_hit(event); });
}

bool Hub::admit(const asio::ip::address& address, TimePoint now) {
  const ConnectionLimits& limits = options_.limits;
  std::unique_lock lock(mutex_);
  if (limits.total != 0 && connections_.size() >= limits.total) {
    const std::uint64_t count = ++counters_.refused_total;
    lock.unlock();
    report(LimitHit::Kind::ConnectionsTotal, address.to_string(), count, now);
    return false;
  }
  if (limits.per_address != 0) {
    auto it = per_address_.find(address);
    if (it != per_address_.end() && it->second >= limits.per_address) {
      const std::uint64_t count = ++counters_.refused_per_address;
      lock.unlock();
      report(LimitHit::Kind::ConnectionsPerAddress, address.to_string(), count, now);
      return false;
    }
  }
  return true;
}

std::shared_ptr<Connection> Hub::adopt_accepted(tcp::socket socket, const asio::ip::address& address,
                                                std::shared_ptr<asio::ssl::context> tls) {
  auto conn = std::make_shared<Connection>(shared_from_this(), std::move(socket), std::move(tls), true);
  {
    std::lock_guard lock(mutex_);
    connections_[conn.get()] = conn;
    ++per_address_[address];
    address_of_[conn.get()] = address;
    ++counters_.accepted;
  }
  conn->start({}, {});
  return conn;
}

void Hub::accept_failed(const boost::system::error_code& ec, TimePoint now) {
  std::uint64_t count = 0;
  {
    std::lock_guard lock(mutex_);
    count = ++counters_.accept_errors;
  }
  report(LimitHit::Kind::AcceptError, ec.message(), count, now);
}

ManagerCounters Hub::counters() const {
  std::lock_guard lock(mutex_);
  ManagerCounters c = counters_;
  c.connections = connections_.size();
  return c;
}

std::shared_ptr<Connection> Hub::find(DatapathId id) const {
  std::lock_guard lock(mutex_);
  auto it = registry_.find(id);
  if (it == registry_.end()) return nullptr;
  auto conn = it->second.lock();
  if (conn && !conn->connected()) return nullptr;
  return conn;
}

std::vector<DatapathId> Hub::datapath_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<DatapathId> ids;
  for (const auto& [id, weak] : registry_)
    if (auto conn = weak.lock(); conn && conn->connected()) ids.push_back(id);
  return ids;
}

std::size_t Hub::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

std::vector<std::shared_ptr<Connection>> Hub::all_connections() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Connection>> all;
  for (const auto& [ptr, weak] : connections_)
    if (auto conn = weak.lock()) all.push_back(std::move(conn));
  return all;
}

// ---- Passive mode ----

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::shared_ptr<Hub> hub, tcp::acceptor acceptor, std::shared_ptr<asio::ssl::context> tls)
      : hub_(std::move(hub)), acceptor_(std::move(acceptor)), tls_(std::move(tls)), backoff_(acceptor_.get_executor()) {}

  void accept() {
    acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                       tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      const TimePoint now = Clock::now();
      if (ec) {
        // EMFILE/ENFILE/ENOBUFS leave the peer in the backlog, so accepting again at once
        // fails again at once (a busy loop at 100% CPU that starves every switch): count it,
        // report the burst once, and wait before the next accept.
        self->hub_->accept_failed(ec, now);
        self->backoff_.expires_after(self->hub_->options().limits.accept_backoff);
        self->backoff_.async_wait([self](const boost::system::error_code& wait_ec) {
          if (!wait_ec && self->acceptor_.is_open()) self->accept();
        });
        return;
      }
      boost::system::error_code endpoint_ec;
      const auto address = socket.remote_endpoint(endpoint_ec).address();
      if (endpoint_ec) {
        // The peer left before we looked: nothing to serve.
      } else if (self->hub_->admit(address, now)) {
        self->hub_->adopt_accepted(std::move(socket), address, self->tls_);
      } else {
        // Over a limit: accepted only to be closed at once (a reset, no TIME_WAIT kept here).
        boost::system::error_code ignored;
        socket.set_option(asio::socket_base::linger(true, 0), ignored);
        socket.close(ignored);
      }
      self->accept();
    });
  }
  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->backoff_.cancel();
    });
  }

 private:
  std::shared_ptr<Hub> hub_;
  tcp::acceptor acceptor_;
  std::shared_ptr<asio::ssl::context> tls_;  // null: plain TCP
  asio::steady_timer backoff_;
};

// ---- Active mode ----

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  Connector(std::shared_ptr<Hub> hub, std::string host, std::uint16_t port,
            std::shared_ptr<asio::ssl::context> tls = nullptr)
      : hub_(std::move(hub)),
        strand_(asio::make_strand(hub_->io())),
        resolver_(strand_),
        timer_(strand_),
        host_(std::move(host)),
        port_(port),
        backoff_(hub_->options().backoff),
        tls_(std::move(tls)) {}

  void start() {
    asio::post(strand_, [self = shared_from_this()] { self->attempt(); });
  }

  void stop() {
    asio::post(strand_, [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
      self->resolver_.cancel();
      boost::system::error_code ignored;
      if (self->socket_) self->socket_->close(ignored);
      if (auto conn = self->current_.lock()) conn->close();
    });
  }

 private:
  void attempt() {
    if (stopped_) return;
    resolver_.async_resolve(
        host_, std::to_string(port_),
        asio::bind_executor(strand_, [self = shared_from_this()](
                                         const boost::system::error_code& ec,
                                         tcp::resolver::results_type results) {
          if (self->stopped_) return;
          if (ec) return self->retry();
          self->socket_.emplace(self->hub_->io());
          asio::async_connect(
              *self->socket_, results,
              asio::bind_executor(self->strand_, [self](const boost::system::error_code& cec,
                                                        const tcp::endpoint&) {
                if (self->stopped_ || cec) {
                  self->socket_.reset();
                  if (!self->stopped_) self->retry();
                  return;
                }
                tcp::socket socket = std::move(*self->socket_);
                self->socket_.reset();
                std::weak_ptr<Connector> weak = self;
                self->current_ = self->hub_->adopt(
                    std::move(socket),
                    [weak](bool) {
                      if (auto c = weak.lock())
                        asio::post(c->strand_, [c] { c->retry(); });
                    },
                    [weak] {
                      if (auto c = weak.lock()) asio::post(c->strand_, [c] { c->backoff_.on_up(); });
                    },
                    self->tls_, false);
              }));
        }));
  }

  void retry() {
    if (stopped_) return;
    TimePoint at = backoff_.on_failure(Clock::now());
    timer_.expires_at(at);
    timer_.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this()](const boost::system::error_code& ec) {
          if (!ec) self->attempt();
        }));
  }

  std::shared_ptr<Hub> hub_;
  Strand strand_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::optional<tcp::socket> socket_;
  std::weak_ptr<Connection> current_;
  std::string host_;
  std::uint16_t port_;
  Backoff backoff_;
  std::shared_ptr<asio::ssl::context> tls_;  // null: plain TCP
  bool stopped_ = false;
};

// Holds what stop() must reach; kept apart from Hub so connections do not keep them alive.
struct Endpoints {
  std::mutex mutex;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::shared_ptr<Connector>> connectors;
};

}  // namespace detail

SwitchManager::SwitchManager(boost::asio::io_context& io, ManagerOptions options)
    : hub_(std::make_shared<detail::Hub>(io, std::move(options))),
      endpoints_(std::make_shared<detail::Endpoints>()) {}

SwitchManager::~SwitchManager() {
  stop();
  hub_->detach();
}

void SwitchManager::add_observer(SwitchObserver& observer) { hub_->add_observer(observer); }

Expected<std::uint16_t, std::string> SwitchManager::listen(const std::string& address,
                                                           std::uint16_t port, Transport transport) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  std::shared_ptr<asio::ssl::context> tls;
  if (transport == Transport::Tls) {
    auto context = hub_->tls_context(true);
    if (!context) return unexpected("listen ssl:" + address + ":" + std::to_string(port) + ": " + context.error());
    tls = std::move(*context);
  }
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return unexpected("listen " + address + ": not an IP address");
  tcp::endpoint endpoint(ip, port);
  tcp::acceptor acceptor(hub_->io());
  auto failed = [&](const char* what) {
    return unexpected("listen " + address + ":" + std::to_string(port) + ": " + what + ": " +
                      ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return failed("open");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return failed("SO_REUSEADDR");
  // "::" serves IPv4 too (mapped addresses) unless the host forces IPV6_V6ONLY.
  if (ip.is_v6() && ip.to_v6().is_unspecified()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);
    if (ec) return failed("IPV6_V6ONLY");
  }
  acceptor.bind(endpoint, ec);
  if (ec) return failed("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen");
  std::uint16_t bound = acceptor.local_endpoint(ec).port();
  auto listener = std::make_shared<detail::Listener>(hub_, std::move(acceptor), std::move(tls));
  listener->accept();
  std::lock_guard lock(endpoints_->mutex);
  endpoints_->listeners.push_back(std::move(listener));
  return bound;
}

Expected<std::uint16_t, std::string> SwitchManager::listen_any(std::uint16_t port) {
  auto dual = listen("::", port);
  if (dual) return dual;
  return listen("0.0.0.0", port);
}

void SwitchManager::connect(const std::string& address, std::uint16_t port) {
  (void)connect(address, port, Transport::Tcp);
}

Expected<void, std::string> SwitchManager::connect(const std::string& address, std::uint16_t port,
                                                   Transport transport) {
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (transport == Transport::Tls) {
    auto context = hub_->tls_context(false);
    if (!context) return unexpected("connect ssl:" + address + ":" + std::to_string(port) + ": " + context.error());
    tls = std::move(*context);
  }
  auto connector = std::make_shared<detail::Connector>(hub_, address, port, std::move(tls));
  connector->start();
  std::lock_guard lock(endpoints_->mutex);
  endpoints_->connectors.push_back(std::move(connector));
  return {};
}

void SwitchManager::stop() {
  {
    std::lock_guard lock(endpoints_->mutex);
    for (auto& l : endpoints_->listeners) l->stop();
    for (auto& c : endpoints_->connectors) c->stop();
    endpoints_->listeners.clear();
    endpoints_->connectors.clear();
  }
  for (auto& conn : hub_->all_connections()) conn->close();
}

std::shared_ptr<Switch> SwitchManager::find(DatapathId datapath_id) const {
  return hub_->find(datapath_id);
}

std::vector<DatapathId> SwitchManager::datapath_ids() const { return hub_->datapath_ids(); }

std::size_t SwitchManager::connection_count() const { return hub_->connection_count(); }

ManagerCounters SwitchManager::counters() const { return hub_->counters(); }

std::string_view to_string(LimitHit::Kind kind) {
  switch (kind) {
    case LimitHit::Kind::ConnectionsPerAddress: return "connections per address";
    case LimitHit::Kind::ConnectionsTotal: return "connections in total";
    case LimitHit::Kind::AcceptError: return "accept failed";
  }
  return "unknown";
}

const ManagerOptions& SwitchManager::options() const { return hub_->options(); }

}  // namespace vmnmob::connection
