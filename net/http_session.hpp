// One HTTP/1.1 keep-alive connection: reads requests, routes them, upgrades WebSockets.
#pragma once

#include "net/detail/context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>

namespace aia::net {

/// An HTTP connection. Requests are answered one at a time, in order; a WebSocket upgrade on
/// `/ws/{user}` hands the socket to a ws_session.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(boost::asio::ip::tcp::socket&& socket, detail::gateway_context& ctx);

  /// Starts reading on the connection's strand.
  void run();

private:
  void do_read();                                            // wait for the next request
  void on_read(boost::beast::error_code ec, std::size_t n);  // a request (or an error) arrived
  void reply(http_reply r, bool close_after);                // on the strand
  void on_write(bool close, boost::beast::error_code ec, std::size_t n); // reply written
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  detail::gateway_context& ctx_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool counted_ = false;  ///< this request is in ctx_.inflight until its reply is written
  std::string route_;
  std::string address_;   ///< the client's IP address, for per-address limits
};

} // namespace aia::net
