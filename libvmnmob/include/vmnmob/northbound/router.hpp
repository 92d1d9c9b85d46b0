// The northbound API's routing: method + path pattern ("/v1/vmns/{mac}") -> a handler that
// returns a JSON response. No I/O: the HTTP server (server.hpp) parses a request, asks the
// router and writes what it answers, so every route is testable as a function.
//
// Errors are JSON with a stable code, e.g. {"error": {"code": "not_found", "message": "..."}}:
// not_found (404), method_not_allowed (405, with Allow), bad_request (400), unauthorized (401),
// body_too_large (413), not_ready (503), reload_refused (409).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "vmnmob/base/expected.hpp"

namespace vmnmob::northbound {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query
  std::string query;   // after '?', undecoded
  std::string body;
  /// The {name} segments of the matched pattern, in pattern order.
  std::vector<std::pair<std::string, std::string>> params;
  std::string_view param(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  nlohmann::json body = nlohmann::json::object();
  std::vector<std::pair<std::string, std::string>> headers;
  /// GET /v1/events: the server answers with text/event-stream and keeps the connection as an
  /// event client (Server::publish) instead of writing `body`.
  bool event_stream = false;
};

/// {"error": {"code": code, "message": message}} with that status.
Response error_response(unsigned status, std::string_view code, std::string message);

/// A request body as JSON; the error names the problem and its byte offset.
Expected<nlohmann::json, std::string> parse_json_body(std::string_view body);

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  /// `pattern`: "/"-separated segments, a segment "{name}" matches any one non-empty segment.
  void add(std::string method, std::string pattern, Handler handler);
  /// The handler of the first route whose pattern and method match; 404 when no pattern
  /// matches, 405 with Allow when patterns match but not the method (HEAD is not served).
  Response dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace vmnmob::northbound
