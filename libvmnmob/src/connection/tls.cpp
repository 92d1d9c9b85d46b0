#include "connection/detail/tls.hpp"

#include <array>
#include <cstdio>
#include <fstream>

#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace vmnmob::connection {

std::string_view to_string(Transport transport) {
  return transport == Transport::Tls ? "ssl" : "tcp";
}

Expected<void, std::string> check_tls(const TlsOptions& tls) {
  for (bool server : {true, false})
    if (auto context = detail::make_tls_context(tls, server); !context) return unexpected(context.error());
  return {};
}

namespace detail {

namespace ssl = boost::asio::ssl;

namespace {

std::string file_error(const std::string& field, const std::string& path, const boost::system::error_code& ec) {
  // OpenSSL says "system lib" for a missing file; say what the operator must fix.
  if (!std::ifstream(path)) return field + ": " + path + ": cannot open";
  return field + ": " + path + ": " + ec.message();
}

}  // namespace

Expected<std::shared_ptr<ssl::context>, std::string> make_tls_context(const TlsOptions& tls, bool server) {
  auto context = std::make_shared<ssl::context>(server ? ssl::context::tls_server : ssl::context::tls_client);
  boost::system::error_code ec;
  if (tls.certificate.empty()) return unexpected(std::string("certificate: is required"));
  if (tls.private_key.empty()) return unexpected(std::string("private_key: is required"));
  if (tls.ca_certificate.empty()) return unexpected(std::string("ca_certificate: is required"));
  // TLS 1.2 or newer only; no compression, no renegotiation by the peer.
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1)
    return unexpected(std::string("cannot require TLS 1.2"));
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       SSL_OP_NO_RENEGOTIATION, ec);
  context->use_certificate_chain_file(tls.certificate, ec);
  if (ec) return unexpected(file_error("certificate", tls.certificate, ec));
  context->use_private_key_file(tls.private_key, ssl::context::pem, ec);
  if (ec) return unexpected(file_error("private_key", tls.private_key, ec));
  if (SSL_CTX_check_private_key(native) != 1)
    return unexpected("private_key: " + tls.private_key + ": does not match the certificate");
  context->load_verify_file(tls.ca_certificate, ec);
  if (ec) return unexpected(file_error("ca_certificate", tls.ca_certificate, ec));
  ssl::verify_mode mode = ssl::verify_peer;
  if (server) mode |= ssl::verify_fail_if_no_peer_cert;
  context->set_verify_mode(mode, ec);
  if (ec) return unexpected("ca_certificate: " + ec.message());
  return context;
}

std::optional<PeerCertificate> peer_certificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  PeerCertificate out;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &length) == 1) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned int i = 0; i < length; ++i) {
      if (i > 0) out.sha256_fingerprint += ':';
      out.sha256_fingerprint += kHex[digest[i] >> 4];
      out.sha256_fingerprint += kHex[digest[i] & 0xf];
    }
  }
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    // RFC 2253 order and escaping, UTF-8 kept as is.
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    if (size > 0) out.subject.assign(data, static_cast<std::size_t>(size));
    BIO_free(bio);
  }
  X509_free(cert);
  return out;
}

std::string tls_error_text(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value())))
      text = reason;
  }
  if (ec == boost::asio::ssl::error::stream_truncated) text = "the peer closed during the TLS handshake";
  if (ec == boost::asio::error::eof) text = "the peer closed during the TLS handshake";
  return text;
}

}  // namespace detail
}  // namespace vmnmob::connection
