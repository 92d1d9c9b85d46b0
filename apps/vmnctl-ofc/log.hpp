// One line per event that matters: human-readable text by default, JSON lines on request.
//
// Lines a peer can cause at will (a refused switch, an address conflict, dropped packet-ins...)
// go through log_limited: per kind (the event name), the first `lines_per_second` lines of each
// second are written, the rest counted, and one summary line per kind and second says how many
// were left out ("log-suppressed", with the exact count), so a flood cannot fill the disk.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config.hpp"

namespace vmnctl {

class Logger {
 public:
  using Clock = std::chrono::steady_clock;

  Logger(LogLevel level, LogFormat format, std::FILE* out = stderr) : level_(level), format_(format), out_(out) {}

  void set_level(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const { return level >= level_; }
  /// 0: no limit.
  void set_lines_per_second(std::uint32_t n) { lines_per_second_ = n; }

  /// `event` is a short stable name ("switch-up", "migrated", ...); `text` the readable line;
  /// `fields` the same facts as JSON (used only in JSON format).
  void log(LogLevel level, std::string_view event, std::string_view text, const nlohmann::json& fields = {});
  /// The same, within the per-kind rate (see the header comment).
  void log_limited(LogLevel level, std::string_view event, std::string_view text, const nlohmann::json& fields = {});
  /// Writes the summary of every kind whose second is over; call about once a second.
  void flush_suppressed();

 private:
  struct Window {
    Clock::time_point start{};
    std::uint32_t written = 0;
    std::uint64_t suppressed = 0;
    LogLevel level = LogLevel::Info;
  };
  void summarize(const std::string& event, Window& w, Clock::time_point now);

  LogLevel level_;
  LogFormat format_;
  std::FILE* out_;
  std::uint32_t lines_per_second_ = 10;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace vmnctl
