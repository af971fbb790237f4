// One WebSocket connection: reads interaction batches, writes acks and pushed updates.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/auth/rate_limiter.hpp"
#include "net/detail/context.hpp"

#include "net/detail/streams.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aia::net {

/// A WebSocket session on `/ws/{user}`, over plain TCP or TLS (`Stream` is detail::plain_stream
/// or detail::tls_stream). It is the push sink of its user's connection actor: pushes arrive on
/// actor threads, are serialised there and posted to this session's strand.
template <class Stream>
class ws_session : public std::enable_shared_from_this<ws_session<Stream>>,
                   public actors::push_sink {
public:
  /// `stream` carries the upgraded HTTP connection, `slot` its place in the per-address count;
  /// `valid_until` is when the token that opened it expires (0 = never).
  ws_session(Stream&& stream, detail::gateway_context& ctx, std::string user,
             detail::address_slot slot, double valid_until);
  ~ws_session() override;

  /// Accepts the upgrade request and starts reading.
  /// `bearer_subprotocol`: the token came as subprotocols "bearer, <token>"; select "bearer".
  void run(boost::beast::http::request<boost::beast::http::string_body> req,
           bool bearer_subprotocol);

  void on_ack(const actors::batch_ack& ack) override;
  void on_update(const actors::session_update& up, bool with_metrics) override;
  void on_error(const actors::port_error& err) override;

private:
  void on_accept(boost::beast::error_code ec);               // handshake done
  void do_read();                                            // wait for the next message
  void on_read(boost::beast::error_code ec, std::size_t n);  // one message arrived
  void handle_message(std::string_view text);
  /// A queued frame; `completes` marks the ack or error that answers a submitted batch.
  struct frame {
    std::string text;
    bool completes = false;
  };
  void post_frame(std::string text, bool completes = false); // from any thread
  void send(frame f);                                        // on the strand
  void do_write();                                           // write the queue's head
  void on_write(boost::beast::error_code ec, std::size_t n); // head written
  void close(boost::beast::websocket::close_code code, const char* why);
  void do_close();                                           // send the close frame
  void fail(boost::beast::error_code ec, const char* where);

  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  detail::gateway_context& ctx_;
  std::string user_;
  detail::address_slot slot_;
  double valid_until_;
  std::unique_ptr<actors::connection> conn_;
  std::deque<frame> queue_;
  std::int64_t pending_batches_ = 0;  ///< submitted, answer not yet written (in ctx_.inflight)
  int bad_in_a_row_ = 0;  ///< refused messages in a row (bad or over the rate): 1008 at the limit
  std::optional<auth::token_bucket> rate_;  ///< the socket's message rate, if limited
  bool closing_ = false;
  boost::beast::websocket::close_reason close_reason_;
  bool counted_ = false;
};

} // namespace aia::net
