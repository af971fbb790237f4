// Test harness: runs a real aia-node as a child process on a free port and a fresh data directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace aia::test {

/// A loopback port nobody listened on a moment ago (for ports a test must name up front).
[[nodiscard]] std::uint16_t free_port();

/// How to start a node besides `--host 127.0.0.1 --port 0 --data-dir <fresh>`.
struct node_options {
  std::vector<std::string> args;                        ///< e.g. "--gateway.max_body_bytes=2048"
  std::vector<std::pair<std::string, std::string>> env; ///< extra environment variables
  std::chrono::milliseconds start_timeout{20000};       ///< wait for the listening line
  bool trust_test_key = true;  ///< trust tests/support/tokens.hpp's key (auth.hs256_secret_file)

  /// Options with these extra command-line arguments and nothing else changed.
  static node_options with_args(std::vector<std::string> a) {
    node_options o;
    o.args = std::move(a);
    return o;
  }
};

/// One aia-node child process. The constructor starts it and waits until it listens (failing the
/// running test with the tail of its stderr if it never does); the destructor kills and reaps it
/// and removes its temporary directory. Not thread-safe: drive it from the test's thread.
class node_process {
public:
  explicit node_process(node_options opt = {});
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// The port the node listens on (changes on restart).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// The node's data directory (kept across restarts).
  [[nodiscard]] const std::filesystem::path& data_dir() const noexcept { return data_dir_; }

  /// True while the child runs.
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

  /// Sends SIGTERM and waits; returns the exit code (128 + signal if killed by a signal). Fails
  /// the test (after a SIGKILL) if the node has not exited within `timeout`.
  int terminate(std::chrono::milliseconds timeout = std::chrono::milliseconds{30000});

  /// Sends SIGKILL and reaps the child: a crash, with no chance to flush anything.
  void kill();

  /// Starts the node again on the same data directory (it must not be running).
  void restart();

  /// Everything the node wrote to stdout so far (the listening line, development tokens).
  [[nodiscard]] std::string stdout_text() const;
  /// Everything the node wrote to stderr so far (its JSON log), across restarts.
  [[nodiscard]] std::string stderr_text() const;

  /// The last `max_bytes` of stderr, for failure messages.
  [[nodiscard]] std::string stderr_tail(std::size_t max_bytes = 4000) const;

private:
  void start();

  node_options opt_;
  std::filesystem::path root_;
  std::filesystem::path data_dir_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

} // namespace aia::test
