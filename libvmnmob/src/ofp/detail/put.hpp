// Two-pass encoders for the FLOW_MOD hot path: the exact wire length of a part, then plain
// stores into memory the caller has already sized and zeroed. A whole FLOW_MOD body (fixed
// part, match, instructions) so costs one growth of the output buffer instead of one per part.
#pragma once

#include <cstddef>

#include "vmnmob/ofp/action.hpp"
#include "vmnmob/ofp/match.hpp"

namespace vmnmob::ofp::detail {

/// Appends n zero bytes to the writer's buffer and returns where they start: a part is sized
/// once and then written with plain stores.
inline std::byte* grow(ByteWriter& w, std::size_t n) {
  ByteVector& buffer = w.buffer();
  const std::size_t at = buffer.size();
  buffer.resize(at + n);
  return buffer.data() + at;
}

/// Bytes the encoded ofp_match takes, padding to 8 included (spec 7.2.2).
std::size_t match_wire_length(const Match& match);
/// Writes the ofp_match to out (match_wire_length(match) zeroed bytes) and returns its end.
/// The padding is left as found, so it must already be zero.
std::byte* put_match(std::byte* out, const Match& match);

/// Bytes the encoded instruction list takes (each instruction is a multiple of 8, 7.2.4).
std::size_t instructions_wire_length(const InstructionList& instructions);
/// Writes the instructions to out (instructions_wire_length() zeroed bytes), returns the end.
std::byte* put_instructions(std::byte* out, const InstructionList& instructions);

}  // namespace vmnmob::ofp::detail
