#include "vmnmob/northbound/router.hpp"

#include <fmt/format.h>

namespace vmnmob::northbound {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    std::size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

Response error_response(unsigned status, std::string_view code, std::string message) {
  Response r;
  r.status = status;
  r.body = {{"error", {{"code", code}, {"message", std::move(message)}}}};
  return r;
}

Expected<nlohmann::json, std::string> parse_json_body(std::string_view body) {
  // Not the OpenFlow wire path: nlohmann reports the position only through its exception,
  // which is caught here and turned into a value.
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return unexpected(fmt::format("invalid JSON at byte {}: {}", e.byte, e.what()));
  }
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back({std::move(method), split_path(pattern), std::move(handler)});
}

Response Router::dispatch(Request& request) const {
  const auto segments = split_path(request.path);
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      if (is_param(route.segments[i]))
        params.emplace_back(route.segments[i].substr(1, route.segments[i].size() - 2), segments[i]);
      else
        match = route.segments[i] == segments[i];
    }
    if (!match) continue;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    request.params = std::move(params);
    return route.handler(request);
  }
  if (allowed.empty()) return error_response(404, "not_found", fmt::format("no such resource: {}", request.path));
  auto r = error_response(405, "method_not_allowed",
                          fmt::format("{} does not take {}; allowed: {}", request.path, request.method,
                                      fmt::join(allowed, ", ")));
  r.headers.emplace_back("Allow", fmt::format("{}", fmt::join(allowed, ", ")));
  return r;
}

}  // namespace vmnmob::northbound
