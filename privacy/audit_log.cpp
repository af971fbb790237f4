// The audit log file: group-committed appends under a lock file, crash recovery, and the key.
// The pieces live in privacy/detail/: audit_codec (canonical entry bytes, parsing, the guard on
// details), audit_json (the JSON text), audit_anchor (the HMAC chain and its head anchor),
// audit_reader (scanning, verification, reads) and secret_file (shared with the key ring).
//
// File format. One JSON object per line, fields in this order, no spaces, '\n' at the end:
//
//     {"seq":7,"time":1700000000.250000,"kind":"erasure","actor":"admin","subject":"u_3fa1",
//      "details":{"events_erased":12},"prev":"<64 hex>","mac":"<64 hex>"}
//
// Canonical bytes, what `mac` covers (canonical_bytes()): the line without `,"mac":"..."`, that
// is the same JSON ending in `"prev":"..."}`. seq is a decimal integer, time has exactly six
// decimals, kind is its name, strings escape only `"`, `\` and control characters (\b \f \n \r
// \t, else \u00xx) and keep other UTF-8 as is; details keys are sorted bytewise, integers are
// decimal, doubles take their shortest round-trip form plus ".0" if that has neither '.' nor an
// exponent. Quoting makes every field boundary unambiguous, and a reader accepts a line only if
// serializing what it parsed gives back the same bytes, so an entry has exactly one form.
// mac = HMAC-SHA256(key, canonical bytes) in lowercase hex; prev is the previous entry's mac,
// 64 zeros for seq 1. The key is the key file's bytes less one trailing newline (32 or more).
//
// Head anchor. The chain alone cannot tell that its last entries were cut off. `<log>.head`
// holds {"head_seq":N,"mac":"<mac of seq N>","anchor":"<hex>"} with anchor = HMAC-SHA256(key,
// `{"head_seq":N,"mac":"..."}`) (entries start with `{"seq":`, so the two never collide). It is
// replaced atomically (temporary file, fsync, rename) after every durable append, and created at
// seq 0 (rename made durable) before the log itself, so a log without one is reported.
// An anchor behind the log is fine (a crash between the two writes): verify reads the anchor
// before the log, so a writer running meanwhile cannot make it look ahead. What this does NOT
// stop: whoever holds the key can rewrite log and anchor together, so the key must live apart
// from the log (a secret mount, not the data directory); whoever kept an old copy of the anchor
// can cut the log back to it, so record the head that `aia-audit verify` prints elsewhere.
//
// Durability and crashes. append() returns once its line is written, fdatasync'ed and the anchor
// replaced. Appends arriving while a write is in flight queue up and the next leader writes them
// all with one write and one fsync (group commit). A crash mid-write leaves an unterminated last
// line that nobody was told about: open() cuts it away, dropped_tail_bytes() reports it for the
// caller's warning, and the chain continues from the last complete entry. open() repairs an
// anchor that is behind the log and refuses any other damage: a node must not keep writing to a
// log that no longer proves anything (aia-audit verify names the problem).
//
// What details may hold. Entries record that something happened, never the user's data, so
// append refuses (std::invalid_argument, before anything is written): nested objects, arrays and
// null; more than 32 keys; keys not matching [A-Za-z0-9_.-]{1,64}; keys whose lowercase form
// contains "payload" or "interaction", or has a word (split at _ . -) starting with "raw" or
// equal to "body"; strings over 256 bytes or not UTF-8; NaN and infinities; an empty actor, an
// actor or subject over 256 bytes. It is a guard, not a proof: callers log counts, ids,
// versions and reasons (name counts like `events_erased`) and pass the subject in the form the
// privacy level asks for (the pseudonym where ids must not be kept in clear).
#include "privacy/audit_log.hpp"

#include "privacy/detail/audit_anchor.hpp"
#include "privacy/detail/audit_codec.hpp"
#include "privacy/detail/audit_json.hpp"
#include "privacy/detail/audit_reader.hpp"
#include "privacy/detail/secret_file.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aia::privacy {

namespace {

namespace fs = std::filesystem;

using detail::errno_text;
using detail::genesis_mac;
using detail::head_file_text;

constexpr std::string_view what_key = "audit key";
constexpr std::size_t min_key_size = 32;
constexpr std::size_t max_key_file_size = 4096;

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  detail::fail_log(file, what);
}

[[noreturn]] void fail_key(const fs::path& file, const std::string& what) {
  // Never the file's content: it is the key.
  detail::fail_file(what_key, file, what);
}

/// Replaces the head anchor `head` by `text` (see detail::write_file_atomically).
void replace_anchor(const fs::path& head, std::string_view text, bool durable_rename = true) {
  try {
    detail::write_file_atomically(head, text, 0600, durable_rename);
  } catch (const std::exception& e) {
    throw std::runtime_error(head.string() + ": " + e.what());
  }
}

/// The key: the file's bytes less one trailing newline. Refuses a file group or others may access.
std::string load_key(const fs::path& file) {
  auto key = detail::read_secret_file(file, what_key, max_key_file_size + 1);
  if (key.size() > max_key_file_size) {
    OPENSSL_cleanse(key.data(), key.size());
    fail_key(file, "larger than 4096 bytes");
  }
  if (key.ends_with('\n')) {
    key.pop_back();
    if (key.ends_with('\r')) {
      key.pop_back();
    }
  }
  if (key.size() < min_key_size) {
    auto n = key.size();
    OPENSSL_cleanse(key.data(), key.size());
    fail_key(file, "holds " + std::to_string(n) + " bytes; an audit key needs at least 32");
  }
  return key;
}

/// Creates `file` with 32 random bytes as 64 hex digits, mode 0600, unless it exists.
void create_key(const fs::path& file) {
  std::array<unsigned char, 32> raw{};
  std::string text;
  bool ok = RAND_bytes(raw.data(), static_cast<int>(raw.size())) == 1;
  for (auto b : raw) {
    text += detail::hex_digits[b >> 4];
    text += detail::hex_digits[b & 0xF];
  }
  text += '\n';
  OPENSSL_cleanse(raw.data(), raw.size());
  std::string error;
  if (!ok) {
    // A file created meanwhile (or a dangling link) is left for load_key to decide, as below.
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file, ec))) {
      error = "no randomness available";
    }
  } else {
    try {
      detail::create_file_exclusively(file, text, 0600);  // false if it exists: load_key decides
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (!error.empty()) {
    fail_key(file, "cannot create: " + error);
  }
}

double now_seconds() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<double>(us.count()) / 1e6;
}

} // namespace

// -- audit_log ------------------------------------------------------------------------------------

struct audit_log::state {
  fs::path log;
  fs::path head;
  std::string key;
  std::optional<detail::exclusive_lock> lock;  ///< released last, after log_fd is closed
  int log_fd = -1;
  std::uint64_t dropped_tail = 0;
  std::optional<detail::hmac_sha256> mac;  ///< used under `mu` only

  mutable std::mutex mu;
  std::condition_variable cv;
  std::uint64_t next_seq = 1;    ///< seq of the next entry
  std::string tip{genesis_mac};  ///< mac of the last entry, durable or pending
  std::string pending;           ///< lines not yet written
  bool flushing = false;         ///< a leader is writing; others wait
  std::uint64_t durable_seq = 0;
  std::uint64_t durable_bytes = 0;
  std::string broken;  ///< why writing failed; appends refused until reopened

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  ~state() {
    OPENSSL_cleanse(key.data(), key.size());
    if (log_fd >= 0) {
      ::close(log_fd);
    }
  }
};

audit_log::audit_log(std::unique_ptr<state> s) : s_{std::move(s)} {}
audit_log::audit_log(audit_log&&) noexcept = default;
audit_log& audit_log::operator=(audit_log&&) noexcept = default;
audit_log::~audit_log() = default;

audit_log audit_log::open(const fs::path& log, const fs::path& key_file) {
  auto s = std::make_unique<state>();
  s->log = log;
  s->head = detail::head_path_of(log);
  s->lock.emplace(log, "audit log", false);
  std::error_code ec;
  bool has_log = fs::exists(log, ec);
  // A key is created only with a new log: a missing key beside an existing log is an error,
  // not a reason to start a chain nobody can verify.
  if (!has_log) {
    create_key(key_file);
  }
  s->key = load_key(key_file);
  s->mac.emplace(s->key);
  auto head_text = detail::read_small_file(s->head, 4096);
  if (!has_log) {
    if (head_text) {
      auto r = detail::chain_verifier{s->key, head_text}.finish(0);
      if (!r.ok()) {
        fail(log, "missing, and " + r.reason);
      }
    }
    try {
      replace_anchor(s->head, head_file_text(*s->mac, 0, genesis_mac));
    } catch (const std::exception& e) {
      fail(log, e.what());
    }
    s->log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (s->log_fd < 0 || ::fchmod(s->log_fd, 0600) != 0) {
      fail(log, "cannot create: " + errno_text());
    }
    detail::sync_directory(log.parent_path());
    return audit_log{std::move(s)};
  }
  s->log_fd = ::open(log.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (s->log_fd < 0) {
    fail(log, "cannot open: " + errno_text());
  }
  detail::chain_verifier v{s->key, head_text};
  auto scan = detail::scan_lines(s->log_fd, log, std::numeric_limits<std::uint64_t>::max(),
                         [&v](std::string_view l) { return v.feed(l); });
  auto r = v.finish(scan.stopped ? 0 : scan.tail);
  if (!r.ok()) {
    fail(log, std::string{to_string(r.problem)}
                  + (r.seq > 0 ? " at seq " + std::to_string(r.seq) : "") + ": " + r.reason
                  + " (aia-audit verify shows it; nothing was appended)");
  }
  if (scan.tail > 0) {
    // A crash mid-append: that entry was never acknowledged, so it goes.
    if (::ftruncate(s->log_fd, static_cast<off_t>(scan.bytes - scan.tail)) != 0
        || ::fdatasync(s->log_fd) != 0) {
      fail(log, "cannot cut the unterminated last line: " + errno_text());
    }
    s->dropped_tail = scan.tail;
  }
  s->next_seq = r.entries + 1;
  s->tip = r.entries == 0 ? std::string{genesis_mac} : r.head_mac;
  s->durable_seq = r.entries;
  s->durable_bytes = scan.bytes - scan.tail;
  if (!head_text || r.anchor_seq < r.entries) {
    // A crash between the log's fsync and the anchor's replacement.
    try {
      replace_anchor(s->head, head_file_text(*s->mac, r.entries, s->tip));
    } catch (const std::exception& e) {
      fail(log, e.what());
    }
  }
  return audit_log{std::move(s)};
}

audit_entry audit_log::append(audit_kind kind, std::string_view actor, std::string_view subject,
                              const audit_details& details) {
  if (to_string(kind).empty()) {
    throw std::invalid_argument("audit entry: unknown kind");
  }
  detail::check_text("actor", actor, false);
  detail::check_text("subject", subject, true);
  detail::check_details(details);
  audit_entry e;
  e.kind = kind;
  e.actor = actor;
  e.subject = subject;
  e.details = details;

  auto& s = *s_;
  std::unique_lock lk{s.mu};
  if (!s.broken.empty()) {
    fail(s.log, "refuses appends after a failed write (" + s.broken + "); reopen it");
  }
  e.seq = s.next_seq;
  // Six decimals are what the line keeps; the returned entry equals the one read back.
  std::string time_text;
  detail::put_number(time_text, now_seconds(), std::chars_format::fixed, 6);
  std::from_chars(time_text.data(), time_text.data() + time_text.size(), e.time);
  e.prev = s.tip;
  auto body = canonical_bytes(e);
  e.mac = s.mac->hex({body});
  s.pending += detail::with_hex_field(std::move(body), "mac", e.mac);
  s.pending += '\n';
  ++s.next_seq;
  s.tip = e.mac;

  // Group commit: whoever finds no write in flight writes everything pending; the rest wait.
  while (s.durable_seq < e.seq) {
    if (!s.broken.empty()) {
      fail(s.log, "not written: " + s.broken);
    }
    if (s.flushing) {
      s.cv.wait(lk);
      continue;
    }
    auto upto = s.next_seq - 1;
    auto head_text = head_file_text(*s.mac, upto, s.tip);  // under the lock: mac is shared
    s.flushing = true;
    std::string batch;
    batch.swap(s.pending);
    lk.unlock();
    std::string error;
    try {
      detail::write_all(s.log_fd, batch);
      if (::fdatasync(s.log_fd) != 0) {
        throw std::runtime_error("cannot sync: " + errno_text());
      }
      // No fsync of the directory: should a crash bring back the previous anchor, it is behind
      // the log, which verify accepts and open() repairs. It can never be ahead: the log's
      // fdatasync came first.
      replace_anchor(s.head, head_text, false);
    } catch (const std::exception& x) {
      error = x.what();
    }
    lk.lock();
    s.flushing = false;
    if (error.empty()) {
      s.durable_seq = upto;
      s.durable_bytes += batch.size();
    } else {
      s.broken = std::move(error);
    }
    s.cv.notify_all();
  }
  return e;
}

audit_entry audit_log::append_json(audit_kind kind, std::string_view actor,
                                   std::string_view subject, std::string_view details_json) {
  return append(kind, actor, subject, parse_audit_details(details_json));
}

verify_result audit_log::verify() const {
  return detail::verify_with_key(s_->log, s_->key);
}

std::vector<audit_entry> audit_log::read(const audit_filter& filter) const {
  std::uint64_t limit = 0;
  {
    std::lock_guard lk{s_->mu};
    limit = s_->durable_bytes;
  }
  return detail::read_entries(s_->log, limit, filter);
}

std::uint64_t audit_log::last_seq() const {
  std::lock_guard lk{s_->mu};
  return s_->durable_seq;
}

std::uint64_t audit_log::dropped_tail_bytes() const noexcept {
  return s_->dropped_tail;
}

// -- free functions -------------------------------------------------------------------------------

verify_result verify_file(const fs::path& log, const fs::path& key_file) {
  auto key = load_key(key_file);
  try {
    auto r = detail::verify_with_key(log, key);
    OPENSSL_cleanse(key.data(), key.size());
    return r;
  } catch (...) {
    OPENSSL_cleanse(key.data(), key.size());
    throw;
  }
}

std::vector<audit_entry> read_file(const fs::path& log, const audit_filter& filter) {
  return detail::read_entries(log, std::numeric_limits<std::uint64_t>::max(), filter);
}

} // namespace aia::privacy
