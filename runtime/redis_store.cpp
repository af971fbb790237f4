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
//   P ids          sorted set of every user with an event, a snapshot or a record, all scored 0
//                  so that they sort by id: scan_users pages through it with ZRANGEBYLEX.
//   P ids:built    set once ids holds every user written before it existed (see below).
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
// in it: those events never expire, and nothing fails. The ids index is built once instead: the
// first scan_users that finds no ids:built walks the users set and the rec: keys (SSCAN, SCAN) and
// adds each user that still has a key, then sets the marker. A user written later by a node of an
// older version (a rolling upgrade) is not in it until it writes through a newer node, or an
// operator deletes ids:built. erase_user removes them all the same (it
// deletes the user's keys). expire_script builds the key names of the users it meets inside Lua,
// which a single Redis allows but Redis Cluster does not: this backend needs one Redis (primary
// with replicas is fine). Durability is Redis's: an erase or a record is as
// durable as its AOF policy makes any write, and erased values may stay in the AOF file (sealed)
// until Redis rewrites it.
#include "runtime/redis_store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/detail/redis_connection.hpp"
#include "runtime/detail/redis_scripts.hpp"
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

using detail::erase_script;
using detail::expire_script;
using detail::index_script;
using detail::events_script;
using detail::load_script;
using detail::put_record_script;
using detail::scan_script;
using detail::write_script;

constexpr std::uint64_t max_seq = std::uint64_t{1} << 53;  // exact as a sorted-set score

/// Expiry members one expire_script call looks at: bounds how long it holds Redis.
constexpr std::uint64_t expire_batch = 512;

/// Users one scan_script call reads at most (a page may hold fewer than asked; only an empty
/// page ends a scan): bounds how long it holds Redis.
constexpr std::uint64_t scan_batch = 1000;

/// Users, or keys, one SSCAN or SCAN step of the index build asks for.
constexpr const char* index_step = "500";

using detail::reply_ptr;
using args = detail::redis_connection::args;

// -- the store ---------------------------------------------------------------------------------

enum script_index : std::size_t {
  write_index, load_index, put_index, erase_index, expire_index, index_index, scan_index,
  events_index
};

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
    conn_.set_scripts({write_script, load_script, put_record_script, erase_script, expire_script,
                       index_script, scan_script, events_script});
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
    args a{std::to_string(3 + 2 * users.size()), prefix_ + "users", prefix_ + "expiry",
           prefix_ + "ids"};
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
    const auto& s = reply.element;
    out.snapshot = read_snapshot(user_id, s, out.unreadable);
    std::uint64_t seq = 0;
    const auto& ev = *s[3];
    for (std::size_t i = 0; i + 1 < ev.elements; i += 2) {
      const auto& score = *ev.element[i + 1];
      std::from_chars(score.str, score.str + score.len, seq);
      auto e = decode_event(user_id, *ev.element[i]);
      if (!e || e->seq != seq) {  // not a record, or one moved to another position
        out.events.push_back(stored_event{user_id, seq, {}, 0, 0, 0, {}});
        unseal(out.unreadable, detail::event_payloads.purpose, user_id, seq, {}, "malformed");
        continue;
      }
      e->payload = unseal(out.unreadable, detail::event_payloads.purpose, user_id, seq,
                          e->payload, nullptr);
      out.events.push_back(std::move(*e));
    }
    out.records = read_records(user_id, *s[4], out.unreadable);
    return out;
  }

  std::variant<std::vector<stored_event>, store_error>
  read_events(const std::string& user_id, std::uint64_t after_seq, std::uint64_t limit) override {
    auto r = conn_.eval(events_index, {"1", prefix_ + "ev:" + user_id, std::to_string(after_seq),
                                       std::to_string(limit)});
    if (auto* err = std::get_if<store_error>(&r)) {
      return *err;
    }
    const auto& ev = *std::get<reply_ptr>(r);
    if (ev.type != REDIS_REPLY_ARRAY) {
      return store_error{"redis: unexpected reply to the events script"};
    }
    std::vector<stored_event> out;
    for (std::size_t i = 0; i + 1 < ev.elements; i += 2) {
      std::uint64_t seq = 0;
      const auto& score = *ev.element[i + 1];
      std::from_chars(score.str, score.str + score.len, seq);
      auto e = decode_event(user_id, *ev.element[i]);
      std::optional<store_error> bad;
      if (e && e->seq == seq) {
        e->payload = unseal(bad, detail::event_payloads.purpose, user_id, seq, e->payload,
                            nullptr);
      }
      if (!e || e->seq != seq || bad) {
        return store_error{"event " + std::to_string(seq) + " of the user is unreadable"};
      }
      out.push_back(std::move(*e));
    }
    return out;
  }

  std::variant<user_page, store_error> scan_users(const std::string& after,
                                                  std::uint64_t limit) override {
    if (limit == 0) {
      return store_error{"scan limit must be 1 or more"};
    }
    args a{"2", prefix_ + "ids", prefix_ + "ids:built", prefix_, after,
           std::to_string(std::min(limit, scan_batch))};
    auto r = conn_.eval(scan_index, a);
    if (auto* reply = std::get_if<reply_ptr>(&r);
        reply && (*reply)->type == REDIS_REPLY_INTEGER) {  // the index is not built yet
      if (auto err = build_index()) {
        return *err;
      }
      r = conn_.eval(scan_index, std::move(a));
    }
    if (auto* err = std::get_if<store_error>(&r)) {
      return *err;
    }
    const auto& reply = *std::get<reply_ptr>(r);
    if (reply.type != REDIS_REPLY_ARRAY) {
      return store_error{"redis: unexpected reply to the scan script"};
    }
    user_page page;
    for (std::size_t i = 0; i < reply.elements; ++i) {
      const auto& u = *reply.element[i];
      if (u.type != REDIS_REPLY_ARRAY || u.elements != 7
          || u.element[4]->type != REDIS_REPLY_INTEGER
          || u.element[6]->type != REDIS_REPLY_ARRAY) {
        return store_error{"redis: unexpected reply to the scan script"};
      }
      user_summary out;
      out.user_id.assign(u.element[0]->str, u.element[0]->len);
      out.snapshot = read_snapshot(out.user_id, u.element + 1, page.unreadable);
      out.records = read_records(out.user_id, *u.element[6], page.unreadable);
      out.events = static_cast<std::uint64_t>(u.element[4]->integer);
      std::from_chars(u.element[5]->str, u.element[5]->str + u.element[5]->len,
                      out.oldest_event_at);  // '' (no event) leaves 0
      page.users.push_back(std::move(out));
    }
    return page;
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
    auto res = conn_.eval(put_index, {"2", prefix_ + "rec:" + r.user_id, prefix_ + "ids", r.kind,
                                      std::to_string(r.version - 1), std::to_string(r.version),
                                      std::move(sealed), number(r.updated_at), r.user_id});
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
    auto r = conn_.eval(erase_index, {"6", prefix_ + "ev:" + user_id, prefix_ + "snap:" + user_id,
                                      prefix_ + "rec:" + user_id, prefix_ + "users",
                                      prefix_ + "expiry", prefix_ + "ids", user_id});
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

  /// Adds every user stored before the ids index existed to it (see the data model), then marks
  /// it built. Safe to repeat, and beside other nodes writing or building it.
  std::optional<store_error> build_index() {
    std::uint64_t added = 0;
    // Users with events or snapshots are in the users set; users with records alone have only
    // their rec: key. SCAN's MATCH is a glob: the prefix's own glob characters are escaped.
    std::string pattern;
    for (char c : prefix_) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        pattern += '\\';
      }
      pattern += c;
    }
    pattern += "rec:*";
    const std::string rec_prefix = prefix_ + "rec:";
    for (bool keys : {false, true}) {
      std::string cursor = "0";
      do {
        auto r = keys ? conn_.run({"SCAN", cursor, "MATCH", pattern, "COUNT", index_step})
                      : conn_.run({"SSCAN", prefix_ + "users", cursor, "COUNT", index_step});
        if (auto* err = std::get_if<store_error>(&r)) {
          return *err;
        }
        const auto& reply = *std::get<reply_ptr>(r);
        if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 2
            || reply.element[1]->type != REDIS_REPLY_ARRAY) {
          return store_error{"redis: unexpected reply to a scan of the keys"};
        }
        cursor.assign(reply.element[0]->str, reply.element[0]->len);
        args a{"1", prefix_ + "ids", prefix_};
        for (std::size_t i = 0; i < reply.element[1]->elements; ++i) {
          std::string id{reply.element[1]->element[i]->str, reply.element[1]->element[i]->len};
          a.push_back(keys ? id.substr(rec_prefix.size()) : std::move(id));
        }
        if (a.size() > 3) {
          auto n = conn_.eval(index_index, std::move(a));
          if (auto* err = std::get_if<store_error>(&n)) {
            return *err;
          }
          added += static_cast<std::uint64_t>(std::get<reply_ptr>(n)->integer);
        }
      } while (cursor != "0");
    }
    auto set = conn_.run({"SET", prefix_ + "ids:built", "1"});
    if (auto* err = std::get_if<store_error>(&set)) {
      return *err;
    }
    log::info("store.redis_index_built", {{"added", added}});
    return std::nullopt;
  }

  /// The snapshot in three items of a script's reply from `s` on: {seq or '', data, updated_at},
  /// opened; none if the seq is ''.
  std::optional<snapshot_record> read_snapshot(const std::string& user_id, redisReply* const* s,
                                               std::optional<store_error>& unreadable) {
    if (s[0]->len == 0) {
      return std::nullopt;
    }
    std::uint64_t seq = 0;
    std::from_chars(s[0]->str, s[0]->str + s[0]->len, seq);
    double updated_at = 0;
    std::from_chars(s[2]->str, s[2]->str + s[2]->len, updated_at);
    std::vector<std::uint8_t> sealed(s[1]->str, s[1]->str + s[1]->len);
    return snapshot_record{
      user_id, seq,
      unseal(unreadable, detail::snapshot_data.purpose, user_id, seq, sealed, nullptr),
      updated_at};
  }

  /// The records of the user's rec hash fields, in kind order, each opened.
  std::vector<user_record> read_records(const std::string& user_id, const redisReply& fields,
                                        std::optional<store_error>& unreadable) {
    struct parts {
      const redisReply* version = nullptr;
      const redisReply* data = nullptr;
      const redisReply* updated_at = nullptr;
    };
    std::map<std::string, parts> kinds;
    std::vector<user_record> out;
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
      // A part missing: malformed.
      r.data = unseal_record(unreadable, r, sealed, whole ? nullptr : "malformed");
      out.push_back(std::move(r));
    }
    return out;
  }

  /// Opens a record's value (or reports `malformed`), as unseal() does for events.
  std::vector<std::uint8_t> unseal_record(std::optional<store_error>& unreadable,
                                          const user_record& r,
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
    if (!unreadable) {
      unreadable = store_error{std::string{record_column} + " of kind " + r.kind + " version "
                               + std::to_string(r.version) + " does not open: " + code};
    }
    return {};
  }

  /// Opens one stored value (or reports `malformed`, a record that did not decode). On failure
  /// it logs, sets `unreadable` (if not yet) and gives no bytes, as the SQLite store does.
  std::vector<std::uint8_t> unseal(std::optional<store_error>& unreadable,
                                   std::string_view purpose, const std::string& user_id,
                                   std::uint64_t seq, const std::vector<std::uint8_t>& sealed,
                                   const char* malformed) {
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
    if (!unreadable) {
      unreadable = store_error{std::string{purpose} + " of seq " + std::to_string(seq)
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
