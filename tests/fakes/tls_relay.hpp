// TLS for the scripted fake switch: a relay thread that speaks TLS (OpenSSL, independent of
// the library's Asio SSL) on one side and plain bytes to a FakeSwitch on the other, so every
// script written for FakeSwitch runs over TLS unchanged:
//
//   auto relay = TlsRelay::connect(port, {pki + "/switch-a.pem", pki + "/switch-a.key", pki + "/ca.pem"});
//   REQUIRE(relay->handshake_ok());
//   REQUIRE(relay->fake().handshake(0xa1));
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "fakes/fake_switch.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace vmnmob::testing {

struct TlsClientOptions {
  std::string certificate;  // empty: present no certificate
  std::string private_key;
  std::string ca_certificate;  // empty: do not verify the controller
  int max_version = 0;         // e.g. TLS1_1_VERSION to offer only an old version; 0: default
};

class TlsRelay {
 public:
  /// TLS client to 127.0.0.1:port (a controller listening with ssl:).
  static std::unique_ptr<TlsRelay> connect(std::uint16_t port, const TlsClientOptions& options);
  /// TLS server on an accepted socket (a controller in active mode connecting to us).
  static std::unique_ptr<TlsRelay> serve(int fd, const TlsClientOptions& options);
  ~TlsRelay();
  TlsRelay(const TlsRelay&) = delete;
  TlsRelay& operator=(const TlsRelay&) = delete;

  /// Whether our side of the TLS handshake succeeded (with TLS 1.3 the server may still
  /// refuse our certificate after that: the fake then sees the connection close).
  bool handshake_ok() const { return handshake_ok_; }
  const std::string& error() const { return error_; }
  /// The switch script's end of the relay.
  FakeSwitch& fake() { return *fake_; }

 private:
  TlsRelay() = default;
  void start(int fd, bool server, const TlsClientOptions& options);
  void pump();

  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int tcp_fd_ = -1;
  int inner_fd_ = -1;  // our end of the socketpair; the other end is fake_'s
  std::unique_ptr<FakeSwitch> fake_;
  bool handshake_ok_ = false;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace vmnmob::testing
