// Test harness: HTTPS and WSS over Beast's ssl_stream; each step is an async operation run to
// completion on a private io_context under a deadline.
#include "tests/support/tls_client.hpp"

#include "tests/support/command.hpp"
#include "tests/support/detail/beast_http.hpp"
#include "tests/support/tokens.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

namespace aia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

test_certificate make_test_certificate(const std::filesystem::path& dir) {
  test_certificate c{dir / "cert.pem", dir / "key.pem"};
  auto r = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                       "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "
                       + quoted(c.key_file.string()) + " -out " + quoted(c.cert_file.string()));
  INFO(r.output);
  REQUIRE(r.status == 0);
  return c;
}

struct tls_connection::impl {
  asio::io_context ioc;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws{ioc, tls};
  beast::flat_buffer buffer;
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{};

  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(ws); }
  beast::ssl_stream<beast::tcp_stream>& tls_layer() { return ws.next_layer(); }

  /// Starts one async operation under the deadline and runs it to completion.
  template <class Start>
  beast::error_code run(Start start, std::chrono::milliseconds limit) {
    beast::error_code result = asio::error::would_block;
    tcp_layer().expires_after(limit);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
  template <class Start>
  void must(Start start, const char* what) {
    if (auto ec = run(start, timeout)) {
      throw std::runtime_error(std::string{"tls client: "} + what + ": " + ec.message());
    }
  }
};

tls_connection::tls_connection(std::uint16_t port, const std::filesystem::path& ca_file,
                               std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.port = port;
  d.timeout = timeout;
  d.tls.load_verify_file(ca_file.string());
  d.tls.set_verify_mode(asio::ssl::verify_peer);
  auto& stream = d.tls_layer();
  // Verify the certificate names the address we connect to.
  SSL_set1_host(stream.native_handle(), "127.0.0.1");
  tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
  d.must([&](auto h) { d.tcp_layer().async_connect(ep, h); }, "connect");
  d.must([&](auto h) { stream.async_handshake(asio::ssl::stream_base::client, h); }, "handshake");
}

tls_connection::~tls_connection() {
  beast::error_code ec;
  impl_->tcp_layer().socket().close(ec);
}

std::string tls_connection::protocol() const {
  return SSL_get_version(impl_->ws.next_layer().native_handle());
}

http_response tls_connection::request(std::string_view method, std::string_view target,
                                      std::string body, const header_list& headers) {
  auto& d = *impl_;
  auto req = detail::make_request(method, target, d.port, std::move(body), headers);
  d.must([&](auto h) { http::async_write(d.tls_layer(), req, h); }, "write request");
  http::response_parser<http::string_body> parser;
  parser.skip(method == "HEAD");
  d.must([&](auto h) { http::async_read(d.tls_layer(), d.buffer, parser, h); }, "read response");
  return detail::to_response(parser.release());
}

bool tls_connection::upgrade(std::string_view target) {
  auto& d = *impl_;
  d.ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(http::field::authorization, "Bearer " + admin_token());
  }));
  websocket::response_type res;
  auto host = "127.0.0.1:" + std::to_string(d.port);
  auto ec = d.run([&](auto h) { d.ws.async_handshake(res, host, beast::string_view{target.data(), target.size()}, h); }, d.timeout);
  return !ec && res.result_int() == 101;
}

void tls_connection::send_text(std::string_view text) {
  auto& d = *impl_;
  d.ws.text(true);
  d.must([&](auto h) { d.ws.async_write(asio::buffer(text.data(), text.size()), h); }, "send");
}

std::optional<std::string> tls_connection::read(std::chrono::milliseconds wait) {
  auto& d = *impl_;
  if (d.run([&](auto h) { d.ws.async_read(d.buffer, h); }, wait)) {
    return std::nullopt;
  }
  auto text = beast::buffers_to_string(d.buffer.data());
  d.buffer.consume(d.buffer.size());
  return text;
}

} // namespace aia::test
