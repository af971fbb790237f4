// The cluster store backend: Redis through hiredis's blocking API, values sealed as SQLite seals
// them. One connection, used from one thread (as every store); hiredis stays in this file.
//
// Data model (keys start with the prefix P, "aia:" by default; user ids are clear, as in SQLite):
//   P ev:<user>    sorted set, one member per event, scored by its seq. The member is msgpack
//                  [seq, client_id, client_seq, ts, stored_at, sealed payload (bin)]: the seq in
//                  it keeps members unique, the score orders them and finds duplicates.
//   P snap:<user>  hash {seq (decimal), data (sealed), updated_at (shortest round-trip double)}
//   P users        set of every user with an event or a snapshot (user_count is its SCARD)
// Sealing purposes are the SQLite columns' ("events.payload", "snapshots.data"), bound to the user.
// Seqs travel as scores (doubles): they must stay below 2^53, which write() checks.
//
// One write() is one EVALSHA of write_script (EVAL if Redis answers NOSCRIPT): Redis runs a script
// alone, and the script checks every event first and writes only if none exists, so a call is
// applied whole or not at all; success is returned only after Redis replied to it. load() is one
// EVALSHA as well, so the snapshot and the events after it are read at one instant.
#include "runtime/redis_store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/detail/sqlite_util.hpp"  // the sealed columns' purposes, shared with SQLite
#include "runtime/log.hpp"

#include <hiredis/hiredis.h>
#include <msgpack.hpp>
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

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

namespace {

// -- scripts -----------------------------------------------------------------------------------

/// KEYS: users, then ev and snap of each user of the call. ARGV: n, the n user ids, then ops:
/// 'e' user# seq member | 's' user# seq data updated_at. Checks all events, then writes.
constexpr const char* write_script = R"lua(
local n = tonumber(ARGV[1])
local seen = {}
local i = n + 2
while i <= #ARGV do
  if ARGV[i] == 'e' then
    local u, seq = tonumber(ARGV[i + 1]), ARGV[i + 2]
    local id = u .. ':' .. seq
    if seen[id] or redis.call('ZCOUNT', KEYS[2 * u], seq, seq) > 0 then
      return redis.error_reply('DUPLICATE event seq ' .. seq .. ' exists; nothing written')
    end
    seen[id] = true
    i = i + 4
  else
    i = i + 5
  end
end
i = n + 2
while i <= #ARGV do
  local u, seq = tonumber(ARGV[i + 1]), ARGV[i + 2]
  if ARGV[i] == 'e' then
    redis.call('ZADD', KEYS[2 * u], seq, ARGV[i + 3])
    i = i + 4
  else
    local cur = redis.call('HGET', KEYS[2 * u + 1], 'seq')
    if not cur or tonumber(cur) <= tonumber(seq) then
      redis.call('HSET', KEYS[2 * u + 1], 'seq', seq, 'data', ARGV[i + 3],
                 'updated_at', ARGV[i + 4])
    end
    i = i + 5
  end
end
for j = 2, n + 1 do
  redis.call('SADD', KEYS[1], ARGV[j])
end
return n
)lua";

/// KEYS: snap, ev of one user. Returns {snap seq or '', data, updated_at, {member, seq, ...}}
/// with the members after the snapshot.
constexpr const char* load_script = R"lua(
local s = redis.call('HMGET', KEYS[1], 'seq', 'data', 'updated_at')
local ev = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. (s[1] or '0'), '+inf', 'WITHSCORES')
return {s[1] or '', s[2] or '', s[3] or '', ev}
)lua";

constexpr std::uint64_t max_seq = std::uint64_t{1} << 53;  // exact as a sorted-set score

// -- connection --------------------------------------------------------------------------------

struct reply_deleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;
struct context_deleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};

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

using args = std::vector<std::string>;
using clock = std::chrono::steady_clock;

/// One connection to Redis that re-connects on demand, with a backoff while it cannot.
class connection {
public:
  explicit connection(redis_options opt) : opt_{std::move(opt)} {}

  /// Runs one command; its reply (never an error reply), or why there is none.
  std::variant<reply_ptr, store_error> run(const args& a) {
    if (auto err = ensure()) {
      return *err;
    }
    return send(a);
  }

  /// Runs script `index` of the scripts by its digest, sending its text if Redis lacks it.
  std::variant<reply_ptr, store_error> eval(std::size_t index, args a) {
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

  /// Connects unless connected and sound; why not. Within the backoff after a failed attempt it
  /// fails at once with the last reason.
  std::optional<store_error> ensure() {
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

  void set_scripts(std::vector<std::string> scripts) { scripts_ = std::move(scripts); }

private:
  /// Sends one command on the open connection and reads its reply.
  std::variant<reply_ptr, store_error> send(const args& a) {
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
  std::optional<store_error> connect() {
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
  bool stale() const {
    pollfd p{ctx_->fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  /// Drops the connection for `why`; logs the first failure of an outage.
  store_error lost(std::string why) {
    ctx_.reset();
    if (reason_.empty()) {
      log::warn("store.redis_unavailable",
                {{"host", opt_.host}, {"port", opt_.port}, {"reason", why}});
    }
    reason_ = why.empty() ? "unknown error" : why;
    return store_error{"redis unavailable: " + reason_};
  }

  redis_options opt_;
  std::unique_ptr<redisContext, context_deleter> ctx_;
  std::vector<std::string> scripts_;
  std::vector<std::string> digests_;
  std::string reason_;  ///< why the connection was lost; empty while connected
  std::chrono::milliseconds backoff_{0};
  clock::time_point next_attempt_{};
};

// -- the store ---------------------------------------------------------------------------------

enum script_index : std::size_t { write_index, load_index };

std::string as_string(const std::vector<std::uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string number(double x) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return {buf, end};
}

/// An event's sorted-set member: msgpack [seq, client_id, client_seq, ts, stored_at, payload].
std::string encode_event(const stored_event& e, const std::vector<std::uint8_t>& sealed) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_array(6);
  pk.pack(e.seq).pack(e.client_id).pack(e.client_seq).pack(e.timestamp).pack(e.stored_at);
  pk.pack_bin(static_cast<std::uint32_t>(sealed.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(sealed.data()),
                   static_cast<std::uint32_t>(sealed.size()));
  return {buf.data(), buf.size()};
}

/// The event of a member, its payload still sealed; nullopt if the member is malformed.
std::optional<stored_event> decode_event(const std::string& user, const redisReply& r) {
  try {
    auto handle = msgpack::unpack(r.str, r.len);
    const auto& o = handle.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 6) {
      return std::nullopt;
    }
    const auto* f = o.via.array.ptr;
    return stored_event{user, f[0].as<std::uint64_t>(), f[1].as<std::string>(),
                        f[2].as<std::uint64_t>(), f[3].as<double>(), f[4].as<double>(),
                        f[5].as<std::vector<std::uint8_t>>()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

class redis_store final : public store {
public:
  redis_store(const redis_options& opt, std::shared_ptr<const privacy::sealer> sealer,
              std::string prefix)
    : conn_{opt}, sealer_{std::move(sealer)}, prefix_{std::move(prefix)} {
    if (!sealer_) {
      throw std::invalid_argument("open_redis_store: no sealer");
    }
    conn_.set_scripts({write_script, load_script});
    if (auto err = conn_.ensure()) {
      throw std::runtime_error("cannot open redis store at " + opt.host + ":"
                               + std::to_string(opt.port) + ": " + err->message);
    }
  }

  std::optional<store_error> write(const std::vector<stored_event>& events,
                                   const std::vector<snapshot_record>& snapshots) override {
    if (events.empty() && snapshots.empty()) {
      return std::nullopt;
    }
    std::unordered_map<std::string, std::size_t> index;  // user -> 1-based position in the call
    args users;
    auto user_of = [&](const std::string& user) {
      auto [it, added] = index.try_emplace(user, users.size() + 1);
      if (added) {
        users.push_back(user);
      }
      return std::to_string(it->second);
    };
    args ops;
    try {
      for (const auto& e : events) {
        if (e.seq >= max_seq) {
          return store_error{"event seq " + std::to_string(e.seq) + " is past 2^53"};
        }
        auto sealed = sealer_->seal(detail::event_payloads.purpose, e.user_id, e.payload);
        ops.insert(ops.end(), {"e", user_of(e.user_id), std::to_string(e.seq),
                               encode_event(e, sealed)});
      }
      for (const auto& s : snapshots) {
        if (s.seq >= max_seq) {
          return store_error{"snapshot seq " + std::to_string(s.seq) + " is past 2^53"};
        }
        auto sealed = sealer_->seal(detail::snapshot_data.purpose, s.user_id, s.data);
        ops.insert(ops.end(), {"s", user_of(s.user_id), std::to_string(s.seq), as_string(sealed),
                               number(s.updated_at)});
      }
    } catch (const std::exception& e) {
      return store_error{std::string{"sealing failed: "} + e.what()};  // no data in it
    }
    args a{std::to_string(1 + 2 * users.size()), prefix_ + "users"};
    for (const auto& u : users) {
      a.insert(a.end(), {prefix_ + "ev:" + u, prefix_ + "snap:" + u});
    }
    a.push_back(std::to_string(users.size()));
    a.insert(a.end(), users.begin(), users.end());
    a.insert(a.end(), std::make_move_iterator(ops.begin()), std::make_move_iterator(ops.end()));
    auto r = conn_.eval(write_index, std::move(a));
    if (auto* err = std::get_if<store_error>(&r)) {
      return *err;
    }
    return std::nullopt;
  }

  user_history load(const std::string& user_id) override {
    user_history out;
    auto r = conn_.eval(load_index, {"2", prefix_ + "snap:" + user_id, prefix_ + "ev:" + user_id});
    if (auto* err = std::get_if<store_error>(&r)) {
      out.unreadable = *err;  // nothing read: the caller must not take this for a new user
      return out;
    }
    const auto& reply = *std::get<reply_ptr>(r);
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 4
        || reply.element[3]->type != REDIS_REPLY_ARRAY) {
      out.unreadable = store_error{"redis: unexpected reply to the load script"};
      return out;
    }
    std::uint64_t seq = 0;
    const auto& s = reply.element;
    if (s[0]->len > 0) {
      std::from_chars(s[0]->str, s[0]->str + s[0]->len, seq);
      double updated_at = 0;
      std::from_chars(s[2]->str, s[2]->str + s[2]->len, updated_at);
      std::vector<std::uint8_t> sealed(s[1]->str, s[1]->str + s[1]->len);
      out.snapshot = snapshot_record{
        user_id, seq, unseal(out, detail::snapshot_data.purpose, user_id, seq, sealed, nullptr),
        updated_at};
    }
    const auto& ev = *s[3];
    for (std::size_t i = 0; i + 1 < ev.elements; i += 2) {
      const auto& score = *ev.element[i + 1];
      std::from_chars(score.str, score.str + score.len, seq);
      auto e = decode_event(user_id, *ev.element[i]);
      if (!e || e->seq != seq) {  // not a record, or one moved to another position
        out.events.push_back(stored_event{user_id, seq, {}, 0, 0, 0, {}});
        unseal(out, detail::event_payloads.purpose, user_id, seq, {}, "malformed");
        continue;
      }
      e->payload = unseal(out, detail::event_payloads.purpose, user_id, seq, e->payload, nullptr);
      out.events.push_back(std::move(*e));
    }
    return out;
  }

  std::uint64_t user_count() override {
    auto r = conn_.run({"SCARD", prefix_ + "users"});
    if (auto* reply = std::get_if<reply_ptr>(&r); reply && (*reply)->type == REDIS_REPLY_INTEGER) {
      last_count_ = static_cast<std::uint64_t>((*reply)->integer);
    }
    return last_count_;  // while Redis is down: the last count read
  }

  const char* backend() const noexcept override { return "redis"; }

private:
  /// Opens one stored value (or reports `malformed`, a record that did not decode). On failure
  /// it logs, marks `out` unreadable and gives no bytes, as the SQLite store does.
  std::vector<std::uint8_t> unseal(user_history& out, std::string_view purpose,
                                   const std::string& user_id, std::uint64_t seq,
                                   const std::vector<std::uint8_t>& sealed, const char* malformed) {
    const char* code = malformed;
    if (!code) {
      auto opened = sealer_->open(purpose, user_id, sealed);
      if (auto* plain = std::get_if<std::vector<std::uint8_t>>(&opened)) {
        return std::move(*plain);
      }
      code = privacy::to_string(std::get<privacy::sealing_errc>(opened));
    }
    // Neither the value nor the user id is logged (ids may be e-mail addresses).
    log::error("store.value_unreadable", {{"column", purpose}, {"seq", seq}, {"errc", code}});
    if (!out.unreadable) {
      out.unreadable = store_error{std::string{purpose} + " of seq " + std::to_string(seq)
                                   + " does not open: " + code};
    }
    return {};
  }

  connection conn_;
  std::shared_ptr<const privacy::sealer> sealer_;
  std::string prefix_;
  std::uint64_t last_count_ = 0;
};

} // namespace

std::unique_ptr<store> open_redis_store(const redis_options& opt,
                                        std::shared_ptr<const privacy::sealer> sealer,
                                        std::string key_prefix) {
  auto st = std::make_unique<redis_store>(opt, std::move(sealer), std::move(key_prefix));
  log::info("store.redis_opened", {{"host", opt.host}, {"port", opt.port}, {"db", opt.db}});
  return st;
}

} // namespace aia::runtime
