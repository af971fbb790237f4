// WebSocket load generator for aia-node (and the echo baseline): many connections, one user each,
// open loop at a fixed rate, closed loop at full speed, or holding sockets open for RSS readings.
#include "bench/batch_fifo.hpp"
#include "bench/bench_common.hpp"
#include "bench/loadgen_report.hpp"
#include "bench/loadgen_settings.hpp"
#include "bench/loadgen_wire.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aia::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
using seconds_f = std::chrono::duration<double>;

class client;

// -- driver ------------------------------------------------------------------------------------

/// Runs the whole load: opens the connections a few at a time, starts the load when all are up,
/// waits for the answers, closes everything, and bounds it all by one deadline.
class driver {
public:
  driver(asio::io_context& ioc, const load_settings& cfg);

  /// Starts connecting; ioc.run() returns once everything is closed or the deadline fired.
  void start();

  /// A connection attempt ended (any thread).
  void connect_done(bool ok);
  /// A `--hold` connection got the answer to its batch (any thread).
  void hold_answered();
  /// A connection's read loop ended (any thread).
  void client_finished();

  /// Gathers the figures (after ioc.run() returned).
  load_report report();

  const load_settings& cfg;
  load_tally tally;
  clock::time_point t0{}, window_start{}, window_end{};  ///< set before the load starts
  std::string client_id;

private:
  void launch_more();
  void begin_load();
  void check_drain();
  void check_hold();
  void finish();

  asio::io_context& ioc_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer deadline_, phase_;
  std::vector<std::shared_ptr<client>> clients_;
  std::size_t launched_ = 0, attempts_done_ = 0, finished_ = 0, hold_answers_ = 0;
  clock::time_point drain_until_{};
  bool holding_ = false, timed_out_ = false;
};

// -- client ------------------------------------------------------------------------------------

/// One connection and its user: connects, sends batches as the mode says, matches answers to the
/// oldest unanswered batch (a FIFO of send times) and keeps its own latency samples.
class client : public std::enable_shared_from_this<client> {
public:
  client(asio::io_context& ioc, driver& d, int index)
    : ws_(asio::make_strand(ioc)), out_(ws_), timer_(ws_.get_executor()), d_(d), index_(index),
      user_("user-" + std::to_string(d.cfg.user_offset + index)), batches_(d.cfg.echo) {}

  /// Opens the TCP connection and the WebSocket.
  void connect() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->do_connect(); });
  }
  /// Starts sending (open or closed loop) once every connection is up.
  void begin() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->on_begin(); });
  }
  /// Stops sending and closes the WebSocket.
  void close() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->do_close(); });
  }

  /// Latency samples in ms (read after the run).
  std::vector<float>& samples() { return samples_; }
  /// Batches sent with neither an answer nor an error (read after the run).
  std::size_t unanswered() const { return batches_.unresolved(); }

private:
  // Connect the TCP socket, bounded by the connect timeout.
  void do_connect() {
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_after(std::chrono::duration_cast<clock::duration>(
      seconds_f{d_.cfg.connect_timeout}));
    tcp::endpoint ep{asio::ip::make_address(d_.cfg.host), d_.cfg.port};
    tcp_layer.async_connect(ep, beast::bind_front_handler(&client::on_connect, shared_from_this()));
  }

  // TCP is up: do the WebSocket handshake, bounded by the WebSocket's own timeout.
  void on_connect(beast::error_code ec) {
    if (ec) {
      return connect_failed();
    }
    beast::get_lowest_layer(ws_).expires_never();
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    auto limit = std::chrono::duration_cast<clock::duration>(seconds_f{d_.cfg.connect_timeout});
    ws_.set_option(websocket::stream_base::timeout{limit, websocket::stream_base::none(), false});
    if (!d_.cfg.token.empty()) {
      ws_.set_option(websocket::stream_base::decorator(
        [auth = "Bearer " + d_.cfg.token](websocket::request_type& req) {
          req.set(beast::http::field::authorization, auth);
        }));
    }
    auto target = d_.cfg.path + (d_.cfg.echo ? std::string{} : user_);
    ws_.async_handshake(d_.cfg.host, target,
                        beast::bind_front_handler(&client::on_handshake, shared_from_this()));
  }

  // The WebSocket is open: start reading (and in `--hold`, send the one batch now).
  void on_handshake(beast::error_code ec) {
    if (ec) {
      return connect_failed();
    }
    open_ = true;
    d_.tally.connected.fetch_add(1, std::memory_order_relaxed);
    do_read();
    if (d_.cfg.mode == load_mode::hold) {
      send_batch(clock::now());
    }
    d_.connect_done(true);
  }

  void connect_failed() {
    d_.tally.connect_failed.fetch_add(1, std::memory_order_relaxed);
    d_.connect_done(false);
    d_.client_finished();
  }

  // Wait for the next frame from the server.
  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&client::on_read, shared_from_this()));
  }

  // One frame arrived: match it, then read the next.
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      return on_closed();
    }
    auto data = buffer_.cdata();
    on_message({static_cast<const char*>(data.data()), data.size()});
    buffer_.consume(buffer_.size());
    do_read();
  }

  void on_closed() {
    open_ = false;
    if (closing_) {
      timer_.cancel();
    } else {
      // Lost before the end: the open loop keeps ticking, counting what it could not send.
      d_.tally.closed_early.fetch_add(1, std::memory_order_relaxed);
    }
    d_.client_finished();
  }

  void on_message(std::string_view text) {
    auto& t = d_.tally;
    auto type = string_field(text, "type");
    if (d_.cfg.echo || type == "user_state_update") {
      t.updates.fetch_add(1, std::memory_order_relaxed);
      return settle(batches_.on_answer(), true);
    }
    if (type == "ack") {
      t.acks.fetch_add(1, std::memory_order_relaxed);
      if (!batches_.on_ack(number_field(text, "seq"))) {
        t.unexpected.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (type == "error") {
      t.add_error(sanitize(string_field(text, "error"), 64),
                  sanitize(string_field(text, "message"), 160));
      settle(batches_.on_error(), false);
    } else if (type == "recommendations") {
      t.recommendations.fetch_add(1, std::memory_order_relaxed);
    } else if (type == "performance_metrics") {
      t.metrics.fetch_add(1, std::memory_order_relaxed);
    } else {
      t.other.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // A frame settled a batch: an answer (`answered`) or an error refusing it.
  void settle(const match_result& r, bool answered) {
    auto& t = d_.tally;
    auto now = clock::now();
    if (!r.matched) {
      t.unexpected.fetch_add(answered ? 1 : 0, std::memory_order_relaxed);
      return;
    }
    auto resolved = (r.newly_resolved ? 1U : 0U) + r.skipped;
    t.in_flight.fetch_sub(static_cast<std::int64_t>(resolved), std::memory_order_relaxed);
    t.skipped.fetch_add(r.skipped, std::memory_order_relaxed);
    if (answered) {
      record_answer(r, now);
    }
    for (std::size_t i = 0; i < resolved; ++i) {
      if (d_.cfg.mode == load_mode::hold) {
        d_.hold_answered();
      } else if (d_.cfg.mode == load_mode::max && now < d_.window_end && !closing_) {
        send_batch(now);  // closed loop: one batch settled, one new batch
      }
    }
  }

  void record_answer(const match_result& r, clock::time_point now) {
    auto& t = d_.tally;
    if (!r.newly_resolved) {
      t.late_answers.fetch_add(1, std::memory_order_relaxed);
    }
    bool measured = d_.cfg.mode == load_mode::hold
                    || (r.stamp >= d_.window_start && r.stamp < d_.window_end);
    if (measured) {
      samples_.push_back(std::chrono::duration<float, std::milli>(now - r.stamp).count());
    }
    if (now >= d_.window_start && now < d_.window_end) {
      t.events_answered_in_window.fetch_add(static_cast<std::uint64_t>(d_.cfg.batch),
                                            std::memory_order_relaxed);
    }
  }

  // The load starts: the open loop's first tick, or the closed loop's first window of batches.
  void on_begin() {
    if (!open_) {
      return;
    }
    if (d_.cfg.mode == load_mode::max) {
      for (int i = 0; i < d_.cfg.window; ++i) {
        send_batch(clock::now());
      }
      return;
    }
    // Open loop: connection i sends every `interval`, shifted by i/C of it, so that the
    // aggregate is evenly spread.
    interval_ = std::chrono::duration_cast<clock::duration>(
      seconds_f{d_.cfg.connections * d_.cfg.batch / d_.cfg.rate});
    next_ = d_.t0 + interval_ * index_ / d_.cfg.connections;
    schedule();
  }

  // Wait for the next scheduled send.
  void schedule() {
    timer_.expires_at(next_);
    timer_.async_wait(beast::bind_front_handler(&client::on_tick, shared_from_this()));
  }

  // A send is due: stamp it with its scheduled time, so a late send shows as latency.
  void on_tick(beast::error_code ec) {
    if (ec || closing_) {
      return;
    }
    if (!open_ || out_.failed()) {
      d_.tally.batches_unsent.fetch_add(1, std::memory_order_relaxed);
    } else {
      send_batch(next_);
    }
    next_ += interval_;
    if (next_ < d_.window_end) {
      schedule();
    }
  }

  void send_batch(clock::time_point stamp) {
    batches_.on_sent(++seq_, stamp);
    auto& t = d_.tally;
    t.batches_sent.fetch_add(1, std::memory_order_relaxed);
    t.in_flight.fetch_add(1, std::memory_order_relaxed);
    if (stamp >= d_.window_start && stamp < d_.window_end) {
      t.events_sent_in_window.fetch_add(static_cast<std::uint64_t>(d_.cfg.batch),
                                        std::memory_order_relaxed);
    }
    out_.push(make_batch(user_, d_.client_id, seq_, d_.cfg.batch), shared_from_this());
  }

  // Stop sending and send the close frame; the read loop ends when the server answers it.
  void do_close() {
    closing_ = true;
    timer_.cancel();
    if (open_) {
      ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](
                                                       beast::error_code) {});
    }
  }

  ws_stream ws_;
  write_queue out_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  driver& d_;
  int index_;
  std::string user_;
  std::uint64_t seq_ = 0;
  batch_fifo batches_;
  std::vector<float> samples_;
  clock::duration interval_{};
  clock::time_point next_{};
  bool open_ = false, closing_ = false;
};

// -- driver, defined -----------------------------------------------------------------------------

driver::driver(asio::io_context& ioc, const load_settings& c)
  : cfg(c), client_id("lg-" + std::to_string(::getpid())), ioc_(ioc),
    strand_(asio::make_strand(ioc)), deadline_(strand_), phase_(strand_) {}

void driver::start() {
  // The bound on everything: connecting, the load, draining and holding, plus a margin.
  auto total = cfg.connect_timeout * 3 + cfg.warmup + cfg.duration + cfg.drain_timeout
               + (cfg.mode == load_mode::hold ? cfg.hold_seconds + 30 : 0) + 10;
  deadline_.expires_after(std::chrono::duration_cast<clock::duration>(seconds_f{total}));
  deadline_.async_wait([this](beast::error_code ec) {
    if (!ec) {
      timed_out_ = true;
      ioc_.stop();
    }
  });
  for (int i = 0; i < cfg.connections; ++i) {
    clients_.push_back(std::make_shared<client>(ioc_, *this, i));
  }
  asio::dispatch(strand_, [this] { launch_more(); });
}

// Keep at most connect_parallel handshakes in progress.
void driver::launch_more() {
  auto limit = attempts_done_ + static_cast<std::size_t>(cfg.connect_parallel);
  while (launched_ < clients_.size() && launched_ < limit) {
    clients_[launched_++]->connect();
  }
}

void driver::connect_done(bool) {
  asio::post(strand_, [this] {
    ++attempts_done_;
    if (attempts_done_ < clients_.size()) {
      return launch_more();
    }
    if (cfg.mode == load_mode::hold) {
      return check_hold();
    }
    begin_load();
  });
}

// Every connection is up (or failed): fix the time window and start the load.
void driver::begin_load() {
  t0 = clock::now() + std::chrono::milliseconds{50};
  window_start = t0 + std::chrono::duration_cast<clock::duration>(seconds_f{cfg.warmup});
  window_end = window_start + std::chrono::duration_cast<clock::duration>(seconds_f{cfg.duration});
  drain_until_ = window_end + std::chrono::duration_cast<clock::duration>(
                                seconds_f{cfg.drain_timeout});
  for (auto& c : clients_) {
    c->begin();
  }
  phase_.expires_at(window_end);
  phase_.async_wait([this](beast::error_code ec) {
    if (!ec) {
      check_drain();
    }
  });
}

// After the window: wait until every batch is answered, or the drain time is over.
void driver::check_drain() {
  if (tally.in_flight.load() <= 0 || clock::now() >= drain_until_) {
    return finish();
  }
  phase_.expires_after(std::chrono::milliseconds{20});
  phase_.async_wait([this](beast::error_code ec) {
    if (!ec) {
      check_drain();
    }
  });
}

void driver::hold_answered() {
  asio::post(strand_, [this] {
    ++hold_answers_;
    check_hold();
  });
}

// `--hold`: once every open connection has its answer, say so and keep them for hold_seconds.
void driver::check_hold() {
  if (holding_ || attempts_done_ < clients_.size() || hold_answers_ < tally.connected.load()) {
    return;
  }
  holding_ = true;
  std::printf("holding %llu\n", static_cast<unsigned long long>(tally.connected.load()));
  std::fflush(stdout);
  phase_.expires_after(std::chrono::duration_cast<clock::duration>(seconds_f{cfg.hold_seconds}));
  phase_.async_wait([this](beast::error_code ec) {
    if (!ec) {
      finish();
    }
  });
}

void driver::finish() {
  for (auto& c : clients_) {
    c->close();
  }
}

void driver::client_finished() {
  asio::post(strand_, [this] {
    if (++finished_ == clients_.size()) {
      // Everything is closed: nothing else keeps ioc.run() going.
      deadline_.cancel();
      phase_.cancel();
    }
  });
}

load_report driver::report() {
  load_report r;
  r.cfg = &cfg;
  r.timed_out = timed_out_;
  std::vector<float> all;
  for (auto& c : clients_) {
    all.insert(all.end(), c->samples().begin(), c->samples().end());
    r.unanswered += c->unanswered();
  }
  r.latency = summarize(all);
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    r.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  }
  if (cfg.duration > 0) {
    r.sent_eps = static_cast<double>(tally.events_sent_in_window.load()) / cfg.duration;
    r.answered_eps = static_cast<double>(tally.events_answered_in_window.load()) / cfg.duration;
  }
  return r;
}

int run_loadgen(int argc, char** argv) {
  auto parsed = parse_settings(argc, argv);
  if (!parsed) {
    return 2;
  }
  const auto& cfg = *parsed;
  auto fds = raise_fd_limit();
  if (fds < static_cast<rlim_t>(cfg.connections) + 64) {
    std::fprintf(stderr, "ws_loadgen: RLIMIT_NOFILE is %llu, too low for %d connections\n",
                 static_cast<unsigned long long>(fds), cfg.connections);
  }
  asio::io_context ioc{cfg.threads};
  driver d{ioc, cfg};
  d.start();
  run_io(ioc, cfg.threads);
  auto r = d.report();
  print_table(r, d.tally);
  if (cfg.json) {
    print_json(r, d.tally);
  }
  std::fflush(stdout);
  return r.timed_out || d.tally.connected.load() == 0 ? 1 : 0;
}

} // namespace
} // namespace aia::bench

int main(int argc, char** argv) {
  return aia::bench::run_loadgen(argc, argv);
}
