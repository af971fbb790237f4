// Test harness: Beast HTTP/1.1 client; each operation is an async step run to completion on a
// private io_context, so every one has a timeout.
#include "tests/support/http_client.hpp"

#include "tests/support/detail/beast_http.hpp"
#include "tests/support/tokens.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace aia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x))
                  == std::tolower(static_cast<unsigned char>(y));
         });
}

[[noreturn]] void fail(const beast::error_code& ec, const char* where) {
  throw std::runtime_error(std::string{"http client: "} + where + ": " + ec.message());
}

} // namespace

std::string http_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

bool http_response::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [name](const auto& kv) { return iequals(kv.first, name); });
}

struct http_connection::impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{};

  /// Starts one async operation with the timeout armed and runs it to completion.
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    stream.expires_after(timeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  http_response read_response(bool head) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} << 20);
    parser.skip(head);
    auto ec = run([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
    if (ec) {
      fail(ec, "read response");
    }
    return detail::to_response(parser.release());
  }
};

http_connection::http_connection(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.port = port;
  d.timeout = timeout;
  tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
  auto ec = d.run([&](auto handler) { d.stream.async_connect(ep, handler); });
  if (ec) {
    fail(ec, "connect");
  }
  d.stream.socket().set_option(tcp::no_delay(true));
}

http_connection::~http_connection() {
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->stream.socket().close(ec);
}

http_response http_connection::request(std::string_view method, std::string_view target,
                                       std::string body, const header_list& headers) {
  auto& d = *impl_;
  auto req = detail::make_request(method, target, d.port, std::move(body), headers);
  auto ec = d.run([&](auto handler) { http::async_write(d.stream, req, handler); });
  if (ec) {
    fail(ec, "write request");
  }
  return d.read_response(method == "HEAD");
}

http_response http_connection::send_raw(std::string_view bytes) {
  write_raw(bytes);
  return impl_->read_response(false);
}

void http_connection::write_raw(std::string_view bytes) {
  auto& d = *impl_;
  auto ec = d.run([&](auto handler) {
    asio::async_write(d.stream, asio::buffer(bytes.data(), bytes.size()), handler);
  });
  if (ec) {
    fail(ec, "write raw bytes");
  }
}

http_response http_connection::read_response() {
  return impl_->read_response(false);
}

bool http_connection::closed_by_server(std::chrono::milliseconds wait) {
  auto& d = *impl_;
  if (d.buffer.size() > 0) {
    return false; // the server sent more than we read
  }
  char byte = 0;
  auto saved = d.timeout;
  d.timeout = wait;
  auto ec = d.run([&](auto handler) { d.stream.async_read_some(asio::buffer(&byte, 1), handler); });
  d.timeout = saved;
  return ec == asio::error::eof || ec == asio::error::connection_reset
         || ec == asio::error::broken_pipe;
}

std::uint16_t http_connection::local_port() const {
  return impl_->stream.socket().local_endpoint().port();
}

http_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                           std::string body, const header_list& headers) {
  http_connection c{port};
  return c.request(method, target, std::move(body), headers);
}

namespace detail {

http::request<http::string_body> make_request(std::string_view method, std::string_view target,
                                              std::uint16_t port, std::string body,
                                              const header_list& headers) {
  http::request<http::string_body> req;
  req.method_string(beast::string_view{method.data(), method.size()});
  req.target(beast::string_view{target.data(), target.size()});
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "aia-test-client");
  bool has_type = std::any_of(headers.begin(), headers.end(),
                              [](const auto& kv) { return iequals(kv.first, "Content-Type"); });
  if (!body.empty() && !has_type) {
    req.set(http::field::content_type, "application/json");
  }
  // The admin token by default; a test's own Authorization replaces it, an empty one removes it.
  req.set(http::field::authorization, "Bearer " + admin_token());
  for (const auto& [k, v] : headers) {
    req.set(k, v);
  }
  if (req[http::field::authorization].empty()) {
    req.erase(http::field::authorization);
  }
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

http_response to_response(http::response<http::string_body>&& res) {
  http_response out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    out.headers.emplace_back(std::string{f.name_string()}, std::string{f.value()});
  }
  out.body = std::move(res.body());
  out.keep_alive = res.keep_alive();
  return out;
}

} // namespace detail

} // namespace aia::test
