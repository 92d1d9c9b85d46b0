// Spec names for message types, error types and every error code of OpenFlow 1.3.5 (7.4.4).
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "vmnmob/ofp/error.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

struct TypeCodes {
  ErrorType type;
  std::string_view name;
  std::vector<std::string_view> codes;  // indexed by code value
};

// Written out from the spec's enums (ofp_error_type and the OFP*C_* code enums).
const std::vector<TypeCodes>& spec_errors() {
  static const std::vector<TypeCodes> all = {
      {ErrorType::HelloFailed, "HELLO_FAILED", {"INCOMPATIBLE", "EPERM"}},
      {ErrorType::BadRequest,
       "BAD_REQUEST",
       {"BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "EPERM",
        "BAD_LEN", "BUFFER_EMPTY", "BUFFER_UNKNOWN", "BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT",
        "BAD_PACKET", "MULTIPART_BUFFER_OVERFLOW"}},
      {ErrorType::BadAction,
       "BAD_ACTION",
       {"BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_OUT_PORT", "BAD_ARGUMENT",
        "EPERM", "TOO_MANY", "BAD_QUEUE", "BAD_OUT_GROUP", "MATCH_INCONSISTENT",
        "UNSUPPORTED_ORDER", "BAD_TAG", "BAD_SET_TYPE", "BAD_SET_LEN", "BAD_SET_ARGUMENT"}},
      {ErrorType::BadInstruction,
       "BAD_INSTRUCTION",
       {"UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID", "UNSUP_METADATA", "UNSUP_METADATA_MASK",
        "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_LEN", "EPERM"}},
      {ErrorType::BadMatch,
       "BAD_MATCH",
       {"BAD_TYPE", "BAD_LEN", "BAD_TAG", "BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK", "BAD_WILDCARDS",
        "BAD_FIELD", "BAD_VALUE", "BAD_MASK", "BAD_PREREQ", "DUP_FIELD", "EPERM"}},
      {ErrorType::FlowModFailed,
       "FLOW_MOD_FAILED",
       {"UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP", "EPERM", "BAD_TIMEOUT", "BAD_COMMAND",
        "BAD_FLAGS"}},
      {ErrorType::GroupModFailed,
       "GROUP_MOD_FAILED",
       {"GROUP_EXISTS", "INVALID_GROUP", "WEIGHT_UNSUPPORTED", "OUT_OF_GROUPS", "OUT_OF_BUCKETS",
        "CHAINING_UNSUPPORTED", "WATCH_UNSUPPORTED", "LOOP", "UNKNOWN_GROUP", "CHAINED_GROUP",
        "BAD_TYPE", "BAD_COMMAND", "BAD_BUCKET", "BAD_WATCH", "EPERM"}},
      {ErrorType::PortModFailed,
       "PORT_MOD_FAILED",
       {"BAD_PORT", "BAD_HW_ADDR", "BAD_CONFIG", "BAD_ADVERTISE", "EPERM"}},
      {ErrorType::TableModFailed, "TABLE_MOD_FAILED", {"BAD_TABLE", "BAD_CONFIG", "EPERM"}},
      {ErrorType::QueueOpFailed, "QUEUE_OP_FAILED", {"BAD_PORT", "BAD_QUEUE", "EPERM"}},
      {ErrorType::SwitchConfigFailed, "SWITCH_CONFIG_FAILED", {"BAD_FLAGS", "BAD_LEN", "EPERM"}},
      {ErrorType::RoleRequestFailed, "ROLE_REQUEST_FAILED", {"STALE", "UNSUP", "BAD_ROLE"}},
      {ErrorType::MeterModFailed,
       "METER_MOD_FAILED",
       {"UNKNOWN", "METER_EXISTS", "INVALID_METER", "UNKNOWN_METER", "BAD_COMMAND", "BAD_FLAGS",
        "BAD_RATE", "BAD_BURST", "BAD_BAND", "BAD_BAND_VALUE", "OUT_OF_METERS", "OUT_OF_BANDS"}},
      {ErrorType::TableFeaturesFailed,
       "TABLE_FEATURES_FAILED",
       {"BAD_TABLE", "BAD_METADATA", "BAD_TYPE", "BAD_LEN", "BAD_ARGUMENT", "EPERM"}},
  };
  return all;
}

}  // namespace

TEST_CASE("Every 1.3 error type and code has its spec name") {
  REQUIRE(spec_errors().size() == 14);
  for (const TypeCodes& t : spec_errors()) {
    CHECK(error_type_name(t.type) == t.name);
    for (std::size_t code = 0; code < t.codes.size(); ++code)
      CHECK(error_code_name(t.type, static_cast<std::uint16_t>(code)) == t.codes[code]);
    // One past the last code is not in the spec.
    const auto past = static_cast<std::uint16_t>(t.codes.size());
    CHECK(error_code_name(t.type, past) == "UNKNOWN(" + std::to_string(past) + ")");
  }
}

TEST_CASE("The code enums agree with the names") {
  CHECK(error_code_name(ErrorType::BadMatch, static_cast<std::uint16_t>(BadMatchCode::BadPrereq)) ==
        "BAD_PREREQ");
  CHECK(error_code_name(ErrorType::BadAction,
                        static_cast<std::uint16_t>(BadActionCode::BadSetArgument)) ==
        "BAD_SET_ARGUMENT");
  CHECK(error_code_name(ErrorType::BadInstruction,
                        static_cast<std::uint16_t>(BadInstructionCode::BadLen)) == "BAD_LEN");
  CHECK(error_code_name(ErrorType::BadRequest,
                        static_cast<std::uint16_t>(BadRequestCode::MultipartBufferOverflow)) ==
        "MULTIPART_BUFFER_OVERFLOW");
  CHECK(error_code_name(ErrorType::MeterModFailed,
                        static_cast<std::uint16_t>(MeterModFailedCode::OutOfBands)) == "OUT_OF_BANDS");
  CHECK(error_code_name(ErrorType::GroupModFailed,
                        static_cast<std::uint16_t>(GroupModFailedCode::Eperm)) == "EPERM");
}

TEST_CASE("Experimenter and unknown error types") {
  CHECK(error_type_name(ErrorType::Experimenter) == "EXPERIMENTER");
  CHECK(error_code_name(ErrorType::Experimenter, 7) == "EXP_TYPE(7)");
  CHECK(error_type_name(ErrorType{14}) == "UNKNOWN(14)");
  CHECK(error_type_name(ErrorType{0x1234}) == "UNKNOWN(4660)");
  CHECK(error_code_name(ErrorType{14}, 0) == "UNKNOWN(0)");
  CHECK(error_code_name(ErrorType::HelloFailed, 0xffff) == "UNKNOWN(65535)");
}

TEST_CASE("Every 1.3 message type has its spec name") {
  const std::vector<std::string_view> names = {
      "HELLO",           "ERROR",           "ECHO_REQUEST",
      "ECHO_REPLY",      "EXPERIMENTER",    "FEATURES_REQUEST",
      "FEATURES_REPLY",  "GET_CONFIG_REQUEST", "GET_CONFIG_REPLY",
      "SET_CONFIG",      "PACKET_IN",       "FLOW_REMOVED",
      "PORT_STATUS",     "PACKET_OUT",      "FLOW_MOD",
      "GROUP_MOD",       "PORT_MOD",        "TABLE_MOD",
      "MULTIPART_REQUEST", "MULTIPART_REPLY", "BARRIER_REQUEST",
      "BARRIER_REPLY",   "QUEUE_GET_CONFIG_REQUEST", "QUEUE_GET_CONFIG_REPLY",
      "ROLE_REQUEST",    "ROLE_REPLY",      "GET_ASYNC_REQUEST",
      "GET_ASYNC_REPLY", "SET_ASYNC",       "METER_MOD"};
  for (std::size_t i = 0; i < names.size(); ++i)
    CHECK(message_type_name(static_cast<MessageType>(i)) == names[i]);
  CHECK(message_type_name(MessageType::FlowMod) == "FLOW_MOD");
  CHECK(message_type_name(MessageType{30}) == "UNKNOWN");
  CHECK(message_type_name(MessageType{255}) == "UNKNOWN");
}

TEST_CASE("CodecError::to_string names type, code, offset and detail") {
  const CodecError e = make_error(ErrorType::BadMatch, BadMatchCode::BadPrereq, 56,
                                  "ipv4_src needs eth_type=0x0800");
  CHECK(e.to_string() == "BAD_MATCH/BAD_PREREQ at byte 56: ipv4_src needs eth_type=0x0800");
  CHECK(bad_request(BadRequestCode::BadLen, 2, "length 7 is below the 8-byte header").to_string() ==
        "BAD_REQUEST/BAD_LEN at byte 2: length 7 is below the 8-byte header");
  CHECK(CodecError{ErrorType{99}, 3, 0, "x"}.to_string() == "UNKNOWN(99)/UNKNOWN(3) at byte 0: x");
}
