// HTTP session: request parsing with limits, routing, keep-alive, WebSocket upgrade.
#include "net/http_session.hpp"

#include "net/ws_session.hpp"
#include "runtime/log.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

namespace aia::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

std::chrono::milliseconds seconds(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

/// A header field's value as a std::string_view (Beast's string_view is Boost's).
std::string_view field_of(const http::request<http::string_body>& req, http::field f) {
  auto v = req[f];
  return {v.data(), v.size()};
}

} // namespace

template <class Stream>
http_session<Stream>::http_session(Stream&& stream, detail::gateway_context& ctx,
                                   detail::address_slot slot, std::optional<http_reply> refusal,
                                   bool operator_port)
  : stream_(std::move(stream)), ctx_(ctx), slot_(std::move(slot)), refusal_(std::move(refusal)),
    operator_port_(operator_port) {}

template <class Stream>
void http_session<Stream>::run() {
  boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (detail::is_tls<Stream>) {
      beast::get_lowest_layer(self->stream_).expires_after(seconds(self->ctx_.opt.idle_timeout));
      self->stream_.async_handshake(
        boost::asio::ssl::stream_base::server,
        beast::bind_front_handler(&http_session::on_handshake, self));
    } else {
      self->do_read();
    }
  });
}

template <class Stream>
void http_session<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    // A client without TLS, an older protocol than tls.min_version, or a bad certificate chain.
    log::debug("tls.handshake_failed", {{"reason", ec.message()}});
    return;
  }
  do_read();
}

// Wait for the next request, with fresh limits and the idle timeout.
template <class Stream>
void http_session<Stream>::do_read() {
  parser_.emplace();
  parser_->body_limit(ctx_.opt.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.opt.max_header_bytes));
  // One deadline for the wait and the whole request: a client dribbling bytes is cut off too.
  beast::get_lowest_layer(stream_).expires_after(seconds(ctx_.opt.idle_timeout));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
}

// A request arrived: upgrade, route, or refuse it.
template <class Stream>
void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout
      || ec == boost::asio::error::operation_aborted || ec == boost::asio::error::eof
      || ec == boost::asio::error::connection_reset
      || ec == boost::asio::ssl::error::stream_truncated) {
    return do_close();
  }
  if (refusal_) {
    route_ = "other";
    return reply(std::move(*refusal_), true);
  }
  if (ec == http::error::body_limit) {
    route_ = "other";
    return reply(error_reply(413, {"payload_too_large", "the body exceeds "
                                     + std::to_string(ctx_.opt.max_body_bytes) + " bytes", ""}),
                 true);
  }
  if (ec == http::error::header_limit) {
    route_ = "other";
    return reply(error_reply(431, {"invalid_request", "request headers too large", ""}), true);
  }
  if (ec) {
    route_ = "other";
    return reply(error_reply(400, {"invalid_request", "malformed HTTP request", ""}), true);
  }
  auto& req = parser_->get();
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  head_ = req.method() == http::verb::head;
  auto target = std::string{req.target()};
  route_ = std::string{router::route_of(target)};
  if (websocket::is_upgrade(req) && route_ == "/ws" && !operator_port_) {
    auto user = ws_user_of(target);
    if (!is_valid_user_id(user)) {
      return reply(invalid_user_id(), true);
    }
    if (ctx_.shutting_down) {
      return reply(error_reply(503, {"overloaded", "the node is shutting down", ""}), true);
    }
    // Browsers cannot set headers on a WebSocket: the token may also come as the subprotocols
    // "bearer, <token>" (answered with "bearer") or as ?token=<token>.
    auto token = auth::bearer_token(field_of(req, http::field::authorization));
    bool as_subprotocol = false;
    if (!token) {
      token = auth::subprotocol_token(field_of(req, http::field::sec_websocket_protocol));
      as_subprotocol = token.has_value();
    }
    if (!token) {
      token = auth::query_token(target);
    }
    auto who = ctx_.routes.authorize_socket(token.value_or(std::string_view{}), user, slot_.address());
    if (auto* refused = std::get_if<http_reply>(&who)) {
      return reply(std::move(*refused), true);
    }
    ctx_.routes.count("/ws", http_reply{101, "", "", {}});
    beast::get_lowest_layer(stream_).expires_never();
    auto valid_until = std::get<auth::principal>(who).valid_until;
    std::make_shared<ws_session<Stream>>(std::move(stream_), ctx_, std::move(user),
                                         std::move(slot_), valid_until)
      ->run(parser_->release(), as_subprotocol);
    return;
  }
  // Count first, then look at the flag: the stopping thread sets the flag, then waits for the
  // count, so a request is either refused here or waited for there, never lost in between.
  ++ctx_.inflight;
  if (ctx_.shutting_down) {
    --ctx_.inflight;
    return reply(error_reply(503, {"overloaded", "the node is shutting down", ""}), true);
  }
  counted_ = true;
  auto method = std::string{req.method_string()};
  auto authorization = std::string{field_of(req, http::field::authorization)};
  ctx_.routes.handle(method, target, {authorization, slot_.address(), operator_port_},
                     std::move(req.body()),
                     [self = this->shared_from_this()](http_reply r) {
                       // Routing may answer on an actor thread: back to our strand.
                       boost::asio::post(self->stream_.get_executor(),
                                         [self, r = std::move(r)]() mutable {
                                           self->reply(std::move(r), !self->keep_alive_);
                                         });
                     });
}

template <class Stream>
void http_session<Stream>::reply(http_reply r, bool close_after) {
  ctx_.routes.count(route_, r);
  res_ = {};
  res_.version(version_);
  res_.result(static_cast<http::status>(r.status));
  res_.set(http::field::server, "aia-node");
  res_.set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) {
    res_.set(k, v);
  }
  res_.keep_alive(!close_after);
  res_.body() = std::move(r.body);
  res_.prepare_payload();
  if (head_) {
    res_.body().clear();  // HEAD: the GET's headers, Content-Length included, and no body
  }
  http::async_write(stream_, res_,
                    beast::bind_front_handler(&http_session::on_write, this->shared_from_this(),
                                              close_after));
}

// The reply is written: read the next request or close.
template <class Stream>
void http_session<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
  if (counted_) {
    counted_ = false;
    --ctx_.inflight;
  }
  if (ec) {
    log::debug("http.write_failed", {{"reason", ec.message()}});
    return do_close();
  }
  if (close) {
    return do_close();
  }
  do_read();
}

template <class Stream>
void http_session<Stream>::do_close() {
  if constexpr (detail::is_tls<Stream>) {
    // close_notify, then the socket closes with the session; a peer that never answers is cut
    // off by the deadline.
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    beast::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }
}

template class http_session<detail::plain_stream>;
template class http_session<detail::tls_stream>;

} // namespace aia::net
