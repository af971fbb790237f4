// Test harness: fork/exec of aia-node, its listening line, signals, and cleanup.
#include "tests/support/node_process.hpp"

#include "tests/support/tokens.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace aia::test {

/// A loopback port nobody listened on a moment ago.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr std::string_view listening_line = "aia-node: listening on ";
constexpr std::string_view listening_host = "://127.0.0.1:";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The port of a complete listening line in `out`, or 0 if there is none yet.
std::uint16_t listening_port(const std::string& out) {
  auto line = out.find(listening_line);
  auto p = line == std::string::npos ? line : out.find(listening_host, line);
  if (p == std::string::npos) {
    return 0;
  }
  auto start = p + listening_host.size();
  auto end = out.find('\n', start);
  if (end == std::string::npos) {
    return 0;
  }
  return static_cast<std::uint16_t>(std::stoul(out.substr(start, end - start)));
}

/// The node must not pick up settings from the developer's shell.
bool inherited_setting(std::string_view kv) {
  return kv.starts_with("AIA_") || kv.starts_with("PRIVACY_LEVEL=") || kv.starts_with("REDIS_URL=");
}

std::filesystem::path make_temp_root() {
  auto base = std::filesystem::temp_directory_path() / "aia-node-test-XXXXXX";
  std::string pattern = base.string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string{std::strerror(errno)});
  }
  return pattern;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

} // namespace

node_process::node_process(node_options opt) : opt_(std::move(opt)) {
  root_ = make_temp_root();
  data_dir_ = root_ / "data";
  stdout_path_ = root_ / "stdout.txt";
  stderr_path_ = root_ / "stderr.txt";
  try {
    start();
  } catch (...) {
    // The destructor will not run for a half-built object: clean up here.
    if (pid_ > 0) {
      kill();
    }
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    throw;
  }
}

node_process::~node_process() {
  if (pid_ > 0) {
    kill();
  }
  if (std::getenv("AIA_TEST_KEEP_NODE_DIRS") != nullptr) {
    return;  // for debugging: keep the data dir and the node's stderr
  }
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void node_process::start() {
  REQUIRE(pid_ <= 0);
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<std::string> args{AIA_NODE_BIN, "--host",     "127.0.0.1",       "--port",
                                "0",          "--data-dir", data_dir_.string()};
  if (opt_.trust_test_key) {
    auto trust = trust_test_key(root_);
    args.insert(args.end(), trust.begin(), trust.end());
  }
  // Tests send many requests with one token: no per-subject limits unless a test sets them
  // (its own arguments come later and win). The per-address limit on refused tokens stays.
  args.insert(args.end(), {"--limits.requests_per_minute=0", "--limits.ws_messages_per_minute=0"});
  args.insert(args.end(), opt_.args.begin(), opt_.args.end());
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!inherited_setting(*e)) {
      env.emplace_back(*e);
    }
  }
  for (const auto& [k, v] : opt_.env) {
    env.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  auto out_path = stdout_path_.string();
  auto err_path = stderr_path_.string();
  auto parent = getpid();
  // The listening line must come from this start, not from the one before.
  std::error_code ignored;
  std::filesystem::remove(stdout_path_, ignored);

  pid_t pid = fork();
  if (pid < 0) {
    FAIL("fork failed: " << std::strerror(errno));
  }
  if (pid == 0) {
    // Child: die with the test process, even if it crashes before reaping us.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
      _exit(126);
    }
    // The test process may block signals in its threads; the node expects a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  port_ = 0;

  // Parent: wait for the listening line, or for the child to die.
  auto deadline = clock::now() + opt_.start_timeout;
  while (true) {
    if (auto port = listening_port(read_file(stdout_path_)); port != 0) {
      port_ = port;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("aia-node (" << AIA_NODE_BIN << ") exited with code " << exit_code_of(status)
                        << " before listening; stderr:\n"
                        << stderr_tail());
    }
    if (clock::now() > deadline) {
      kill();
      FAIL("aia-node did not print its listening line within " << opt_.start_timeout.count()
                                                               << " ms; stderr:\n"
                                                               << stderr_tail());
    }
    std::this_thread::sleep_for(10ms);
  }
}

int node_process::terminate(std::chrono::milliseconds timeout) {
  REQUIRE(pid_ > 0);
  ::kill(pid_, SIGTERM);
  auto pid = pid_;
  int status = 0;
  auto deadline = clock::now() + timeout;
  while (true) {
    auto r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      pid_ = -1;
      return exit_code_of(status);
    }
    if (clock::now() > deadline) {
      kill();
      FAIL("aia-node did not exit within " << timeout.count() << " ms of SIGTERM; stderr:\n"
                                           << stderr_tail());
    }
    std::this_thread::sleep_for(5ms);
  }
}

void node_process::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void node_process::restart() {
  REQUIRE_FALSE(running());
  start();
}

std::string node_process::stdout_text() const {
  return read_file(stdout_path_);
}

std::string node_process::stderr_text() const {
  return read_file(stderr_path_);
}

std::string node_process::stderr_tail(std::size_t max_bytes) const {
  auto text = stderr_text();
  return text.size() <= max_bytes ? text : text.substr(text.size() - max_bytes);
}

} // namespace aia::test
