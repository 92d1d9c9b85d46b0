// One message of every type and multipart body the codec supports, with non-trivial values
// that a correct OpenFlow 1.3 implementation accepts. Used by the tshark interop check and as
// fuzz seeds.
#pragma once

#include <string>
#include <vector>

#include "vmnmob/ofp/message.hpp"

namespace vmnmob::testing {

struct SampleMessage {
  bool to_switch;       // sent by the controller (true) or by the switch (false)
  std::string name;     // what the dissector should call it, e.g. "OFPT_FLOW_MOD"
  std::uint16_t multipart_type;  // OFPMP_* for multipart messages, else 0xffff (unused)
  ofp::Message message;
};

/// The samples, in a plausible conversation order. Their PacketIn/PacketOut payloads own
/// their bytes.
std::vector<SampleMessage> sample_messages();

/// An ARP request from 52:54:00:12:34:56 (10.0.0.1) for 10.0.0.254, as a VMN sends it.
ByteVector sample_arp_request();

}  // namespace vmnmob::testing
