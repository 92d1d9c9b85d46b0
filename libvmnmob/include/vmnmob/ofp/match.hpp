// ofp_match in OXM form (spec 7.2.2) and the table of the 40 OpenFlow-basic fields.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/error.hpp"

namespace vmnmob::ofp {

enum class OxmClass : std::uint16_t {
  Nxm0 = 0x0000,
  Nxm1 = 0x0001,
  OpenflowBasic = 0x8000,
  Experimenter = 0xffff,
};

enum class OxmField : std::uint8_t {
  InPort = 0, InPhyPort = 1, Metadata = 2, EthDst = 3, EthSrc = 4, EthType = 5, VlanVid = 6,
  VlanPcp = 7, IpDscp = 8, IpEcn = 9, IpProto = 10, Ipv4Src = 11, Ipv4Dst = 12, TcpSrc = 13,
  TcpDst = 14, UdpSrc = 15, UdpDst = 16, SctpSrc = 17, SctpDst = 18, Icmpv4Type = 19,
  Icmpv4Code = 20, ArpOp = 21, ArpSpa = 22, ArpTpa = 23, ArpSha = 24, ArpTha = 25, Ipv6Src = 26,
  Ipv6Dst = 27, Ipv6Flabel = 28, Icmpv6Type = 29, Icmpv6Code = 30, Ipv6NdTarget = 31,
  Ipv6NdSll = 32, Ipv6NdTll = 33, MplsLabel = 34, MplsTc = 35, MplsBos = 36, PbbIsid = 37,
  TunnelId = 38, Ipv6Exthdr = 39,
};
inline constexpr std::size_t kOxmBasicFieldCount = 40;

/// OFPVID_PRESENT: set in vlan_vid when a VLAN tag is present (spec 7.2.3.8).
inline constexpr std::uint16_t kVlanPresent = 0x1000;

/// A field's prerequisite (spec 7.2.3.6, table 12). It must be met by an OXM that comes
/// earlier in the same match.
struct OxmPrerequisite {
  enum class Kind : std::uint8_t {
    OneOf,    // `field` matched exactly (no mask) to one of `values` (ipv4_src: eth_type=0x0800)
    Present,  // `field` matched with any value (in_phy_port: in_port present)
    HasBits,  // `field` matched with the bits of values[0] set in value and mask
              // (vlan_pcp: VLAN_VID != NONE, i.e. OFPVID_PRESENT set)
  };
  OxmField field;
  std::array<std::uint16_t, 2> values;  // 1 or 2 accepted values; unused slots repeat values[0]
  Kind kind = Kind::OneOf;
};

struct OxmFieldInfo {
  OxmField field;
  std::string_view name;  // OVS/spec style name, e.g. "ipv4_src"
  std::uint8_t width;     // value width in bytes
  std::uint8_t bits;      // significant bits of the value (spec table 12), e.g. 13 for vlan_vid
  bool maskable;
  std::optional<OxmPrerequisite> prerequisite;
};

/// The field table (indexed by field number); nullptr for numbers outside 0..39.
const OxmFieldInfo* oxm_field_info(std::uint8_t field);
const OxmFieldInfo& oxm_field_info(OxmField field);

/// One OXM TLV. Fields of every class are kept, so unknown and experimenter fields survive a
/// decode/encode round trip unchanged. The wire payload (value, then mask if has_mask) is
/// kept inline when it fits, which covers every OpenFlow-basic field.
class OxmTlv {
 public:
  static constexpr std::size_t kInline = 32;

  OxmTlv() = default;
  OxmTlv(const OxmTlv& other);
  OxmTlv(OxmTlv&& other) noexcept;
  OxmTlv& operator=(const OxmTlv& other);
  OxmTlv& operator=(OxmTlv&& other) noexcept;
  ~OxmTlv() = default;
  OxmTlv(OxmClass cls, std::uint8_t field, bool has_mask, ByteSpan payload);
  /// OpenFlow-basic field from a big-endian value (and mask, same width).
  OxmTlv(OxmField field, ByteSpan value, ByteSpan mask = {});

  OxmClass oxm_class() const { return class_; }
  std::uint8_t field_number() const { return field_; }
  bool is_basic() const { return class_ == OxmClass::OpenflowBasic; }
  /// Only meaningful when is_basic().
  OxmField field() const { return static_cast<OxmField>(field_); }
  bool has_mask() const { return has_mask_; }
  /// Wire payload: value followed by mask when has_mask().
  ByteSpan payload() const {
    if (length_ <= kInline) return {inline_.data(), length_};
    return {heap_.get(), length_};
  }
  ByteSpan value() const;
  ByteSpan mask() const;  // empty when !has_mask()
  /// The value (or mask) as an unsigned integer; only for widths of at most 8 bytes.
  std::uint64_t value_uint() const;
  std::uint64_t mask_uint() const;
  /// OXM header as it appears on the wire (class, field, hasmask, length).
  std::uint32_t header() const {
    return (std::uint32_t{static_cast<std::uint16_t>(class_)} << 16) |
           (std::uint32_t{field_} << 9) | (std::uint32_t{has_mask_} << 8) | std::uint32_t{length_};
  }

  friend bool operator==(const OxmTlv& a, const OxmTlv& b);

 private:
  OxmClass class_ = OxmClass::OpenflowBasic;
  std::uint8_t field_ = 0;
  bool has_mask_ = false;
  std::uint8_t length_ = 0;
  std::array<std::byte, kInline> inline_{};
  // Used only when length_ > kInline (experimenter and unknown fields), holding exactly
  // length_ bytes. A pointer rather than a vector keeps OxmTlv at 48 bytes: matches and
  // actions are built by the hundred per migration, and smaller blocks allocate faster.
  std::unique_ptr<std::byte[]> heap_;

  /// Sets the payload length (clamped to the 255 bytes an OXM can carry) and returns where
  /// the payload bytes go.
  std::byte* prepare_payload(std::size_t n);
};

/// An OXM match: an ordered list of TLVs. Builders append OpenFlow-basic fields; the order is
/// kept on encode, so a decode/encode round trip reproduces the switch's bytes.
struct Match {
  std::vector<OxmTlv> fields;

  Match& add(OxmTlv tlv) {
    fields.push_back(std::move(tlv));
    return *this;
  }
  /// Integer fields of width 1..8 (in_port, eth_type, ip_proto, tcp_dst, metadata, ...).
  Match& add(OxmField f, std::uint64_t value);
  Match& add(OxmField f, std::uint64_t value, std::uint64_t mask);
  Match& add(OxmField f, MacAddress value);
  Match& add(OxmField f, MacAddress value, MacAddress mask);
  Match& add(OxmField f, Ipv4Address value);
  Match& add(OxmField f, Ipv4Address value, Ipv4Address mask);
  /// 16-byte IPv6 fields.
  Match& add(OxmField f, const std::array<std::uint8_t, 16>& value);

  const OxmTlv* find(OxmField f) const;
  std::optional<std::uint64_t> get_uint(OxmField f) const;
  bool empty() const { return fields.empty(); }

  friend bool operator==(const Match&, const Match&) = default;
};

/// Checks what a switch would refuse with BAD_MATCH, stopping at the first problem:
/// an unknown basic field (BAD_FIELD), a mask on an unmaskable field (BAD_MASK), a wrong width
/// (BAD_LEN), value bits beyond the field's size, e.g. vlan_vid > 0x1fff (BAD_VALUE), value
/// bits outside the mask (BAD_WILDCARDS, spec 7.2.3.5), a repeated field (DUP_FIELD) and a
/// prerequisite that is missing, different or placed after the field (BAD_PREREQ, spec
/// 7.2.3.6). The error's offset is the OXM's position in the encoded ofp_match. Fields of
/// other classes (NXM, experimenter) are left to the switch.
Status validate(const Match& match);

/// Encodes the full ofp_match structure (type OFPMT_OXM, length, fields, padding to 8).
void encode_match(const Match& match, ByteWriter& w);
/// Decodes an ofp_match, consuming its padding. Unknown classes and fields are kept. Errors
/// are BAD_MATCH: BAD_TYPE for a type other than OFPMT_OXM, BAD_LEN for every length problem.
/// Non-zero padding is accepted, as Open vSwitch does; it is not kept.
Result<Match> decode_match(ByteReader& r);
/// Decodes a single OXM TLV (used by set_field). Lengths are checked against the field table
/// for known basic fields; the TLV is not validate()d.
Result<OxmTlv> decode_oxm(ByteReader& r);
void encode_oxm(const OxmTlv& tlv, ByteWriter& w);

}  // namespace vmnmob::ofp
