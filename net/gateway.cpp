// The gateway: listener, io threads, and the shared context of every connection.
#include "net/gateway.hpp"

#include "net/detail/context.hpp"
#include "net/http_session.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include <openssl/ssl.h>

#include <pthread.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace aia::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// Accepts connections and starts an http_session for each. The operator listener
/// (gateway.metrics_address) serves plain HTTP metrics and health only.
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ioc, detail::gateway_context& ctx, bool operator_port = false)
    : ioc_(ioc), acceptor_(ioc), ctx_(ctx), operator_port_(operator_port) {}

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
  void on_accept(boost::system::error_code ec, detail::connection_socket socket) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    if (ec) {
      log::warn("http.accept_failed", {{"reason", ec.message()}});
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      serve(std::move(socket));
    }
    if (acceptor_.is_open()) {
      do_accept();
    }
  }

  // Starts the connection's session, over TLS if configured; an address over its connection
  // limit gets one refusing answer.
  void serve(detail::connection_socket socket) {
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    auto address = ec ? std::string{"unknown"} : peer.address().to_string();
    detail::address_slot slot;
    std::optional<http_reply> refusal;
    if (ctx_.ip_policy.active()) {
      if (auto v = ctx_.ip_policy.check(address); !v.allowed) {
        // The reason names the address (personal data): debug level only, never to the client.
        log::debug("http.address_refused", {{"reason", v.reason}});
        refusal = error_reply(403, {"forbidden", "connections from this address are not allowed",
                                    ""});
        count_refusal("ip_policy");
      }
    }
    if (!refusal && !ctx_.slots.take(address, slot)) {
      refusal = error_reply(429, {"rate_limited", "too many open connections from this address (at "
                                                  "most " + std::to_string(ctx_.slots.limit())
                                                  + "); close some first", ""});
      count_refusal("connections_per_ip");
    }
    if (ctx_.tls != nullptr && !operator_port_) {
      std::make_shared<http_session<detail::tls_stream>>(
        detail::tls_stream{std::move(socket), *ctx_.tls}, ctx_, std::move(slot), std::move(refusal),
        false)
        ->run();
    } else {
      std::make_shared<http_session<detail::plain_stream>>(
        detail::plain_stream{std::move(socket)}, ctx_, std::move(slot), std::move(refusal),
        operator_port_)
        ->run();
    }
  }

  void count_refusal(const char* reason) {
    ctx_.metrics.get_counter("connections_refused_total",
                             "Connections refused at accept, by reason", {{"reason", reason}})
      .inc();
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  detail::gateway_context& ctx_;
  bool operator_port_;
};

/// "host:port" (an IPv6 host in brackets) split in two; throws std::invalid_argument naming
/// gateway.metrics_address.
std::pair<std::string, std::uint16_t> split_address(const std::string& text) {
  auto colon = text.rfind(':');
  auto bad = [&text] {
    return std::invalid_argument("gateway.metrics_address: \"" + text
                                 + "\" is not host:port (e.g. 127.0.0.1:9100)");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw bad();
  }
  auto host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || (port = port * 10 + static_cast<unsigned>(c - '0')) > 65535) {
      throw bad();
    }
  }
  return {host, static_cast<std::uint16_t>(port)};
}

/// The TLS context of the options: certificate chain, key, and the lowest protocol version.
/// Throws std::invalid_argument naming the `tls.*` key at fault (a configuration error).
std::unique_ptr<asio::ssl::context> make_tls(const tls_options& o) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  auto* native = tls->native_handle();
  int min = o.min_version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min) != 1) {
    throw std::invalid_argument("tls.min_version: cannot be set");
  }
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2
                   | asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  tls->use_certificate_chain_file(o.cert_file, ec);
  if (ec) {
    throw std::invalid_argument("tls.cert_file: cannot use " + o.cert_file + ": " + ec.message());
  }
  tls->use_private_key_file(o.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    // The message names the file, never its content.
    throw std::invalid_argument("tls.key_file: cannot use " + o.key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw std::invalid_argument("tls.key_file: the key does not match the certificate");
  }
  return tls;
}

} // namespace

struct gateway::impl {
  impl(gateway_options o, actors::gateway_port& port, runtime::metrics_registry& metrics,
       std::function<bool()> ready)
    : routes(port, metrics, o.limits, std::move(ready), o.access),
      ctx{o, routes, port,
          metrics.get_gauge("websocket_connections_active", "Open WebSocket connections"),
          metrics, nullptr, detail::address_slots{o.connections_per_ip}},
      ioc(o.threads), work(asio::make_work_guard(ioc)) {}

  router routes;
  std::unique_ptr<asio::ssl::context> tls;
  detail::gateway_context ctx;
  asio::io_context ioc;
  // Keeps run() going while every connection waits for the actors and no accept is pending
  // (after begin_shutdown): without it the io threads return and answers are never written.
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::shared_ptr<listener> lst;
  std::shared_ptr<listener> operator_lst;  ///< gateway.metrics_address, if set
  std::vector<std::thread> threads;
  bool stopped = false;
  std::uint16_t metrics_port = 0;
};

gateway::gateway(gateway_options opt, actors::gateway_port& port,
                 runtime::metrics_registry& metrics, std::function<bool()> ready)
  : impl_(std::make_unique<impl>(std::move(opt), port, metrics, std::move(ready))) {}

gateway::~gateway() {
  stop();
}

std::uint16_t gateway::start() {
  auto& d = *impl_;
  try {
    d.ctx.ip_policy = auth::ip_policy{d.ctx.opt.ip};
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string{"ip."} + e.what());  // e.g. `ip.deny: "x" is not ...`
  }
  if (!d.ctx.opt.tls.cert_file.empty()) {
    d.tls = make_tls(d.ctx.opt.tls);
    d.ctx.tls = d.tls.get();
  }
  d.lst = std::make_shared<listener>(d.ioc, d.ctx);
  auto port = d.lst->bind(d.ctx.opt.host, d.ctx.opt.port);
  if (!d.ctx.opt.metrics_address.empty()) {
    auto [host, metrics_port] = split_address(d.ctx.opt.metrics_address);
    d.operator_lst = std::make_shared<listener>(d.ioc, d.ctx, true);
    d.metrics_port = d.operator_lst->bind(host, metrics_port);
    d.operator_lst->run();
  }
  d.lst->run();
  for (int i = 0; i < d.ctx.opt.threads; ++i) {
    d.threads.emplace_back([&d] {
      pthread_setname_np(pthread_self(), "aia.gateway");  // shown by top -H and in /proc
      d.ioc.run();
    });
  }
  return port;
}

std::uint16_t gateway::metrics_port() const {
  return impl_->metrics_port;
}

void gateway::begin_shutdown() {
  auto& d = *impl_;
  d.ctx.shutting_down = true;
  if (d.lst) {
    d.lst->stop();  // the operator listener stays: health and metrics while draining
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
  for (auto* l : {&d.lst, &d.operator_lst}) {
    if (*l) {
      (*l)->stop();
    }
  }
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.threads) {
    t.join();
  }
  d.threads.clear();
}

} // namespace aia::net
