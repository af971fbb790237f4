// The cluster store backend: Redis through hiredis's blocking API, values sealed as SQLite seals
// them. One connection (detail/redis_connection), used from one thread (as every store).
//
// Data model (keys start with the prefix P, "aia:" by default; user ids are clear, as in SQLite):
//   P ev:<user>    sorted set, one member per event, scored by its seq. The member is msgpack
//                  [seq, client_id, client_seq, ts, stored_at, sealed payload (bin)]: the seq in
//                  it keeps members unique, the score orders them and finds duplicates.
//   P snap:<user>  hash {seq (decimal), data (sealed), updated_at (shortest round-trip double)}
//   P rec:<user>   hash, three fields per record kind K ([a-z_], so no ':' in it): K:version
//                  (decimal), K:data (sealed), K:updated_at (shortest round-trip double)
//   P users        set of every user with an event or a snapshot (user_count is its SCARD);
//                  records alone do not add a user
//   P expiry       sorted set, one member "<seq>:<user>" per event, scored by its stored_at: the
//                  retention index expire_events walks, oldest first (stored_at itself is inside
//                  the event's msgpack member, where a script cannot read it cheaply).
// Sealing purposes are the SQLite columns' ("events.payload", "snapshots.data", and
// "records.data:<kind>" for records), bound to the user. Seqs travel as scores (doubles): they
// must stay below 2^53, which write() checks.
//
// Every call is one EVALSHA of its script (EVAL if Redis answers NOSCRIPT), and Redis runs a
// script alone: write_script checks every event first and writes only if none exists, so a call
// is applied whole or not at all; success is returned only after Redis replied to it. load() reads
// the snapshot, the events after it and the records at one instant; put_record's compare-and-set
// and erase_user are one script each; expire_events runs expire_script over bounded batches.
//
// Data written before the expiry index existed (or by a node of an older version) has no member
// in it: those events never expire, and nothing fails. erase_user removes them all the same (it
// deletes the user's keys). expire_script builds the key names of the users it meets inside Lua,
// which a single Redis allows but Redis Cluster does not: this backend needs one Redis (primary
// with replicas is fine). Durability is Redis's: an erase or a record is as
// durable as its AOF policy makes any write, and erased values may stay in the AOF file (sealed)
// until Redis rewrites it.
#include "runtime/redis_store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/detail/redis_connection.hpp"
#include "runtime/detail/sqlite_util.hpp"  // the sealed columns' purposes, shared with SQLite
#include "runtime/detail/user_records.hpp"
#include "runtime/log.hpp"

#include <hiredis/hiredis.h>  // the reply types read below
#include <msgpack.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace aia::runtime {

namespace {

using detail::record_column;
using detail::record_purpose;
using detail::valid_kind;

// -- scripts -----------------------------------------------------------------------------------

/// KEYS: users, expiry, then ev and snap of each user of the call. ARGV: n, the n user ids, then
/// ops: 'e' user# seq member stored_at | 's' user# seq data updated_at. Checks all events, then
/// writes.
constexpr const char* write_script = R"lua(
local n = tonumber(ARGV[1])
local seen = {}
local i = n + 2
while i <= #ARGV do
  if ARGV[i] == 'e' then
    local u, seq = tonumber(ARGV[i + 1]), ARGV[i + 2]
    local id = u .. ':' .. seq
    if seen[id] or redis.call('ZCOUNT', KEYS[2 * u + 1], seq, seq) > 0 then
      return redis.error_reply('DUPLICATE event seq ' .. seq .. ' exists; nothing written')
    end
    seen[id] = true
  end
  i = i + 5
end
i = n + 2
while i <= #ARGV do
  local u, seq = tonumber(ARGV[i + 1]), ARGV[i + 2]
  if ARGV[i] == 'e' then
    redis.call('ZADD', KEYS[2 * u + 1], seq, ARGV[i + 3])
    redis.call('ZADD', KEYS[2], ARGV[i + 4], seq .. ':' .. ARGV[u + 1])
  else
    local cur = redis.call('HGET', KEYS[2 * u + 2], 'seq')
    if not cur or tonumber(cur) <= tonumber(seq) then
      redis.call('HSET', KEYS[2 * u + 2], 'seq', seq, 'data', ARGV[i + 3],
                 'updated_at', ARGV[i + 4])
    end
  end
  i = i + 5
end
for j = 2, n + 1 do
  redis.call('SADD', KEYS[1], ARGV[j])
end
return n
)lua";

/// KEYS: snap, ev, rec of one user. Returns {snap seq or '', data, updated_at, {member, seq,
/// ...}, {field, value, ...}}: the members after the snapshot, then the record fields.
constexpr const char* load_script = R"lua(
local s = redis.call('HMGET', KEYS[1], 'seq', 'data', 'updated_at')
local ev = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. (s[1] or '0'), '+inf', 'WITHSCORES')
return {s[1] or '', s[2] or '', s[3] or '', ev, redis.call('HGETALL', KEYS[3])}
)lua";

/// KEYS: rec of one user. ARGV: kind, the version it must have now (decimal, '0' for none), the
/// new version, sealed data, updated_at. Returns {1, new version} or {0, the stored version}.
/// Versions compare as the decimal strings both sides write, so no double rounds them.
constexpr const char* put_record_script = R"lua(
local cur = redis.call('HGET', KEYS[1], ARGV[1] .. ':version') or '0'
if cur ~= ARGV[2] then
  return {0, cur}
end
redis.call('HSET', KEYS[1], ARGV[1] .. ':version', ARGV[3], ARGV[1] .. ':data', ARGV[4],
           ARGV[1] .. ':updated_at', ARGV[5])
return {1, ARGV[3]}
)lua";

/// KEYS: ev, snap, rec of one user, users, expiry. ARGV: the user id. Deletes the user's keys,
/// its expiry members and its users entry; returns {events, snapshots, records} removed.
constexpr const char* erase_script = R"lua(
local scores = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local members = {}
for i = 2, #scores, 2 do
  members[#members + 1] = string.format('%d', tonumber(scores[i])) .. ':' .. ARGV[1]
  if #members == 500 then
    redis.call('ZREM', KEYS[5], unpack(members))
    members = {}
  end
end
if #members > 0 then
  redis.call('ZREM', KEYS[5], unpack(members))
end
local records = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  if string.sub(f, -8) == ':version' then
    records = records + 1
  end
end
local snapshots = redis.call('EXISTS', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
return {#scores / 2, snapshots, records}
)lua";

/// KEYS: expiry. ARGV: key prefix, cutoff, limit, first rank, count. Looks at `count` expiry
/// members from rank `first` on (oldest first; by rank, so that reaching it costs O(log n), not
/// a walk over the members before it) and removes each event older than the cutoff that its
/// user's snapshot covers, up to `limit`. Returns {removed, skipped (not covered, still
/// indexed), 1 if no older member is left past these}: the caller's next rank grows by
/// `skipped`, as the removed members no longer take a rank.
constexpr const char* expire_script = R"lua(
local prefix, cutoff, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local first, count = tonumber(ARGV[4]), tonumber(ARGV[5])
local entries = redis.call('ZRANGE', KEYS[1], first, first + count - 1, 'WITHSCORES')
local removed, skipped, covered = 0, 0, {}
local done = #entries < 2 * count
for i = 1, #entries, 2 do
  if removed >= limit then
    break
  end
  if tonumber(entries[i + 1]) >= cutoff then
    done = true
    break
  end
  local m = entries[i]
  local colon = string.find(m, ':', 1, true)
  if not colon then
    skipped = skipped + 1
  else
    local seq, user = string.sub(m, 1, colon - 1), string.sub(m, colon + 1)
    if covered[user] == nil then
      covered[user] = tonumber(redis.call('HGET', prefix .. 'snap:' .. user, 'seq') or '-1')
    end
    if tonumber(seq) <= covered[user] then
      removed = removed + redis.call('ZREMRANGEBYSCORE', prefix .. 'ev:' .. user, seq, seq)
      redis.call('ZREM', KEYS[1], m)
    else
      skipped = skipped + 1
    end
  end
end
return {removed, skipped, done and 1 or 0}
)lua";

constexpr std::uint64_t max_seq = std::uint64_t{1} << 53;  // exact as a sorted-set score

/// Expiry members one expire_script call looks at: bounds how long it holds Redis.
constexpr std::uint64_t expire_batch = 512;

using detail::reply_ptr;
using args = detail::redis_connection::args;

// -- the store ---------------------------------------------------------------------------------

enum script_index : std::size_t { write_index, load_index, put_index, erase_index, expire_index };

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
    conn_.set_scripts({write_script, load_script, put_record_script, erase_script, expire_script});
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
                               encode_event(e, sealed), number(e.stored_at)});
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
    args a{std::to_string(2 + 2 * users.size()), prefix_ + "users", prefix_ + "expiry"};
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
    auto r = conn_.eval(load_index, {"3", prefix_ + "snap:" + user_id, prefix_ + "ev:" + user_id,
                                     prefix_ + "rec:" + user_id});
    if (auto* err = std::get_if<store_error>(&r)) {
      out.unreadable = *err;  // nothing read: the caller must not take this for a new user
      return out;
    }
    const auto& reply = *std::get<reply_ptr>(r);
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 5
        || reply.element[3]->type != REDIS_REPLY_ARRAY
        || reply.element[4]->type != REDIS_REPLY_ARRAY) {
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
    load_records(out, user_id, *s[4]);
    return out;
  }

  std::uint64_t user_count() override {
    auto r = conn_.run({"SCARD", prefix_ + "users"});
    if (auto* reply = std::get_if<reply_ptr>(&r); reply && (*reply)->type == REDIS_REPLY_INTEGER) {
      last_count_ = static_cast<std::uint64_t>((*reply)->integer);
    }
    return last_count_;  // while Redis is down: the last count read
  }

  std::optional<store_error> put_record(const user_record& r) override {
    if (!valid_kind(r.kind)) {
      return store_error{"record kind must be 1 to 32 of [a-z_]"};
    }
    if (r.version == 0) {
      return store_error{"record version must be 1 or more"};
    }
    std::string sealed;
    try {
      sealed = as_string(sealer_->seal(record_purpose(r.kind), r.user_id, r.data));
    } catch (const std::exception& e) {
      return store_error{std::string{"sealing failed: "} + e.what()};  // no data in it
    }
    auto res = conn_.eval(put_index, {"1", prefix_ + "rec:" + r.user_id, r.kind,
                                      std::to_string(r.version - 1), std::to_string(r.version),
                                      std::move(sealed), number(r.updated_at)});
    if (auto* err = std::get_if<store_error>(&res)) {
      return *err;
    }
    const auto& reply = *std::get<reply_ptr>(res);
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2
        || reply.element[0]->type != REDIS_REPLY_INTEGER
        || reply.element[1]->type != REDIS_REPLY_STRING) {
      return store_error{"redis: unexpected reply to the record script"};
    }
    if (reply.element[0]->integer != 1) {
      return store_error{"record version conflict: " + r.kind + " is at version "
                         + std::string{reply.element[1]->str, reply.element[1]->len}
                         + ", the write names version " + std::to_string(r.version)};
    }
    return std::nullopt;
  }

  std::variant<erase_counts, store_error> erase_user(const std::string& user_id) override {
    auto r = conn_.eval(erase_index, {"5", prefix_ + "ev:" + user_id, prefix_ + "snap:" + user_id,
                                      prefix_ + "rec:" + user_id, prefix_ + "users",
                                      prefix_ + "expiry", user_id});
    if (auto* err = std::get_if<store_error>(&r)) {
      return *err;
    }
    auto n = integers(*std::get<reply_ptr>(r));
    if (!n) {
      return store_error{"redis: unexpected reply to the erase script"};
    }
    return erase_counts{(*n)[0], (*n)[1], (*n)[2]};
  }

  std::variant<std::uint64_t, store_error> expire_events(double cutoff,
                                                         std::uint64_t limit) override {
    if (std::isnan(cutoff)) {
      return store_error{"expiry cutoff is not a number"};
    }
    // Batch after batch through the members older than the cutoff; the ones left in place (no
    // snapshot covers them yet) are skipped by rank. An error ends the call: what the batches
    // before it removed stays removed.
    std::uint64_t removed = 0;
    std::uint64_t rank = 0;
    while (removed < limit) {
      auto r = conn_.eval(expire_index, {"1", prefix_ + "expiry", prefix_, number(cutoff),
                                         std::to_string(limit - removed), std::to_string(rank),
                                         std::to_string(expire_batch)});
      if (auto* err = std::get_if<store_error>(&r)) {
        return *err;
      }
      auto n = integers(*std::get<reply_ptr>(r));
      if (!n) {
        return store_error{"redis: unexpected reply to the expire script"};
      }
      removed += (*n)[0];
      rank += (*n)[1];
      if ((*n)[2] == 1) {
        break;  // no older member left to look at
      }
    }
    return removed;
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
  /// The three non-negative integers of a script's reply, if it is one.
  static std::optional<std::array<std::uint64_t, 3>> integers(const redisReply& reply) {
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) {
      return std::nullopt;
    }
    std::array<std::uint64_t, 3> out{};
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& e = *reply.element[i];
      if (e.type != REDIS_REPLY_INTEGER || e.integer < 0) {
        return std::nullopt;
      }
      out[i] = static_cast<std::uint64_t>(e.integer);
    }
    return out;
  }

  /// Fills out.records from the fields of the user's rec hash, in kind order, opening each.
  void load_records(user_history& out, const std::string& user_id, const redisReply& fields) {
    struct parts {
      const redisReply* version = nullptr;
      const redisReply* data = nullptr;
      const redisReply* updated_at = nullptr;
    };
    std::map<std::string, parts> kinds;
    for (std::size_t i = 0; i + 1 < fields.elements; i += 2) {
      std::string_view field{fields.element[i]->str, fields.element[i]->len};
      auto colon = field.find(':');
      if (colon == std::string_view::npos) {
        continue;  // not a record field; nothing this store wrote
      }
      auto& p = kinds[std::string{field.substr(0, colon)}];
      auto part = field.substr(colon + 1);
      const auto* value = fields.element[i + 1];
      if (part == "version") {
        p.version = value;
      } else if (part == "data") {
        p.data = value;
      } else if (part == "updated_at") {
        p.updated_at = value;
      }
    }
    for (auto& [kind, p] : kinds) {
      user_record r{user_id, kind, 0, {}, 0};
      bool whole = p.version && p.data;
      if (whole) {
        const char* last = p.version->str + p.version->len;
        auto [end, ec] = std::from_chars(p.version->str, last, r.version);
        whole = ec == std::errc{} && end == last;
      }
      if (p.updated_at) {
        std::from_chars(p.updated_at->str, p.updated_at->str + p.updated_at->len, r.updated_at);
      }
      std::vector<std::uint8_t> sealed;
      if (whole) {
        sealed.assign(p.data->str, p.data->str + p.data->len);
      }
      r.data = unseal_record(out, r, sealed, whole ? nullptr : "malformed");  // a part missing
      out.records.push_back(std::move(r));
    }
  }

  /// Opens a record's value (or reports `malformed`), as unseal() does for events.
  std::vector<std::uint8_t> unseal_record(user_history& out, const user_record& r,
                                          const std::vector<std::uint8_t>& sealed,
                                          const char* malformed) {
    const char* code = malformed;
    if (!code) {
      auto opened = sealer_->open(record_purpose(r.kind), r.user_id, sealed);
      if (auto* plain = std::get_if<std::vector<std::uint8_t>>(&opened)) {
        return std::move(*plain);
      }
      code = privacy::to_string(std::get<privacy::sealing_errc>(opened));
    }
    log::error("store.value_unreadable", {{"column", record_column}, {"kind", r.kind},
                                          {"version", r.version}, {"errc", code}});
    if (!out.unreadable) {
      out.unreadable = store_error{std::string{record_column} + " of kind " + r.kind
                                   + " version " + std::to_string(r.version)
                                   + " does not open: " + code};
    }
    return {};
  }

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
