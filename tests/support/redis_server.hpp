// Test harness: a real redis-server (Debian's /usr/bin/redis-server) as a child process on a
// free loopback port, with AOF on and its data in a fresh temporary directory. Never a mock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace aia::test {

/// One redis-server child: `--appendonly yes --appendfsync everysec --save "" --bind 127.0.0.1`.
/// The constructor starts it and waits until it answers PING (failing the running test with the
/// tail of its log if it never does); the destructor kills it and removes its directory. Not
/// thread-safe: drive it from the test's thread.
class redis_server {
public:
  /// Starts a server; `extra_args` are added to its command line (e.g. "--requirepass", "pw").
  explicit redis_server(std::vector<std::string> extra_args = {});
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// "redis://127.0.0.1:PORT/0".
  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// The server's --dir: its AOF (appendonlydir/) and log.
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  /// True while the child runs.
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

  /// Shuts it down with SIGTERM (Redis flushes its AOF) and waits until it exited.
  void stop();
  /// Kills it with SIGKILL, as a crash: no shutdown work, and waits until it is gone.
  void kill();
  /// Stops it if running, then starts it again on the same port and directory (it reloads its
  /// AOF) and waits until it answers PING.
  void restart();
  /// SIGSTOP: the server still accepts connections (the kernel does) but answers nothing.
  void pause();
  /// SIGCONT after pause().
  void resume();

  /// Runs `redis-cli --raw` against it with `args` (each quoted); what it printed.
  [[nodiscard]] std::string cli(const std::vector<std::string>& args) const;

private:
  /// Spawns the server on port_; true once it answers PING, false if it exited or never did.
  bool start();
  void wait_exit();

  std::filesystem::path dir_;
  std::vector<std::string> extra_args_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

} // namespace aia::test
