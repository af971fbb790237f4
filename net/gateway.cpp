// The gateway: listener, io threads, and the shared context of every connection.
#include "net/gateway.hpp"

#include "net/detail/context.hpp"
#include "net/http_session.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include <pthread.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace aia::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// Accepts connections and starts an http_session for each.
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ioc, detail::gateway_context& ctx) : ioc_(ioc), acceptor_(ioc),
                                                                  ctx_(ctx) {}

  std::uint16_t bind(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) {
      throw std::runtime_error("host: not an IP address: " + host);
    }
    tcp::endpoint ep{addr, port};
    acceptor_.open(ep.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor_.bind(ep, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": "
                               + ec.message());
    }
    return acceptor_.local_endpoint().port();
  }

  void run() { do_accept(); }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acceptor_.close(ec);
    });
  }

private:
  // Wait for the next connection, on a strand of its own.
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), boost::beast::bind_front_handler(
                                                      &listener::on_accept, shared_from_this()));
  }

  // A connection arrived: serve it and accept the next.
  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    if (ec) {
      log::warn("http.accept_failed", {{"reason", ec.message()}});
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<http_session>(std::move(socket), ctx_)->run();
    }
    if (acceptor_.is_open()) {
      do_accept();
    }
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  detail::gateway_context& ctx_;
};

} // namespace

struct gateway::impl {
  impl(gateway_options o, actors::gateway_port& port, runtime::metrics_registry& metrics,
       std::function<bool()> ready)
    : routes(port, metrics, o.limits, std::move(ready), o.access),
      ctx{o, routes, port,
          metrics.get_gauge("websocket_connections_active", "Open WebSocket connections"),
          metrics},
      ioc(o.threads), work(asio::make_work_guard(ioc)) {}

  router routes;
  detail::gateway_context ctx;
  asio::io_context ioc;
  // Keeps run() going while every connection waits for the actors and no accept is pending
  // (after begin_shutdown): without it the io threads return and answers are never written.
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::shared_ptr<listener> lst;
  std::vector<std::thread> threads;
  bool stopped = false;
};

gateway::gateway(gateway_options opt, actors::gateway_port& port,
                 runtime::metrics_registry& metrics, std::function<bool()> ready)
  : impl_(std::make_unique<impl>(std::move(opt), port, metrics, std::move(ready))) {}

gateway::~gateway() {
  stop();
}

std::uint16_t gateway::start() {
  auto& d = *impl_;
  d.lst = std::make_shared<listener>(d.ioc, d.ctx);
  auto port = d.lst->bind(d.ctx.opt.host, d.ctx.opt.port);
  d.lst->run();
  for (int i = 0; i < d.ctx.opt.threads; ++i) {
    d.threads.emplace_back([&d] {
      pthread_setname_np(pthread_self(), "aia.gateway");  // shown by top -H and in /proc
      d.ioc.run();
    });
  }
  return port;
}

void gateway::begin_shutdown() {
  auto& d = *impl_;
  d.ctx.shutting_down = true;
  if (d.lst) {
    d.lst->stop();
  }
}

bool gateway::wait_idle(std::chrono::milliseconds max) {
  auto deadline = std::chrono::steady_clock::now() + max;
  while (impl_->ctx.inflight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      log::warn("gateway.stop_unanswered", {{"inflight", impl_->ctx.inflight.load()}});
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return true;
}

void gateway::stop() {
  auto& d = *impl_;
  if (d.stopped) {
    return;
  }
  d.stopped = true;
  if (d.lst) {
    d.lst->stop();
  }
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.threads) {
    t.join();
  }
  d.threads.clear();
}

} // namespace aia::net
