// One HTTP/1.1 keep-alive connection: reads requests, routes them, upgrades WebSockets.
#pragma once

#include "net/detail/context.hpp"
#include "net/detail/streams.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>

namespace aia::net {

/// An HTTP connection over plain TCP or TLS (`Stream` is detail::plain_stream or
/// detail::tls_stream). Requests are answered one at a time, in order; a WebSocket upgrade on
/// `/ws/{user}` hands the stream to a ws_session.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  /// `slot` holds the connection's place in its address's count. With `refusal`, the first
  /// request is answered with it and the connection closed (an address over its limit, or not
  /// allowed by the IP policy): the client learns why instead of seeing a bare reset.
  /// `operator_port`: the connection came in on the operator listener (metrics only).
  http_session(Stream&& stream, detail::gateway_context& ctx, detail::address_slot slot,
               std::optional<http_reply> refusal, bool operator_port);

  /// Starts on the connection's strand: the TLS handshake if any, then the first read.
  void run();

private:
  void on_handshake(boost::beast::error_code ec);            // TLS handshake done
  void do_read();                                            // wait for the next request
  void on_read(boost::beast::error_code ec, std::size_t n);  // a request (or an error) arrived
  void reply(http_reply r, bool close_after);                // on the strand
  void on_write(bool close, boost::beast::error_code ec, std::size_t n); // reply written
  void do_close();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  detail::gateway_context& ctx_;
  detail::address_slot slot_;
  std::optional<http_reply> refusal_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> res_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool counted_ = false;  ///< this request is in ctx_.inflight until its reply is written
  bool operator_port_ = false;
  std::string route_;
};

} // namespace aia::net
