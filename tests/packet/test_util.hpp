// Small helpers shared by the packet tests.
#pragma once

#include <string_view>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"
#include "vmnmob/packet/headers.hpp"

namespace packet_test {

inline vmnmob::MacAddress mac(std::string_view s) { return *vmnmob::MacAddress::parse(s); }
inline vmnmob::Ipv4Address ip(std::string_view s) { return *vmnmob::Ipv4Address::parse(s); }

/// The frame as a real NIC would send it: zero-padded to 60 bytes.
inline vmnmob::ByteVector padded(vmnmob::ByteVector v) {
  if (v.size() < vmnmob::packet::min_frame_size) v.resize(vmnmob::packet::min_frame_size);
  return v;
}

inline std::string hex(const vmnmob::ByteVector& v) { return vmnmob::to_hex(vmnmob::as_bytes(v)); }

}  // namespace packet_test
