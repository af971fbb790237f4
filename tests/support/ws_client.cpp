// Test harness: Beast WebSocket client; async operations run on a private io_context until a
// condition holds or a deadline passes, with one read always pending while waiting.
#include "tests/support/ws_client.hpp"

#include "tests/support/tokens.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>

#include <deque>
#include <stdexcept>

namespace aia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

std::string ws_path(std::string_view user) {
  return std::string{api} + "/ws/" + std::string{user};
}

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer rbuf;
  std::deque<std::string> inbox;
  std::chrono::milliseconds timeout{};
  int status = 0;
  std::string refusal_body;
  bool open = false;
  bool reading = false;
  int close_code = 0;
  std::string end_reason;

  /// Keeps one read pending while the socket is open; each message goes to the inbox.
  void start_read() {
    if (reading || !open) {
      return;
    }
    reading = true;
    ws.async_read(rbuf, [this](beast::error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        open = false;
        end_reason = ec.message();
        // A close frame may have been parsed even when the read ends with another error.
        if (ws.reason().code != websocket::close_code::none) {
          close_code = static_cast<int>(ws.reason().code);
          end_reason += " after a close frame (" + std::to_string(close_code) + " "
                        + ws.reason().reason.c_str() + ")";
        }
        return;
      }
      inbox.push_back(beast::buffers_to_string(rbuf.data()));
      rbuf.consume(rbuf.size());
      start_read();
    });
  }

  /// Runs handlers until `done()` or the deadline; false on timeout or when nothing is left to
  /// run. Reads continue in the background so server pushes are never lost.
  template <class Done>
  bool run_until(Done done, clock::time_point deadline, bool with_read = true) {
    if (with_read) {
      start_read();
    }
    while (!done()) {
      if (clock::now() >= deadline) {
        return false;
      }
      if (ioc.stopped()) {
        ioc.restart();
      }
      if (ioc.run_one_until(deadline) == 0 && ioc.stopped() && !done()) {
        return false; // no work left: nothing can make done() true any more
      }
    }
    return true;
  }

  void write(std::string_view data, bool text) {
    if (!open) {
      throw std::runtime_error("ws client: send on a closed WebSocket");
    }
    bool done = false;
    beast::error_code result;
    ws.text(text);
    ws.async_write(asio::buffer(data.data(), data.size()), [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    if (!run_until([&] { return done; }, clock::now() + timeout)) {
      // The handler refers to this frame: cancel it and let it run before leaving.
      beast::error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
      while (!done && ioc.run_one_for(std::chrono::seconds{1}) > 0) {
      }
      open = false;
      throw std::runtime_error("ws client: write timed out");
    }
    if (result) {
      throw std::runtime_error("ws client: write failed: " + result.message());
    }
  }
};

ws_client::ws_client(std::uint16_t port, std::string_view target, std::chrono::milliseconds timeout,
                     const header_list& headers)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.timeout = timeout;
  auto deadline = clock::now() + timeout;
  bool done = false;
  beast::error_code result;
  tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
  beast::get_lowest_layer(d.ws).async_connect(ep, [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  if (!d.run_until([&] { return done; }, deadline, false) || result) {
    throw std::runtime_error("ws client: connect failed: " + result.message());
  }
  beast::get_lowest_layer(d.ws).socket().set_option(tcp::no_delay(true));

  websocket::stream_base::timeout opt{timeout, websocket::stream_base::none(), false};
  d.ws.set_option(opt);
  d.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    req.set(http::field::user_agent, "aia-test-client");
    // The admin token by default; a test's own Authorization replaces it, an empty one removes it.
    req.set(http::field::authorization, "Bearer " + admin_token());
    for (const auto& [k, v] : headers) {
      req.set(k, v);
    }
    if (req[http::field::authorization].empty()) {
      req.erase(http::field::authorization);
    }
  }));
  d.ws.read_message_max(std::uint64_t{64} << 20);
  // One frame per message, and one socket write for messages up to 64 KiB.
  d.ws.auto_fragment(false);
  d.ws.write_buffer_bytes(std::size_t{64} << 10);
  websocket::response_type res;
  done = false;
  d.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port),
                       beast::string_view{target.data(), target.size()}, [&](beast::error_code ec) {
                         result = ec;
                         done = true;
                       });
  if (!d.run_until([&] { return done; }, deadline, false)) {
    throw std::runtime_error("ws client: handshake timed out");
  }
  d.status = static_cast<int>(res.result_int());
  if (!result) {
    d.open = true;
    return;
  }
  if (result != websocket::error::upgrade_declined || d.status == 0) {
    throw std::runtime_error("ws client: handshake failed: " + result.message());
  }
  d.refusal_body = res.body();
}

ws_client::~ws_client() {
  beast::error_code ec;
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

bool ws_client::upgraded() const noexcept {
  return impl_->status == 101;
}

int ws_client::handshake_status() const noexcept {
  return impl_->status;
}

const std::string& ws_client::handshake_body() const noexcept {
  return impl_->refusal_body;
}

void ws_client::send_text(std::string_view text) {
  impl_->write(text, true);
}

void ws_client::send_binary(std::string_view data) {
  impl_->write(data, false);
}

std::optional<std::string> ws_client::read(std::chrono::milliseconds wait) {
  auto& d = *impl_;
  if (!d.run_until([&d] { return !d.inbox.empty(); }, clock::now() + wait)) {
    return std::nullopt;
  }
  auto msg = std::move(d.inbox.front());
  d.inbox.pop_front();
  return msg;
}

std::optional<std::string> ws_client::read_type(std::string_view type,
                                                std::chrono::milliseconds wait) {
  auto& d = *impl_;
  std::size_t checked = 0;
  std::optional<std::size_t> found;
  const auto quoted = "\"" + std::string{type} + "\"";
  auto match = [&] {
    for (; checked < d.inbox.size(); ++checked) {
      if (d.inbox[checked].find(quoted) == std::string::npos) {
        continue; // cheap test first: a long queue is scanned on every wait
      }
      auto j = nlohmann::json::parse(d.inbox[checked], nullptr, false);
      if (j.is_object() && j.contains("type") && j["type"] == type) {
        found = checked;
        return true;
      }
    }
    return false;
  };
  if (!d.run_until(match, clock::now() + wait)) {
    return std::nullopt;
  }
  auto i = d.inbox.begin() + static_cast<std::ptrdiff_t>(*found);
  auto msg = std::move(*i);
  d.inbox.erase(i);
  return msg;
}

std::vector<std::string> ws_client::take_queued() {
  auto& d = *impl_;
  // Pick up whatever has already arrived without blocking.
  if (d.open) {
    d.start_read();
    if (d.ioc.stopped()) {
      d.ioc.restart();
    }
    d.ioc.poll();
  }
  std::vector<std::string> out(std::make_move_iterator(d.inbox.begin()),
                               std::make_move_iterator(d.inbox.end()));
  d.inbox.clear();
  return out;
}

bool ws_client::wait_closed(std::chrono::milliseconds wait) {
  auto& d = *impl_;
  return d.run_until([&d] { return !d.open && !d.reading; }, clock::now() + wait);
}

bool ws_client::is_open() const noexcept {
  return impl_->open;
}

int ws_client::close_code() const noexcept {
  return impl_->close_code;
}

std::string ws_client::end_reason() const {
  return impl_->end_reason;
}

void ws_client::close() {
  auto& d = *impl_;
  if (!d.open) {
    return;
  }
  bool done = false;
  d.ws.async_close(websocket::close_code::normal, [&done](beast::error_code) { done = true; });
  d.run_until([&] { return done && !d.reading; }, clock::now() + d.timeout);
  d.open = false;
}

} // namespace aia::test
