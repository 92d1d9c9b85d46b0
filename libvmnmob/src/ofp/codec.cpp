// Whole-message codec for OpenFlow 1.3 (spec section 7).
//
// Layout of this file: small helpers (errors, shapes, length-prefixed element lists), then one
// decode_body/encode_body pair per message and multipart body, then the two tables that drive
// dispatch (kMessages by OFPT_* type, kMultiparts by OFPMP_* type) and the public entry points.
// Every length a message carries is checked before it is used: the tables give each message's
// and multipart body's fixed size and trailing shape, and for_each_element() checks the length
// field of every variable-size element (hello element, bucket, meter band, flow stats, group
// desc, meter config). Matches, actions and instructions check their own lengths (match.cpp,
// action.cpp).
#include "vmnmob/ofp/codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "ofp/detail/put.hpp"
#include "ofp/detail/variant_index.hpp"
#include "ofp/detail/wire.hpp"

namespace vmnmob::ofp {
namespace {

// ---------------------------------------------------------------------------------------------
// Errors

CodecError bad_len(std::size_t offset, std::string detail) {
  return bad_request(BadRequestCode::BadLen, offset, std::move(detail));
}

// ---------------------------------------------------------------------------------------------
// Shapes: the fixed size of a message or multipart body and what may follow it.

enum class Tail : std::uint8_t {
  None,   // exactly min_length bytes
  Bytes,  // min_length or more; the decoder checks inner lengths
  Array,  // min_length then whole elements of element_size bytes
};

struct Shape {
  std::uint16_t min_length = 0;
  Tail tail = Tail::None;
  std::uint16_t element_size = 0;
};

constexpr Shape exactly(std::size_t n) { return {static_cast<std::uint16_t>(n), Tail::None, 0}; }
constexpr Shape at_least(std::size_t n) { return {static_cast<std::uint16_t>(n), Tail::Bytes, 0}; }
constexpr Shape array_of(std::size_t element) {
  return {0, Tail::Array, static_cast<std::uint16_t>(element)};
}

constexpr bool fits(const Shape& shape, std::size_t length) {
  if (length < shape.min_length) return false;
  switch (shape.tail) {
    case Tail::None: return length == shape.min_length;
    case Tail::Bytes: return true;
    case Tail::Array: return (length - shape.min_length) % shape.element_size == 0;
  }
  return false;
}

// Error construction is kept out of line: the checks below run for every message.
[[gnu::cold, gnu::noinline]] CodecError shape_error(const Shape& shape, std::size_t length, std::size_t base,
                                                    std::string_view what) {
  if (length < shape.min_length)
    return bad_len(base + length, fmt::format("{} is {} bytes, needs at least {}", what, length, shape.min_length));
  if (shape.tail == Tail::None)
    return bad_len(base + shape.min_length,
                   fmt::format("{} is {} bytes, must be exactly {}", what, length, shape.min_length));
  const std::size_t trailing = length - shape.min_length;
  return bad_len(base + shape.min_length + trailing / shape.element_size * shape.element_size,
                 fmt::format("{}: {} bytes is not a whole number of {}-byte elements", what, trailing,
                             shape.element_size));
}

/// Checks `length` bytes (starting at absolute offset `base`) against a shape.
Status check_shape(const Shape& shape, std::size_t length, std::size_t base, std::string_view what) {
  if (fits(shape, length)) [[likely]]
    return {};
  return unexpected(shape_error(shape, length, base, what));
}

[[gnu::cold, gnu::noinline]] CodecError consumed_error(const ByteReader& r, std::string_view what) {
  if (r.failed()) return bad_len(r.fail_offset(), fmt::format("{} is truncated", what));
  return bad_len(r.offset(), fmt::format("{} has {} unexpected trailing bytes", what, r.remaining()));
}

/// After a decoder ran: it must have read its bytes without running out and left none over.
Status check_consumed(const ByteReader& r, std::string_view what) {
  if (r.ok() && r.empty()) [[likely]]
    return {};
  return unexpected(consumed_error(r, what));
}

// ---------------------------------------------------------------------------------------------
// Variable-size elements that carry their own 16-bit length.

struct ElementRule {
  std::string_view what;       // for messages: "bucket", "meter band", ...
  std::size_t length_at;       // offset of the length field inside the element
  std::size_t min_length;      // the element's fixed part
  std::size_t align;           // the length must be a multiple of this
  bool length_excludes_pad8;   // hello elements: padding to 8 follows, not counted in length
  ErrorType error_type;
  std::uint16_t error_code;

  CodecError error(std::size_t offset, std::string detail) const {
    return CodecError{error_type, error_code, offset, std::move(detail)};
  }
};

constexpr std::size_t round_up8(std::size_t n) { return (n + 7) / 8 * 8; }

/// Calls fn(element_reader) for each element filling `r`, after checking the element's length
/// for truncation, minimum, alignment and overrun. fn must consume its reader exactly.
template <class Fn>
Status for_each_element(ByteReader& r, const ElementRule& rule, Fn&& fn) {
  while (!r.empty()) {
    const std::size_t at = r.offset();
    if (r.remaining() < rule.length_at + 2)
      return unexpected(rule.error(at, fmt::format("{} at byte {}: only {} bytes left, too few for its header",
                                                   rule.what, at, r.remaining())));
    ByteReader peek = r;
    peek.skip(rule.length_at);
    const std::size_t length = peek.u16();
    const std::size_t length_offset = at + rule.length_at;
    if (length < rule.min_length)
      return unexpected(rule.error(length_offset, fmt::format("{} at byte {}: length {} is below the minimum {}",
                                                              rule.what, at, length, rule.min_length)));
    if (length % rule.align != 0)
      return unexpected(rule.error(length_offset, fmt::format("{} at byte {}: length {} is not a multiple of {}",
                                                              rule.what, at, length, rule.align)));
    const std::size_t extent = rule.length_excludes_pad8 ? round_up8(length) : length;
    if (extent > r.remaining())
      return unexpected(rule.error(length_offset, fmt::format("{} at byte {}: length {} overruns the {} bytes left",
                                                              rule.what, at, extent, r.remaining())));
    ByteReader element = r.sub(length);
    r.skip(extent - length);
    if (Status s = fn(element); !s) return s;
    if (Status s = check_consumed(element, rule.what); !s) return s;
  }
  return {};
}

/// Writes one element whose 16-bit length field sits at `length_at`; body(w) writes it all,
/// including a placeholder for the length.
template <class Body>
Status write_element(ByteWriter& w, std::size_t length_at, Body&& body) {
  const std::size_t start = w.size();
  if (Status s = body(w); !s) return s;
  w.patch_u16(start + length_at, static_cast<std::uint16_t>(w.size() - start));
  return {};
}

constexpr ElementRule kHelloElementRule{"hello element", 2, sizeof(wire::HelloElementHeader), 1, true,
                                        ErrorType::BadRequest,
                                        static_cast<std::uint16_t>(BadRequestCode::BadLen)};
// OVS answers malformed buckets with OFPGMFC_BAD_BUCKET; the spec gives no better code.
constexpr ElementRule kBucketRule{"bucket", 0, sizeof(wire::Bucket), 8, false, ErrorType::GroupModFailed,
                                  static_cast<std::uint16_t>(GroupModFailedCode::BadBucket)};
constexpr ElementRule kMeterBandRule{"meter band", 2, sizeof(wire::MeterBand), 8, false,
                                     ErrorType::BadRequest,
                                     static_cast<std::uint16_t>(BadRequestCode::BadLen)};
constexpr ElementRule kFlowStatsRule{"flow stats", 0, sizeof(wire::FlowStats) + wire::kMinMatch, 8, false,
                                     ErrorType::BadRequest,
                                     static_cast<std::uint16_t>(BadRequestCode::BadLen)};
constexpr ElementRule kGroupDescRule{"group desc", 0, sizeof(wire::GroupDesc), 8, false,
                                     ErrorType::BadRequest,
                                     static_cast<std::uint16_t>(BadRequestCode::BadLen)};
constexpr ElementRule kMeterConfigRule{"meter config", 0, sizeof(wire::MeterConfig), 8, false,
                                       ErrorType::BadRequest,
                                       static_cast<std::uint16_t>(BadRequestCode::BadLen)};

// ---------------------------------------------------------------------------------------------
// Small shared pieces

/// The spec's strings are NUL-terminated inside their field. A peer that fills the whole field
/// gets its last byte dropped, as OVS does (ofputil_pull_ofp13_port uses ovs_strlcpy), so the
/// value can be encoded again (found by the decode fuzzer).
template <std::size_t N>
std::string string_from(const std::array<char, N>& field) {
  const auto end = std::find(field.begin(), field.end() - 1, '\0');
  return std::string(field.begin(), end);
}

/// Fixed NUL-terminated string fields: longer values cannot be represented.
template <std::size_t N>
Status string_to(std::array<char, N>& field, const std::string& value, std::string_view what,
                 std::size_t offset) {
  if (value.size() >= N)
    return unexpected(bad_len(offset, fmt::format("{} \"{}\" is longer than {} characters", what,
                                                  value, N - 1)));
  std::copy(value.begin(), value.end(), field.begin());
  return {};
}

ByteVector copy_rest(ByteReader& r) {
  ByteSpan s = r.take(r.remaining());
  return ByteVector(s.begin(), s.end());
}

template <class T>
Status assign(Result<T>&& result, T& out) {
  if (!result) return unexpected(std::move(result).error());
  out = std::move(*result);
  return {};
}

MacAddress mac_from(const wire::MacBytes& b) { return MacAddress{b}; }

void decode_port(ByteReader& r, Port& out) {
  const auto p = wire::read<wire::Port>(r);
  out.port_no = p.port_no;
  out.hw_addr = mac_from(p.hw_addr);
  out.name = string_from(p.name);
  out.config = p.config;
  out.state = p.state;
  out.curr = p.curr;
  out.advertised = p.advertised;
  out.supported = p.supported;
  out.peer = p.peer;
  out.curr_speed = p.curr_speed;
  out.max_speed = p.max_speed;
}

Status encode_port(const Port& port, ByteWriter& w) {
  wire::Port p{};
  p.port_no = port.port_no;
  p.hw_addr = port.hw_addr.octets;
  if (Status s = string_to(p.name, port.name, "port name", w.size() + offsetof(wire::Port, name)); !s) return s;
  p.config = port.config;
  p.state = port.state;
  p.curr = port.curr;
  p.advertised = port.advertised;
  p.supported = port.supported;
  p.peer = port.peer;
  p.curr_speed = port.curr_speed;
  p.max_speed = port.max_speed;
  wire::write(w, p);
  return {};
}

Status decode_buckets(ByteReader& r, std::vector<Bucket>& out) {
  return for_each_element(r, kBucketRule, [&](ByteReader& e) -> Status {
    const auto b = wire::read<wire::Bucket>(e);
    Bucket& bucket = out.emplace_back();
    bucket.weight = b.weight;
    bucket.watch_port = b.watch_port;
    bucket.watch_group = b.watch_group;
    return assign(decode_actions(e), bucket.actions);
  });
}

Status encode_buckets(const std::vector<Bucket>& buckets, ByteWriter& w) {
  for (const Bucket& bucket : buckets) {
    Status s = write_element(w, 0, [&](ByteWriter& ew) -> Status {
      wire::Bucket b{};
      b.weight = bucket.weight;
      b.watch_port = bucket.watch_port;
      b.watch_group = bucket.watch_group;
      wire::write(ew, b);
      encode_actions(bucket.actions, ew);
      return {};
    });
    if (!s) return s;
  }
  return {};
}

Status decode_bands(ByteReader& r, std::vector<MeterBand>& out) {
  return for_each_element(r, kMeterBandRule, [&](ByteReader& e) -> Status {
    const std::size_t at = e.offset();
    const auto b = wire::read<wire::MeterBand>(e);
    MeterBand& band = out.emplace_back();
    band.type = static_cast<MeterBandType>(std::uint16_t{b.type});
    band.rate = b.rate;
    band.burst_size = b.burst_size;
    switch (band.type) {
      case MeterBandType::Drop:
        return {};
      case MeterBandType::DscpRemark:
        band.prec_level = b.tail[0];
        return {};
      case MeterBandType::Experimenter: {
        ByteReader id(std::as_bytes(std::span(b.tail)));
        band.experimenter = id.u32();
        band.experimenter_data = copy_rest(e);
        return {};
      }
    }
    return unexpected(make_error(ErrorType::MeterModFailed, MeterModFailedCode::BadBand, at,
                                 fmt::format("meter band at byte {}: unknown band type {}", at,
                                             std::uint16_t{b.type})));
  });
}

Status encode_bands(const std::vector<MeterBand>& bands, ByteWriter& w) {
  for (const MeterBand& band : bands) {
    Status s = write_element(w, 2, [&](ByteWriter& ew) -> Status {
      wire::MeterBand b{};
      b.type = static_cast<std::uint16_t>(band.type);
      b.rate = band.rate;
      b.burst_size = band.burst_size;
      switch (band.type) {
        case MeterBandType::Drop:
          break;
        case MeterBandType::DscpRemark:
          b.tail[0] = band.prec_level;
          break;
        case MeterBandType::Experimenter: {
          const wire::big_uint32_t id = band.experimenter;
          std::memcpy(b.tail.data(), &id, sizeof id);
          break;
        }
        default:
          return unexpected(make_error(ErrorType::MeterModFailed, MeterModFailedCode::BadBand,
                                       ew.size(), fmt::format("meter band type {} is not defined",
                                                              static_cast<std::uint16_t>(band.type))));
      }
      if (band.type == MeterBandType::Experimenter && band.experimenter_data.size() % 8 != 0)
        // Band lengths are multiples of 8; padding here would change the data on decode.
        return unexpected(bad_len(ew.size(), fmt::format("experimenter meter band data is {} bytes, "
                                                         "not a multiple of 8",
                                                         band.experimenter_data.size())));
      wire::write(ew, b);
      if (band.type == MeterBandType::Experimenter) ew.bytes(as_bytes(band.experimenter_data));
      return {};
    });
    if (!s) return s;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Message bodies. decode_body reads everything after the header; the shape was checked first.

Status decode_body(ByteReader& r, Hello& out) {
  return for_each_element(r, kHelloElementRule, [&](ByteReader& e) -> Status {
    const auto h = wire::read<wire::HelloElementHeader>(e);
    if (h.type == static_cast<std::uint16_t>(HelloElementType::VersionBitmap)) {
      if (e.remaining() % 4 != 0)
        return unexpected(bad_len(e.offset(), fmt::format("hello version bitmap: {} bytes is not a "
                                                          "whole number of 32-bit bitmaps",
                                                          e.remaining())));
      VersionBitmap bitmap;
      bitmap.bitmaps.reserve(e.remaining() / 4);
      while (!e.empty()) bitmap.bitmaps.push_back(e.u32());
      out.elements.emplace_back(std::move(bitmap));
    } else {
      out.elements.emplace_back(UnknownHelloElement{h.type, copy_rest(e)});
    }
    return {};
  });
}
Status encode_body(const Hello& hello, ByteWriter& w) {
  for (const HelloElement& element : hello.elements) {
    const std::size_t start = w.size();
    if (const auto* bitmap = std::get_if<VersionBitmap>(&element)) {
      wire::write(w, wire::HelloElementHeader{static_cast<std::uint16_t>(HelloElementType::VersionBitmap), 0});
      for (std::uint32_t word : bitmap->bitmaps) w.u32(word);
    } else {
      const auto& unknown = std::get<UnknownHelloElement>(element);
      if (unknown.type == static_cast<std::uint16_t>(HelloElementType::VersionBitmap))
        return unexpected(bad_request(BadRequestCode::BadType, start,
                                      "hello element type 1 must be a VersionBitmap"));
      wire::write(w, wire::HelloElementHeader{unknown.type, 0});
      w.bytes(as_bytes(unknown.body));
    }
    w.patch_u16(start + 2, static_cast<std::uint16_t>(w.size() - start));
    w.pad_to(start, 8);  // the length above excludes this padding (spec 7.5.1)
  }
  return {};
}

Status decode_body(ByteReader& r, ErrorMsg& out) {
  const auto e = wire::read<wire::ErrorBody>(r);
  out.type = static_cast<ErrorType>(std::uint16_t{e.type});
  out.code = e.code;  // exp_type for experimenter errors
  if (out.type == ErrorType::Experimenter) {
    if (r.remaining() < sizeof(wire::ErrorExperimenter))
      return unexpected(bad_len(r.offset(), fmt::format("experimenter ERROR needs {} bytes, has {}",
                                                        r.offset() + sizeof(wire::ErrorExperimenter),
                                                        r.offset() + r.remaining())));
    out.experimenter = wire::read<wire::ErrorExperimenter>(r).experimenter;
  }
  out.data = copy_rest(r);
  return {};
}
Status encode_body(const ErrorMsg& msg, ByteWriter& w) {
  wire::write(w, wire::ErrorBody{static_cast<std::uint16_t>(msg.type), msg.code});
  if (msg.type == ErrorType::Experimenter) wire::write(w, wire::ErrorExperimenter{msg.experimenter});
  w.bytes(as_bytes(msg.data));
  return {};
}

Status decode_body(ByteReader& r, EchoRequest& out) {
  out.data = copy_rest(r);
  return {};
}
Status encode_body(const EchoRequest& msg, ByteWriter& w) {
  w.bytes(as_bytes(msg.data));
  return {};
}
Status decode_body(ByteReader& r, EchoReply& out) {
  out.data = copy_rest(r);
  return {};
}
Status encode_body(const EchoReply& msg, ByteWriter& w) {
  w.bytes(as_bytes(msg.data));
  return {};
}

Status decode_body(ByteReader& r, Experimenter& out) {
  const auto e = wire::read<wire::ExperimenterBody>(r);
  out.experimenter = e.experimenter;
  out.exp_type = e.exp_type;
  out.data = copy_rest(r);
  return {};
}
Status encode_body(const Experimenter& msg, ByteWriter& w) {
  wire::write(w, wire::ExperimenterBody{msg.experimenter, msg.exp_type});
  w.bytes(as_bytes(msg.data));
  return {};
}

// Messages that are a bare header.
template <class T>
concept HeaderOnly = std::is_same_v<T, FeaturesRequest> || std::is_same_v<T, GetConfigRequest> ||
                     std::is_same_v<T, BarrierRequest> || std::is_same_v<T, BarrierReply> ||
                     std::is_same_v<T, GetAsyncRequest>;
template <HeaderOnly T>
Status decode_body(ByteReader&, T&) {
  return {};
}
template <HeaderOnly T>
Status encode_body(const T&, ByteWriter&) {
  return {};
}

Status decode_body(ByteReader& r, FeaturesReply& out) {
  const auto f = wire::read<wire::FeaturesReply>(r);
  out.datapath_id = f.datapath_id;
  out.n_buffers = f.n_buffers;
  out.n_tables = f.n_tables;
  out.auxiliary_id = f.auxiliary_id;
  out.capabilities = f.capabilities;
  out.reserved = f.reserved;
  return {};
}
Status encode_body(const FeaturesReply& msg, ByteWriter& w) {
  wire::FeaturesReply f{};
  f.datapath_id = msg.datapath_id;
  f.n_buffers = msg.n_buffers;
  f.n_tables = msg.n_tables;
  f.auxiliary_id = msg.auxiliary_id;
  f.capabilities = msg.capabilities;
  f.reserved = msg.reserved;
  wire::write(w, f);
  return {};
}

void decode_config(ByteReader& r, SwitchConfig& out) {
  const auto c = wire::read<wire::SwitchConfig>(r);
  out.flags = c.flags;
  out.miss_send_len = c.miss_send_len;
}
void encode_config(const SwitchConfig& config, ByteWriter& w) {
  wire::write(w, wire::SwitchConfig{config.flags, config.miss_send_len});
}
Status decode_body(ByteReader& r, GetConfigReply& out) {
  decode_config(r, out.config);
  return {};
}
Status encode_body(const GetConfigReply& msg, ByteWriter& w) {
  encode_config(msg.config, w);
  return {};
}
Status decode_body(ByteReader& r, SetConfig& out) {
  decode_config(r, out.config);
  return {};
}
Status encode_body(const SetConfig& msg, ByteWriter& w) {
  encode_config(msg.config, w);
  return {};
}

Status decode_body(ByteReader& r, PacketIn& out) {
  const auto p = wire::read<wire::PacketIn>(r);
  out.buffer_id = p.buffer_id;
  out.total_len = p.total_len;
  out.reason = static_cast<PacketInReason>(std::uint8_t{p.reason});
  out.table_id = p.table_id;
  out.cookie = p.cookie;
  if (Status s = assign(decode_match(r), out.match); !s) return s;
  if (r.remaining() < wire::kPacketInPad)
    return unexpected(bad_len(r.offset(), "PACKET_IN ends inside the 2 padding bytes after the match"));
  r.skip(wire::kPacketInPad);
  // The frame stays in the receive buffer: the hot path makes no copy of it.
  out.data = Payload::borrow(r.take(r.remaining()));
  return {};
}
Status encode_body(const PacketIn& msg, ByteWriter& w) {
  wire::PacketIn p{};
  p.buffer_id = msg.buffer_id;
  p.total_len = msg.total_len;
  p.reason = static_cast<std::uint8_t>(msg.reason);
  p.table_id = msg.table_id;
  p.cookie = msg.cookie;
  wire::write(w, p);
  encode_match(msg.match, w);
  w.zeros(wire::kPacketInPad);
  w.bytes(msg.data.span());
  return {};
}

Status decode_body(ByteReader& r, FlowRemoved& out) {
  const auto f = wire::read<wire::FlowRemoved>(r);
  out.cookie = f.cookie;
  out.priority = f.priority;
  out.reason = static_cast<FlowRemovedReason>(std::uint8_t{f.reason});
  out.table_id = f.table_id;
  out.duration_sec = f.duration_sec;
  out.duration_nsec = f.duration_nsec;
  out.idle_timeout = f.idle_timeout;
  out.hard_timeout = f.hard_timeout;
  out.packet_count = f.packet_count;
  out.byte_count = f.byte_count;
  return assign(decode_match(r), out.match);
}
Status encode_body(const FlowRemoved& msg, ByteWriter& w) {
  wire::FlowRemoved f{};
  f.cookie = msg.cookie;
  f.priority = msg.priority;
  f.reason = static_cast<std::uint8_t>(msg.reason);
  f.table_id = msg.table_id;
  f.duration_sec = msg.duration_sec;
  f.duration_nsec = msg.duration_nsec;
  f.idle_timeout = msg.idle_timeout;
  f.hard_timeout = msg.hard_timeout;
  f.packet_count = msg.packet_count;
  f.byte_count = msg.byte_count;
  wire::write(w, f);
  encode_match(msg.match, w);
  return {};
}

Status decode_body(ByteReader& r, PortStatus& out) {
  const auto p = wire::read<wire::PortStatus>(r);
  out.reason = static_cast<PortReason>(std::uint8_t{p.reason});
  decode_port(r, out.desc);
  return {};
}
Status encode_body(const PortStatus& msg, ByteWriter& w) {
  wire::PortStatus p{};
  p.reason = static_cast<std::uint8_t>(msg.reason);
  wire::write(w, p);
  return encode_port(msg.desc, w);
}

Status decode_body(ByteReader& r, PacketOut& out) {
  const std::size_t actions_len_at = r.offset() + offsetof(wire::PacketOut, actions_len);
  const auto p = wire::read<wire::PacketOut>(r);
  out.buffer_id = p.buffer_id;
  out.in_port = p.in_port;
  const std::size_t actions_len = p.actions_len;
  if (actions_len > r.remaining())
    return unexpected(bad_len(actions_len_at, fmt::format("PACKET_OUT actions_len {} overruns the {} "
                                                          "bytes after the fixed part",
                                                          actions_len, r.remaining())));
  ByteReader actions = r.sub(actions_len);
  if (Status s = assign(decode_actions(actions), out.actions); !s) return s;
  if (Status s = check_consumed(actions, "PACKET_OUT actions"); !s) return s;
  out.data = Payload::borrow(r.take(r.remaining()));
  return {};
}
Status encode_body(const PacketOut& msg, ByteWriter& w) {
  const std::size_t start = w.size();
  wire::PacketOut p{};
  p.buffer_id = msg.buffer_id;
  p.in_port = msg.in_port;
  wire::write(w, p);
  encode_actions(msg.actions, w);
  w.patch_u16(start + offsetof(wire::PacketOut, actions_len),
              static_cast<std::uint16_t>(w.size() - start - sizeof(wire::PacketOut)));
  w.bytes(msg.data.span());
  return {};
}

Status decode_body(ByteReader& r, FlowMod& out) {
  const auto f = wire::read<wire::FlowMod>(r);
  out.cookie = f.cookie;
  out.cookie_mask = f.cookie_mask;
  out.table_id = f.table_id;
  out.command = static_cast<FlowModCommand>(std::uint8_t{f.command});
  out.idle_timeout = f.idle_timeout;
  out.hard_timeout = f.hard_timeout;
  out.priority = f.priority;
  out.buffer_id = f.buffer_id;
  out.out_port = f.out_port;
  out.out_group = f.out_group;
  out.flags = f.flags;
  if (Status s = assign(decode_match(r), out.match); !s) return s;
  return assign(decode_instructions(r), out.instructions);
}
Status encode_body(const FlowMod& msg, ByteWriter& w) {
  wire::FlowMod f{};
  f.cookie = msg.cookie;
  f.cookie_mask = msg.cookie_mask;
  f.table_id = msg.table_id;
  f.command = static_cast<std::uint8_t>(msg.command);
  f.idle_timeout = msg.idle_timeout;
  f.hard_timeout = msg.hard_timeout;
  f.priority = msg.priority;
  f.buffer_id = msg.buffer_id;
  f.out_port = msg.out_port;
  f.out_group = msg.out_group;
  f.flags = msg.flags;
  // One growth of the buffer for the whole body (FLOW_MOD encoding is the controller's hot
  // path); the zeroed bytes provide the match padding.
  const std::size_t match_length = detail::match_wire_length(msg.match);
  std::byte* out =
      detail::grow(w, sizeof f + match_length + detail::instructions_wire_length(msg.instructions));
  std::memcpy(out, &f, sizeof f);
  out = detail::put_match(out + sizeof f, msg.match);
  detail::put_instructions(out, msg.instructions);
  return {};
}

Status decode_body(ByteReader& r, GroupMod& out) {
  const auto g = wire::read<wire::GroupMod>(r);
  out.command = static_cast<GroupModCommand>(std::uint16_t{g.command});
  out.type = static_cast<GroupType>(std::uint8_t{g.type});
  out.group_id = g.group_id;
  return decode_buckets(r, out.buckets);
}
Status encode_body(const GroupMod& msg, ByteWriter& w) {
  wire::GroupMod g{};
  g.command = static_cast<std::uint16_t>(msg.command);
  g.type = static_cast<std::uint8_t>(msg.type);
  g.group_id = msg.group_id;
  wire::write(w, g);
  return encode_buckets(msg.buckets, w);
}

Status decode_body(ByteReader& r, PortMod& out) {
  const auto p = wire::read<wire::PortMod>(r);
  out.port_no = p.port_no;
  out.hw_addr = mac_from(p.hw_addr);
  out.config = p.config;
  out.mask = p.mask;
  out.advertise = p.advertise;
  return {};
}
Status encode_body(const PortMod& msg, ByteWriter& w) {
  wire::PortMod p{};
  p.port_no = msg.port_no;
  p.hw_addr = msg.hw_addr.octets;
  p.config = msg.config;
  p.mask = msg.mask;
  p.advertise = msg.advertise;
  wire::write(w, p);
  return {};
}

Status decode_body(ByteReader& r, TableMod& out) {
  const auto t = wire::read<wire::TableMod>(r);
  out.table_id = t.table_id;
  out.config = t.config;
  return {};
}
Status encode_body(const TableMod& msg, ByteWriter& w) {
  wire::TableMod t{};
  t.table_id = msg.table_id;
  t.config = msg.config;
  wire::write(w, t);
  return {};
}

Status decode_body(ByteReader& r, MeterMod& out) {
  const auto m = wire::read<wire::MeterMod>(r);
  out.command = static_cast<MeterModCommand>(std::uint16_t{m.command});
  out.flags = m.flags;
  out.meter_id = m.meter_id;
  return decode_bands(r, out.bands);
}
Status encode_body(const MeterMod& msg, ByteWriter& w) {
  wire::write(w, wire::MeterMod{static_cast<std::uint16_t>(msg.command), msg.flags, msg.meter_id});
  return encode_bands(msg.bands, w);
}

Status decode_role(ByteReader& r, ControllerRole& role, std::uint64_t& generation_id) {
  const auto m = wire::read<wire::RoleRequest>(r);
  role = static_cast<ControllerRole>(std::uint32_t{m.role});
  generation_id = m.generation_id;
  return {};
}
void encode_role(ControllerRole role, std::uint64_t generation_id, ByteWriter& w) {
  wire::RoleRequest m{};
  m.role = static_cast<std::uint32_t>(role);
  m.generation_id = generation_id;
  wire::write(w, m);
}
Status decode_body(ByteReader& r, RoleRequest& out) { return decode_role(r, out.role, out.generation_id); }
Status encode_body(const RoleRequest& msg, ByteWriter& w) {
  encode_role(msg.role, msg.generation_id, w);
  return {};
}
Status decode_body(ByteReader& r, RoleReply& out) { return decode_role(r, out.role, out.generation_id); }
Status encode_body(const RoleReply& msg, ByteWriter& w) {
  encode_role(msg.role, msg.generation_id, w);
  return {};
}

void decode_async(ByteReader& r, AsyncConfig& out) {
  const auto a = wire::read<wire::AsyncConfig>(r);
  for (std::size_t i = 0; i < 2; ++i) {
    out.packet_in_mask[i] = a.packet_in_mask[i];
    out.port_status_mask[i] = a.port_status_mask[i];
    out.flow_removed_mask[i] = a.flow_removed_mask[i];
  }
}
void encode_async(const AsyncConfig& config, ByteWriter& w) {
  wire::AsyncConfig a{};
  for (std::size_t i = 0; i < 2; ++i) {
    a.packet_in_mask[i] = config.packet_in_mask[i];
    a.port_status_mask[i] = config.port_status_mask[i];
    a.flow_removed_mask[i] = config.flow_removed_mask[i];
  }
  wire::write(w, a);
}
Status decode_body(ByteReader& r, GetAsyncReply& out) {
  decode_async(r, out.config);
  return {};
}
Status encode_body(const GetAsyncReply& msg, ByteWriter& w) {
  encode_async(msg.config, w);
  return {};
}
Status decode_body(ByteReader& r, SetAsync& out) {
  decode_async(r, out.config);
  return {};
}
Status encode_body(const SetAsync& msg, ByteWriter& w) {
  encode_async(msg.config, w);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Multipart bodies (spec 7.3.5). decode_body reads the body after the multipart header.

template <class T>
concept EmptyMultipartRequest = std::is_same_v<T, DescRequest> || std::is_same_v<T, TableStatsRequest> ||
                                std::is_same_v<T, PortDescRequest> || std::is_same_v<T, GroupDescRequest> ||
                                std::is_same_v<T, MeterFeaturesRequest>;
template <EmptyMultipartRequest T>
Status decode_body(ByteReader&, T&) {
  return {};
}
template <EmptyMultipartRequest T>
Status encode_body(const T&, ByteWriter&) {
  return {};
}

Status decode_body(ByteReader& r, DescReply& out) {
  const auto d = wire::read<wire::Desc>(r);
  out.mfr_desc = string_from(d.mfr_desc);
  out.hw_desc = string_from(d.hw_desc);
  out.sw_desc = string_from(d.sw_desc);
  out.serial_num = string_from(d.serial_num);
  out.dp_desc = string_from(d.dp_desc);
  return {};
}
Status encode_body(const DescReply& msg, ByteWriter& w) {
  const std::size_t at = w.size();
  wire::Desc d{};
  Status s = string_to(d.mfr_desc, msg.mfr_desc, "mfr_desc", at + offsetof(wire::Desc, mfr_desc));
  if (s) s = string_to(d.hw_desc, msg.hw_desc, "hw_desc", at + offsetof(wire::Desc, hw_desc));
  if (s) s = string_to(d.sw_desc, msg.sw_desc, "sw_desc", at + offsetof(wire::Desc, sw_desc));
  if (s) s = string_to(d.serial_num, msg.serial_num, "serial_num", at + offsetof(wire::Desc, serial_num));
  if (s) s = string_to(d.dp_desc, msg.dp_desc, "dp_desc", at + offsetof(wire::Desc, dp_desc));
  if (!s) return s;
  wire::write(w, d);
  return {};
}

Status decode_body(ByteReader& r, FlowStatsRequest& out) {
  const auto f = wire::read<wire::FlowStatsRequest>(r);
  out.table_id = f.table_id;
  out.out_port = f.out_port;
  out.out_group = f.out_group;
  out.cookie = f.cookie;
  out.cookie_mask = f.cookie_mask;
  return assign(decode_match(r), out.match);
}
Status encode_body(const FlowStatsRequest& msg, ByteWriter& w) {
  wire::FlowStatsRequest f{};
  f.table_id = msg.table_id;
  f.out_port = msg.out_port;
  f.out_group = msg.out_group;
  f.cookie = msg.cookie;
  f.cookie_mask = msg.cookie_mask;
  wire::write(w, f);
  encode_match(msg.match, w);
  return {};
}
Status decode_body(ByteReader& r, AggregateStatsRequest& out) { return decode_body(r, out.filter); }
Status encode_body(const AggregateStatsRequest& msg, ByteWriter& w) { return encode_body(msg.filter, w); }

Status decode_body(ByteReader& r, FlowStatsReply& out) {
  return for_each_element(r, kFlowStatsRule, [&](ByteReader& e) -> Status {
    const auto f = wire::read<wire::FlowStats>(e);
    FlowStats& stats = out.flows.emplace_back();
    stats.table_id = f.table_id;
    stats.duration_sec = f.duration_sec;
    stats.duration_nsec = f.duration_nsec;
    stats.priority = f.priority;
    stats.idle_timeout = f.idle_timeout;
    stats.hard_timeout = f.hard_timeout;
    stats.flags = f.flags;
    stats.cookie = f.cookie;
    stats.packet_count = f.packet_count;
    stats.byte_count = f.byte_count;
    if (Status s = assign(decode_match(e), stats.match); !s) return s;
    return assign(decode_instructions(e), stats.instructions);
  });
}
Status encode_body(const FlowStatsReply& msg, ByteWriter& w) {
  for (const FlowStats& stats : msg.flows) {
    Status s = write_element(w, 0, [&](ByteWriter& ew) -> Status {
      wire::FlowStats f{};
      f.table_id = stats.table_id;
      f.duration_sec = stats.duration_sec;
      f.duration_nsec = stats.duration_nsec;
      f.priority = stats.priority;
      f.idle_timeout = stats.idle_timeout;
      f.hard_timeout = stats.hard_timeout;
      f.flags = stats.flags;
      f.cookie = stats.cookie;
      f.packet_count = stats.packet_count;
      f.byte_count = stats.byte_count;
      wire::write(ew, f);
      encode_match(stats.match, ew);
      encode_instructions(stats.instructions, ew);
      return {};
    });
    if (!s) return s;
  }
  return {};
}

Status decode_body(ByteReader& r, AggregateStatsReply& out) {
  const auto a = wire::read<wire::AggregateStatsReply>(r);
  out.packet_count = a.packet_count;
  out.byte_count = a.byte_count;
  out.flow_count = a.flow_count;
  return {};
}
Status encode_body(const AggregateStatsReply& msg, ByteWriter& w) {
  wire::AggregateStatsReply a{};
  a.packet_count = msg.packet_count;
  a.byte_count = msg.byte_count;
  a.flow_count = msg.flow_count;
  wire::write(w, a);
  return {};
}

Status decode_body(ByteReader& r, TableStatsReply& out) {
  out.tables.reserve(r.remaining() / sizeof(wire::TableStats));
  while (!r.empty()) {
    const auto t = wire::read<wire::TableStats>(r);
    out.tables.push_back(TableStats{t.table_id, t.active_count, t.lookup_count, t.matched_count});
  }
  return {};
}
Status encode_body(const TableStatsReply& msg, ByteWriter& w) {
  for (const TableStats& stats : msg.tables) {
    wire::TableStats t{};
    t.table_id = stats.table_id;
    t.active_count = stats.active_count;
    t.lookup_count = stats.lookup_count;
    t.matched_count = stats.matched_count;
    wire::write(w, t);
  }
  return {};
}

Status decode_body(ByteReader& r, PortStatsRequest& out) {
  out.port_no = wire::read<wire::PortStatsRequest>(r).port_no;
  return {};
}
Status encode_body(const PortStatsRequest& msg, ByteWriter& w) {
  wire::PortStatsRequest p{};
  p.port_no = msg.port_no;
  wire::write(w, p);
  return {};
}

Status decode_body(ByteReader& r, PortStatsReply& out) {
  out.ports.reserve(r.remaining() / sizeof(wire::PortStats));
  while (!r.empty()) {
    const auto p = wire::read<wire::PortStats>(r);
    PortStats& s = out.ports.emplace_back();
    s.port_no = p.port_no;
    s.rx_packets = p.rx_packets;
    s.tx_packets = p.tx_packets;
    s.rx_bytes = p.rx_bytes;
    s.tx_bytes = p.tx_bytes;
    s.rx_dropped = p.rx_dropped;
    s.tx_dropped = p.tx_dropped;
    s.rx_errors = p.rx_errors;
    s.tx_errors = p.tx_errors;
    s.rx_frame_err = p.rx_frame_err;
    s.rx_over_err = p.rx_over_err;
    s.rx_crc_err = p.rx_crc_err;
    s.collisions = p.collisions;
    s.duration_sec = p.duration_sec;
    s.duration_nsec = p.duration_nsec;
  }
  return {};
}
Status encode_body(const PortStatsReply& msg, ByteWriter& w) {
  for (const PortStats& s : msg.ports) {
    wire::PortStats p{};
    p.port_no = s.port_no;
    p.rx_packets = s.rx_packets;
    p.tx_packets = s.tx_packets;
    p.rx_bytes = s.rx_bytes;
    p.tx_bytes = s.tx_bytes;
    p.rx_dropped = s.rx_dropped;
    p.tx_dropped = s.tx_dropped;
    p.rx_errors = s.rx_errors;
    p.tx_errors = s.tx_errors;
    p.rx_frame_err = s.rx_frame_err;
    p.rx_over_err = s.rx_over_err;
    p.rx_crc_err = s.rx_crc_err;
    p.collisions = s.collisions;
    p.duration_sec = s.duration_sec;
    p.duration_nsec = s.duration_nsec;
    wire::write(w, p);
  }
  return {};
}

Status decode_body(ByteReader& r, PortDescReply& out) {
  out.ports.reserve(r.remaining() / sizeof(wire::Port));
  while (!r.empty()) decode_port(r, out.ports.emplace_back());
  return {};
}
Status encode_body(const PortDescReply& msg, ByteWriter& w) {
  for (const Port& port : msg.ports)
    if (Status s = encode_port(port, w); !s) return s;
  return {};
}

Status decode_body(ByteReader& r, GroupDescReply& out) {
  return for_each_element(r, kGroupDescRule, [&](ByteReader& e) -> Status {
    const auto g = wire::read<wire::GroupDesc>(e);
    GroupDesc& desc = out.groups.emplace_back();
    desc.type = static_cast<GroupType>(std::uint8_t{g.type});
    desc.group_id = g.group_id;
    return decode_buckets(e, desc.buckets);
  });
}
Status encode_body(const GroupDescReply& msg, ByteWriter& w) {
  for (const GroupDesc& desc : msg.groups) {
    Status s = write_element(w, 0, [&](ByteWriter& ew) -> Status {
      wire::GroupDesc g{};
      g.type = static_cast<std::uint8_t>(desc.type);
      g.group_id = desc.group_id;
      wire::write(ew, g);
      return encode_buckets(desc.buckets, ew);
    });
    if (!s) return s;
  }
  return {};
}

Status decode_body(ByteReader& r, MeterConfigRequest& out) {
  out.meter_id = wire::read<wire::MeterMultipartRequest>(r).meter_id;
  return {};
}
Status encode_body(const MeterConfigRequest& msg, ByteWriter& w) {
  wire::MeterMultipartRequest m{};
  m.meter_id = msg.meter_id;
  wire::write(w, m);
  return {};
}

Status decode_body(ByteReader& r, MeterConfigReply& out) {
  return for_each_element(r, kMeterConfigRule, [&](ByteReader& e) -> Status {
    const auto m = wire::read<wire::MeterConfig>(e);
    MeterConfig& config = out.meters.emplace_back();
    config.flags = m.flags;
    config.meter_id = m.meter_id;
    return decode_bands(e, config.bands);
  });
}
Status decode_body(ByteReader& r, MeterFeaturesReply& out) {
  const auto f = wire::read<wire::MeterFeatures>(r);
  out.max_meter = f.max_meter;
  out.band_types = f.band_types;
  out.capabilities = f.capabilities;
  out.max_bands = f.max_bands;
  out.max_color = f.max_color;
  return {};
}
Status encode_body(const MeterFeaturesReply& msg, ByteWriter& w) {
  wire::MeterFeatures f{};
  f.max_meter = msg.max_meter;
  f.band_types = msg.band_types;
  f.capabilities = msg.capabilities;
  f.max_bands = msg.max_bands;
  f.max_color = msg.max_color;
  wire::write(w, f);
  return {};
}

Status encode_body(const MeterConfigReply& msg, ByteWriter& w) {
  for (const MeterConfig& config : msg.meters) {
    Status s = write_element(w, 0, [&](ByteWriter& ew) -> Status {
      wire::write(ew, wire::MeterConfig{0, config.flags, config.meter_id});
      return encode_bands(config.bands, ew);
    });
    if (!s) return s;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Dispatch tables

using detail::kIndexOf;

// Defined after the multipart table below, which they use.
Status decode_body(ByteReader& r, MultipartRequest& out);
Status encode_body(const MultipartRequest& msg, ByteWriter& w);
Status decode_body(ByteReader& r, MultipartReply& out);
Status encode_body(const MultipartReply& msg, ByteWriter& w);

template <class Variant>
using Decoder = Status (*)(ByteReader&, Variant&);
template <class Variant>
using Encoder = Status (*)(const Variant&, ByteWriter&);

template <class Variant, class T>
Status decode_as(ByteReader& r, Variant& v) {
  return decode_body(r, v.template emplace<T>());
}
template <class Variant, class T>
Status encode_as(const Variant& v, ByteWriter& w) {
  return encode_body(*std::get_if<T>(&v), w);
}

struct MessageSpec {
  MessageType type;
  std::string_view name;
  Shape shape;  // of the whole message, header included
  bool decoded = false;  // false: kept as UnknownMessage (QUEUE_GET_CONFIG_*)
  Decoder<MessageBody> decode = nullptr;
  Encoder<MessageBody> encode = nullptr;
  std::size_t variant_index = 0;
};

template <class T>
constexpr MessageSpec message(MessageType type, std::string_view name, Shape shape) {
  static_assert(kIndexOf<T, MessageBody> < std::variant_size_v<MessageBody>);
  return {type, name, shape, true, &decode_as<MessageBody, T>, &encode_as<MessageBody, T>,
          kIndexOf<T, MessageBody>};
}
constexpr MessageSpec kept_unknown(MessageType type, std::string_view name) {
  return {type, name, at_least(wire::kHeader), false, nullptr, nullptr, kIndexOf<UnknownMessage, MessageBody>};
}

constexpr std::size_t kHeaderSize = wire::kHeader;
constexpr std::size_t kMatchMin = wire::kMinMatch;

// Indexed by OFPT_* value (checked below).
constexpr std::array kMessages{
    message<Hello>(MessageType::Hello, "HELLO", at_least(kHeaderSize)),
    message<ErrorMsg>(MessageType::Error, "ERROR", at_least(kHeaderSize + sizeof(wire::ErrorBody))),
    message<EchoRequest>(MessageType::EchoRequest, "ECHO_REQUEST", at_least(kHeaderSize)),
    message<EchoReply>(MessageType::EchoReply, "ECHO_REPLY", at_least(kHeaderSize)),
    message<Experimenter>(MessageType::Experimenter, "EXPERIMENTER",
                          at_least(kHeaderSize + sizeof(wire::ExperimenterBody))),
    message<FeaturesRequest>(MessageType::FeaturesRequest, "FEATURES_REQUEST", exactly(kHeaderSize)),
    message<FeaturesReply>(MessageType::FeaturesReply, "FEATURES_REPLY",
                           exactly(kHeaderSize + sizeof(wire::FeaturesReply))),
    message<GetConfigRequest>(MessageType::GetConfigRequest, "GET_CONFIG_REQUEST", exactly(kHeaderSize)),
    message<GetConfigReply>(MessageType::GetConfigReply, "GET_CONFIG_REPLY",
                            exactly(kHeaderSize + sizeof(wire::SwitchConfig))),
    message<SetConfig>(MessageType::SetConfig, "SET_CONFIG", exactly(kHeaderSize + sizeof(wire::SwitchConfig))),
    message<PacketIn>(MessageType::PacketIn, "PACKET_IN",
                      at_least(kHeaderSize + sizeof(wire::PacketIn) + kMatchMin + wire::kPacketInPad)),
    message<FlowRemoved>(MessageType::FlowRemoved, "FLOW_REMOVED",
                         at_least(kHeaderSize + sizeof(wire::FlowRemoved) + kMatchMin)),
    message<PortStatus>(MessageType::PortStatus, "PORT_STATUS",
                        exactly(kHeaderSize + sizeof(wire::PortStatus) + sizeof(wire::Port))),
    message<PacketOut>(MessageType::PacketOut, "PACKET_OUT", at_least(kHeaderSize + sizeof(wire::PacketOut))),
    message<FlowMod>(MessageType::FlowMod, "FLOW_MOD", at_least(kHeaderSize + sizeof(wire::FlowMod) + kMatchMin)),
    message<GroupMod>(MessageType::GroupMod, "GROUP_MOD", at_least(kHeaderSize + sizeof(wire::GroupMod))),
    message<PortMod>(MessageType::PortMod, "PORT_MOD", exactly(kHeaderSize + sizeof(wire::PortMod))),
    message<TableMod>(MessageType::TableMod, "TABLE_MOD", exactly(kHeaderSize + sizeof(wire::TableMod))),
    message<MultipartRequest>(MessageType::MultipartRequest, "MULTIPART_REQUEST",
                              at_least(kHeaderSize + sizeof(wire::MultipartHeader))),
    message<MultipartReply>(MessageType::MultipartReply, "MULTIPART_REPLY",
                            at_least(kHeaderSize + sizeof(wire::MultipartHeader))),
    message<BarrierRequest>(MessageType::BarrierRequest, "BARRIER_REQUEST", exactly(kHeaderSize)),
    message<BarrierReply>(MessageType::BarrierReply, "BARRIER_REPLY", exactly(kHeaderSize)),
    kept_unknown(MessageType::QueueGetConfigRequest, "QUEUE_GET_CONFIG_REQUEST"),
    kept_unknown(MessageType::QueueGetConfigReply, "QUEUE_GET_CONFIG_REPLY"),
    message<RoleRequest>(MessageType::RoleRequest, "ROLE_REQUEST", exactly(kHeaderSize + sizeof(wire::RoleRequest))),
    message<RoleReply>(MessageType::RoleReply, "ROLE_REPLY", exactly(kHeaderSize + sizeof(wire::RoleRequest))),
    message<GetAsyncRequest>(MessageType::GetAsyncRequest, "GET_ASYNC_REQUEST", exactly(kHeaderSize)),
    message<GetAsyncReply>(MessageType::GetAsyncReply, "GET_ASYNC_REPLY",
                           exactly(kHeaderSize + sizeof(wire::AsyncConfig))),
    message<SetAsync>(MessageType::SetAsync, "SET_ASYNC", exactly(kHeaderSize + sizeof(wire::AsyncConfig))),
    message<MeterMod>(MessageType::MeterMod, "METER_MOD", at_least(kHeaderSize + sizeof(wire::MeterMod))),
};

constexpr bool messages_indexed_by_type() {
  for (std::size_t i = 0; i < kMessages.size(); ++i)
    if (static_cast<std::size_t>(kMessages[i].type) != i) return false;
  return true;
}
static_assert(messages_indexed_by_type());

// Variant index -> position in kMessages, for encoding and message_type().
constexpr auto kMessageByVariant = [] {
  std::array<std::uint8_t, std::variant_size_v<MessageBody>> a{};
  a.fill(0xff);
  for (std::size_t i = 0; i < kMessages.size(); ++i)
    if (kMessages[i].decoded) a[kMessages[i].variant_index] = static_cast<std::uint8_t>(i);
  return a;
}();
constexpr bool every_known_body_in_table() {
  for (std::size_t i = 0; i < kMessageByVariant.size(); ++i)
    if ((kMessageByVariant[i] == 0xff) != (i == kIndexOf<UnknownMessage, MessageBody>)) return false;
  return true;
}
static_assert(every_known_body_in_table());

const MessageSpec* find_message(std::uint8_t type) {
  return type < kMessages.size() ? &kMessages[type] : nullptr;
}

template <class Body>
struct MultipartSide {
  Shape shape;  // of the body after the multipart header
  Decoder<Body> decode;
  Encoder<Body> encode;
  std::size_t variant_index;
};

struct MultipartSpec {
  MultipartType type;
  std::string_view name;
  MultipartSide<MultipartRequestBody> request;
  MultipartSide<MultipartReplyBody> reply;

  template <class Body>
  const MultipartSide<Body>& side() const {
    if constexpr (std::is_same_v<Body, MultipartRequestBody>) return request;
    else return reply;
  }
};

template <class Body, class T>
constexpr MultipartSide<Body> multipart_side(Shape shape) {
  static_assert(kIndexOf<T, Body> < std::variant_size_v<Body>);
  return {shape, &decode_as<Body, T>, &encode_as<Body, T>, kIndexOf<T, Body>};
}

template <class Request, class Reply>
constexpr MultipartSpec multipart(MultipartType type, std::string_view name, Shape request, Shape reply) {
  return {type, name, multipart_side<MultipartRequestBody, Request>(request),
          multipart_side<MultipartReplyBody, Reply>(reply)};
}

// The multipart types this codec understands; any other type is kept as UnknownMultipart.
constexpr std::array kMultiparts{
    multipart<DescRequest, DescReply>(MultipartType::Desc, "DESC", exactly(0), exactly(sizeof(wire::Desc))),
    multipart<FlowStatsRequest, FlowStatsReply>(MultipartType::Flow, "FLOW",
                                                at_least(sizeof(wire::FlowStatsRequest) + kMatchMin),
                                                at_least(0)),
    multipart<AggregateStatsRequest, AggregateStatsReply>(
        MultipartType::Aggregate, "AGGREGATE", at_least(sizeof(wire::FlowStatsRequest) + kMatchMin),
        exactly(sizeof(wire::AggregateStatsReply))),
    multipart<TableStatsRequest, TableStatsReply>(MultipartType::Table, "TABLE", exactly(0),
                                                  array_of(sizeof(wire::TableStats))),
    multipart<PortStatsRequest, PortStatsReply>(MultipartType::PortStats, "PORT_STATS",
                                                exactly(sizeof(wire::PortStatsRequest)),
                                                array_of(sizeof(wire::PortStats))),
    multipart<PortDescRequest, PortDescReply>(MultipartType::PortDesc, "PORT_DESC", exactly(0),
                                              array_of(sizeof(wire::Port))),
    multipart<GroupDescRequest, GroupDescReply>(MultipartType::GroupDesc, "GROUP_DESC", exactly(0),
                                                at_least(0)),
    multipart<MeterConfigRequest, MeterConfigReply>(MultipartType::MeterConfig, "METER_CONFIG",
                                                    exactly(sizeof(wire::MeterMultipartRequest)),
                                                    at_least(0)),
    multipart<MeterFeaturesRequest, MeterFeaturesReply>(MultipartType::MeterFeatures, "METER_FEATURES",
                                                        exactly(0), exactly(sizeof(wire::MeterFeatures))),
};

const MultipartSpec* find_multipart(std::uint16_t type) {
  for (const MultipartSpec& spec : kMultiparts)
    if (static_cast<std::uint16_t>(spec.type) == type) return &spec;
  return nullptr;
}

template <class Body>
const MultipartSpec* find_multipart_by_index(std::size_t index) {
  for (const MultipartSpec& spec : kMultiparts)
    if (spec.side<Body>().variant_index == index) return &spec;
  return nullptr;
}

// MULTIPART_REQUEST / MULTIPART_REPLY: the multipart header, then the body from kMultiparts.
template <class Body>
Status decode_multipart(ByteReader& r, std::uint16_t& flags, Body& body) {
  constexpr bool kRequest = std::is_same_v<Body, MultipartRequestBody>;
  const auto h = wire::read<wire::MultipartHeader>(r);
  flags = h.flags;
  const MultipartSpec* spec = find_multipart(h.type);
  if (spec == nullptr) {
    body.template emplace<UnknownMultipart>(UnknownMultipart{h.type, copy_rest(r)});
    return {};
  }
  const std::string what = fmt::format("{} {} body", spec->name, kRequest ? "request" : "reply");
  const MultipartSide<Body>& side = spec->template side<Body>();
  if (Status s = check_shape(side.shape, r.remaining(), r.offset(), what); !s) return s;
  if (Status s = side.decode(r, body); !s) return s;
  return check_consumed(r, what);
}

template <class Body>
Status encode_multipart(std::uint16_t flags, const Body& body, ByteWriter& w) {
  if (const auto* unknown = std::get_if<UnknownMultipart>(&body)) {
    if (find_multipart(unknown->type) != nullptr)
      return unexpected(bad_request(BadRequestCode::BadMultipart, w.size(),
                                    fmt::format("UnknownMultipart carries type {}, which has its own body type",
                                                unknown->type)));
    wire::write(w, wire::MultipartHeader{unknown->type, flags, {}});
    w.bytes(as_bytes(unknown->body));
    return {};
  }
  const MultipartSpec* spec = find_multipart_by_index<Body>(body.index());
  wire::write(w, wire::MultipartHeader{static_cast<std::uint16_t>(spec->type), flags, {}});
  return spec->template side<Body>().encode(body, w);
}

Status decode_body(ByteReader& r, MultipartRequest& out) { return decode_multipart(r, out.flags, out.body); }
Status encode_body(const MultipartRequest& msg, ByteWriter& w) { return encode_multipart(msg.flags, msg.body, w); }
Status decode_body(ByteReader& r, MultipartReply& out) { return decode_multipart(r, out.flags, out.body); }
Status encode_body(const MultipartReply& msg, ByteWriter& w) { return encode_multipart(msg.flags, msg.body, w); }

// ---------------------------------------------------------------------------------------------
// Encoding buffer sizing: one reservation per message on the hot path (FLOW_MOD, PACKET_OUT).

// Counts elements without walking into them: an estimate is enough, and walking nested action
// lists would cost more than the reallocation it might save.
constexpr std::size_t kOxmEstimate = 12;         // header plus a 4- or 6-byte value, padded
constexpr std::size_t kActionEstimate = 16;      // output, or set_field of an address
constexpr std::size_t kInstructionEstimate = 72; // apply-actions with a few actions

std::size_t size_hint(const MessageBody& body, const MessageSpec& spec) {
  std::size_t n = spec.shape.min_length;
  if (const auto* flow_mod = std::get_if<FlowMod>(&body))
    n += kOxmEstimate * flow_mod->match.fields.size() + kInstructionEstimate * flow_mod->instructions.size();
  else if (const auto* packet_out = std::get_if<PacketOut>(&body))
    n += kActionEstimate * packet_out->actions.size() + packet_out->data.size();
  else if (const auto* packet_in = std::get_if<PacketIn>(&body))
    n += kOxmEstimate * packet_in->match.fields.size() + packet_in->data.size();
  return n;
}

void reserve_for(ByteVector& out, std::size_t more) {
  const std::size_t need = out.size() + more;
  // Keep geometric growth when many messages are appended to one buffer.
  if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
}

Status encode_into(const Message& msg, ByteVector& out) {
  ByteWriter w(out);
  const std::size_t start = out.size();
  std::uint8_t type = 0;
  Status status;
  if (const auto* unknown = std::get_if<UnknownMessage>(&msg.body)) {
    type = unknown->type;
    const MessageSpec* spec = find_message(type);
    if (spec != nullptr && spec->decoded)
      return unexpected(bad_request(BadRequestCode::BadType, 1,
                                    fmt::format("UnknownMessage carries type {} ({}), which has its own "
                                                "body type", type, spec->name)));
    reserve_for(out, kHeaderSize + unknown->body.size());
    wire::write(w, wire::Header{msg.version, type, 0, msg.xid});
    w.bytes(as_bytes(unknown->body));
  } else {
    const MessageSpec& spec = kMessages[kMessageByVariant[msg.body.index()]];
    type = static_cast<std::uint8_t>(spec.type);
    if (msg.version != kVersion && spec.type != MessageType::Hello)
      return unexpected(bad_request(BadRequestCode::BadVersion, 0,
                                    fmt::format("{} can only be encoded as OpenFlow 1.3 (version 4), not "
                                                "version {}", spec.name, msg.version)));
    reserve_for(out, size_hint(msg.body, spec));
    wire::write(w, wire::Header{msg.version, type, 0, msg.xid});
    status = spec.encode(msg.body, w);
  }
  const std::size_t length = out.size() - start;
  if (!status) {
    out.resize(start);
    CodecError error = std::move(status).error();
    error.offset = error.offset >= start ? error.offset - start : 0;  // relative to the message
    return unexpected(std::move(error));
  }
  if (length > kMaxMessageLength) {
    out.resize(start);
    return unexpected(bad_len(2, fmt::format("{} would be {} bytes, more than the 65535 an OpenFlow "
                                             "length field can hold",
                                             message_type_name(static_cast<MessageType>(type)), length)));
  }
  w.patch_u16(start + offsetof(wire::Header, length), static_cast<std::uint16_t>(length));
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public entry points

Result<Header> decode_header(ByteSpan wire) {
  if (wire.size() < kHeaderSize)
    return unexpected(bad_len(wire.size(), fmt::format("{} bytes is shorter than the 8-byte OpenFlow header",
                                                       wire.size())));
  ByteReader r(wire);
  const auto h = wire::read<wire::Header>(r);
  return Header{h.version, h.type, h.length, h.xid};
}

Result<Message> decode(ByteSpan wire) {
  Result<Header> header = decode_header(wire);
  if (!header) return unexpected(std::move(header).error());
  const Header& h = *header;
  if (h.length != wire.size())
    return unexpected(bad_len(offsetof(wire::Header, length),
                              fmt::format("header length {} but the message is {} bytes", h.length,
                                          wire.size())));
  const bool hello = h.type == static_cast<std::uint8_t>(MessageType::Hello);
  if (h.version != kVersion && !hello)
    return unexpected(bad_request(BadRequestCode::BadVersion, 0,
                                  fmt::format("{} has version {}, only OpenFlow 1.3 (version 4) is "
                                              "spoken after HELLO",
                                              message_type_name(static_cast<MessageType>(h.type)),
                                              h.version)));
  const MessageSpec* spec = find_message(h.type);
  const bool known = spec != nullptr && spec->decoded;
  if (known) {
    if (Status s = check_shape(spec->shape, wire.size(), 0, spec->name); !s)
      return unexpected(std::move(s).error());
  }

  // Decoded in place in the result (one return of it below), so the body is never moved.
  Result<Message> result;
  Message& msg = *result;
  msg.version = h.version;
  msg.xid = h.xid;
  ByteReader r(wire);
  r.skip(kHeaderSize);
  if (!known) {
    msg.body = UnknownMessage{h.type, copy_rest(r)};
  } else if (Status s = spec->decode(r, msg.body); !s || !(s = check_consumed(r, spec->name))) {
    // Before 1.3 a HELLO body was undefined and to be ignored (1.0 5.5.1, 1.2 A.5.1), so the
    // peer's version is still known even if its body is not made of hello elements.
    if (hello && h.version < kVersion)
      msg.body = Hello{};
    else
      result = unexpected(std::move(s).error());
  }
  return result;
}

Status encode(const Message& msg, ByteVector& out) { return encode_into(msg, out); }

Result<ByteVector> encode(const Message& msg) {
  ByteVector out;
  if (Status s = encode_into(msg, out); !s) return unexpected(std::move(s).error());
  return out;
}

std::string_view message_type_name(MessageType type) {
  const auto index = static_cast<std::size_t>(type);
  return index < kMessages.size() ? kMessages[index].name : std::string_view("UNKNOWN");
}

MessageType message_type(const MessageBody& body) {
  if (const auto* unknown = std::get_if<UnknownMessage>(&body)) return static_cast<MessageType>(unknown->type);
  return kMessages[kMessageByVariant[body.index()]].type;
}

MultipartType multipart_type(const MultipartRequestBody& body) {
  if (const auto* unknown = std::get_if<UnknownMultipart>(&body)) return static_cast<MultipartType>(unknown->type);
  return find_multipart_by_index<MultipartRequestBody>(body.index())->type;
}

MultipartType multipart_type(const MultipartReplyBody& body) {
  if (const auto* unknown = std::get_if<UnknownMultipart>(&body)) return static_cast<MultipartType>(unknown->type);
  return find_multipart_by_index<MultipartReplyBody>(body.index())->type;
}

}  // namespace vmnmob::ofp
