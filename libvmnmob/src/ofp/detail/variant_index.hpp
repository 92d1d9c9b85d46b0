// The position of a type among a std::variant's alternatives, for the codec tables that map
// a value's variant index to its row.
#pragma once

#include <cstddef>
#include <type_traits>
#include <variant>

namespace vmnmob::ofp::detail {

template <class T, class Variant>
struct VariantIndex;
template <class T, class... Ts>
struct VariantIndex<T, std::variant<Ts...>> {
  static constexpr std::size_t value = [] {
    constexpr bool same[] = {std::is_same_v<T, Ts>...};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i)
      if (same[i]) return i;
    return sizeof...(Ts);
  }();
};
/// The index of T in Variant, or variant_size_v<Variant> when T is not one of them.
template <class T, class Variant>
inline constexpr std::size_t kIndexOf = VariantIndex<T, Variant>::value;

}  // namespace vmnmob::ofp::detail
