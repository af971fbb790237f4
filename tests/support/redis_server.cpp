// Test harness: spawning redis-server, waiting for its PING, signals, and cleanup.
#include "tests/support/redis_server.hpp"

#include "tests/support/command.hpp"
#include "tests/support/node_process.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace aia::test {

namespace {

constexpr const char* server_bin = "/usr/bin/redis-server";

/// True if a server on `port` answers an inline PING (+PONG, or -NOAUTH with a password set).
bool answers_ping(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0
      && ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6) {
    pollfd p{fd, POLLIN, 0};
    char buf[64] = {};
    if (::poll(&p, 1, 500) == 1 && ::recv(fd, buf, sizeof buf - 1, 0) > 0) {
      std::string_view reply{buf};
      ok = reply.starts_with("+PONG") || reply.starts_with("-NOAUTH");
    }
  }
  ::close(fd);
  return ok;
}

std::string tail_of(const std::filesystem::path& file) {
  std::ifstream in{file};
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

} // namespace

redis_server::redis_server(std::vector<std::string> extra_args)
  : extra_args_{std::move(extra_args)} {
  std::string pattern = (std::filesystem::temp_directory_path() / "aia-redis-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  dir_ = pattern;
  for (int attempt = 0; attempt < 5; ++attempt) {  // the free port may be taken meanwhile
    port_ = free_port();
    if (start()) {
      return;
    }
  }
  auto log = tail_of(dir_ / "redis.log");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  FAIL("redis-server did not start; its log ends:\n" << log);
}

redis_server::~redis_server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);  // if paused
    kill();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string redis_server::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/0";
}

bool redis_server::start() {
  std::vector<std::string> args{server_bin,      "--port",        std::to_string(port_),
                                "--bind",        "127.0.0.1",     "--appendonly",
                                "yes",           "--appendfsync", "everysec",
                                "--save",        "",              "--dir",
                                dir_.string(),   "--logfile",     (dir_ / "redis.log").string(),
                                "--daemonize",   "no"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawn(&pid_, server_bin, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{15};
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (answers_ping(port_)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  kill();
  return false;
}

void redis_server::wait_exit() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      FAIL("redis-server did not exit within 10 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  pid_ = -1;
}

void redis_server::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    wait_exit();
  }
}

void redis_server::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_exit();
  }
}

void redis_server::restart() {
  stop();
  if (!start()) {
    FAIL("redis-server did not restart; its log ends:\n" << tail_of(dir_ / "redis.log"));
  }
}

void redis_server::pause() {
  REQUIRE(pid_ > 0);
  ::kill(pid_, SIGSTOP);
}

void redis_server::resume() {
  REQUIRE(pid_ > 0);
  ::kill(pid_, SIGCONT);
}

std::string redis_server::cli(const std::vector<std::string>& args) const {
  std::string cmd = "redis-cli -h 127.0.0.1 --raw -p ";
  cmd += std::to_string(port_);
  for (const auto& a : args) {
    cmd += ' ';
    cmd += quoted(a);
  }
  return run_command(cmd).output;
}

} // namespace aia::test
