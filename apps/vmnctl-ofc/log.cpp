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

void Logger::log_limited(LogLevel level, std::string_view event, std::string_view text, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  if (lines_per_second_ == 0) return log(level, event, text, fields);
  const auto now = Clock::now();
  auto it = windows_.find(event);
  if (it == windows_.end()) it = windows_.emplace(std::string(event), Window{now, 0, 0, level}).first;
  Window& w = it->second;
  if (now - w.start >= std::chrono::seconds(1)) summarize(it->first, w, now);
  w.level = level;
  if (w.written < lines_per_second_) {
    ++w.written;
    return log(level, event, text, fields);
  }
  ++w.suppressed;
}

void Logger::summarize(const std::string& event, Window& w, Clock::time_point now) {
  if (w.suppressed > 0) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - w.start).count();
    log(w.level, "log-suppressed",
        fmt::format("{} more {} lines suppressed in the last {} ms (at most {} a second)", w.suppressed, event, ms,
                    lines_per_second_),
        {{"kind", event}, {"suppressed", w.suppressed}, {"ms", ms}});
  }
  w.start = now;
  w.written = 0;
  w.suppressed = 0;
}

void Logger::flush_suppressed() {
  const auto now = Clock::now();
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.start < std::chrono::seconds(1)) {
      ++it;
      continue;
    }
    summarize(it->first, it->second, now);
    it = windows_.erase(it);  // a quiet kind starts afresh next time
  }
}

}  // namespace vmnctl
