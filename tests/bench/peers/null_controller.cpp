// vmnbench-null-controller: the ceiling of libvmnmob's I/O path. The project's SwitchManager
// does the handshake (HELLO, FEATURES, SET_CONFIG, PORT_DESC) and echo; every PACKET_IN is
// answered with one fixed PACKET_OUT, with no mobility engine behind it.
//
// usage: vmnbench-null-controller [HOST:]PORT
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "vmnmob/connection/switch_manager.hpp"
#include "vmnmob/packet/build.hpp"

namespace {

class NullController final : public vmnmob::connection::SwitchObserver {
 public:
  NullController() {
    packet_out_.actions.push_back(vmnmob::ofp::Output{2});
    vmnmob::ByteVector frame;
    vmnmob::packet::build_arp_reply(frame, {vmnmob::MacAddress::from_u64(0x02005e000001), vmnmob::Ipv4Address{0x0a000001}},
                                    {vmnmob::MacAddress::from_u64(0x525400000001), vmnmob::Ipv4Address{0x0a010000}});
    packet_out_.data = vmnmob::Payload(std::move(frame));
  }
  void on_packet_in(const vmnmob::connection::PacketInEvent& e) override { (void)e.sw.send(packet_out_); }

 private:
  vmnmob::ofp::PacketOut packet_out_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vmnbench-null-controller [HOST:]PORT\n");
    return 2;
  }
  std::string arg = argv[1], host = "127.0.0.1";
  if (auto colon = arg.rfind(':'); colon != std::string::npos) {
    host = arg.substr(0, colon);
    arg = arg.substr(colon + 1);
  }
  boost::asio::io_context io(1);
  NullController observer;
  vmnmob::connection::SwitchManager manager(io);
  manager.add_observer(observer);
  auto port = manager.listen(host, static_cast<std::uint16_t>(std::atoi(arg.c_str())));
  if (!port) {
    std::fprintf(stderr, "vmnbench-null-controller: %s\n", port.error().c_str());
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    manager.stop();
    io.stop();
  });
  io.run();
  return 0;
}
