// How the Redis store reaches Redis: REDIS_URL parsing and the hiredis connection, with its
// timeouts, reconnects with backoff and scripts run by digest (EVALSHA, EVAL on NOSCRIPT).
#include "runtime/detail/redis_connection.hpp"

#include "runtime/log.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace aia::runtime {

// -- URL ---------------------------------------------------------------------------------------

namespace {

[[noreturn]] void bad_url(const std::string& problem) {
  throw std::invalid_argument("REDIS_URL: " + problem);
}

int parse_int(std::string_view s, int lo, int hi, const char* what) {
  int x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || x < lo || x > hi) {
    bad_url(std::string{what} + " must be a number in " + std::to_string(lo) + ".."
            + std::to_string(hi));
  }
  return x;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned x = 0;
    auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + std::min(i + 3, s.size()), x, 16);
    if (i + 3 > s.size() || ec != std::errc{} || end != s.data() + i + 3) {
      bad_url("bad percent-encoding in the password");
    }
    out += static_cast<char>(x);
    i += 2;
  }
  return out;
}

} // namespace

redis_options parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.starts_with("rediss://")) {
    bad_url("TLS (rediss://) is not supported");
  }
  if (!url.starts_with(scheme)) {
    bad_url("must start with redis://");
  }
  url.remove_prefix(scheme.size());
  redis_options opt;
  if (auto at = url.rfind('@'); at != std::string_view::npos) {  // host and db have no '@'
    auto userinfo = url.substr(0, at);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      bad_url("a user without password; write redis://:password@host");
    }
    if (auto user = userinfo.substr(0, colon); !user.empty() && user != "default") {
      bad_url("only the user 'default' is supported");
    }
    opt.password = percent_decode(userinfo.substr(colon + 1));
    url.remove_prefix(at + 1);
  }
  auto slash = url.find('/');
  auto hostport = url.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < url.size()) {
    opt.db = parse_int(url.substr(slash + 1), 0, 1 << 30, "the database");
  }
  std::string_view port;
  if (hostport.starts_with('[')) {  // [IPv6]
    auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      bad_url("unclosed '[' in the host");
    }
    opt.host = std::string{hostport.substr(1, close - 1)};
    hostport.remove_prefix(close + 1);
    if (!hostport.empty() && !hostport.starts_with(':')) {
      bad_url("unexpected text after the host");
    }
    port = hostport.empty() ? std::string_view{} : hostport.substr(1);
  } else {
    auto colon = hostport.find(':');
    opt.host = std::string{hostport.substr(0, colon)};
    port = colon == std::string_view::npos ? std::string_view{} : hostport.substr(colon + 1);
    if (port.find(':') != std::string_view::npos) {
      bad_url("an IPv6 host must be in brackets");
    }
  }
  if (opt.host.empty()) {
    bad_url("no host");
  }
  if (!port.empty() || hostport.ends_with(':')) {
    opt.port = parse_int(port, 1, 65535, "the port");
  }
  return opt;
}

namespace detail {

// -- connection --------------------------------------------------------------------------------

void reply_deleter::operator()(redisReply* r) const noexcept {
  freeReplyObject(r);
}

void context_deleter::operator()(redisContext* c) const noexcept {
  redisFree(c);
}

namespace {

/// Blocks SIGPIPE in this thread while hiredis uses the socket (it write()s without
/// MSG_NOSIGNAL: a peer gone would kill the process), and discards one it raised.
class sigpipe_guard {
public:
  sigpipe_guard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~sigpipe_guard() {
    sigset_t pending;
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

} // namespace

std::variant<reply_ptr, store_error> redis_connection::run(const args& a) {
  if (auto err = ensure()) {
    return *err;
  }
  return send(a);
}

std::variant<reply_ptr, store_error> redis_connection::eval(std::size_t index, args a) {
  a.insert(a.begin(), {"EVALSHA", digests_.size() > index ? digests_[index] : ""});
  auto r = run(a);
  if (auto* err = std::get_if<store_error>(&r);
      err && err->message.starts_with("redis: NOSCRIPT")) {
    a[0] = "EVAL";
    a[1] = scripts_[index];
    r = run(a);
  }
  return r;
}

std::optional<store_error> redis_connection::ensure() {
  if (ctx_ && !stale()) {
    return std::nullopt;
  }
  ctx_.reset();
  if (clock::now() < next_attempt_) {
    return store_error{"redis unavailable: " + reason_};
  }
  if (auto err = connect()) {
    backoff_ = std::min(std::max(backoff_ * 2, std::chrono::milliseconds{100}),
                        std::chrono::milliseconds{1000});
    next_attempt_ = clock::now() + backoff_;
    return err;
  }
  backoff_ = std::chrono::milliseconds{0};
  return std::nullopt;
}

/// Sends one command on the open connection and reads its reply.
std::variant<reply_ptr, store_error> redis_connection::send(const args& a) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& s : a) {
    argv.push_back(s.data());
    lens.push_back(s.size());
  }
  reply_ptr r;
  {
    sigpipe_guard guard;
    r.reset(static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(a.size()), argv.data(), lens.data())));
  }
  if (!r) {  // I/O error or timeout: the connection is unusable, a later call opens another
    return lost(ctx_->err == REDIS_ERR_IO && ctx_->errstr == std::string{std::strerror(EAGAIN)}
                  ? "no reply within " + std::to_string(opt_.timeout.count()) + " ms"
                  : std::string{ctx_->errstr});
  }
  if (r->type == REDIS_REPLY_ERROR) {
    return store_error{"redis: " + std::string{r->str, r->len}};
  }
  return r;
}

/// Opens the socket, authenticates, selects the database and loads the scripts.
std::optional<store_error> redis_connection::connect() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(opt_.timeout).count();
  timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  {
    sigpipe_guard guard;
    ctx_.reset(redisConnectWithTimeout(opt_.host.c_str(), opt_.port, tv));
  }
  if (!ctx_ || ctx_->err) {
    return lost(ctx_ ? ctx_->errstr : "out of memory");
  }
  redisSetTimeout(ctx_.get(), tv);
  redisEnableKeepAlive(ctx_.get());
  std::vector<args> setup;
  if (!opt_.password.empty()) {
    setup.push_back({"AUTH", opt_.password});
  }
  setup.push_back({"SELECT", std::to_string(opt_.db)});
  for (const auto& s : scripts_) {
    setup.push_back({"SCRIPT", "LOAD", s});
  }
  digests_.clear();
  for (const auto& a : setup) {
    auto r = send(a);
    if (auto* err = std::get_if<store_error>(&r)) {
      return ctx_ ? lost(err->message) : *err;  // an error reply, or an I/O error (lost already)
    }
    if (a[0] == "SCRIPT") {
      const auto& reply = std::get<reply_ptr>(r);
      digests_.emplace_back(reply->str, reply->len);
    }
  }
  if (!reason_.empty()) {
    log::info("store.redis_reconnected", {{"host", opt_.host}, {"port", opt_.port}});
  }
  reason_.clear();
  return std::nullopt;
}

/// True if the idle connection has something to read: the server closed or reset it, or sent
/// what nobody asked for. Checked before each command, so a Redis restarted while this store
/// was idle costs no failed call.
bool redis_connection::stale() const {
  pollfd p{ctx_->fd, POLLIN | POLLRDHUP, 0};
  return ::poll(&p, 1, 0) != 0;
}

/// Drops the connection for `why`; logs the first failure of an outage.
store_error redis_connection::lost(std::string why) {
  ctx_.reset();
  if (reason_.empty()) {
    log::warn("store.redis_unavailable",
              {{"host", opt_.host}, {"port", opt_.port}, {"reason", why}});
  }
  reason_ = why.empty() ? "unknown error" : why;
  return store_error{"redis unavailable: " + reason_};
}

} // namespace detail

} // namespace aia::runtime
