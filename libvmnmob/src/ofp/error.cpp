// Spec names of message types, error types and error codes (spec 7.1.1 and 7.4.4).
#include "vmnmob/ofp/error.hpp"

#include <array>
#include <span>

#include <fmt/format.h>

namespace vmnmob::ofp {

namespace {

using Names = std::span<const std::string_view>;

// Each list is indexed by the code's numeric value (the OFP*C_* enums are dense from 0).
constexpr std::string_view kHelloFailed[] = {"INCOMPATIBLE", "EPERM"};
constexpr std::string_view kBadRequest[] = {
    "BAD_VERSION",  "BAD_TYPE",     "BAD_MULTIPART",  "BAD_EXPERIMENTER", "BAD_EXP_TYPE",
    "EPERM",        "BAD_LEN",      "BUFFER_EMPTY",   "BUFFER_UNKNOWN",   "BAD_TABLE_ID",
    "IS_SLAVE",     "BAD_PORT",     "BAD_PACKET",     "MULTIPART_BUFFER_OVERFLOW"};
constexpr std::string_view kBadAction[] = {
    "BAD_TYPE",    "BAD_LEN",       "BAD_EXPERIMENTER",   "BAD_EXP_TYPE",
    "BAD_OUT_PORT", "BAD_ARGUMENT", "EPERM",              "TOO_MANY",
    "BAD_QUEUE",   "BAD_OUT_GROUP", "MATCH_INCONSISTENT", "UNSUPPORTED_ORDER",
    "BAD_TAG",     "BAD_SET_TYPE",  "BAD_SET_LEN",        "BAD_SET_ARGUMENT"};
constexpr std::string_view kBadInstruction[] = {
    "UNKNOWN_INST",     "UNSUP_INST",   "BAD_TABLE_ID", "UNSUP_METADATA", "UNSUP_METADATA_MASK",
    "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_LEN",      "EPERM"};
constexpr std::string_view kBadMatch[] = {
    "BAD_TYPE",  "BAD_LEN",   "BAD_TAG",   "BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK", "BAD_WILDCARDS",
    "BAD_FIELD", "BAD_VALUE", "BAD_MASK",  "BAD_PREREQ",       "DUP_FIELD",        "EPERM"};
constexpr std::string_view kFlowModFailed[] = {"UNKNOWN", "TABLE_FULL",  "BAD_TABLE_ID", "OVERLAP",
                                               "EPERM",   "BAD_TIMEOUT", "BAD_COMMAND",  "BAD_FLAGS"};
constexpr std::string_view kGroupModFailed[] = {
    "GROUP_EXISTS",      "INVALID_GROUP", "WEIGHT_UNSUPPORTED", "OUT_OF_GROUPS", "OUT_OF_BUCKETS",
    "CHAINING_UNSUPPORTED", "WATCH_UNSUPPORTED", "LOOP",        "UNKNOWN_GROUP", "CHAINED_GROUP",
    "BAD_TYPE",          "BAD_COMMAND",   "BAD_BUCKET",         "BAD_WATCH",     "EPERM"};
constexpr std::string_view kPortModFailed[] = {"BAD_PORT", "BAD_HW_ADDR", "BAD_CONFIG",
                                               "BAD_ADVERTISE", "EPERM"};
constexpr std::string_view kTableModFailed[] = {"BAD_TABLE", "BAD_CONFIG", "EPERM"};
constexpr std::string_view kQueueOpFailed[] = {"BAD_PORT", "BAD_QUEUE", "EPERM"};
constexpr std::string_view kSwitchConfigFailed[] = {"BAD_FLAGS", "BAD_LEN", "EPERM"};
constexpr std::string_view kRoleRequestFailed[] = {"STALE", "UNSUP", "BAD_ROLE"};
constexpr std::string_view kMeterModFailed[] = {
    "UNKNOWN",   "METER_EXISTS", "INVALID_METER", "UNKNOWN_METER",  "BAD_COMMAND",   "BAD_FLAGS",
    "BAD_RATE",  "BAD_BURST",    "BAD_BAND",      "BAD_BAND_VALUE", "OUT_OF_METERS", "OUT_OF_BANDS"};
constexpr std::string_view kTableFeaturesFailed[] = {"BAD_TABLE", "BAD_METADATA", "BAD_TYPE",
                                                     "BAD_LEN",   "BAD_ARGUMENT", "EPERM"};

struct ErrorTypeNames {
  std::string_view type;
  Names codes;
};

// Indexed by ofp_error_type 0..13; OFPET_EXPERIMENTER (0xffff) is handled apart.
constexpr ErrorTypeNames kErrorTypes[] = {
    {"HELLO_FAILED", kHelloFailed},
    {"BAD_REQUEST", kBadRequest},
    {"BAD_ACTION", kBadAction},
    {"BAD_INSTRUCTION", kBadInstruction},
    {"BAD_MATCH", kBadMatch},
    {"FLOW_MOD_FAILED", kFlowModFailed},
    {"GROUP_MOD_FAILED", kGroupModFailed},
    {"PORT_MOD_FAILED", kPortModFailed},
    {"TABLE_MOD_FAILED", kTableModFailed},
    {"QUEUE_OP_FAILED", kQueueOpFailed},
    {"SWITCH_CONFIG_FAILED", kSwitchConfigFailed},
    {"ROLE_REQUEST_FAILED", kRoleRequestFailed},
    {"METER_MOD_FAILED", kMeterModFailed},
    {"TABLE_FEATURES_FAILED", kTableFeaturesFailed},
};

const ErrorTypeNames* find_type(ErrorType type) {
  const auto index = static_cast<std::size_t>(type);
  return index < std::size(kErrorTypes) ? &kErrorTypes[index] : nullptr;
}

}  // namespace

std::string error_type_name(ErrorType type) {
  if (type == ErrorType::Experimenter) return "EXPERIMENTER";
  if (const ErrorTypeNames* names = find_type(type)) return std::string(names->type);
  return fmt::format("UNKNOWN({})", static_cast<std::uint16_t>(type));
}

std::string error_code_name(ErrorType type, std::uint16_t code) {
  // For OFPET_EXPERIMENTER the code field is the experimenter-defined exp_type (spec 7.4.4).
  if (type == ErrorType::Experimenter) return fmt::format("EXP_TYPE({})", code);
  if (const ErrorTypeNames* names = find_type(type); names != nullptr && code < names->codes.size())
    return std::string(names->codes[code]);
  return fmt::format("UNKNOWN({})", code);
}

std::string CodecError::to_string() const {
  return fmt::format("{}/{} at byte {}: {}", error_type_name(type), error_code_name(type, code),
                     offset, detail);
}

}  // namespace vmnmob::ofp
