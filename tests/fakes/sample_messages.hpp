// The one catalogue of sample messages: every message type and multipart body the codec
// supports, the types it keeps raw, and the edge cases its round trip must hold (unknown
// HELLO elements, experimenter errors and meter bands, a buffered PACKET_OUT), with
// non-trivial values that a correct OpenFlow 1.3 implementation accepts. Used by the codec's
// round-trip, truncation and byte-flip tests (tests/ofp/codec_test.cpp), the tshark interop
// check (tests/interop/write_pcap.cpp) and as fuzz seeds (tests/fuzz/make_seeds.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vmnmob/ofp/message.hpp"

namespace vmnmob::testing {

/// SampleMessage::multipart_type of a message that is not a multipart request or reply.
inline constexpr std::uint16_t kNoMultipart = 0xffff;

struct SampleMessage {
  bool to_switch;     // sent by the controller (true) or by the switch (false)
  std::string name;   // unique in the catalogue: the type, then what sets it apart, e.g.
                      // "FLOW_MOD delete by cookie"
  std::uint16_t multipart_type;  // OFPMP_* for multipart messages, else kNoMultipart
  ofp::Message message;
  /// Why tshark's OpenFlow dissector cannot judge this sample, which the interop check then
  /// leaves out; empty for every sample it can.
  std::string dissector_gap = {};
};

/// The samples, in a plausible conversation order. Their PacketIn/PacketOut payloads own
/// their bytes.
std::vector<SampleMessage> sample_messages();

/// An ARP request from 52:54:00:12:34:56 (10.0.0.1) for 10.0.0.254, as a VMN sends it.
ByteVector sample_arp_request();

}  // namespace vmnmob::testing
