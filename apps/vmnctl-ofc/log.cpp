#include "log.hpp"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace vmnctl {

namespace {
std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}
}  // namespace

void Logger::log(LogLevel level, std::string_view event, std::string_view text, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::system_clock::now();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  const std::string ts = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), us);
  std::string line;
  if (format_ == LogFormat::Json) {
    nlohmann::json j = fields.is_object() ? fields : nlohmann::json::object();
    j["ts"] = ts;
    j["level"] = level_name(level);
    j["event"] = event;
    j["msg"] = text;
    line = j.dump();
  } else {
    line = fmt::format("{} {:<5} {}", ts, level_name(level), text);
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace vmnctl
