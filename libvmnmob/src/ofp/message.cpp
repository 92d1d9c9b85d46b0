// Helpers on the message value types (message.hpp). The codec itself is in codec.cpp, which
// also defines message_type() and multipart_type() from its dispatch tables.
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::ofp {

// ofp_hello_elem_versionbitmap (spec 7.5.1): bit n of bitmap word n / 32 stands for version n.
bool VersionBitmap::supports(std::uint8_t version) const {
  const std::size_t word = version / 32u;
  return word < bitmaps.size() && ((bitmaps[word] >> (version % 32u)) & 1u) != 0;
}

VersionBitmap VersionBitmap::of(std::initializer_list<std::uint8_t> versions) {
  VersionBitmap bitmap;
  for (std::uint8_t version : versions) {
    const std::size_t word = version / 32u;
    if (bitmap.bitmaps.size() <= word) bitmap.bitmaps.resize(word + 1, 0);
    bitmap.bitmaps[word] |= std::uint32_t{1} << (version % 32u);
  }
  return bitmap;
}

const VersionBitmap* Hello::version_bitmap() const {
  for (const HelloElement& element : elements)
    if (const auto* bitmap = std::get_if<VersionBitmap>(&element)) return bitmap;
  return nullptr;
}

std::uint32_t PacketIn::in_port() const {
  return static_cast<std::uint32_t>(match.get_uint(OxmField::InPort).value_or(0));
}

}  // namespace vmnmob::ofp
