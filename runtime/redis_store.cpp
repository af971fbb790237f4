// The cluster store backend: Redis through hiredis's blocking API, values sealed as SQLite seals
// them. One connection (detail/redis_connection), used from one thread (as every store).
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
#include "runtime/detail/redis_connection.hpp"
#include "runtime/detail/sqlite_util.hpp"  // the sealed columns' purposes, shared with SQLite
#include "runtime/log.hpp"

#include <hiredis/hiredis.h>  // the reply types read below
#include <msgpack.hpp>

#include <charconv>
#include <stdexcept>
#include <unordered_map>

namespace aia::runtime {

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

using detail::reply_ptr;
using args = detail::redis_connection::args;

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

  std::optional<store_error> check() override {
    auto r = conn_.run({"PING"});
    if (auto* err = std::get_if<store_error>(&r)) {
      return *err;
    }
    return std::nullopt;
  }

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

  detail::redis_connection conn_;
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
