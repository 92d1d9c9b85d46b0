// Encodes every sample message (fakes/sample_messages.hpp) that tshark can judge (those with
// a dissector_gap are left out) with the codec and writes them to a pcap as one TCP
// conversation between 127.0.0.1:40000 (controller) and 127.0.0.1:6653 (switch): a three-way
// handshake, then one message per segment with correct sequence and acknowledgement numbers
// and checksums. tshark then judges the bytes (tshark-check.sh).
//
// Usage: vmnmob_interop_pcap [--corrupt] OUT.pcap OUT.expected
// --corrupt breaks the first FLOW_MOD (its ofp_match length claims 8 more bytes than there are),
// so the check can prove that it notices a complaint.
// OUT.expected gets one line per OpenFlow frame:
//   "<frame number> <OFPT number> <OFPMP number or -> <message name>".
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "fakes/sample_messages.hpp"
#include "vmnmob/ofp/codec.hpp"

namespace {

using vmnmob::ByteVector;

constexpr std::uint32_t kLoopback = 0x7f000001;
constexpr std::uint16_t kControllerPort = 40000;
constexpr std::uint16_t kSwitchPort = 6653;

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void put32le(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put16le(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

// RFC 1071 ones'-complement sum.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 != 0) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  return acc;
}
std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xffff);
}

struct Endpoint {
  std::uint16_t port;
  std::uint32_t seq;  // next sequence number this side sends
};

class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
    std::vector<std::uint8_t> h;
    put32le(h, 0xa1b2c3d4);  // microsecond timestamps
    put16le(h, 2);
    put16le(h, 4);
    put32le(h, 0);
    put32le(h, 0);
    put32le(h, 65535);
    put32le(h, 1);  // LINKTYPE_ETHERNET
    write(h);
  }
  bool ok() const { return static_cast<bool>(out_); }

  // One TCP segment from `from` to `to`; returns the frame number (1-based).
  int segment(Endpoint& from, const Endpoint& to, std::uint8_t flags, const std::uint8_t* payload,
              std::size_t len) {
    std::vector<std::uint8_t> tcp;
    put16(tcp, from.port);
    put16(tcp, to.port);
    put32(tcp, from.seq);
    put32(tcp, (flags & 0x10) != 0 ? to.seq : 0);
    tcp.push_back(5 << 4);  // data offset 5 words, no options
    tcp.push_back(flags);
    put16(tcp, 65535);  // window
    put16(tcp, 0);      // checksum, filled below
    put16(tcp, 0);      // urgent pointer
    tcp.insert(tcp.end(), payload, payload + len);
    // Checksum over the IPv4 pseudo header and the segment.
    std::vector<std::uint8_t> pseudo;
    put32(pseudo, kLoopback);
    put32(pseudo, kLoopback);
    put16(pseudo, 6);
    put16(pseudo, static_cast<std::uint16_t>(tcp.size()));
    std::uint16_t csum = fold(sum16(tcp.data(), tcp.size(), sum16(pseudo.data(), pseudo.size())));
    tcp[16] = static_cast<std::uint8_t>(csum >> 8);
    tcp[17] = static_cast<std::uint8_t>(csum);

    std::vector<std::uint8_t> ip;
    ip.push_back(0x45);
    ip.push_back(0);
    put16(ip, static_cast<std::uint16_t>(20 + tcp.size()));
    put16(ip, ip_id_++);
    put16(ip, 0x4000);  // don't fragment
    ip.push_back(64);
    ip.push_back(6);
    put16(ip, 0);
    put32(ip, kLoopback);
    put32(ip, kLoopback);
    std::uint16_t ipsum = fold(sum16(ip.data(), ip.size()));
    ip[10] = static_cast<std::uint8_t>(ipsum >> 8);
    ip[11] = static_cast<std::uint8_t>(ipsum);

    std::vector<std::uint8_t> frame(12, 0);  // loopback: zero MACs
    put16(frame, 0x0800);
    frame.insert(frame.end(), ip.begin(), ip.end());
    frame.insert(frame.end(), tcp.begin(), tcp.end());

    std::vector<std::uint8_t> rec;
    put32le(rec, 1767225600u + static_cast<std::uint32_t>(frames_ / 1000));  // 2026-01-01
    put32le(rec, static_cast<std::uint32_t>((frames_ % 1000) * 1000));
    put32le(rec, static_cast<std::uint32_t>(frame.size()));
    put32le(rec, static_cast<std::uint32_t>(frame.size()));
    write(rec);
    write(frame);

    from.seq += static_cast<std::uint32_t>(len);
    if ((flags & 0x03) != 0) from.seq += 1;  // SYN and FIN take a sequence number
    return ++frames_;
  }

 private:
  void write(const std::vector<std::uint8_t>& b) {
    out_.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));  // NOLINT
  }
  std::ofstream out_;
  std::uint16_t ip_id_ = 1;
  int frames_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  bool corrupt = argc == 4 && std::string(argv[1]) == "--corrupt";
  if (argc != 3 && !corrupt) {
    std::fprintf(stderr, "usage: %s [--corrupt] OUT.pcap OUT.expected\n", argv[0]);
    return 2;
  }
  const char* pcap_path = argv[corrupt ? 2 : 1];
  const char* expected_path = argv[corrupt ? 3 : 2];
  PcapWriter pcap(pcap_path);
  std::ofstream expected(expected_path);
  if (!pcap.ok() || !expected) {
    std::fprintf(stderr, "cannot write %s or %s\n", pcap_path, expected_path);
    return 1;
  }
  constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08, kFin = 0x01;
  Endpoint controller{kControllerPort, 1000};
  Endpoint sw{kSwitchPort, 5000000};
  pcap.segment(controller, sw, kSyn, nullptr, 0);
  pcap.segment(sw, controller, kSyn | kAck, nullptr, 0);
  pcap.segment(controller, sw, kAck, nullptr, 0);
  int failures = 0;
  for (const auto& sample : vmnmob::testing::sample_messages()) {
    if (!sample.dissector_gap.empty()) {
      std::fprintf(stderr, "left out %s: %s\n", sample.name.c_str(), sample.dissector_gap.c_str());
      continue;
    }
    auto wire = vmnmob::ofp::encode(sample.message);
    if (!wire) {
      std::fprintf(stderr, "encode %s failed: %s\n", sample.name.c_str(), wire.error().to_string().c_str());
      ++failures;
      continue;
    }
    if (corrupt && std::holds_alternative<vmnmob::ofp::FlowMod>(sample.message.body)) {
      // ofp_match.length sits at byte 50 of an ofp_flow_mod (spec 7.3.4.1).
      (*wire)[51] = static_cast<std::byte>(std::to_integer<unsigned>((*wire)[51]) + 8);
      corrupt = false;
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(wire->data());  // NOLINT
    int frame = sample.to_switch ? pcap.segment(controller, sw, kAck | kPsh, p, wire->size())
                                 : pcap.segment(sw, controller, kAck | kPsh, p, wire->size());
    expected << frame << ' ' << static_cast<int>(vmnmob::ofp::message_type(sample.message.body)) << ' ';
    if (sample.multipart_type == vmnmob::testing::kNoMultipart)
      expected << '-';
    else
      expected << sample.multipart_type;
    expected << ' ' << sample.name << '\n';
  }
  pcap.segment(controller, sw, kFin | kAck, nullptr, 0);
  pcap.segment(sw, controller, kFin | kAck, nullptr, 0);
  pcap.segment(controller, sw, kAck, nullptr, 0);
  return failures == 0 ? 0 : 1;
}
