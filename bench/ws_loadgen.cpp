// WebSocket load generator for aia-node (and the echo baseline): many connections, one user each,
// open loop at a fixed rate, closed loop at full speed, or holding sockets open for RSS readings.
#include "bench/batch_fifo.hpp"
#include "bench/bench_common.hpp"
#include "bench/loadgen_report.hpp"
#include "bench/loadgen_settings.hpp"
#include "bench/loadgen_wire.hpp"
#include "runtime/placement.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
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

// -- the batches of one connection, with times (--kill-pid) -----------------------------------

/// batch_fifo's matching (same rules, see batch_fifo.hpp) with what `--kill-pid` needs: every
/// batch keeps its send time and the time it was settled, and acks that report the batch as a
/// duplicate are understood. When a node dies, the gateway resends the unanswered batches of its
/// users to the new owner (and may resend one twice: once for the owner change, once for the
/// failed request); the owner acks a repeat of a stored batch with `duplicates` = `accepted` and
/// sends no update for it. Such a duplicate ack for batch X means:
/// - X was acked before the kill (by the dead node, which never sent its update): no update will
///   come; X is settled now, taken out of the middle of the queue;
/// - X was acked after the kill (by the new owner, whose update is on its way): nothing;
/// - X was not acked: either the dead node stored it and died before its ack (no ack nor update
///   will come) or the new owner's own ack and update are still on their way (a second resend
///   overtook the first). X is kept as "answered by a duplicate": an ack later makes it an
///   ordinary acked batch; an update passing it (answering a younger batch) settles it at the
///   duplicate ack's time instead of counting it as never acked; so does the end of the run.
/// "Before the kill" is before the kill + 1 ms: frames the dead node sent just before it died
/// can still be on their way, while the new owner answers only after it noticed the death and
/// loaded the session from Redis.
class batch_ledger {
public:
  using time_point = clock::time_point;

  /// How a batch left the ledger, and when.
  enum class outcome { answered, duplicate, errored, skipped };
  struct record {
    time_point stamp, sent_at, settled_at;
    outcome how;
  };

  void on_sent(std::uint64_t seq, time_point stamp, time_point sent_at) {
    entries_.push_back(entry{seq, stamp, sent_at});
    ++unresolved_;
  }

  bool on_ack(std::uint64_t seq, time_point now) {
    for (auto& e : entries_) {
      if (e.seq == seq && !e.acked) {
        e.acked = true;
        e.acked_at = now;
        if (e.dup_pending) {  // the duplicate overtook the batch's own ack: its update follows
          e.dup_pending = false;
          --dup_pending_;
          ++dup_then_acked_;
        }
        return true;
      }
    }
    return false;
  }

  /// An update: answers the oldest acked batch. The older ones are skipped (never acked), but
  /// those answered by a duplicate ack are settled then; they go to `dup_settled`.
  match_result on_answer(time_point now, std::vector<record>& dup_settled) {
    match_result r;
    std::size_t i = 0;
    while (i < entries_.size() && !entries_[i].acked) {
      ++i;
    }
    if (i == entries_.size()) {
      return r;
    }
    std::size_t skipped = 0;
    for (std::size_t k = 0; k < i; ++k) {
      const auto& e = entries_[k];
      if (e.errored) {
        continue;
      }
      --unresolved_;
      if (e.dup_pending) {
        --dup_pending_;
        log_.push_back(record{e.stamp, e.sent_at, e.dup_at, outcome::duplicate});
        dup_settled.push_back(log_.back());
      } else {
        ++skipped;
        log_.push_back(record{e.stamp, e.sent_at, now, outcome::skipped});
      }
    }
    r = settle_at(i, now, outcome::answered, skipped);
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    return r;
  }

  match_result on_error(time_point now) {
    match_result r;
    for (auto& e : entries_) {
      if (!e.acked && !e.errored) {
        e.errored = true;
        --unresolved_;
        if (e.dup_pending) {
          e.dup_pending = false;
          --dup_pending_;
        }
        r.matched = r.newly_resolved = true;
        r.stamp = e.stamp;
        log_.push_back(record{e.stamp, e.sent_at, now, outcome::errored});
        break;
      }
    }
    return r;
  }

  /// What a duplicate ack did.
  enum class dup_effect { settled, ignored, pending, unknown };

  /// An ack whose interactions were all duplicates, for batch `seq`; `old_owner_until` is the
  /// kill + 1 ms (or the time_point max when no node was killed yet). `r` is set when settled.
  dup_effect on_duplicate_ack(std::uint64_t seq, time_point now, time_point old_owner_until,
                              match_result& r) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      auto& e = entries_[i];
      if (e.seq != seq) {
        continue;
      }
      if (e.acked && e.acked_at < old_owner_until) {
        r = settle_at(i, now, outcome::duplicate, 0);
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        return dup_effect::settled;
      }
      if (e.acked || e.errored || e.dup_pending) {
        return dup_effect::ignored;
      }
      e.dup_pending = true;
      e.dup_at = now;
      ++dup_pending_;
      return dup_effect::pending;
    }
    return dup_effect::unknown;
  }

  /// Duplicate acks that came before the batch's own ack (which came later).
  [[nodiscard]] std::size_t dup_then_acked() const noexcept { return dup_then_acked_; }
  /// Batches with neither an answer (an update, or a duplicate ack) nor an error.
  [[nodiscard]] std::size_t unresolved() const noexcept { return unresolved_ - dup_pending_; }
  /// Every batch settled so far, in the order settled.
  [[nodiscard]] const std::vector<record>& settled() const noexcept { return log_; }
  /// Calls f(record) for every batch still waiting at the end but answered by a duplicate ack,
  /// and g(stamp, sent_at) for every other batch with neither an answer nor an error.
  template <class F, class G>
  void each_waiting(F&& f, G&& g) const {
    for (const auto& e : entries_) {
      if (e.errored) {
        continue;
      }
      if (e.dup_pending) {
        f(record{e.stamp, e.sent_at, e.dup_at, outcome::duplicate});
      } else {
        g(e.stamp, e.sent_at);
      }
    }
  }

private:
  struct entry {
    std::uint64_t seq;
    time_point stamp, sent_at;
    time_point acked_at{}, dup_at{};
    bool acked = false;
    bool errored = false;
    bool dup_pending = false;  ///< a duplicate ack came before any ack
  };

  match_result settle_at(std::size_t i, time_point now, outcome how, std::size_t skipped) {
    auto& hit = entries_[i];
    match_result r;
    r.matched = true;
    r.skipped = skipped;
    r.newly_resolved = !hit.errored;
    r.stamp = hit.stamp;
    if (hit.dup_pending) {
      hit.dup_pending = false;
      --dup_pending_;
    }
    if (r.newly_resolved) {
      --unresolved_;
      log_.push_back(record{hit.stamp, hit.sent_at, now, how});
    }
    return r;
  }

  std::deque<entry> entries_;
  std::vector<record> log_;
  std::size_t unresolved_ = 0;
  std::size_t dup_pending_ = 0;
  std::size_t dup_then_acked_ = 0;
};

/// The users of the connections: `user-<offset + i>`, or with `--avoid-owner NAME` the ids in
/// that order whose owner among `--nodes` is not NAME.
std::vector<std::string> choose_users(const load_settings& cfg, user_choice& out) {
  std::vector<std::string> users;
  users.reserve(static_cast<std::size_t>(cfg.connections));
  if (cfg.avoid_owner.empty()) {
    for (int i = 0; i < cfg.connections; ++i) {
      users.push_back("user-" + std::to_string(cfg.user_offset + i));
    }
    return users;
  }
  runtime::placement where{cfg.nodes};
  out.active = true;
  for (long long id = cfg.user_offset; static_cast<int>(users.size()) < cfg.connections; ++id) {
    auto name = "user-" + std::to_string(id);
    if (where.owner(name) == cfg.avoid_owner) {
      ++out.skipped;
    } else {
      users.push_back(std::move(name));
    }
  }
  out.first = users.front();
  out.last = users.back();
  return users;
}

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
  /// The `--kill-pid` figures (part of report()).
  void report_kill(kill_summary& k);

  const load_settings& cfg;
  load_tally tally;
  clock::time_point t0{}, window_start{}, window_end{};  ///< set before the load starts
  std::string client_id;
  user_choice users;

  /// True if a connection's batches go through a batch_ledger (`--kill-pid`).
  bool timed() const { return cfg.kill_pid != 0; }
  /// Acks received before this came from the killed node (see batch_ledger); the time_point
  /// max until the kill.
  clock::time_point old_owner_until() const {
    return clock::time_point{clock::duration{old_owner_until_.load(std::memory_order_acquire)}};
  }

private:
  void launch_more();
  void begin_load();
  void check_drain();
  void check_hold();
  void finish();
  void kill_target();

  asio::io_context& ioc_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer deadline_, phase_, kill_timer_;
  std::vector<std::shared_ptr<client>> clients_;
  std::optional<clock::time_point> killed_at_;
  std::atomic<clock::rep> old_owner_until_{clock::time_point::max().time_since_epoch().count()};
  int kill_errno_ = 0;
  std::size_t launched_ = 0, attempts_done_ = 0, finished_ = 0, hold_answers_ = 0;
  clock::time_point drain_until_{};
  bool holding_ = false, timed_out_ = false;
};

// -- client ------------------------------------------------------------------------------------

/// One connection and its user: connects, sends batches as the mode says, matches answers to the
/// oldest unanswered batch (a FIFO of send times) and keeps its own latency samples.
class client : public std::enable_shared_from_this<client> {
public:
  client(asio::io_context& ioc, driver& d, int index, std::string user)
    : ws_(asio::make_strand(ioc)), out_(ws_), timer_(ws_.get_executor()), d_(d), index_(index),
      user_(std::move(user)), batches_(d.cfg.echo) {
    if (d.timed()) {
      ledger_.emplace();
    }
  }

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
  /// The scheduled send time of each sample (only with --dump).
  const std::vector<clock::time_point>& stamps() const { return stamps_; }
  /// Batches sent with neither an answer nor an error (read after the run).
  std::size_t unanswered() const {
    return ledger_ ? ledger_->unresolved() : batches_.unresolved();
  }
  /// The timed batches (`--kill-pid`; read after the run), or null.
  const batch_ledger* ledger() const { return ledger_ ? &*ledger_ : nullptr; }

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
      if (!ledger_) {
        return settle(batches_.on_answer(), true);
      }
      auto now = clock::now();
      dup_settled_.clear();
      auto r = ledger_->on_answer(now, dup_settled_);
      for (const auto& rec : dup_settled_) {
        settle_duplicate(rec);
      }
      return settle(r, true, now);
    }
    if (type == "ack") {
      t.acks.fetch_add(1, std::memory_order_relaxed);
      auto seq = number_field(text, "seq");
      auto accepted = number_field(text, "accepted");
      if (ledger_ && accepted > 0 && number_field(text, "duplicates") >= accepted) {
        // A batch resent after its node died (see batch_ledger).
        t.duplicate_acks.fetch_add(1, std::memory_order_relaxed);
        auto now = clock::now();
        match_result r;
        auto effect = ledger_->on_duplicate_ack(seq, now, d_.old_owner_until(), r);
        if (effect == batch_ledger::dup_effect::settled) {
          t.duplicate_acks_settling.fetch_add(1, std::memory_order_relaxed);
          settle(r, true, now);
        } else if (effect == batch_ledger::dup_effect::pending) {
          t.duplicate_acks_pending.fetch_add(1, std::memory_order_relaxed);
        }
      } else if (!(ledger_ ? ledger_->on_ack(seq, clock::now()) : batches_.on_ack(seq))) {
        t.unexpected.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (type == "error") {
      t.add_error(sanitize(string_field(text, "error"), 64),
                  sanitize(string_field(text, "message"), 160));
      settle(ledger_ ? ledger_->on_error(clock::now()) : batches_.on_error(), false);
    } else if (type == "recommendations") {
      t.recommendations.fetch_add(1, std::memory_order_relaxed);
    } else if (type == "performance_metrics") {
      t.metrics.fetch_add(1, std::memory_order_relaxed);
    } else {
      t.other.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // A frame settled a batch: an answer (`answered`) or an error refusing it.
  void settle(const match_result& r, bool answered, clock::time_point now = clock::now()) {
    auto& t = d_.tally;
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

  // A batch answered by a duplicate ack that an update has now passed (see batch_ledger): it
  // counts as answered at the duplicate ack.
  void settle_duplicate(const batch_ledger::record& rec) {
    match_result r;
    r.matched = r.newly_resolved = true;
    r.stamp = rec.stamp;
    d_.tally.in_flight.fetch_sub(1, std::memory_order_relaxed);
    record_answer(r, rec.settled_at);
    if (d_.cfg.mode == load_mode::max && clock::now() < d_.window_end && !closing_) {
      send_batch(clock::now());
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
      if (!d_.cfg.dump.empty()) {
        stamps_.push_back(r.stamp);
      }
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
    if (ledger_) {
      ledger_->on_sent(++seq_, stamp, clock::now());
    } else {
      batches_.on_sent(++seq_, stamp);
    }
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
  std::optional<batch_ledger> ledger_;  ///< instead of batches_ with --kill-pid
  std::vector<batch_ledger::record> dup_settled_;
  std::vector<float> samples_;
  std::vector<clock::time_point> stamps_;
  clock::duration interval_{};
  clock::time_point next_{};
  bool open_ = false, closing_ = false;
};

// -- driver, defined -----------------------------------------------------------------------------

driver::driver(asio::io_context& ioc, const load_settings& c)
  : cfg(c), client_id("lg-" + std::to_string(::getpid())), ioc_(ioc),
    strand_(asio::make_strand(ioc)), deadline_(strand_), phase_(strand_), kill_timer_(strand_) {}

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
  auto names = choose_users(cfg, users);
  for (int i = 0; i < cfg.connections; ++i) {
    clients_.push_back(std::make_shared<client>(ioc_, *this, i, std::move(names[i])));
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
  if (cfg.kill_pid != 0) {
    kill_timer_.expires_at(window_start
                           + std::chrono::duration_cast<clock::duration>(
                             seconds_f{cfg.kill_after}));
    kill_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) {
        kill_target();
      }
    });
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

// `--kill-pid`: the load generator kills the node itself, so the kill time is exact.
void driver::kill_target() {
  killed_at_ = clock::now();
  old_owner_until_.store((*killed_at_ + std::chrono::milliseconds{1}).time_since_epoch().count(),
                         std::memory_order_release);
  if (::kill(static_cast<pid_t>(cfg.kill_pid), SIGKILL) != 0) {
    kill_errno_ = errno;
  }
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
      kill_timer_.cancel();
    }
  });
}

// What the kill did, from every connection's ledger: the batches sent before it and not settled
// at it (outstanding), when the last of them was settled, and the batches sent after it.
void driver::report_kill(kill_summary& k) {
  k.active = true;
  k.pid = cfg.kill_pid;
  k.kill_errno = kill_errno_;
  if (!killed_at_) {
    return;
  }
  k.sent = true;
  auto kill = *killed_at_;
  k.at_s = seconds_f{kill - window_start}.count();
  clock::duration last{};
  std::vector<float> after, before;
  for (auto& c : clients_) {
    const auto* ledger = c->ledger();
    auto count = [&](const batch_ledger::record& rec) {
      using outcome = batch_ledger::outcome;
      bool answered = rec.how == outcome::answered || rec.how == outcome::duplicate;
      k.settled_by_duplicate += rec.how == outcome::duplicate ? 1 : 0;
      auto ms = std::chrono::duration<float, std::milli>(rec.settled_at - rec.stamp).count();
      if (answered && rec.sent_at < kill && rec.stamp >= window_start) {
        before.push_back(ms);
      }
      if (rec.sent_at < kill && rec.settled_at >= kill) {
        ++k.outstanding;
        if (rec.how == outcome::errored) {
          ++k.outstanding_errored;
        }
        if (rec.how == outcome::skipped) {
          ++k.outstanding_unanswered;
        } else {
          last = std::max(last, rec.settled_at - kill);
        }
      } else if (rec.sent_at >= kill) {
        if (answered) {
          after.push_back(ms);
          auto slice = std::min(kill_summary::slices - 1,
                                static_cast<std::size_t>((rec.sent_at - kill)
                                                         / std::chrono::milliseconds{100}));
          k.slice_max[slice] = std::max(k.slice_max[slice], static_cast<double>(ms));
          ++k.slice_n[slice];
        } else if (rec.how == outcome::errored) {
          ++k.after_errored;
        } else {
          ++k.after_unanswered;
        }
      }
    };
    for (const auto& rec : ledger->settled()) {
      count(rec);
    }
    k.duplicate_then_acked += ledger->dup_then_acked();
    ledger->each_waiting(count, [&](clock::time_point, clock::time_point sent_at) {
      if (sent_at < kill) {
        ++k.outstanding;
        ++k.outstanding_unanswered;
      } else {
        ++k.after_unanswered;
      }
    });
  }
  k.recovery_ms = k.outstanding_unanswered > 0
                    ? -1.0
                    : std::chrono::duration<double, std::milli>(last).count();
  k.after = summarize(after);
  k.before = summarize(before);
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
  r.users = users;
  if (!cfg.dump.empty()) {
    if (auto* f = std::fopen(cfg.dump.c_str(), "w")) {
      for (auto& c : clients_) {
        const auto& st = c->stamps();
        for (std::size_t i = 0; i < st.size() && i < c->samples().size(); ++i) {
          std::fprintf(f, "%lld %.3f\n",
                       static_cast<long long>(st[i].time_since_epoch().count()),
                       static_cast<double>(c->samples()[i]));
        }
      }
      std::fclose(f);
    }
  }
  if (cfg.kill_pid != 0) {
    report_kill(r.kill);
  }
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
