// Test harness: a synchronous HTTP/1.1 client over Boost.Beast, with timeouts and raw bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aia::test {

/// Header fields, in order.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One HTTP response as received.
struct http_response {
  int status = 0;
  header_list headers;
  std::string body;
  bool keep_alive = false; ///< the server keeps the connection open after this response

  /// The value of header `name` (case-insensitive), or "" if absent.
  [[nodiscard]] std::string header(std::string_view name) const;
  /// True if header `name` is present (case-insensitive).
  [[nodiscard]] bool has_header(std::string_view name) const;
};

/// The API base path of PROTOCOL.md, for building targets.
inline constexpr std::string_view api = "/api/v1/ml-personalization";

/// One keep-alive connection to 127.0.0.1:port. Every operation waits at most `timeout` and throws
/// std::runtime_error on a network error or a timeout. Not thread-safe: one per thread.
class http_connection {
public:
  explicit http_connection(std::uint16_t port,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds{15000});
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  /// Sends one request and reads its response. A non-empty body gets `Content-Type:
  /// application/json` unless `headers` name another.
  http_response request(std::string_view method, std::string_view target, std::string body = {},
                        const header_list& headers = {});

  /// GET `target`.
  http_response get(std::string_view target) { return request("GET", target); }

  /// POST `body` to `target`.
  http_response post(std::string_view target, std::string body) {
    return request("POST", target, std::move(body));
  }

  /// Writes `bytes` as they are (e.g. a malformed request line) and reads one response.
  http_response send_raw(std::string_view bytes);

  /// Writes `bytes` as they are and reads nothing (e.g. part of a request).
  void write_raw(std::string_view bytes);

  /// Reads one more response (e.g. the second of two pipelined requests).
  http_response read_response();

  /// True if the server closes the connection within `wait` (end of stream or reset). The
  /// connection is unusable afterwards either way.
  bool closed_by_server(std::chrono::milliseconds wait = std::chrono::milliseconds{5000});

  /// The local port of this connection, to tell connections apart.
  [[nodiscard]] std::uint16_t local_port() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One request on a fresh connection.
http_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                           std::string body = {}, const header_list& headers = {});

} // namespace aia::test
