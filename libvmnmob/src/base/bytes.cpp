#include "vmnmob/base/bytes.hpp"

#include <cctype>

namespace vmnmob {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

ByteVector bytes_from_hex(std::string_view hex) {
  ByteVector out;
  int hi = -1;
  for (char c : hex) {
    int v = hex_value(c);
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::byte>((hi << 4) | v));
      hi = -1;
    }
  }
  return out;
}

std::string to_hex(ByteSpan b, char sep) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 3);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i != 0 && sep != '\0') s.push_back(sep);
    auto v = std::to_integer<unsigned>(b[i]);
    s.push_back(digits[v >> 4]);
    s.push_back(digits[v & 0xf]);
  }
  return s;
}

std::string ByteReader::fixed_string(std::size_t n) {
  ByteSpan s = take(n);
  std::string out;
  for (std::byte b : s) {
    if (b == std::byte{0}) break;
    out.push_back(static_cast<char>(b));
  }
  return out;
}

void ByteWriter::fixed_string(std::string_view s, std::size_t n) {
  if (n == 0) return;
  std::size_t len = s.size() < n ? s.size() : n - 1;
  bytes(as_bytes(s.substr(0, len)));
  zeros(n - len);
}

}  // namespace vmnmob
