// One line per event that matters: human-readable text by default, JSON lines on request.
#pragma once

#include <cstdio>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config.hpp"

namespace vmnctl {

class Logger {
 public:
  Logger(LogLevel level, LogFormat format, std::FILE* out = stderr) : level_(level), format_(format), out_(out) {}

  void set_level(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const { return level >= level_; }

  /// `event` is a short stable name ("switch-up", "migrated", ...); `text` the readable line;
  /// `fields` the same facts as JSON (used only in JSON format).
  void log(LogLevel level, std::string_view event, std::string_view text, const nlohmann::json& fields = {});

 private:
  LogLevel level_;
  LogFormat format_;
  std::FILE* out_;
};

}  // namespace vmnctl
