// TLS for the OpenFlow channel: building the Asio SSL contexts from ManagerOptions::tls and
// describing a peer's certificate. Private to the connection part.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/connection/switch_manager.hpp"

typedef struct ssl_st SSL;

namespace vmnmob::connection::detail {

/// Both ends of the channel get the same policy: TLS 1.2 or newer, our certificate and key,
/// peers verified against the CA. As server (passive mode) a client certificate is required.
Expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_tls_context(const TlsOptions& tls,
                                                                                 bool server);

/// The verified peer certificate of an established TLS session, or nullopt if there is none.
std::optional<PeerCertificate> peer_certificate(SSL* ssl);

/// A TLS handshake error as text, with OpenSSL's reason where it has one.
std::string tls_error_text(const boost::system::error_code& ec);

}  // namespace vmnmob::connection::detail
