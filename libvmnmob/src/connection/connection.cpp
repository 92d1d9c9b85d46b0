#include "connection/connection.hpp"

#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/endian/conversion.hpp>

#include "connection/detail/tls.hpp"
#include "vmnmob/ofp/codec.hpp"

namespace vmnmob::connection {

std::string_view to_string(SendError error) {
  switch (error) {
    case SendError::NotConnected: return "not connected";
    case SendError::QueueFull: return "send queue full";
    case SendError::EncodeFailed: return "encode failed";
  }
  return "unknown";
}

namespace detail {

namespace {

// Connections written to by a read batch of another connection on this thread (a packet-in
// on one switch that re-programs many): each gets one flush when the batch ends instead of
// one write per message.
thread_local bool t_in_read_batch = false;
thread_local std::vector<std::shared_ptr<Connection>> t_deferred_flushes;

constexpr std::size_t kReadChunk = 64 * 1024;
// Per write_some call, as asio::transfer_all would allow.
constexpr std::size_t kWriteSomeMax = 64 * 1024;
// Spec 7.4.4: the data of an OFPT_ERROR holds at least 64 bytes of the failed request.
constexpr std::size_t kErrorDataBytes = 64;

std::string endpoint_string(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

std::string address_string(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto address = socket.remote_endpoint(ec).address();
  if (ec) return "?";
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

bool is_urgent(const ofp::MessageBody& body) {
  return std::holds_alternative<ofp::EchoRequest>(body) ||
         std::holds_alternative<ofp::EchoReply>(body);
}
}  // namespace

Connection::Connection(std::shared_ptr<Hub> hub, tcp::socket socket,
                       std::shared_ptr<asio::ssl::context> tls, bool tls_server)
    : hub_(std::move(hub)),
      strand_(asio::make_strand(hub_->io())),
      socket_(std::move(socket)),
      timer_(strand_),
      accepted_at_(Clock::now()),
      peer_(endpoint_string(socket_)),
      peer_address_(address_string(socket_)),
      tls_context_(std::move(tls)),
      tls_server_(tls_server),
      framer_(std::min<std::size_t>(hub_->options().max_message_size, ofp::kMaxMessageLength)),
      session_(hub_->options().session),
      queue_(hub_->options().send_queue_limit) {
  if (tls_context_) tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls_context_);
}

void Connection::start(std::function<void(bool)> on_closed, std::function<void()> on_up) {
  on_closed_ = std::move(on_closed);
  on_up_ = std::move(on_up);
  asio::dispatch(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->socket_.set_option(tcp::no_delay(true), ignored);
    if (self->tls_) return self->start_tls();
    self->start_session();
  });
}

void Connection::start_session() {
  // From TCP established: with TLS the session's handshake clock includes the TLS handshake.
  apply(session_.start(accepted_at_));
  if (closed_) return;
  flush();
  arm_timer();
  read();
}

void Connection::start_tls() {
  tls_handshaking_ = true;
  const Duration limit = hub_->options().session.handshake_timeout;
  timer_at_ = accepted_at_ + limit;
  timer_.expires_at(timer_at_);
  timer_.async_wait(asio::bind_executor(strand_, [self = shared_from_this(), limit](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || !self->tls_handshaking_ || self->closed_) return;
    self->timer_at_ = TimePoint::max();
    self->close_with(DisconnectReason::HandshakeTimeout,
                     "TLS handshake not complete after " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) + " ms");
  }));
  tls_->async_handshake(
      tls_server_ ? asio::ssl::stream_base::server : asio::ssl::stream_base::client,
      asio::bind_executor(strand_, [self = shared_from_this()](const boost::system::error_code& ec) {
        self->tls_handshaking_ = false;
        if (self->closed_) return;
        if (ec) return self->close_with(DisconnectReason::TlsFailed, tls_error_text(ec));
        self->certificate_ = peer_certificate(self->tls_->native_handle());
        self->timer_.cancel();
        self->timer_at_ = TimePoint::max();
        self->start_session();
      }));
}

// ---- Reading ----

void Connection::read() {
  if (closed_) return;
  auto buffer = framer_.prepare(kReadChunk);
  with_stream([&](auto& stream) {
    stream.async_read_some(
        asio::buffer(buffer.data(), buffer.size()),
        asio::bind_executor(strand_, [self = shared_from_this()](
                                         const boost::system::error_code& ec, std::size_t n) {
          self->on_read(ec, n);
        }));
  });
}

void Connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) {
    if (ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated)
      close_with(DisconnectReason::PeerClosed, ec.message());
    else if (ec != asio::error::operation_aborted)
      close_with(DisconnectReason::IoError, ec.message());
    return;
  }
  framer_.commit(n);
  counters_.bytes_in.fetch_add(n, std::memory_order_relaxed);
  // Other switches written to while this batch runs are flushed once, when it ends (on every
  // way out of this function).
  struct OtherWrites {
    bool outer = std::exchange(t_in_read_batch, true);
    OtherWrites() = default;
    OtherWrites(const OtherWrites&) = delete;
    OtherWrites& operator=(const OtherWrites&) = delete;
    ~OtherWrites() {
      t_in_read_batch = outer;
      if (!outer) flush_deferred();
    }
  } other_writes;
  in_read_batch_ = true;
  read_at_ = Clock::now();  // one clock read per batch, not per message
  for (;;) {
    auto next = framer_.next();
    if (!next) {
      in_read_batch_ = false;
      close_with(DisconnectReason::ProtocolError, next.error().to_string());
      return;
    }
    if (!*next) break;
    // The frame (and a PacketIn's data, which borrows it) stays valid until framer_.next()
    // is called again, i.e. for the whole dispatch below.
    if (!handle_frame(**next)) break;
  }
  in_read_batch_ = false;
  if (closed_) return;
  flush();  // everything the batch produced goes out in one write
  arm_timer();
  read();
}

bool Connection::handle_frame(ByteSpan frame) {
  counters_.messages_in.fetch_add(1, std::memory_order_relaxed);
  auto decoded = ofp::decode(frame);
  if (decoded) {
    handle_message(*decoded);
    return !closed_;
  }
  counters_.decode_errors.fetch_add(1, std::memory_order_relaxed);
  const ofp::CodecError& error = decoded.error();
  if (session_.state() == Session::State::WaitHello) {
    close_with(DisconnectReason::ProtocolError, "undecodable first message: " + error.to_string());
    return false;
  }
  // Spec 7.4.4: answer with the error type/code the codec found, echoing the xid and the
  // first bytes of the offending message; the stream itself is still framed correctly.
  auto header = ofp::decode_header(frame);
  ofp::ErrorMsg reply;
  reply.type = error.type;
  reply.code = error.code;
  reply.data.assign(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(frame.size(), kErrorDataBytes)));
  // A full queue drops the answer (counted in `dropped`); the stream stays usable.
  (void)send_here(ofp::Message{ofp::kVersion, header ? header->xid : 0, std::move(reply)},
                  WriteQueue::Lane::Bulk);
  return true;
}

void Connection::handle_message(ofp::Message& msg) {
  if (std::holds_alternative<ofp::ErrorMsg>(msg.body))
    counters_.errors_in.fetch_add(1, std::memory_order_relaxed);
  bool was_up = session_.up();
  Session::Actions actions = session_.on_message(read_at_, msg);
  bool consumed = actions.consumed || actions.close.has_value();
  apply(std::move(actions));
  if (consumed || closed_ || !was_up) return;
  dispatch(msg);
}

void Connection::dispatch(ofp::Message& msg) {
  Switch& self = *this;
  if (const auto* packet_in = std::get_if<ofp::PacketIn>(&msg.body)) {
    counters_.packet_ins.fetch_add(1, std::memory_order_relaxed);
    PacketInEvent event{self, msg.xid, *packet_in};
    hub_->notify([&](SwitchObserver& o) { o.on_packet_in(event); });
    return;
  }
  if (const auto* status = std::get_if<ofp::PortStatus>(&msg.body)) {
    {
      std::lock_guard lock(info_mutex_);
      auto it = std::find_if(ports_.begin(), ports_.end(), [&](const ofp::Port& p) {
        return p.port_no == status->desc.port_no;
      });
      if (status->reason == ofp::PortReason::Delete) {
        if (it != ports_.end()) ports_.erase(it);
      } else if (it != ports_.end()) {
        *it = status->desc;
      } else {
        ports_.push_back(status->desc);
      }
    }
    PortStatusEvent event{self, *status};
    hub_->notify([&](SwitchObserver& o) { o.on_port_status(event); });
    return;
  }
  if (const auto* removed = std::get_if<ofp::FlowRemoved>(&msg.body)) {
    FlowRemovedEvent event{self, *removed};
    hub_->notify([&](SwitchObserver& o) { o.on_flow_removed(event); });
    return;
  }
  if (const auto* role = std::get_if<ofp::RoleReply>(&msg.body)) {
    RoleChangeEvent event{self, role->role, role->generation_id};
    hub_->notify([&](SwitchObserver& o) { o.on_role_change(event); });
    // Completes the ROLE_REQUEST it answers; an unrequested one was reported above.
    (void)requests_.on_message(msg);
    return;
  }
  if (std::holds_alternative<ofp::ErrorMsg>(msg.body)) {
    // Copy before the request table may move from msg.
    std::uint32_t xid = msg.xid;
    if (requests_.on_message(msg)) return;
    SwitchErrorEvent event{self, xid, std::get<ofp::ErrorMsg>(msg.body)};
    hub_->notify([&](SwitchObserver& o) { o.on_error(event); });
    return;
  }
  if (requests_.on_message(msg)) return;
  OtherMessageEvent event{self, msg};
  hub_->notify([&](SwitchObserver& o) { o.on_other_message(event); });
}

void Connection::apply(Session::Actions actions) {
  for (const ofp::Message& m : actions.send)
    (void)send_here(m, is_urgent(m.body) ? WriteQueue::Lane::Urgent : WriteQueue::Lane::Bulk);
  if (actions.became_up) go_up();
  if (actions.close) close_with(actions.close->reason, std::move(actions.close->detail));
}

void Connection::go_up() {
  // Admission before registration: a refused peer never replaces the switch that holds the id.
  if (const AdmissionHook& admit = hub_->options().admit) {
    const DatapathId id = session_.features().datapath_id;
    AdmissionRequest request{id, peer_, peer_address_, tls_ ? Transport::Tls : Transport::Tcp,
                             certificate_ ? &*certificate_ : nullptr};
    if (Admission verdict = admit(request); !verdict.accepted) {
      refused_datapath_id_ = id;
      return close_with(DisconnectReason::Refused, std::move(verdict.reason));
    }
  }
  {
    std::lock_guard lock(info_mutex_);
    features_ = session_.features();
    ports_ = session_.ports();
    meter_features_ = session_.meter_features();
  }
  datapath_id_.store(session_.features().datapath_id, std::memory_order_release);
  up_.store(true, std::memory_order_release);
  if (on_up_) on_up_();
  hub_->switch_up(shared_from_this());
}

// ---- Writing ----

void Connection::note_queued(std::size_t messages) {
  counters_.messages_out.fetch_add(messages, std::memory_order_relaxed);
  std::uint64_t depth = queue_.depth();
  counters_.queue_depth.store(depth, std::memory_order_relaxed);
  if (depth > counters_.queue_high_water.load(std::memory_order_relaxed))
    counters_.queue_high_water.store(depth, std::memory_order_relaxed);
}

SendResult Connection::send_here(const ofp::Message& msg, WriteQueue::Lane lane, std::uint32_t xid) {
  if (closed_) return unexpected(SendError::NotConnected);
  switch (queue_.push(msg, lane, nullptr, xid)) {
    case WriteQueue::PushResult::Queued:
      note_queued();
      schedule_flush();
      return {};
    case WriteQueue::PushResult::Full:
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
      return unexpected(SendError::QueueFull);
    case WriteQueue::PushResult::EncodeFailed:
      return unexpected(SendError::EncodeFailed);
  }
  return unexpected(SendError::EncodeFailed);
}

SendResult Connection::send(const ofp::Message& msg) { return send_batch(std::span<const ofp::Message>(&msg, 1)); }

SendResult Connection::send_batch(std::span<const ofp::Message> msgs) {
  if (!up_.load(std::memory_order_acquire)) return unexpected(SendError::NotConnected);
  if (strand_.running_in_this_thread()) {
    for (const ofp::Message& msg : msgs)
      if (auto sent = send_here(msg, WriteQueue::Lane::Bulk, msg.xid == 0 ? session_.allocate_xid() : 0); !sent)
        return sent;
    return {};
  }
  // Another strand or thread: encode here, into one buffer, and append it on the strand in
  // one step. Bytes handed over but not yet queued count against the same limit, so a fast
  // producer cannot grow the io_context's handler queue without bound either.
  std::uint64_t backlog = posted_bytes_.load(std::memory_order_relaxed) +
                          counters_.queue_depth.load(std::memory_order_relaxed);
  if (backlog >= queue_.limit()) {
    counters_.dropped.fetch_add(msgs.size(), std::memory_order_relaxed);
    return unexpected(SendError::QueueFull);
  }
  ByteVector bytes;
  for (const ofp::Message& msg : msgs)
    if (!ofp::encode(msg, bytes)) return unexpected(SendError::EncodeFailed);
  posted_bytes_.fetch_add(bytes.size(), std::memory_order_relaxed);
  // dispatch, not post: from a handler of another switch on an io_context thread this queues
  // now (the strand keeps the order of anything queued on it before), and the write goes out
  // when that handler's read batch ends (flush_soon); a post would wait for the io_context to
  // come round, which a loaded machine can stretch to milliseconds.
  asio::dispatch(strand_, [self = shared_from_this(), bytes = std::move(bytes), count = msgs.size()]() mutable {
    self->posted_bytes_.fetch_sub(bytes.size(), std::memory_order_relaxed);
    if (self->closed_) return;
    // Messages sent with xid 0 get the next xid of this connection.
    for (std::size_t at = 0; at + ofp::kHeaderLength <= bytes.size();) {
      std::uint16_t length = 0;
      std::uint32_t xid = 0;
      std::memcpy(&length, bytes.data() + at + 2, sizeof length);
      std::memcpy(&xid, bytes.data() + at + 4, sizeof xid);
      if (xid == 0) {
        xid = boost::endian::native_to_big(self->session_.allocate_xid());
        std::memcpy(bytes.data() + at + 4, &xid, sizeof xid);
      }
      at += std::max<std::size_t>(boost::endian::big_to_native(length), ofp::kHeaderLength);
    }
    if (self->queue_.push_encoded(as_bytes(bytes), WriteQueue::Lane::Bulk) != WriteQueue::PushResult::Queued) {
      self->counters_.dropped.fetch_add(count, std::memory_order_relaxed);
      return;
    }
    self->note_queued(count);
    self->flush_soon();
  });
  return {};
}

void Connection::request(ofp::MessageBody body, Duration timeout, ReplyHandler handler) {
  auto reply_type = reply_type_for(body);
  timeout = std::min<Duration>(timeout, std::chrono::hours(24));  // now + timeout must not overflow
  asio::dispatch(strand_, [self = shared_from_this(), body = std::move(body), timeout,
                           handler = std::move(handler), reply_type]() mutable {
    auto fail = [&](RequestError::Kind kind, std::string detail) {
      if (handler) handler(unexpected(RequestError{kind, {}, std::move(detail)}));
    };
    if (!reply_type) return fail(RequestError::Kind::NotARequest, {});
    if (self->closed_ || !self->up_) return fail(RequestError::Kind::NotConnected, {});
    ofp::Message msg{ofp::kVersion, self->session_.allocate_xid(), std::move(body)};
    auto sent = self->send_here(msg, is_urgent(msg.body) ? WriteQueue::Lane::Urgent
                                                         : WriteQueue::Lane::Bulk);
    if (!sent) {
      return fail(sent.error() == SendError::QueueFull ? RequestError::Kind::QueueFull
                                                       : RequestError::Kind::EncodeFailed,
                  std::string(to_string(sent.error())));
    }
    self->requests_.add(msg.xid, *reply_type, Clock::now() + timeout, std::move(handler));
    self->arm_timer();
  });
}

void Connection::schedule_flush() {
  if (in_read_batch_ || flush_scheduled_) return;
  // Inside another connection's read batch (a request sent from its callback): flush with the
  // batch's other writes. A post here would also keep this strand busy until the io_context
  // comes round, queueing every later message of the batch behind it.
  if (t_in_read_batch) return flush_soon();
  flush_scheduled_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void Connection::flush_soon() {
  if (!t_in_read_batch) return flush();
  if (flush_deferred_) return;
  flush_deferred_ = true;
  t_deferred_flushes.push_back(shared_from_this());
}

void Connection::flush_deferred() {
  auto pending = std::move(t_deferred_flushes);
  t_deferred_flushes.clear();
  for (auto& c : pending)
    asio::dispatch(c->strand_, [c] {
      c->flush_deferred_ = false;
      c->flush();
    });
}

void Connection::flush() {
  if (finished_ || (closed_ && !lingering_)) return;
  if (!queue_.ready()) return;
  auto buffers = queue_.begin_write();
  write_progress_at_ = Clock::now();
  write_progress_bytes_ = 0;
  socket_unacknowledged_ = -1;
  std::array<asio::const_buffer, 2> seq{asio::buffer(buffers[0].data(), buffers[0].size()),
                                        asio::buffer(buffers[1].data(), buffers[1].size())};
  // The completion condition runs after every partial write (on this strand): it records
  // progress, so a switch that reads slowly but steadily is not mistaken for a stalled one.
  auto progress = [self = shared_from_this()](const boost::system::error_code& ec,
                                              std::size_t transferred) -> std::size_t {
    if (transferred > self->write_progress_bytes_) {
      self->write_progress_bytes_ = transferred;
      self->write_progress_at_ = Clock::now();
      self->socket_unacknowledged_ = -1;  // the socket was written to: no reference any more
    }
    return ec ? 0 : kWriteSomeMax;
  };
  with_stream([&](auto& stream) {
    asio::async_write(stream, seq, progress,
                      asio::bind_executor(strand_, [self = shared_from_this()](
                                                       const boost::system::error_code& ec,
                                                       std::size_t n) { self->on_written(ec, n); }));
  });
  arm_timer();
}

void Connection::on_written(const boost::system::error_code& ec, std::size_t n) {
  counters_.bytes_out.fetch_add(n, std::memory_order_relaxed);
  queue_.end_write();
  counters_.queue_depth.store(queue_.depth(), std::memory_order_relaxed);
  if (lingering_) {
    if (ec || !queue_.ready()) return finish_close();
    return flush();
  }
  if (closed_) return;
  if (ec) {
    if (ec != asio::error::operation_aborted)
      close_with(ec == asio::error::broken_pipe || ec == asio::error::connection_reset
                     ? DisconnectReason::PeerClosed
                     : DisconnectReason::IoError,
                 ec.message());
    return;
  }
  flush();
}

// ---- Timers ----

void Connection::arm_timer() {
  if (finished_) return;
  TimePoint at = std::min(session_.next_deadline(), requests_.next_deadline());
  if (queue_.in_flight())
    at = std::min(at, write_progress_at_ + hub_->options().write_stall_timeout);
  if (at == TimePoint::max() || at >= timer_at_) return;
  timer_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this()](const boost::system::error_code& ec) {
        self->on_timer(ec);
      }));
}

void Connection::on_timer(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted) return;  // re-armed earlier, or closing
  timer_at_ = TimePoint::max();
  if (lingering_) return finish_close();  // the final write did not finish in time
  if (closed_) return;
  TimePoint now = Clock::now();
  if (queue_.in_flight() && now - write_progress_at_ >= hub_->options().write_stall_timeout &&
      !socket_progressed(now))
    return close_with(DisconnectReason::SendQueueStalled,
                      std::to_string(queue_.depth()) + " bytes queued, none taken by the switch for " +
                          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             hub_->options().write_stall_timeout)
                                             .count()) +
                          " ms");
  apply(session_.on_tick(now));
  if (closed_) return;
  requests_.expire(now);
  if (closed_) return;
  flush();
  arm_timer();
}

bool Connection::socket_progressed(TimePoint now) {
  // The write's progress as this loop saw it is stale: it may only mean that the loop was busy
  // (other switches' work, a slow observer) and has not run the write's completion yet. Ask the
  // socket instead. Room in its send buffer means the switch is reading; bytes it acknowledged
  // since the last look mean the same. Only a full buffer that the switch does not drain is a
  // stall.
  const int fd = socket_.native_handle();
  pollfd p{fd, POLLOUT, 0};
  const bool writable = ::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0;
  int unacknowledged = 0;
  const bool measured = ::ioctl(fd, SIOCOUTQ, &unacknowledged) == 0;
  const bool drained = measured && socket_unacknowledged_ >= 0 && unacknowledged < socket_unacknowledged_;
  // A full buffer the kernel cannot tell more about, or that nobody drained since the last look.
  if (!writable && (!measured || (!drained && socket_unacknowledged_ >= 0))) return false;
  // First look at a full buffer (no reference yet): give the switch a quarter of the timeout
  // to acknowledge anything before calling it stalled.
  const bool first_look = !writable && !drained;
  socket_unacknowledged_ = measured ? unacknowledged : -1;
  write_progress_at_ = first_look ? now - hub_->options().write_stall_timeout * 3 / 4 : now;
  return true;
}

// ---- Closing ----

void Connection::close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->close_with(DisconnectReason::Shutdown, "closed locally");
  });
}

void Connection::replace() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->close_with(DisconnectReason::Replaced, "the datapath id connected again");
  });
}

void Connection::close_with(DisconnectReason reason, std::string detail) {
  if (closed_) return;
  closed_ = true;
  bool was_up = up_.exchange(false, std::memory_order_acq_rel);
  if (was_up) {
    if (claim_down_report())
      hub_->switch_down(*this, SwitchDown{datapath_id(), reason, detail, counters()});
  } else {
    HandshakeFailed event{peer_, reason, detail, refused_datapath_id_};
    hub_->notify([&](SwitchObserver& o) { o.on_handshake_failed(event); });
  }
  requests_.fail_all(RequestError::Kind::Disconnected, std::string(to_string(reason)));
  // A final message (HELLO_FAILED) still waiting is flushed before the socket closes, bounded
  // by a short timer so a peer that does not read cannot hold the connection open.
  if (queue_.ready() || queue_.in_flight()) {
    lingering_ = true;
    timer_.expires_after(std::chrono::seconds(1));
    timer_at_ = Clock::now() + std::chrono::seconds(1);
    timer_.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this()](const boost::system::error_code& ec) {
          self->on_timer(ec);
        }));
    flush();
    return;
  }
  finish_close();
}

void Connection::finish_close() {
  if (finished_) return;
  finished_ = true;
  lingering_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  hub_->forget(this);
  if (on_closed_) {
    auto callback = std::move(on_closed_);
    callback(down_reported_.load());
  }
}

// ---- Read from any thread ----

ofp::FeaturesReply Connection::features() const {
  std::lock_guard lock(info_mutex_);
  return features_;
}

std::vector<ofp::Port> Connection::ports() const {
  std::lock_guard lock(info_mutex_);
  return ports_;
}

std::optional<ofp::MeterFeaturesReply> Connection::meter_features() const {
  std::lock_guard lock(info_mutex_);
  return meter_features_;
}

SwitchCounters Connection::counters() const {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return SwitchCounters{get(counters_.messages_in),  get(counters_.bytes_in),
                        get(counters_.messages_out), get(counters_.bytes_out),
                        get(counters_.packet_ins),   get(counters_.errors_in),
                        get(counters_.decode_errors), get(counters_.dropped),
                        get(counters_.queue_depth),  get(counters_.queue_high_water)};
}

}  // namespace detail
}  // namespace vmnmob::connection
