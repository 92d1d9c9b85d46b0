// The Asio adapter: one TCP (or TLS over TCP) connection to a switch, driving a Session, a
// RequestTable and a WriteQueue from its strand. Private to the library.
//
// TLS is an optional layer over the socket: plain TCP reads and writes the socket directly
// (one branch per read or write call, nothing per byte, no virtual call).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "connection/detail/request_table.hpp"
#include "connection/detail/write_queue.hpp"
#include "vmnmob/connection/events.hpp"
#include "vmnmob/connection/session.hpp"
#include "vmnmob/connection/switch.hpp"
#include "vmnmob/connection/switch_manager.hpp"
#include "vmnmob/ofp/framer.hpp"

namespace vmnmob::connection::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

class Connection;

/// The manager's shared state: options, observers and the registry by datapath id.
class Hub : public std::enable_shared_from_this<Hub> {
 public:
  Hub(asio::io_context& io, ManagerOptions options) : io_(io), options_(std::move(options)) {}

  asio::io_context& io() { return io_; }
  const ManagerOptions& options() const { return options_; }

  void add_observer(SwitchObserver& observer) { observers_.push_back(&observer); }
  template <class F>
  void notify(F&& f) {
    if (detached_.load(std::memory_order_acquire)) return;
    for (SwitchObserver* o : observers_) f(*o);
  }
  void detach() { detached_.store(true, std::memory_order_release); }

  /// Starts a connection on an established socket. `on_closed(was_up)` and `on_up` serve
  /// the active-mode connector.
  /// `tls`: the context for a TLS connection (we are its server when `tls_server`), or null.
  std::shared_ptr<Connection> adopt(tcp::socket socket, std::function<void(bool)> on_closed = {},
                                    std::function<void()> on_up = {},
                                    std::shared_ptr<asio::ssl::context> tls = nullptr, bool tls_server = true);
  /// The TLS context for passive (server) or active (client) mode, built once.
  Expected<std::shared_ptr<asio::ssl::context>, std::string> tls_context(bool server);
  /// The connection completed its handshake: registers it (replacing an older connection
  /// with the same datapath id) and delivers SwitchUp.
  void switch_up(const std::shared_ptr<Connection>& conn);
  /// Unregisters (if still registered) and delivers SwitchDown.
  void switch_down(Connection& conn, const SwitchDown& event);
  void forget(const Connection* conn);

  /// Passive mode: whether a connection from `address` may be adopted under
  /// ConnectionLimits; counts and reports (once per burst) a refusal. On true, the caller
  /// must adopt the socket with `address` so forget() can release it.
  bool admit(const asio::ip::address& address, TimePoint now);
  /// `tls`: the server context of a TLS listener, or null.
  std::shared_ptr<Connection> adopt_accepted(tcp::socket socket, const asio::ip::address& address,
                                             std::shared_ptr<asio::ssl::context> tls);
  /// accept() failed: counts it and reports once per burst.
  void accept_failed(const boost::system::error_code& ec, TimePoint now);
  ManagerCounters counters() const;

  std::shared_ptr<Connection> find(DatapathId id) const;
  std::vector<DatapathId> datapath_ids() const;
  std::size_t connection_count() const;
  std::vector<std::shared_ptr<Connection>> all_connections() const;

 private:
  asio::io_context& io_;
  ManagerOptions options_;
  std::vector<SwitchObserver*> observers_;
  std::atomic<bool> detached_{false};
  mutable std::mutex mutex_;
  std::map<DatapathId, std::weak_ptr<Connection>> registry_;
  std::map<const Connection*, std::weak_ptr<Connection>> connections_;
  std::shared_ptr<asio::ssl::context> tls_server_, tls_client_;  // under mutex_

  // Limits (passive connections by source address); under mutex_.
  void report(LimitHit::Kind kind, std::string detail, std::uint64_t count, TimePoint now);
  std::map<asio::ip::address, std::size_t> per_address_;
  std::map<const Connection*, asio::ip::address> address_of_;
  ManagerCounters counters_;
  TimePoint last_hit_[3]{};  // by LimitHit::Kind, for the once-per-burst report
};

class Connection final : public Switch, public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Hub> hub, tcp::socket socket,
             std::shared_ptr<asio::ssl::context> tls = nullptr, bool tls_server = true);

  void start(std::function<void(bool)> on_closed, std::function<void()> on_up);
  /// Another connection took over this datapath id; SwitchDown was already delivered.
  void replace();
  /// Marks SwitchDown as delivered; true if the caller is the one to deliver it.
  bool claim_down_report() { return !down_reported_.exchange(true); }
  SwitchCounters counters_snapshot() const { return counters(); }

  // Switch
  DatapathId datapath_id() const override { return datapath_id_.load(std::memory_order_acquire); }
  ofp::FeaturesReply features() const override;
  std::vector<ofp::Port> ports() const override;
  std::optional<ofp::MeterFeaturesReply> meter_features() const override;
  std::string peer() const override { return peer_; }
  bool connected() const override { return up_.load(std::memory_order_acquire); }
  SwitchCounters counters() const override;
  SendResult send(const ofp::Message& msg) override;
  SendResult send_batch(std::span<const ofp::Message> msgs) override;
  void request(ofp::MessageBody body, Duration timeout, ReplyHandler handler) override;
  void close() override;

 private:
  void start_tls();
  void start_session();
  /// Calls f with the stream to read and write: the TLS stream or the socket itself.
  template <class F>
  void with_stream(F&& f) {
    if (tls_) f(*tls_);
    else f(socket_);
  }
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  bool handle_frame(ByteSpan frame);
  void handle_message(ofp::Message& msg);
  void dispatch(ofp::Message& msg);
  void apply(Session::Actions actions);
  void go_up();
  /// Queues on this strand; a non-zero `xid` replaces msg.xid on the wire.
  SendResult send_here(const ofp::Message& msg, WriteQueue::Lane lane, std::uint32_t xid = 0);
  void note_queued(std::size_t messages = 1);
  void flush();
  void schedule_flush();
  /// flush(), or, inside another connection's read batch on this thread, once at its end.
  void flush_soon();
  /// Flushes the connections flush_soon() deferred on this thread.
  static void flush_deferred();
  void on_written(const boost::system::error_code& ec, std::size_t n);
  void arm_timer();
  void on_timer(const boost::system::error_code& ec);
  /// The write looks stalled from this loop's view: whether the socket says otherwise (room in
  /// its send buffer, or bytes acknowledged since the last look); then the stall clock restarts.
  bool socket_progressed(TimePoint now);
  void close_with(DisconnectReason reason, std::string detail);
  void finish_close();

  std::shared_ptr<Hub> hub_;
  Strand strand_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  TimePoint timer_at_ = TimePoint::max();
  TimePoint accepted_at_;  // the handshake timeout counts from here (TLS + OpenFlow)
  std::string peer_;
  std::string peer_address_;  // the IP alone, IPv4-mapped written as IPv4
  std::shared_ptr<asio::ssl::context> tls_context_;  // keeps the context alive for tls_
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  bool tls_server_ = true;
  bool tls_handshaking_ = false;
  std::optional<PeerCertificate> certificate_;
  DatapathId refused_datapath_id_ = 0;  // the id a refused connection claimed
  std::function<void(bool)> on_closed_;
  std::function<void()> on_up_;

  ofp::Framer framer_;
  Session session_;
  RequestTable requests_;
  WriteQueue queue_;
  TimePoint write_progress_at_{};       // last time the in-flight batch advanced
  std::size_t write_progress_bytes_ = 0;  // bytes of the in-flight batch written so far
  // Unacknowledged bytes in the socket's send queue (SIOCOUTQ) when the stall check last
  // looked at a full socket; -1: no reference (the socket was written to since).
  int socket_unacknowledged_ = -1;
  bool flush_scheduled_ = false;
  bool in_read_batch_ = false;
  TimePoint read_at_{};  // when the running read batch arrived
  bool flush_deferred_ = false;  // queued in the running read batch's list (flush_soon)
  bool closed_ = false;     // no more input is processed
  bool lingering_ = false;  // closed, but flushing a final message (HELLO_FAILED) first
  bool finished_ = false;   // socket closed

  std::atomic<bool> up_{false};
  std::atomic<bool> down_reported_{false};
  std::atomic<DatapathId> datapath_id_{0};
  std::atomic<std::uint64_t> posted_bytes_{0};  // sent from other threads, not yet queued
  mutable std::mutex info_mutex_;  // features_ and ports_, read from any thread
  ofp::FeaturesReply features_;
  std::vector<ofp::Port> ports_;
  std::optional<ofp::MeterFeaturesReply> meter_features_;

  struct Counters {
    std::atomic<std::uint64_t> messages_in{0}, bytes_in{0}, messages_out{0}, bytes_out{0},
        packet_ins{0}, errors_in{0}, decode_errors{0}, dropped{0}, queue_depth{0},
        queue_high_water{0};
  };
  Counters counters_;
};

}  // namespace vmnmob::connection::detail
