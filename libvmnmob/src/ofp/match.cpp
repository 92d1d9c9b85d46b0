// ofp_match in OXM form (spec 7.2.2, 7.2.3). One table describes the 40 OpenFlow-basic fields;
// encode, decode and validate are generic over it.
#include "vmnmob/ofp/match.hpp"

#include "ofp/detail/put.hpp"

#include <algorithm>
#include <cstring>

#include <boost/endian/conversion.hpp>
#include <fmt/format.h>

namespace vmnmob::ofp {

namespace {

// OFPMT_OXM (spec 7.2.2); OFPMT_STANDARD (0) is the deprecated 1.1 layout.
constexpr std::uint16_t kMatchTypeOxm = 1;
constexpr std::size_t kMatchHeaderLength = 4;  // type + length; padding is not counted
constexpr std::size_t kOxmHeaderLength = 4;
constexpr std::size_t kMaxOxmPayload = 0xff;  // oxm_length is 8 bits

using Kind = OxmPrerequisite::Kind;

constexpr OxmPrerequisite eth_type(std::uint16_t a, std::uint16_t b) {
  return {OxmField::EthType, {a, b}};
}
constexpr OxmPrerequisite eth_type(std::uint16_t a) { return eth_type(a, a); }
constexpr OxmPrerequisite ip_proto(std::uint16_t p) { return {OxmField::IpProto, {p, p}}; }
constexpr OxmPrerequisite icmpv6_type(std::uint16_t a, std::uint16_t b) {
  return {OxmField::Icmpv6Type, {a, b}};
}
constexpr OxmPrerequisite icmpv6_type(std::uint16_t a) { return icmpv6_type(a, a); }

constexpr std::uint16_t kIpv4 = 0x0800, kIpv6 = 0x86dd, kArp = 0x0806, kMpls = 0x8847,
                        kMplsMulticast = 0x8848, kPbb = 0x88e7;
constexpr std::nullopt_t kNone = std::nullopt;

// Spec 1.3.5 section 7.2.3.7, table 12: bits, maskability and prerequisites of each field.
constexpr std::array<OxmFieldInfo, kOxmBasicFieldCount> kFields{{
    {OxmField::InPort, "in_port", 4, 32, false, kNone},
    {OxmField::InPhyPort, "in_phy_port", 4, 32, false,
     OxmPrerequisite{OxmField::InPort, {0, 0}, Kind::Present}},
    {OxmField::Metadata, "metadata", 8, 64, true, kNone},
    {OxmField::EthDst, "eth_dst", 6, 48, true, kNone},
    {OxmField::EthSrc, "eth_src", 6, 48, true, kNone},
    {OxmField::EthType, "eth_type", 2, 16, false, kNone},
    {OxmField::VlanVid, "vlan_vid", 2, 13, true, kNone},
    {OxmField::VlanPcp, "vlan_pcp", 1, 3, false,
     OxmPrerequisite{OxmField::VlanVid, {kVlanPresent, kVlanPresent}, Kind::HasBits}},
    {OxmField::IpDscp, "ip_dscp", 1, 6, false, eth_type(kIpv4, kIpv6)},
    {OxmField::IpEcn, "ip_ecn", 1, 2, false, eth_type(kIpv4, kIpv6)},
    {OxmField::IpProto, "ip_proto", 1, 8, false, eth_type(kIpv4, kIpv6)},
    {OxmField::Ipv4Src, "ipv4_src", 4, 32, true, eth_type(kIpv4)},
    {OxmField::Ipv4Dst, "ipv4_dst", 4, 32, true, eth_type(kIpv4)},
    {OxmField::TcpSrc, "tcp_src", 2, 16, false, ip_proto(6)},
    {OxmField::TcpDst, "tcp_dst", 2, 16, false, ip_proto(6)},
    {OxmField::UdpSrc, "udp_src", 2, 16, false, ip_proto(17)},
    {OxmField::UdpDst, "udp_dst", 2, 16, false, ip_proto(17)},
    {OxmField::SctpSrc, "sctp_src", 2, 16, false, ip_proto(132)},
    {OxmField::SctpDst, "sctp_dst", 2, 16, false, ip_proto(132)},
    {OxmField::Icmpv4Type, "icmpv4_type", 1, 8, false, ip_proto(1)},
    {OxmField::Icmpv4Code, "icmpv4_code", 1, 8, false, ip_proto(1)},
    {OxmField::ArpOp, "arp_op", 2, 16, false, eth_type(kArp)},
    {OxmField::ArpSpa, "arp_spa", 4, 32, true, eth_type(kArp)},
    {OxmField::ArpTpa, "arp_tpa", 4, 32, true, eth_type(kArp)},
    {OxmField::ArpSha, "arp_sha", 6, 48, true, eth_type(kArp)},
    {OxmField::ArpTha, "arp_tha", 6, 48, true, eth_type(kArp)},
    {OxmField::Ipv6Src, "ipv6_src", 16, 128, true, eth_type(kIpv6)},
    {OxmField::Ipv6Dst, "ipv6_dst", 16, 128, true, eth_type(kIpv6)},
    {OxmField::Ipv6Flabel, "ipv6_flabel", 4, 20, true, eth_type(kIpv6)},
    {OxmField::Icmpv6Type, "icmpv6_type", 1, 8, false, ip_proto(58)},
    {OxmField::Icmpv6Code, "icmpv6_code", 1, 8, false, ip_proto(58)},
    // Neighbor solicitation (135) and advertisement (136).
    {OxmField::Ipv6NdTarget, "ipv6_nd_target", 16, 128, false, icmpv6_type(135, 136)},
    {OxmField::Ipv6NdSll, "ipv6_nd_sll", 6, 48, false, icmpv6_type(135)},
    {OxmField::Ipv6NdTll, "ipv6_nd_tll", 6, 48, false, icmpv6_type(136)},
    {OxmField::MplsLabel, "mpls_label", 4, 20, false, eth_type(kMpls, kMplsMulticast)},
    {OxmField::MplsTc, "mpls_tc", 1, 3, false, eth_type(kMpls, kMplsMulticast)},
    {OxmField::MplsBos, "mpls_bos", 1, 1, false, eth_type(kMpls, kMplsMulticast)},
    {OxmField::PbbIsid, "pbb_isid", 3, 24, true, eth_type(kPbb)},
    {OxmField::TunnelId, "tunnel_id", 8, 64, true, kNone},
    {OxmField::Ipv6Exthdr, "ipv6_exthdr", 2, 9, true, eth_type(kIpv6)},
}};

constexpr bool table_is_indexed_by_field() {
  for (std::size_t i = 0; i < kFields.size(); ++i)
    if (static_cast<std::size_t>(kFields[i].field) != i) return false;
  return true;
}
static_assert(table_is_indexed_by_field(), "kFields[i] must describe field number i");

constexpr bool table_widths_hold_bits() {
  for (const auto& f : kFields)
    if (f.bits == 0 || f.bits > f.width * 8 || f.width > OxmTlv::kInline / 2) return false;
  return true;
}
// Value and mask of every basic field fit OxmTlv's inline storage: no heap use for them.
static_assert(table_widths_hold_bits(), "bits must fit the width; value+mask must fit inline");

// Returned for field numbers outside the table so the reference overload never dangles.
constexpr OxmFieldInfo kUnknownField{OxmField{0xff}, "unknown", 0, 0, false, kNone};

std::uint64_t fold_uint(ByteSpan bytes) {
  if (bytes.size() > 8) return 0;
  std::uint64_t v = 0;
  for (std::byte b : bytes) v = (v << 8) | std::to_integer<std::uint64_t>(b);
  return v;
}

// Big-endian `value` in `width` bytes; widths above 8 get leading zero bytes.
ByteSpan put_uint(std::array<std::byte, 16>& buf, std::size_t width, std::uint64_t value) {
  width = std::min(width, buf.size());
  for (std::size_t i = width; i > 0; --i, value >>= 8)
    buf[i - 1] = static_cast<std::byte>(value & 0xff);
  return {buf.data(), width};
}

ByteSpan mac_bytes(std::array<std::byte, 16>& buf, const MacAddress& m) {
  std::memcpy(buf.data(), m.octets.data(), m.octets.size());
  return {buf.data(), m.octets.size()};
}

std::string describe_oxm(std::uint16_t cls, std::uint8_t field) {
  if (cls == static_cast<std::uint16_t>(OxmClass::OpenflowBasic)) {
    if (const OxmFieldInfo* info = oxm_field_info(field)) return fmt::format("OXM {}", info->name);
    return fmt::format("OXM openflow_basic field {}", field);
  }
  return fmt::format("OXM class 0x{:04x} field {}", cls, field);
}

CodecError bad_match(BadMatchCode code, std::size_t offset, std::string detail) {
  return make_error(ErrorType::BadMatch, code, offset, std::move(detail));
}

std::size_t encoded_size(const OxmTlv& tlv) { return kOxmHeaderLength + tlv.payload().size(); }

std::string prerequisite_text(const OxmPrerequisite& p) {
  const std::string_view name = oxm_field_info(p.field).name;
  switch (p.kind) {
    case Kind::Present:
      return fmt::format("{} present", name);
    case Kind::HasBits:
      return fmt::format("{} with bits 0x{:04x} set", name, p.values[0]);
    case Kind::OneOf:
      break;
  }
  const bool hex = p.field == OxmField::EthType;
  auto value = [hex](std::uint16_t v) {
    return hex ? fmt::format("0x{:04x}", v) : fmt::format("{}", v);
  };
  if (p.values[0] == p.values[1]) return fmt::format("{}={}", name, value(p.values[0]));
  return fmt::format("{}={} or {}", name, value(p.values[0]), value(p.values[1]));
}

bool prerequisite_met(const OxmPrerequisite& p, const OxmTlv& tlv) {
  switch (p.kind) {
    case Kind::Present:
      return true;
    case Kind::HasBits: {
      const std::uint64_t bits = p.values[0];
      return (tlv.value_uint() & bits) == bits && (!tlv.has_mask() || (tlv.mask_uint() & bits) == bits);
    }
    case Kind::OneOf:
      break;
  }
  if (tlv.has_mask()) return false;  // "matched exactly" (spec 7.2.3.6)
  const std::uint64_t v = tlv.value_uint();
  return v == p.values[0] || v == p.values[1];
}

}  // namespace

const OxmFieldInfo* oxm_field_info(std::uint8_t field) {
  return field < kFields.size() ? &kFields[field] : nullptr;
}

const OxmFieldInfo& oxm_field_info(OxmField field) {
  const OxmFieldInfo* info = oxm_field_info(static_cast<std::uint8_t>(field));
  return info != nullptr ? *info : kUnknownField;
}

// ---- OxmTlv ----

std::byte* OxmTlv::prepare_payload(std::size_t n) {
  n = std::min(n, kMaxOxmPayload);
  length_ = static_cast<std::uint8_t>(n);
  if (n <= kInline) {
    heap_.reset();
    return inline_.data();
  }
  heap_ = std::make_unique<std::byte[]>(n);
  return heap_.get();
}

OxmTlv::OxmTlv(const OxmTlv& other)
    : class_(other.class_),
      field_(other.field_),
      has_mask_(other.has_mask_),
      length_(other.length_),
      inline_(other.inline_) {
  if (other.heap_) {
    heap_ = std::make_unique<std::byte[]>(length_);
    std::memcpy(heap_.get(), other.heap_.get(), length_);
  }
}

// A moved-from TLV is left empty, so its payload() never points at the moved heap bytes.
OxmTlv::OxmTlv(OxmTlv&& other) noexcept
    : class_(other.class_),
      field_(other.field_),
      has_mask_(other.has_mask_),
      length_(other.length_),
      inline_(other.inline_),
      heap_(std::move(other.heap_)) {
  if (length_ > kInline) other.length_ = 0;
}

OxmTlv& OxmTlv::operator=(const OxmTlv& other) {
  if (this != &other) *this = OxmTlv(other);
  return *this;
}

OxmTlv& OxmTlv::operator=(OxmTlv&& other) noexcept {
  if (this == &other) return *this;
  class_ = other.class_;
  field_ = other.field_;
  has_mask_ = other.has_mask_;
  length_ = other.length_;
  inline_ = other.inline_;
  heap_ = std::move(other.heap_);
  if (length_ > kInline) other.length_ = 0;
  return *this;
}

OxmTlv::OxmTlv(OxmClass cls, std::uint8_t field, bool has_mask, ByteSpan payload)
    : class_(cls), field_(static_cast<std::uint8_t>(field & 0x7f)), has_mask_(has_mask) {
  std::byte* out = prepare_payload(payload.size());
  if (length_ != 0) std::memcpy(out, payload.data(), length_);
}

OxmTlv::OxmTlv(OxmField field, ByteSpan value, ByteSpan mask)
    : class_(OxmClass::OpenflowBasic),
      field_(static_cast<std::uint8_t>(static_cast<std::uint8_t>(field) & 0x7f)),
      has_mask_(!mask.empty()) {
  std::byte* out = prepare_payload(value.size() + mask.size());
  const std::size_t value_len = std::min<std::size_t>(value.size(), length_);
  if (value_len != 0) std::memcpy(out, value.data(), value_len);
  const std::size_t mask_len = length_ - value_len;
  if (mask_len != 0) std::memcpy(out + value_len, mask.data(), mask_len);
}

// With a mask the payload is value then mask of equal length (spec 7.2.3.5); an odd length
// (possible only for unknown fields) leaves the extra byte with the mask.
ByteSpan OxmTlv::value() const {
  ByteSpan p = payload();
  return has_mask_ ? p.first(p.size() / 2) : p;
}

ByteSpan OxmTlv::mask() const {
  ByteSpan p = payload();
  return has_mask_ ? p.subspan(p.size() / 2) : ByteSpan{};
}

std::uint64_t OxmTlv::value_uint() const { return fold_uint(value()); }
std::uint64_t OxmTlv::mask_uint() const { return fold_uint(mask()); }

bool operator==(const OxmTlv& a, const OxmTlv& b) {
  if (a.class_ != b.class_ || a.field_ != b.field_ || a.has_mask_ != b.has_mask_ ||
      a.length_ != b.length_)
    return false;
  ByteSpan pa = a.payload(), pb = b.payload();
  return pa.empty() || std::memcmp(pa.data(), pb.data(), pa.size()) == 0;
}

// ---- Match builders ----

Match& Match::add(OxmField f, std::uint64_t value) {
  std::array<std::byte, 16> v{};
  return add(OxmTlv(f, put_uint(v, oxm_field_info(f).width, value)));
}

Match& Match::add(OxmField f, std::uint64_t value, std::uint64_t mask) {
  std::array<std::byte, 16> v{}, m{};
  const std::size_t width = oxm_field_info(f).width;
  return add(OxmTlv(f, put_uint(v, width, value), put_uint(m, width, mask)));
}

Match& Match::add(OxmField f, MacAddress value) {
  std::array<std::byte, 16> v{};
  return add(OxmTlv(f, mac_bytes(v, value)));
}

Match& Match::add(OxmField f, MacAddress value, MacAddress mask) {
  std::array<std::byte, 16> v{}, m{};
  return add(OxmTlv(f, mac_bytes(v, value), mac_bytes(m, mask)));
}

Match& Match::add(OxmField f, Ipv4Address value) {
  std::array<std::byte, 16> v{};
  return add(OxmTlv(f, put_uint(v, 4, value.value)));
}

Match& Match::add(OxmField f, Ipv4Address value, Ipv4Address mask) {
  std::array<std::byte, 16> v{}, m{};
  return add(OxmTlv(f, put_uint(v, 4, value.value), put_uint(m, 4, mask.value)));
}

Match& Match::add(OxmField f, const std::array<std::uint8_t, 16>& value) {
  std::array<std::byte, 16> v{};
  std::memcpy(v.data(), value.data(), value.size());
  return add(OxmTlv(f, ByteSpan(v)));
}

const OxmTlv* Match::find(OxmField f) const {
  for (const OxmTlv& tlv : fields)
    if (tlv.is_basic() && tlv.field() == f) return &tlv;
  return nullptr;
}

std::optional<std::uint64_t> Match::get_uint(OxmField f) const {
  if (const OxmTlv* tlv = find(f)) return tlv->value_uint();
  return std::nullopt;
}

// ---- validate ----

Status validate(const Match& match) {
  std::array<bool, kOxmBasicFieldCount> seen{};
  // Offsets are positions within the encoded ofp_match, whose first OXM follows the 4-byte
  // header, so they line up with a hex dump of the match.
  std::size_t at = kMatchHeaderLength;
  for (std::size_t i = 0; i < match.fields.size(); at += encoded_size(match.fields[i]), ++i) {
    const OxmTlv& tlv = match.fields[i];
    // Other classes belong to extensions this codec does not interpret; the switch judges them.
    if (!tlv.is_basic()) continue;
    const OxmFieldInfo* info = oxm_field_info(tlv.field_number());
    if (info == nullptr)
      return unexpected(bad_match(BadMatchCode::BadField, at,
                                  fmt::format("unknown openflow_basic field {}", tlv.field_number())));
    if (tlv.has_mask() && !info->maskable)
      return unexpected(bad_match(BadMatchCode::BadMask, at,
                                  fmt::format("{} cannot be masked (spec 7.2.3.7)", info->name)));
    const std::size_t expected = std::size_t{info->width} * (tlv.has_mask() ? 2 : 1);
    if (tlv.payload().size() != expected)
      return unexpected(bad_match(BadMatchCode::BadLen, at,
                                  fmt::format("{}: length {} does not match field width {}{}",
                                              info->name, tlv.payload().size(), info->width,
                                              tlv.has_mask() ? " with mask" : "")));
    if (info->bits < 64 && info->bits < info->width * 8 && (tlv.value_uint() >> info->bits) != 0)
      return unexpected(bad_match(BadMatchCode::BadValue, at,
                                  fmt::format("{}: value 0x{:x} does not fit in {} bits", info->name,
                                              tlv.value_uint(), info->bits)));
    if (tlv.has_mask()) {
      ByteSpan v = tlv.value(), m = tlv.mask();
      for (std::size_t b = 0; b < v.size(); ++b)
        if ((v[b] & ~m[b]) != std::byte{0})
          return unexpected(bad_match(
              BadMatchCode::BadWildcards, at,
              fmt::format("{}: value has bits set outside the mask (spec 7.2.3.5)", info->name)));
    }
    if (seen[tlv.field_number()])
      return unexpected(bad_match(BadMatchCode::DupField, at,
                                  fmt::format("{} appears more than once", info->name)));
    seen[tlv.field_number()] = true;

    if (!info->prerequisite) continue;
    const OxmPrerequisite& pre = *info->prerequisite;
    const OxmTlv* before = nullptr;
    for (std::size_t j = 0; j < i && before == nullptr; ++j)
      if (match.fields[j].is_basic() && match.fields[j].field() == pre.field) before = &match.fields[j];
    if (before == nullptr) {
      const bool later = std::any_of(match.fields.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                     match.fields.end(), [&](const OxmTlv& t) {
                                       return t.is_basic() && t.field() == pre.field;
                                     });
      return unexpected(bad_match(
          BadMatchCode::BadPrereq, at,
          later ? fmt::format("{} must come after its prerequisite {} (spec 7.2.3.6)", info->name,
                              oxm_field_info(pre.field).name)
                : fmt::format("{} needs {}", info->name, prerequisite_text(pre))));
    }
    if (!prerequisite_met(pre, *before))
      return unexpected(bad_match(BadMatchCode::BadPrereq, at,
                                  fmt::format("{} needs {}, match has {}=0x{:x}{}", info->name,
                                              prerequisite_text(pre), oxm_field_info(pre.field).name,
                                              before->value_uint(),
                                              before->has_mask() ? " (masked)" : "")));
  }
  return {};
}

// ---- encode / decode ----

namespace {

template <class T>
std::byte* put_big(std::byte* out, T v) {
  v = boost::endian::native_to_big(v);
  std::memcpy(out, &v, sizeof v);
  return out + sizeof v;
}

std::byte* put_oxm(std::byte* out, const OxmTlv& tlv) {
  out = put_big(out, tlv.header());
  const ByteSpan payload = tlv.payload();
  if (!payload.empty()) std::memcpy(out, payload.data(), payload.size());
  return out + payload.size();
}

}  // namespace

void encode_oxm(const OxmTlv& tlv, ByteWriter& w) { put_oxm(detail::grow(w, encoded_size(tlv)), tlv); }

namespace {

// ofp_match length without the padding: header plus OXMs (spec 7.2.2).
std::size_t unpadded_length(const Match& match) {
  std::size_t length = kMatchHeaderLength;
  for (const OxmTlv& tlv : match.fields) length += encoded_size(tlv);
  return length;
}

}  // namespace

namespace detail {

std::size_t match_wire_length(const Match& match) { return (unpadded_length(match) + 7) / 8 * 8; }

std::byte* put_match(std::byte* out, const Match& match) {
  // The length covers header and OXMs but not the padding, which the zeroed memory provides
  // (spec 7.2.2). A match longer than 64 KiB cannot be expressed; the message codec rejects
  // such messages by their total length.
  const std::size_t length = unpadded_length(match);
  std::byte* const end = out + (length + 7) / 8 * 8;
  out = put_big(out, kMatchTypeOxm);
  out = put_big(out, static_cast<std::uint16_t>(length));
  for (const OxmTlv& tlv : match.fields) out = put_oxm(out, tlv);
  return end;
}

}  // namespace detail

void encode_match(const Match& match, ByteWriter& w) {
  detail::put_match(detail::grow(w, detail::match_wire_length(match)), match);
}

namespace {

struct OxmHeader {
  std::uint16_t cls;
  std::uint8_t field;
  bool has_mask;
  ByteSpan payload;
};

// Reads one OXM and checks its length; the payload stays a view into the reader's bytes.
Result<OxmHeader> read_oxm(ByteReader& r) {
  const std::size_t at = r.offset();
  if (r.remaining() < kOxmHeaderLength)
    return unexpected(bad_match(BadMatchCode::BadLen, at,
                                fmt::format("OXM header needs 4 bytes, only {} left", r.remaining())));
  const std::uint32_t header = r.u32();
  const auto cls = static_cast<std::uint16_t>(header >> 16);
  const auto field = static_cast<std::uint8_t>((header >> 9) & 0x7f);
  const bool has_mask = ((header >> 8) & 1) != 0;
  const auto length = static_cast<std::uint8_t>(header & 0xff);

  if (length == 0)
    return unexpected(bad_match(BadMatchCode::BadLen, at,
                                fmt::format("{}: OXM length is 0", describe_oxm(cls, field))));
  if (length > r.remaining())
    return unexpected(bad_match(BadMatchCode::BadLen, at,
                                fmt::format("{}: length {} but only {} bytes left",
                                            describe_oxm(cls, field), length, r.remaining())));
  if (cls == static_cast<std::uint16_t>(OxmClass::OpenflowBasic)) {
    if (const OxmFieldInfo* info = oxm_field_info(field)) {
      const std::size_t expected = std::size_t{info->width} * (has_mask ? 2 : 1);
      if (length != expected)
        return unexpected(bad_match(BadMatchCode::BadLen, at,
                                    fmt::format("OXM {}: length {} does not match field width {}{}",
                                                info->name, length, info->width,
                                                has_mask ? " with mask" : "")));
    }
  } else if (cls == static_cast<std::uint16_t>(OxmClass::Experimenter) && length < 4) {
    // ofp_oxm_experimenter_header: the payload starts with the experimenter id (7.2.3.9).
    return unexpected(bad_match(BadMatchCode::BadLen, at,
                                fmt::format("{}: length {} cannot hold the experimenter id",
                                            describe_oxm(cls, field), length)));
  }
  return OxmHeader{cls, field, has_mask, r.take(length)};
}

}  // namespace

Result<OxmTlv> decode_oxm(ByteReader& r) {
  Result<OxmHeader> h = read_oxm(r);
  if (!h) return unexpected(std::move(h).error());
  return OxmTlv(static_cast<OxmClass>(h->cls), h->field, h->has_mask, h->payload);
}

Result<Match> decode_match(ByteReader& r) {
  const std::size_t start = r.offset();
  if (r.remaining() < kMatchHeaderLength)
    return unexpected(bad_match(BadMatchCode::BadLen, start,
                                fmt::format("ofp_match header needs 4 bytes, only {} left",
                                            r.remaining())));
  const std::uint16_t type = r.u16();
  const std::uint16_t length = r.u16();
  if (type != kMatchTypeOxm)
    return unexpected(bad_match(BadMatchCode::BadType, start,
                                fmt::format("ofp_match type {} is not OFPMT_OXM (1)", type)));
  if (length < kMatchHeaderLength)
    return unexpected(bad_match(BadMatchCode::BadLen, start + 2,
                                fmt::format("ofp_match length {} is shorter than its 4-byte header",
                                            length)));
  const std::size_t padded = (std::size_t{length} + 7) / 8 * 8;
  if (padded - kMatchHeaderLength > r.remaining())
    return unexpected(bad_match(
        BadMatchCode::BadLen, start + 2,
        fmt::format("ofp_match length {} ({} with padding) runs past the end: only {} bytes follow",
                    length, padded, r.remaining() + kMatchHeaderLength)));

  ByteReader oxms = r.sub(length - kMatchHeaderLength);
  // The padding's content is ignored, as Open vSwitch does: it carries no meaning, and
  // refusing a whole message over it would cost more than it protects.
  r.skip(padded - length);

  Match match;
  // Every OXM takes at least 5 bytes and basic ones mostly 6 to 12; this avoids regrowth.
  if (!oxms.empty()) match.fields.reserve(oxms.remaining() / 8 + 1);
  while (!oxms.empty()) {
    Result<OxmHeader> h = read_oxm(oxms);
    if (!h) return unexpected(std::move(h).error());
    match.fields.emplace_back(static_cast<OxmClass>(h->cls), h->field, h->has_mask, h->payload);
  }
  return match;
}

}  // namespace vmnmob::ofp
