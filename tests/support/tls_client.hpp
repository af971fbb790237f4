// Test harness: an HTTPS / WSS client (Beast over OpenSSL) that verifies the node's certificate.
#pragma once

#include "tests/support/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aia::test {

/// A self-signed P-256 certificate for 127.0.0.1 and its key, made by the `openssl` command.
struct test_certificate {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
};

/// Writes a fresh certificate and key into `dir` (fails the test if openssl cannot).
[[nodiscard]] test_certificate make_test_certificate(const std::filesystem::path& dir);

/// One TLS connection to 127.0.0.1:port, trusting only `ca_file`, on which HTTP requests can be
/// sent and which can then be upgraded to a WebSocket. Every step waits at most `timeout` and
/// throws std::runtime_error on failure (a failed handshake included). Requests carry the admin
/// token unless `headers` give another Authorization (an empty one removes it).
class tls_connection {
public:
  tls_connection(std::uint16_t port, const std::filesystem::path& ca_file,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds{15000});
  ~tls_connection();
  tls_connection(const tls_connection&) = delete;
  tls_connection& operator=(const tls_connection&) = delete;

  /// The negotiated protocol, e.g. "TLSv1.3".
  [[nodiscard]] std::string protocol() const;

  http_response request(std::string_view method, std::string_view target, std::string body = {},
                        const header_list& headers = {});

  /// Upgrades to a WebSocket on `target`; true on 101.
  bool upgrade(std::string_view target);
  void send_text(std::string_view text);
  /// The next message, or nullopt if none arrives within `wait`.
  std::optional<std::string> read(std::chrono::milliseconds wait);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia::test
