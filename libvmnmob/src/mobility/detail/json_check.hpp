// Reading JSON that this library did not just write (a snapshot, a state file) without
// exceptions: every accessor looks at the type before it reads, and every problem is recorded as
// "path: reason" (e.g. "switches[2].uplink_port: not a number"), so one message names every bad
// field. nlohmann::json's at() and get<T>() would throw on the same input.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmnmob::mobility::detail {

class JsonCheck {
 public:
  void error(std::string_view path, std::string_view reason) { errors_.push_back(fmt::format("{}: {}", path, reason)); }
  /// Takes a nested reader's message, whose errors already name their whole path.
  void errors_from(std::string message) { errors_.push_back(std::move(message)); }
  bool ok() const { return errors_.empty(); }
  /// Every error in the order found, joined by "; ".
  std::string message() const {
    std::string all;
    for (const std::string& e : errors_) all += (all.empty() ? "" : "; ") + e;
    return all;
  }

  /// "path.key", or "key" at the root (path "").
  static std::string member(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }
  static std::string element(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

  bool is_object(const nlohmann::json& j, std::string_view path) { return expect(j.is_object(), path, "not an object"); }
  bool is_array(const nlohmann::json& j, std::string_view path) { return expect(j.is_array(), path, "not an array"); }

  /// The member `key` of `object`; its absence is an error ("path.key: missing").
  const nlohmann::json* required(const nlohmann::json& object, std::string_view path, std::string_view key) {
    const nlohmann::json* found = optional(object, key);
    if (found == nullptr) error(member(path, key), "missing");
    return found;
  }
  /// The member `key` of `object`, or nullptr when it is absent (no error).
  static const nlohmann::json* optional(const nlohmann::json& object, std::string_view key) {
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
  }

  /// A JSON integer that fits T; a fraction or a value outside T is an error.
  template <class T>
  std::optional<T> integer(const nlohmann::json& j, std::string_view path) {
    if (!j.is_number()) {
      error(path, "not a number");
      return std::nullopt;
    }
    if (j.is_number_unsigned()) {
      if (auto v = j.get<std::uint64_t>(); std::in_range<T>(v)) return static_cast<T>(v);
    } else if (j.is_number_integer()) {
      if (auto v = j.get<std::int64_t>(); std::in_range<T>(v)) return static_cast<T>(v);
    }
    error(path, fmt::format("not a whole number from {} to {}", std::numeric_limits<T>::min(),
                            std::numeric_limits<T>::max()));
    return std::nullopt;
  }

  /// The same, for the member `key` of `object`, which must be there.
  template <class T>
  std::optional<T> integer(const nlohmann::json& object, std::string_view path, std::string_view key) {
    const nlohmann::json* j = required(object, path, key);
    return j == nullptr ? std::nullopt : integer<T>(*j, member(path, key));
  }

  /// Ten years in milliseconds: the bound of every time a snapshot carries (ages, remaining
  /// hold and freeze times). Far above any real one, and far enough below the clock's range
  /// (nanoseconds in 64 bits: 292 years) that `now` plus or minus it cannot overflow.
  static constexpr std::int64_t kMaxMilliseconds = std::int64_t{10} * 366 * 24 * 3600 * 1000;

  /// A whole number of milliseconds from 0 to kMaxMilliseconds.
  std::optional<std::chrono::milliseconds> milliseconds(const nlohmann::json& j, std::string_view path) {
    if (!j.is_number()) {
      error(path, "not a number");
      return std::nullopt;
    }
    if (!j.is_number_integer()) {
      error(path, fmt::format("not a whole number from 0 to {} ms (ten years)", kMaxMilliseconds));
      return std::nullopt;
    }
    if (j.is_number_unsigned() ? j.get<std::uint64_t>() > std::uint64_t{kMaxMilliseconds}
                               : (j.get<std::int64_t>() < 0 || j.get<std::int64_t>() > kMaxMilliseconds)) {
      error(path, fmt::format("not a whole number from 0 to {} ms (ten years)", kMaxMilliseconds));
      return std::nullopt;
    }
    return std::chrono::milliseconds(j.get<std::int64_t>());
  }
  /// The same, for the member `key` of `object`, which must be there.
  std::optional<std::chrono::milliseconds> milliseconds(const nlohmann::json& object, std::string_view path,
                                                        std::string_view key) {
    const nlohmann::json* j = required(object, path, key);
    return j == nullptr ? std::nullopt : milliseconds(*j, member(path, key));
  }

  std::optional<std::string> string(const nlohmann::json& j, std::string_view path) {
    if (!expect(j.is_string(), path, "not a string")) return std::nullopt;
    return j.get<std::string>();
  }

  /// A string read by `parse` (e.g. MacAddress::parse); `what` names the expected kind.
  template <class Parse>
  auto parsed(const nlohmann::json& j, std::string_view path, Parse parse, std::string_view what)
      -> decltype(parse(std::string_view{})) {
    auto s = string(j, path);
    if (!s) return std::nullopt;
    auto value = parse(*s);
    if (!value) error(path, fmt::format("not {}", what));
    return value;
  }
  /// The same, for the member `key` of `object`, which must be there.
  template <class Parse>
  auto parsed(const nlohmann::json& object, std::string_view path, std::string_view key, Parse parse,
              std::string_view what) -> decltype(parse(std::string_view{})) {
    const nlohmann::json* j = required(object, path, key);
    if (j == nullptr) return std::nullopt;
    return parsed(*j, member(path, key), parse, what);
  }

 private:
  bool expect(bool holds, std::string_view path, std::string_view reason) {
    if (!holds) error(path, reason);
    return holds;
  }

  std::vector<std::string> errors_;
};

}  // namespace vmnmob::mobility::detail
