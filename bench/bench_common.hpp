// Shared pieces of the WebSocket benchmarks (ws_echo_server, ws_loadgen): command-line options,
// the file-descriptor limit, io threads and a one-write-in-flight frame queue.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <sys/resource.h>

#include <charconv>
#include <cstdio>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace aia::bench {

using ws_stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

// -- command line ------------------------------------------------------------------------------

/// Command-line options: `--key value`, `--key=value`, or a bare `--flag` (next word is `--...`).
class options {
public:
  /// Parses `argv`; a word that is not an option is remembered as an error.
  options(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg{argv[i]};
      if (!arg.starts_with("--")) {
        errors_.push_back("unexpected argument: " + std::string{arg});
        continue;
      }
      arg.remove_prefix(2);
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        values_[std::string{arg.substr(0, eq)}] = std::string{arg.substr(eq + 1)};
      } else if (i + 1 < argc && !std::string_view{argv[i + 1]}.starts_with("--")) {
        values_[std::string{arg}] = argv[++i];
      } else {
        values_[std::string{arg}] = "";
      }
    }
  }

  /// True if `--key` was given, with or without a value.
  [[nodiscard]] bool has(const std::string& key) const { return values_.contains(key); }

  /// The value of `--key`, or `fallback` when absent.
  [[nodiscard]] std::string get(const std::string& key, std::string fallback) const {
    auto i = values_.find(key);
    return i == values_.end() ? fallback : i->second;
  }

  /// The numeric value of `--key`, or `fallback`; a malformed number is remembered as an error.
  template <class Number>
  [[nodiscard]] Number number(const std::string& key, Number fallback) {
    auto i = values_.find(key);
    if (i == values_.end()) {
      return fallback;
    }
    Number out{};
    const auto& s = i->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || end != s.data() + s.size()) {
      errors_.push_back("--" + key + ": not a number: '" + s + "'");
      return fallback;
    }
    return out;
  }

  /// Adds an error for every given key not in `known` (a typo must not pass silently).
  void allow_only(std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : values_) {
      bool ok = false;
      for (auto k : known) {
        ok = ok || k == key;
      }
      if (!ok) {
        errors_.push_back("unknown option --" + key);
      }
    }
  }

  /// Prints every error to stderr; true if there was none.
  [[nodiscard]] bool report_errors(const char* program) const {
    for (const auto& e : errors_) {
      std::fprintf(stderr, "%s: %s\n", program, e.c_str());
    }
    return errors_.empty();
  }

private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> errors_;
};

// -- process -----------------------------------------------------------------------------------

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the resulting soft limit.
inline rlim_t raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

/// Runs `ioc` on `threads` threads (the caller's included) until it runs out of work.
inline void run_io(boost::asio::io_context& ioc, int threads) {
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) {
    extra.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : extra) {
    t.join();
  }
}

// -- writing -----------------------------------------------------------------------------------

/// The outgoing text frames of one WebSocket stream: one async_write in flight, the rest queued
/// (Beast allows a single outstanding write). Use it only on the stream's strand.
class write_queue {
public:
  explicit write_queue(ws_stream& ws) : ws_(ws) {}

  /// Queues `frame` and starts writing if idle; `owner` is kept alive until the writes are done.
  void push(std::string frame, std::shared_ptr<void> owner) {
    if (failed_) {
      return;
    }
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) {
      do_write(std::move(owner));
    }
  }

  /// Frames not yet written, the one in flight included.
  [[nodiscard]] std::size_t size() const noexcept { return queue_.size(); }

  /// True once a write failed; later frames are dropped.
  [[nodiscard]] bool failed() const noexcept { return failed_; }

private:
  // Write the frame at the head of the queue.
  void do_write(std::shared_ptr<void> owner) {
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(queue_.front()),
                    [this, owner = std::move(owner)](boost::beast::error_code ec,
                                                     std::size_t) mutable {
                      on_write(ec, std::move(owner));
                    });
  }

  // The head frame is written (or the stream failed): go on with the next one.
  void on_write(boost::beast::error_code ec, std::shared_ptr<void> owner) {
    if (ec) {
      failed_ = true;
      queue_.clear();
      return;
    }
    queue_.pop_front();
    if (!queue_.empty()) {
      do_write(std::move(owner));
    }
  }

  ws_stream& ws_;
  std::deque<std::string> queue_;
  bool failed_ = false;
};

} // namespace aia::bench
