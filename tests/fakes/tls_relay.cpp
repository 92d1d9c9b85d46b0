#include "fakes/tls_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace vmnmob::testing {

namespace {
std::string last_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "TLS handshake failed";
  std::array<char, 256> text{};
  ERR_error_string_n(e, text.data(), text.size());
  return text.data();
}
}  // namespace

std::unique_ptr<TlsRelay> TlsRelay::connect(std::uint16_t port, const TlsClientOptions& options) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<TlsRelay> relay(new TlsRelay());
  relay->start(fd, false, options);
  return relay;
}

std::unique_ptr<TlsRelay> TlsRelay::serve(int fd, const TlsClientOptions& options) {
  std::unique_ptr<TlsRelay> relay(new TlsRelay());
  relay->start(fd, true, options);
  return relay;
}

void TlsRelay::start(int fd, bool server, const TlsClientOptions& options) {
  tcp_fd_ = fd;
  int pair[2] = {-1, -1};
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  inner_fd_ = pair[0];
  fake_ = std::make_unique<FakeSwitch>(pair[1]);

  context_ = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (options.max_version != 0) {
    // Old versions need the lowest security level in OpenSSL 3 to be offered at all.
    SSL_CTX_set_security_level(context_, 0);
    SSL_CTX_set_cipher_list(context_, "DEFAULT:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(context_, 0);
    SSL_CTX_set_max_proto_version(context_, options.max_version);
  }
  if (!options.certificate.empty()) {
    SSL_CTX_use_certificate_chain_file(context_, options.certificate.c_str());
    SSL_CTX_use_PrivateKey_file(context_, options.private_key.c_str(), SSL_FILETYPE_PEM);
  }
  if (!options.ca_certificate.empty()) {
    SSL_CTX_load_verify_locations(context_, options.ca_certificate.c_str(), nullptr);
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(context_);
  SSL_set_fd(ssl_, tcp_fd_);
  int rc = server ? SSL_accept(ssl_) : SSL_connect(ssl_);
  handshake_ok_ = rc == 1;
  if (!handshake_ok_) {
    error_ = last_error();
    ::shutdown(inner_fd_, SHUT_RDWR);  // the fake sees the connection close
    return;
  }
  thread_ = std::thread([this] { pump(); });
}

void TlsRelay::pump() {
  std::array<char, 16384> buffer{};
  while (!stop_.load()) {
    std::array<pollfd, 2> fds{pollfd{tcp_fd_, POLLIN, 0}, pollfd{inner_fd_, POLLIN, 0}};
    if (SSL_pending(ssl_) == 0 && ::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (SSL_pending(ssl_) > 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
      if (n <= 0) break;
      if (::send(inner_fd_, buffer.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(inner_fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      if (SSL_write(ssl_, buffer.data(), static_cast<int>(n)) != n) break;
    }
  }
  ::shutdown(inner_fd_, SHUT_RDWR);
  ::shutdown(tcp_fd_, SHUT_RDWR);
}

TlsRelay::~TlsRelay() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  fake_.reset();
  if (ssl_) SSL_free(ssl_);
  if (context_) SSL_CTX_free(context_);
  if (tcp_fd_ >= 0) ::close(tcp_fd_);
  if (inner_fd_ >= 0) ::close(inner_fd_);
}

}  // namespace vmnmob::testing
