// The baseline of the benchmarks: a bare Boost.Beast WebSocket echo server shaped like the node's
// gateway (async accept, a strand per connection, one write in flight with a queue).
#include "bench/bench_common.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace aia::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::size_t max_message_bytes = 1 << 20;  ///< as the node's gateway.max_ws_message_bytes

/// One echo connection: every message read is written back as it came.
class echo_session : public std::enable_shared_from_this<echo_session> {
public:
  explicit echo_session(tcp::socket&& socket) : ws_(std::move(socket)), out_(ws_) {}

  /// Accepts the WebSocket handshake and starts echoing.
  void run() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(max_message_bytes);
    ws_.async_accept(beast::bind_front_handler(&echo_session::on_accept, shared_from_this()));
  }

private:
  // The handshake is done: start reading.
  void on_accept(beast::error_code ec) {
    if (ec) {
      return fail(ec, "accept");
    }
    do_read();
  }

  // Wait for the next message.
  void do_read() {
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&echo_session::on_read, shared_from_this()));
  }

  // One message arrived: queue a copy for writing and read the next.
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      return fail(ec, "read");
    }
    auto data = buffer_.cdata();
    out_.push(std::string{static_cast<const char*>(data.data()), data.size()},
              shared_from_this());
    buffer_.consume(buffer_.size());
    do_read();
  }

  void fail(beast::error_code ec, const char* where) {
    if (ec == websocket::error::closed || ec == asio::error::eof
        || ec == asio::error::connection_reset || ec == asio::error::operation_aborted
        || ec == beast::error::timeout) {
      return;
    }
    std::fprintf(stderr, "ws_echo_server: %s: %s\n", where, ec.message().c_str());
  }

  ws_stream ws_;
  beast::flat_buffer buffer_;
  write_queue out_;
};

/// Accepts connections, each on a strand of its own.
class listener : public std::enable_shared_from_this<listener> {
public:
  explicit listener(asio::io_context& ioc) : ioc_(ioc), acceptor_(ioc) {}

  /// Listens on 127.0.0.1:`port` (0 = any free port); returns the bound port.
  std::uint16_t bind(std::uint16_t port) {
    tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    return acceptor_.local_endpoint().port();
  }

  /// Starts accepting.
  void run() { do_accept(); }

  /// Stops accepting (from any thread).
  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

private:
  // Wait for the next connection, on a strand of its own.
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  // A connection arrived: serve it and accept the next.
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<echo_session>(std::move(socket))->run();
    }
    do_accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
};

int run_server(int argc, char** argv) {
  options opt{argc, argv};
  opt.allow_only({"port", "threads"});
  auto port = opt.number<std::uint16_t>("port", 0);
  auto threads = opt.number<int>("threads", 1);
  if (!opt.report_errors("ws_echo_server") || threads < 1) {
    std::fprintf(stderr, "usage: ws_echo_server [--port N] [--threads N]\n");
    return 2;
  }
  raise_fd_limit();
  asio::io_context ioc{threads};
  auto lst = std::make_shared<listener>(ioc);
  try {
    port = lst->bind(port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws_echo_server: cannot listen: %s\n", e.what());
    return 1;
  }
  lst->run();
  // SIGINT / SIGTERM: stop accepting and stop the io threads.
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&](beast::error_code, int) {
    lst->stop();
    ioc.stop();
  });
  std::printf("listening on %u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  run_io(ioc, threads);
  return 0;
}

} // namespace
} // namespace aia::bench

int main(int argc, char** argv) {
  return aia::bench::run_server(argc, argv);
}
