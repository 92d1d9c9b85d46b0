// vmn-announce: sends the announce a hypervisor sends for a VM after live migration.
//
//   vmn-announce --interface IF [--mac MAC] [--rounds N] [--initial-ms 50] [--max-ms 550]
//                [--step-ms 100] [--gratuitous-arp IPV4] [--no-rarp] [--ready-file FILE]
//                [--quiet]
//
// QEMU (net/announce.c, qemu_announce_self) sends, after the destination resumes, `rounds`
// RARP frames (type 0x8035, op 3, sha = tha = VM MAC, protocol addresses 0.0.0.0) from the
// VM's MAC. The delay before round k+1 is initial + k * step, capped at max; QEMU's defaults
// (announce-initial 50, announce-max 550, announce-rounds 5, announce-step 100) give sends at
// +0, 50, 200, 450, 800 ms, the timing measured on this testbed (docs/TESTBED.md).
//
// Run inside a VMN's network namespace after its port has been moved, it makes the new edge
// switch see what it would see after a real migration. --gratuitous-arp adds, in each round, a
// gratuitous ARP for the given address (what the guest's virtio-net driver sends itself).
// --mac defaults to the interface's own MAC; giving another MAC (alias --spoof-mac) emulates a
// spoofed announce, as a test of the controller's defence against hijacking.
//
// --ready-file FILE arms the announce instead: the socket and frames are prepared, FILE is
// created, and the first round goes out when SIGUSR1 arrives. QEMU announces the moment the
// destination resumes; starting a process at that moment (`ip netns exec`, exec, socket) takes
// several milliseconds that QEMU does not have and an emulated migration would count as
// downtime.
#include <signal.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"
#include "vmnmob/packet/build.hpp"

namespace {

using vmnmob::ByteVector;
using vmnmob::Ipv4Address;
using vmnmob::MacAddress;

struct Options {
  std::string interface;
  std::optional<MacAddress> mac;
  long rounds = 5;
  long initial_ms = 50;
  long max_ms = 550;
  long step_ms = 100;
  std::optional<Ipv4Address> gratuitous_arp;
  bool rarp = true;
  bool quiet = false;
  std::string ready_file;
};

int usage() {
  std::fputs(
      "usage: vmn-announce --interface IF [--mac|--spoof-mac MAC] [--rounds N] [--initial-ms MS]\n"
      "                    [--max-ms MS] [--step-ms MS] [--gratuitous-arp IPV4] [--no-rarp]\n"
      "                    [--ready-file FILE] [--quiet]\n"
      "Sends QEMU's post-migration RARP announce (default 5 rounds at +0, 50, 200, 450, 800 ms).\n"
      "With --ready-file it creates FILE when armed and sends on SIGUSR1.\n",
      stderr);
  return 2;
}

std::optional<long> parse_count(const char* s, long min, long max) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    auto count = [&](long& field, long min, long max) {
      auto v = parse_count(value(), min, max);
      if (v) field = *v;
      return v.has_value();
    };
    bool ok = true;
    if (a == "--interface" || a == "-i") {
      o.interface = value();
    } else if (a == "--mac" || a == "--spoof-mac") {
      o.mac = MacAddress::parse(value());
      ok = o.mac.has_value();
    } else if (a == "--rounds") {
      ok = count(o.rounds, 1, 1000);
    } else if (a == "--initial-ms") {
      ok = count(o.initial_ms, 0, 600'000);
    } else if (a == "--max-ms") {
      ok = count(o.max_ms, 0, 600'000);
    } else if (a == "--step-ms") {
      ok = count(o.step_ms, 0, 600'000);
    } else if (a == "--gratuitous-arp") {
      o.gratuitous_arp = Ipv4Address::parse(value());
      ok = o.gratuitous_arp.has_value();
    } else if (a == "--no-rarp") {
      o.rarp = false;
    } else if (a == "--ready-file") {
      o.ready_file = value();
      ok = !o.ready_file.empty();
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "vmn-announce: bad argument near '%s'\n", argv[i]);
      return std::nullopt;
    }
  }
  if (o.interface.empty() || o.interface.size() >= IFNAMSIZ) {
    std::fputs("vmn-announce: --interface is required\n", stderr);
    return std::nullopt;
  }
  if (!o.rarp && !o.gratuitous_arp) {
    std::fputs("vmn-announce: --no-rarp needs --gratuitous-arp\n", stderr);
    return std::nullopt;
  }
  return o;
}

std::optional<MacAddress> interface_mac(int fd, const std::string& name) {
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), name.size() + 1);
  if (ioctl(fd, SIOCGIFHWADDR, &req) != 0) return std::nullopt;
  MacAddress mac;
  std::memcpy(mac.octets.data(), req.ifr_hwaddr.sa_data, mac.octets.size());
  return mac;
}

// Sleeps until `start` + `offset_ms` on the monotonic clock: absolute deadlines keep one late
// wake-up from shifting every later round.
void sleep_until(const timespec& start, long offset_ms) {
  timespec at = start;
  at.tv_sec += offset_ms / 1000;
  at.tv_nsec += (offset_ms % 1000) * 1'000'000;
  if (at.tv_nsec >= 1'000'000'000) {
    at.tv_sec += 1;
    at.tv_nsec -= 1'000'000'000;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
  }
}

double since_ms(const timespec& start) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec - start.tv_sec) * 1e3 +
         static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) return usage();
  const Options& o = *options;

  // Raw frames on the interface, protocol 0: this socket only sends, it receives nothing.
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    std::perror("vmn-announce: socket(AF_PACKET)");
    return 1;
  }
  const unsigned index = if_nametoindex(o.interface.c_str());
  if (index == 0) {
    std::fprintf(stderr, "vmn-announce: no interface %s\n", o.interface.c_str());
    close(fd);
    return 1;
  }
  std::optional<MacAddress> mac = o.mac ? o.mac : interface_mac(fd, o.interface);
  if (!mac) {
    std::perror("vmn-announce: SIOCGIFHWADDR");
    close(fd);
    return 1;
  }

  ByteVector rarp;
  vmnmob::packet::build_rarp_announce(rarp, *mac);
  ByteVector garp;
  if (o.gratuitous_arp) vmnmob::packet::build_gratuitous_arp(garp, {*mac, *o.gratuitous_arp});

  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = static_cast<int>(index);
  to.sll_halen = ETH_ALEN;
  std::memcpy(to.sll_addr, MacAddress::broadcast().octets.data(), ETH_ALEN);
  auto send_frame = [&](const ByteVector& frame, const char* what, long round) {
    ssize_t n = sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                       sizeof to);
    if (n != static_cast<ssize_t>(frame.size())) {
      std::fprintf(stderr, "vmn-announce: send %s round %ld: %s\n", what, round,
                   std::strerror(errno));
      return false;
    }
    return true;
  };

  if (!o.ready_file.empty()) {
    // Blocked before the file exists, so a SIGUSR1 sent as soon as it appears is never lost.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, nullptr);
    FILE* ready = std::fopen(o.ready_file.c_str(), "w");
    if (ready == nullptr) {
      std::fprintf(stderr, "vmn-announce: cannot create %s: %s\n", o.ready_file.c_str(), std::strerror(errno));
      close(fd);
      return 1;
    }
    std::fclose(ready);
    int signal_number = 0;
    sigwait(&usr1, &signal_number);
  }

  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  int failures = 0;
  long offset_ms = 0;
  for (long round = 0; round < o.rounds; ++round) {
    if (round > 0) {
      // qemu_announce_timer_reschedule: initial + (rounds done - 1) * step, capped at max.
      offset_ms += std::min(o.initial_ms + (round - 1) * o.step_ms, o.max_ms);
      sleep_until(start, offset_ms);
    }
    if (o.rarp && !send_frame(rarp, "RARP", round)) ++failures;
    if (o.gratuitous_arp && !send_frame(garp, "gratuitous ARP", round)) ++failures;
    if (!o.quiet) {
      std::printf("round %ld at +%.1f ms from %s on %s\n", round + 1, since_ms(start),
                  mac->to_string().c_str(), o.interface.c_str());
      std::fflush(stdout);
    }
  }
  close(fd);
  return failures == 0 ? 0 : 1;
}
