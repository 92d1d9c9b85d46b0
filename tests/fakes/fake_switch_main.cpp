// vmnmob-fake-switch: the scripted fake switch as a command, for e2e tests that need a rogue
// switch: it claims a datapath id (over TLS or plain TCP), and if admitted announces a MAC
// from one of its ports (a RARP packet-in, as QEMU sends after a migration).
//
//   vmnmob-fake-switch --port P --dpid N [--host ADDR] [--tls CERT KEY CA] [--announce MAC]
//                      [--hold-s S]
// Exit 0: the controller refused it (closed before or right after the handshake);
// 1: it stayed connected for S seconds (default 3); 2: usage or connect error.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fakes/fake_switch.hpp"
#include "fakes/tls_relay.hpp"
#include "vmnmob/base/address.hpp"

using namespace vmnmob;
using namespace vmnmob::testing;

namespace {
ByteVector rarp(const std::array<std::uint8_t, 6>& mac) {
  ByteVector f(60, std::byte{0});
  auto put = [&](std::size_t at, std::initializer_list<std::uint8_t> v) {
    for (auto b : v) f[at++] = std::byte{b};
  };
  for (std::size_t i = 0; i < 6; ++i) f[i] = std::byte{0xff};
  for (std::size_t i = 0; i < 6; ++i) f[6 + i] = std::byte{mac[i]};
  put(12, {0x80, 0x35, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x03});
  for (std::size_t i = 0; i < 6; ++i) f[22 + i] = f[32 + i] = std::byte{mac[i]};
  return f;
}
}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", cert, key, ca, announce;
  unsigned port = 0;
  unsigned long long dpid = 0;
  double hold_s = 3;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port") port = static_cast<unsigned>(std::strtoul(next().c_str(), nullptr, 0));
    else if (a == "--dpid") dpid = std::strtoull(next().c_str(), nullptr, 0);
    else if (a == "--host") host = next();
    else if (a == "--tls") { cert = next(); key = next(); ca = next(); }
    else if (a == "--announce") announce = next();
    else if (a == "--hold-s") hold_s = std::strtod(next().c_str(), nullptr);
    else { std::fprintf(stderr, "usage: see the source\n"); return 2; }
  }
  if (port == 0 || port > 65535 || dpid == 0) { std::fprintf(stderr, "--port and --dpid are required\n"); return 2; }

  std::unique_ptr<TlsRelay> relay;
  std::unique_ptr<FakeSwitch> plain;
  FakeSwitch* sw = nullptr;
  if (!cert.empty()) {
    relay = TlsRelay::connect(static_cast<std::uint16_t>(port), {cert, key, ca, 0});
    if (!relay) { std::fprintf(stderr, "connect failed\n"); return 2; }
    if (!relay->handshake_ok()) {
      std::printf("refused: TLS handshake failed: %s\n", relay->error().c_str());
      return 0;
    }
    sw = &relay->fake();
  } else {
    plain = FakeSwitch::connect(static_cast<std::uint16_t>(port), host);
    if (!plain) { std::fprintf(stderr, "connect failed\n"); return 2; }
    sw = plain.get();
  }
  if (!sw->handshake(dpid, {make_port(1, "rogue-up"), make_port(11, "rogue-vm")})) {
    std::printf("refused: closed during the OpenFlow handshake\n");
    return 0;
  }
  if (!announce.empty()) {
    auto m = MacAddress::parse(announce);
    if (!m) { std::fprintf(stderr, "--announce: not a MAC\n"); return 2; }
    ByteVector frame = rarp(m->octets);
    for (int i = 0; i < 3; ++i) sw->send(make_packet_in(11, frame));
  }
  if (sw->wait_closed(std::chrono::milliseconds(static_cast<long>(hold_s * 1000)))) {
    std::printf("refused: closed after the handshake\n");
    return 0;
  }
  std::printf("accepted: still connected after %.1f s\n", hold_s);
  return 1;
}
