// WebSocket session: interaction batches in, acks / state updates / recommendations out.
#include "net/ws_session.hpp"

#include "net/auth/authenticator.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/wall_clock.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>

namespace aia::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

} // namespace

template <class Stream>
ws_session<Stream>::ws_session(Stream&& stream, detail::gateway_context& ctx, std::string user,
                               detail::address_slot slot, double valid_until)
  : ws_(std::move(stream)), ctx_(ctx), user_(std::move(user)), slot_(std::move(slot)),
    valid_until_(valid_until) {
  if (ctx_.opt.ws_messages_per_minute > 0) {
    rate_.emplace(ctx_.opt.ws_messages_per_minute, runtime::wall_seconds());
  }
}

template <class Stream>
ws_session<Stream>::~ws_session() {
  if (counted_) {
    ctx_.ws_active.add(-1);
  }
  ctx_.inflight -= pending_batches_;  // answers that will never be written
}

template <class Stream>
void ws_session<Stream>::run(http::request<http::string_body> req, bool bearer_subprotocol) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  if (bearer_subprotocol) {
    // The client offered "bearer, <token>": a browser fails the handshake unless the server
    // selects one of the offered subprotocols.
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::sec_websocket_protocol, std::string{auth::bearer_subprotocol});
    }));
  }
  ws_.read_message_max(ctx_.opt.max_ws_message_bytes);
  ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, this->shared_from_this()));
}

// The upgrade is done: link to the user's session and start reading.
template <class Stream>
void ws_session<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    return fail(ec, "ws.accept");
  }
  counted_ = true;
  ctx_.ws_active.add(1);
  conn_ = ctx_.port.open(user_, this->weak_from_this());
  do_read();
}

// Wait for the next client message.
template <class Stream>
void ws_session<Stream>::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, this->shared_from_this()));
}

// One whole message arrived.
template <class Stream>
void ws_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    conn_.reset();  // unsubscribe at once
    if (ec == websocket::error::closed) {
      return;
    }
    return fail(ec, "ws.read");
  }
  if (!ws_.got_text()) {
    send({ws_error({"invalid_json", "binary frames are not supported; send JSON text", ""})});
    ++bad_in_a_row_;
  } else {
    auto data = buffer_.cdata();
    handle_message({static_cast<const char*>(data.data()), data.size()});
  }
  buffer_.consume(buffer_.size());
  if (bad_in_a_row_ >= ctx_.opt.ws_max_bad_messages) {
    return close(websocket::close_code::policy_error, "too many bad messages");
  }
  if (!closing_) {
    do_read();
  }
}

template <class Stream>
void ws_session<Stream>::handle_message(std::string_view text) {
  auto received = std::chrono::steady_clock::now().time_since_epoch().count();
  auto now = runtime::wall_seconds();  // one clock read for the expiry, the rate and the parse
  if (valid_until_ > 0 && now > valid_until_) {
    // The token that opened the socket has expired: no more work on it; reconnect with a new one.
    send({ws_error({"unauthorized", "the token has expired; reconnect with a fresh one", ""})});
    return close(websocket::close_code::policy_error, "token expired");
  }
  if (rate_) {
    if (auto wait = rate_->take(now); wait > 0) {
      // Refused unread; counted with the bad messages, so one that keeps on is closed (1008).
      ++bad_in_a_row_;
      ctx_.metrics.get_counter("errors_total", "Requests refused, by reason",
                               {{"reason", "rate_limited"}})
        .inc();
      return send({ws_error({"rate_limited", "over " + std::to_string(static_cast<long long>(
                                               ctx_.opt.ws_messages_per_minute))
                                               + " messages a minute; this one was dropped",
                             ""})});
    }
  }
  auto parsed = parse_ws_message(text, user_, ctx_.opt.limits, now);
  if (auto* err = std::get_if<wire_error>(&parsed)) {
    ++bad_in_a_row_;
    ctx_.metrics.get_counter("errors_total", "Requests refused, by reason", {{"reason", err->code}})
      .inc();
    return send({ws_error(*err)});
  }
  bad_in_a_row_ = 0;
  auto& msg = std::get<ws_inbound>(parsed);
  if (msg.type == ws_inbound::kind::ping) {
    return send({ws_pong()});
  }
  ++ctx_.inflight;  // before the flag: see http_session::on_read
  if (ctx_.shutting_down) {
    --ctx_.inflight;
    return send({ws_error({"overloaded", "the node is shutting down; resend elsewhere", ""})});
  }
  actors::interaction_batch b;
  b.user_id = user_;
  b.interactions = std::move(msg.interactions);
  b.client_id = std::move(msg.client_id);
  b.seq = msg.seq;
  b.received_ns = received;
  ++pending_batches_;
  conn_->submit(std::move(b));
}

// -- pushes from the actors (any thread) ------------------------------------------------------

template <class Stream>
void ws_session<Stream>::on_ack(const actors::batch_ack& ack) {
  post_frame(ws_ack(ack.client_id, ack.seq, ack.accepted, ack.duplicates), true);
}

template <class Stream>
void ws_session<Stream>::on_update(const actors::session_update& up, bool with_metrics) {
  // Serialised here, on the actor thread; one hand-over to the strand for all frames.
  std::vector<frame> frames;
  frames.push_back({ws_user_state_update(up.state)});
  if (up.recommendations_changed) {
    frames.push_back({ws_recommendations(up.recommendations)});
  }
  if (with_metrics) {
    frames.push_back({ws_performance_metrics(up.processing_ms, up.model_ms, up.queue_length)});
  }
  boost::asio::post(ws_.get_executor(),
                    [self = this->shared_from_this(), fs = std::move(frames)]() mutable {
                      for (auto& f : fs) {
                        self->send(std::move(f));
                      }
                    });
}

template <class Stream>
void ws_session<Stream>::on_error(const actors::port_error& err) {
  post_frame(ws_error({err.code, err.message, ""}), true);
}

template <class Stream>
void ws_session<Stream>::post_frame(std::string text, bool completes) {
  boost::asio::post(ws_.get_executor(),
                    [self = this->shared_from_this(), f = frame{std::move(text), completes}]() mutable {
                      self->send(std::move(f));
                    });
}

// -- writing (on the strand) -------------------------------------------------------------------

template <class Stream>
void ws_session<Stream>::send(frame f) {
  if (closing_) {
    return;
  }
  if (queue_.size() >= ctx_.opt.ws_max_pending_frames) {
    // The client reads slower than we push: close rather than buffer without bound.
    return close(websocket::close_code::try_again_later, "client too slow");
  }
  queue_.push_back(std::move(f));
  if (queue_.size() == 1) {
    do_write();
  }
}

// Write the frame at the head of the queue.
template <class Stream>
void ws_session<Stream>::do_write() {
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(queue_.front().text),
                  beast::bind_front_handler(&ws_session::on_write, this->shared_from_this()));
}

// The head frame is written: go on with the next one.
template <class Stream>
void ws_session<Stream>::on_write(beast::error_code ec, std::size_t) {
  if (ec) {
    return fail(ec, "ws.write");
  }
  if (queue_.front().completes) {
    --pending_batches_;
    --ctx_.inflight;
  }
  queue_.pop_front();
  if (closing_) {
    return do_close();
  }
  if (!queue_.empty()) {
    do_write();
  }
}

template <class Stream>
void ws_session<Stream>::close(websocket::close_code code, const char* why) {
  if (closing_) {
    return;
  }
  closing_ = true;
  close_reason_ = websocket::close_reason{code, why};
  conn_.reset();
  bool writing = !queue_.empty();
  // Only one write may be in flight: drop what waits, let the current one finish first.
  if (writing) {
    queue_.erase(queue_.begin() + 1, queue_.end());
  } else {
    do_close();
  }
}

// Send the close frame (after any write in flight).
template <class Stream>
void ws_session<Stream>::do_close() {
  queue_.clear();
  ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) {});
}

template <class Stream>
void ws_session<Stream>::fail(beast::error_code ec, const char* where) {
  conn_.reset();
  if (ec == boost::asio::error::operation_aborted || ec == websocket::error::closed
      || ec == beast::error::timeout || ec == boost::asio::error::eof
      || ec == boost::asio::error::connection_reset) {
    return;
  }
  log::debug("ws.error", {{"where", std::string{where}}, {"reason", ec.message()}});
}

template class ws_session<detail::plain_stream>;
template class ws_session<detail::tls_stream>;

} // namespace aia::net
