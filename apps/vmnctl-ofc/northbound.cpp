#include "northbound.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app.hpp"
#include "log.hpp"

namespace vmnctl {

using nlohmann::json;

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

/// The configuration as it runs: the file last applied, with what the command line
/// overrides and what a reload changed, and the API's token redacted.
json running_config(const ControllerConfig& c) {
  json doc = c.document ? *c.document : json::object();
  if (doc.contains("northbound") && doc["northbound"].is_object() && doc["northbound"].contains("token"))
    doc["northbound"]["token"] = "<redacted>";
  if (!c.listen.host.empty()) doc["openflow"]["listen"] = c.listen.to_string();
  doc["log"]["level"] = level_name(c.log_level);
  doc["log"]["format"] = c.log_format == LogFormat::Json ? "json" : "text";
  return doc;
}

}  // namespace

Northbound::Northbound(boost::asio::io_context& io, App& app, const NorthboundConfig& config, Logger& log,
                       std::function<vmnmob::northbound::ReloadResult()> reload)
    : app_(app), config_(config), log_(log) {
  vmnmob::northbound::ApiOptions options;
  const auto& c = app.config();
  for (std::size_t i = 0; i < c.mobility.sites.size(); ++i)
    options.site_names[c.mobility.sites[i].datapath_id] = c.site_names[i];
  options.config = [&app] { return running_config(app.config()); };
  options.reload = std::move(reload);
  vmnmob::northbound::ServerOptions server;
  server.token = config.token;
  api_ = std::make_unique<vmnmob::northbound::Api>(io, app.controller(), std::move(options), std::move(server));
  app.add_observer(*api_);
}

Northbound::~Northbound() {
  // The App (and its controller) outlive this: they must not call the API once it is gone.
  app_.remove_observer(*api_);
}

vmnmob::Expected<void, std::string> Northbound::start() {
  auto port = api_->listen(config_.host, config_.port);
  if (!port) return vmnmob::unexpected(fmt::format("northbound.listen {}:{}: {}", config_.host, config_.port, port.error()));
  log_.log(LogLevel::Info, "northbound-listening",
           fmt::format("northbound API on http://{}:{}{}", config_.host.find(':') != std::string::npos ? "[" + config_.host + "]" : config_.host,
                       *port, config_.token.empty() ? " (no token)" : " (bearer token required)"),
           {{"address", config_.host}, {"port", *port}});
  return {};
}

void Northbound::stop() { api_->stop(); }

}  // namespace vmnctl
