// TLS on the OpenFlow channel and admission (who may be which switch), over loopback against
// the scripted fake switch, through a TLS relay (tests/fakes/tls_relay.hpp). Certificates are
// made at test time by tests/lib/make-test-pki.sh.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fakes/fake_switch.hpp"
#include "fakes/recording_observer.hpp"
#include "connection/manager_harness.hpp"
#include "fakes/tls_relay.hpp"
#include "vmnmob/connection/switch_manager.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace vmnmob::testing;
using namespace std::chrono_literals;
using Kind = RecordedEvent::Kind;

namespace {

// One PKI per test run: CA "ca" signs controller, switch-a, switch-b; "other-ca" signs rogue.
const std::string& pki() {
  static const std::string dir = [] {
    std::string d = (std::filesystem::temp_directory_path() / ("vmnmob-tls-test-" + std::to_string(::getpid()))).string();
    std::string command = std::string(VMNMOB_MAKE_TEST_PKI) + " " + d + " controller switch-a switch-b rogue@other-ca";
    REQUIRE(std::system(command.c_str()) == 0);
    return d;
  }();
  return dir;
}

struct PkiCleanup {
  ~PkiCleanup() {
    std::error_code ignored;
    std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                    ("vmnmob-tls-test-" + std::to_string(::getpid())),
                                ignored);
  }
} pki_cleanup;

TlsOptions controller_tls() { return {pki() + "/controller.pem", pki() + "/controller.key", pki() + "/ca.pem"}; }

TlsClientOptions switch_tls(const std::string& name) {
  return {pki() + "/" + name + ".pem", pki() + "/" + name + ".key", pki() + "/ca.pem", 0};
}

std::string fingerprint_of(const std::string& pem_path) {
  FILE* f = std::fopen(pem_path.c_str(), "r");
  REQUIRE(f);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  REQUIRE(cert);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md.data(), &n);
  X509_free(cert);
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", md[i]);
    out += hex;
  }
  return out;
}

struct Harness : ManagerHarness {
  explicit Harness(ManagerOptions options, Transport transport = Transport::Tls)
      : ManagerHarness(with_short_handshake(options), "127.0.0.1", transport) {}
  static ManagerOptions with_short_handshake(ManagerOptions options) {
    options.session.handshake_timeout = 2s;
    return options;
  }
};

ManagerOptions with_tls() {
  ManagerOptions o;
  o.tls = controller_tls();
  return o;
}

// Admits only `allowed`, records every request.
struct Gate {
  std::mutex mutex;
  std::vector<AdmissionRequest> seen;
  std::vector<std::optional<PeerCertificate>> certificates;
  std::function<Admission(const AdmissionRequest&)> rule;

  AdmissionHook hook() {
    return [this](const AdmissionRequest& r) {
      std::lock_guard lock(mutex);
      seen.push_back(r);
      certificates.push_back(r.certificate ? std::optional(*r.certificate) : std::nullopt);
      seen.back().certificate = nullptr;  // valid during the call only
      return rule ? rule(r) : Admission::accept();
    };
  }
};

bool has_failure(RecordingObserver& o, DisconnectReason reason) {
  return o.wait_for(Kind::HandshakeFailed, [reason](const RecordedEvent& e) { return e.reason == reason; }).has_value();
}

}  // namespace

TEST_CASE("tls: a switch with a certificate from the CA completes the handshake over TLS", "[tls]") {
  Gate gate;
  ManagerOptions options = with_tls();
  options.admit = gate.hook();
  Harness h(options);
  auto relay = TlsRelay::connect(h.port, switch_tls("switch-a"));
  REQUIRE(relay);
  REQUIRE(relay->handshake_ok());
  REQUIRE(relay->fake().handshake(0xa1, {make_port(1, "p1")}));
  REQUIRE(h.observer.wait_for(Kind::Up));
  auto sw = h.manager->find(0xa1);
  REQUIRE(sw);
  // Messages flow both ways through TLS.
  relay->fake().send(make_packet_in(1, ByteVector(60, std::byte{0x42})));
  CHECK(h.observer.wait_for(Kind::PacketIn));
  REQUIRE(sw->send(ofp::BarrierRequest{}));
  CHECK(relay->fake().expect(ofp::MessageType::BarrierRequest));

  std::lock_guard lock(gate.mutex);
  REQUIRE(gate.seen.size() == 1);
  CHECK(gate.seen[0].datapath_id == 0xa1);
  CHECK(gate.seen[0].transport == Transport::Tls);
  CHECK(gate.seen[0].peer_address == "127.0.0.1");
  REQUIRE(gate.certificates[0]);
  CHECK(gate.certificates[0]->sha256_fingerprint == fingerprint_of(pki() + "/switch-a.pem"));
  CHECK(gate.certificates[0]->subject.find("CN=switch-a") != std::string::npos);
}

TEST_CASE("tls: a switch without a client certificate is refused", "[tls]") {
  Harness h(with_tls());
  TlsClientOptions anonymous{"", "", pki() + "/ca.pem", 0};
  auto relay = TlsRelay::connect(h.port, anonymous);
  REQUIRE(relay);
  // TLS 1.3: the client may finish before the server refuses; either way nothing comes up.
  if (relay->handshake_ok()) CHECK_FALSE(relay->fake().handshake(0xa1, {}, 1, 1500ms));
  CHECK(has_failure(h.observer, DisconnectReason::TlsFailed));
  CHECK(h.observer.count(Kind::Up) == 0);
  CHECK(h.manager->find(0xa1) == nullptr);
}

TEST_CASE("tls: a certificate from another CA is refused", "[tls]") {
  Harness h(with_tls());
  auto relay = TlsRelay::connect(h.port, switch_tls("rogue"));
  REQUIRE(relay);
  if (relay->handshake_ok()) CHECK_FALSE(relay->fake().handshake(0xa1, {}, 1, 1500ms));
  auto failed = h.observer.wait_for(Kind::HandshakeFailed);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::TlsFailed);
  CHECK(failed->detail.find("certificate") != std::string::npos);
  CHECK(h.observer.count(Kind::Up) == 0);
}

TEST_CASE("tls: TLS 1.1 is refused", "[tls]") {
  Harness h(with_tls());
  TlsClientOptions old = switch_tls("switch-a");
  old.max_version = TLS1_1_VERSION;
  auto relay = TlsRelay::connect(h.port, old);
  REQUIRE(relay);
  CHECK_FALSE(relay->handshake_ok());
  auto failed = h.observer.wait_for(Kind::HandshakeFailed);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::TlsFailed);
  CHECK(failed->detail.find("protocol") != std::string::npos);
  CHECK(h.observer.count(Kind::Up) == 0);
}

TEST_CASE("tls: a plain TCP peer on a TLS listener is refused and the handshake timeout covers TLS", "[tls]") {
  Harness h(with_tls());
  auto plain = FakeSwitch::connect(h.port);
  REQUIRE(plain);
  // A silent peer: the TLS handshake never starts, the handshake timeout (2 s) closes it.
  CHECK(plain->wait_closed(4000ms));
  auto failed = h.observer.wait_for(Kind::HandshakeFailed, {}, 4000ms);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::HandshakeTimeout);
  // A plain OpenFlow HELLO is not a TLS ClientHello.
  auto talker = FakeSwitch::connect(h.port);
  REQUIRE(talker);
  CHECK_FALSE(talker->handshake(0xa1, {}, 1, 1500ms));
  CHECK(has_failure(h.observer, DisconnectReason::TlsFailed));
}

TEST_CASE("tls: listen and connect over TLS need TlsOptions; bad files are named", "[tls]") {
  boost::asio::io_context io;
  SwitchManager none(io);
  auto refused = none.listen("127.0.0.1", 0, Transport::Tls);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("ManagerOptions::tls") != std::string::npos);
  CHECK_FALSE(none.connect("127.0.0.1", 1, Transport::Tls));

  TlsOptions missing = controller_tls();
  missing.private_key = pki() + "/nonexistent.key";
  auto checked = check_tls(missing);
  REQUIRE_FALSE(checked);
  CHECK(checked.error() == "private_key: " + missing.private_key + ": cannot open");
  TlsOptions mismatched = controller_tls();
  mismatched.private_key = pki() + "/switch-a.key";
  REQUIRE_FALSE(check_tls(mismatched));
  CHECK(check_tls(mismatched).error().starts_with("private_key: "));
  CHECK(check_tls(controller_tls()));
}

TEST_CASE("tls: active mode connects to a switch over TLS and verifies its certificate", "[tls]") {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof a;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  std::uint16_t switch_port = ntohs(a.sin_port);

  boost::asio::io_context io;
  RecordingObserver observer;
  ManagerOptions options = with_tls();
  options.backoff = BackoffConfig{50ms, 200ms};
  SwitchManager manager(io, options);
  manager.add_observer(observer);
  REQUIRE(manager.connect("127.0.0.1", switch_port, Transport::Tls));
  auto work = boost::asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });

  pollfd p{listener, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 3000) == 1);
  int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(fd >= 0);
  auto relay = TlsRelay::serve(fd, switch_tls("switch-b"));
  REQUIRE(relay->handshake_ok());
  REQUIRE(relay->fake().handshake(0xb2));
  CHECK(observer.wait_for(Kind::Up));
  CHECK(manager.find(0xb2));

  manager.stop();
  std::this_thread::sleep_for(20ms);
  relay.reset();
  work.reset();
  io.stop();
  thread.join();
  ::close(listener);
}

TEST_CASE("admission: an unknown datapath id is refused, closed and never up", "[tls][admission]") {
  Gate gate;
  gate.rule = [](const AdmissionRequest& r) {
    return r.datapath_id == 0xa1 ? Admission::accept() : Admission::refuse("unknown datapath id");
  };
  ManagerOptions options;
  options.admit = gate.hook();
  Harness h(options, Transport::Tcp);
  auto sw = FakeSwitch::connect(h.port);
  REQUIRE(sw);
  (void)sw->handshake(0xbb, {}, 1, 1500ms);
  CHECK(sw->wait_closed());
  auto failed = h.observer.wait_for(Kind::HandshakeFailed);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::Refused);
  CHECK(failed->detail == "unknown datapath id");
  CHECK(failed->datapath_id == 0xbb);
  CHECK(h.observer.count(Kind::Up) == 0);
  CHECK(h.manager->find(0xbb) == nullptr);
  std::lock_guard lock(gate.mutex);
  REQUIRE(gate.seen.size() == 1);
  CHECK(gate.seen[0].transport == Transport::Tcp);
  CHECK_FALSE(gate.certificates[0]);
}

TEST_CASE("admission: a refused connection with a connected switch's datapath id replaces nothing",
          "[tls][admission]") {
  // Only switch-a's certificate may be datapath 0xa1; switch-b (same CA) claims it too.
  const std::string switch_a = fingerprint_of(pki() + "/switch-a.pem");
  Gate gate;
  gate.rule = [switch_a](const AdmissionRequest& r) {
    if (!r.certificate || r.certificate->sha256_fingerprint != switch_a)
      return Admission::refuse("certificate does not match the site");
    return Admission::accept();
  };
  ManagerOptions options = with_tls();
  options.admit = gate.hook();
  Harness h(options);
  auto real = TlsRelay::connect(h.port, switch_tls("switch-a"));
  REQUIRE(real->handshake_ok());
  REQUIRE(real->fake().handshake(0xa1, {make_port(1, "real")}));
  REQUIRE(h.observer.wait_for(Kind::Up));
  auto before = h.manager->find(0xa1);
  REQUIRE(before);

  auto rogue = TlsRelay::connect(h.port, switch_tls("switch-b"));
  REQUIRE(rogue->handshake_ok());
  (void)rogue->fake().handshake(0xa1, {make_port(7, "rogue")}, 1, 1500ms);
  CHECK(rogue->fake().wait_closed());
  auto failed = h.observer.wait_for(Kind::HandshakeFailed);
  REQUIRE(failed);
  CHECK(failed->reason == DisconnectReason::Refused);
  CHECK(failed->datapath_id == 0xa1);

  // The real switch stays registered, up and reachable both ways.
  CHECK(h.observer.count(Kind::Down) == 0);
  CHECK(h.observer.count(Kind::Up) == 1);
  auto after = h.manager->find(0xa1);
  CHECK(after == before);
  REQUIRE(after);
  CHECK(after->connected());
  CHECK(after->ports().front().name == "real");
  REQUIRE(after->send(ofp::BarrierRequest{}));
  CHECK(real->fake().expect(ofp::MessageType::BarrierRequest));
  real->fake().send(make_packet_in(1, ByteVector(60, std::byte{1})));
  CHECK(h.observer.wait_for(Kind::PacketIn, [](const RecordedEvent& e) { return e.datapath_id == 0xa1; }));
}

TEST_CASE("admission: without TLS a refused peer does not replace the switch either", "[tls][admission]") {
  int calls = 0;
  ManagerOptions options;
  options.admit = [&calls](const AdmissionRequest&) {
    return ++calls == 1 ? Admission::accept() : Admission::refuse("peer address not allowed");
  };
  Harness h(options, Transport::Tcp);
  auto real = FakeSwitch::connect(h.port);
  REQUIRE(real->handshake(0xa1));
  REQUIRE(h.observer.wait_for(Kind::Up));
  auto before = h.manager->find(0xa1);
  auto rogue = FakeSwitch::connect(h.port);
  (void)rogue->handshake(0xa1, {}, 1, 1500ms);
  CHECK(rogue->wait_closed());
  CHECK(h.observer.wait_for(Kind::HandshakeFailed));
  CHECK(h.manager->find(0xa1) == before);
  CHECK(h.observer.count(Kind::Down) == 0);
  REQUIRE(before->send(ofp::BarrierRequest{}));
  CHECK(real->expect(ofp::MessageType::BarrierRequest));
}
