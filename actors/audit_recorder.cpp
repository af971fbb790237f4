// One detached actor owns the audit log: requests are checked, the user replaced by its keyed
// pseudonym, and each entry answered once durable.
#include "actors/audit_recorder.hpp"

#include "actors/messages/audit.hpp"
#include "actors/messages/session.hpp"
#include "privacy/audit_log.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>

#include <openssl/crypto.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aia::actors {

namespace {

namespace fs = std::filesystem;

/// Separates the pseudonym key from the audit key's other use (the entries' HMAC).
constexpr std::string_view subject_key_tag = "aia.audit.subject.v1:";
constexpr std::size_t max_key_file_size = 4096;
constexpr std::size_t min_key_size = 32;
constexpr std::size_t kind_count = static_cast<std::size_t>(privacy::audit_kind::retention_sweep)
                                   + 1;

[[noreturn]] void fail_key(const fs::path& file, const std::string& why) {
  // Never the file's content: it is the key.
  throw std::runtime_error("audit key " + file.string() + ": " + why);
}

/// The audit key as privacy::audit_log reads it: the file's bytes less one trailing newline,
/// refused if group or others may access the file. The caller wipes the result.
std::string read_audit_key(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    fail_key(file, std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    fail_key(file, "not a regular file that only its owner may access (chmod 600)");
  }
  std::string key(max_key_file_size + 1, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    auto n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  auto wipe = [&key] { OPENSSL_cleanse(key.data(), key.size()); };
  if (got > max_key_file_size) {
    wipe();
    fail_key(file, "larger than 4096 bytes");
  }
  auto len = got;
  if (len > 0 && key[len - 1] == '\n') {
    --len;
    if (len > 0 && key[len - 1] == '\r') {
      --len;
    }
  }
  if (len < min_key_size) {
    wipe();
    fail_key(file, "holds " + std::to_string(len) + " bytes; an audit key needs at least 32");
  }
  OPENSSL_cleanse(key.data() + len, key.size() - len);
  key.resize(len);
  return key;
}

// -- the recorder ---------------------------------------------------------------------------------

/// What the recorder owns; touched by its thread only.
struct recorder_core {
  audit_options opt;
  std::optional<privacy::audit_log> log;
  bool broken = false;  ///< a write failed: reopen before the next append
  privacy::pseudonymizer subjects;
  std::array<runtime::counter*, kind_count> entries{};
  runtime::counter* write_failures = nullptr;
  runtime::counter* refused = nullptr;
};

/// After a failed write the log refuses appends until reopened: reopen it (open() drops a torn
/// tail and repairs the anchor). False if that fails too.
bool ensure_open(recorder_core& c) {
  if (!c.broken) {
    return true;
  }
  try {
    c.log.reset();  // releases the lock first, or open() would find it held
    c.log.emplace(privacy::audit_log::open(c.opt.log, c.opt.key_file));
    c.broken = false;
    log::warn("audit.reopened", {{"seq", c.log->last_seq()},
                                 {"dropped_bytes", c.log->dropped_tail_bytes()}});
    return true;
  } catch (const std::exception& e) {
    log::error("audit.reopen_failed", {{"reason", e.what()}});
    return false;
  }
}

caf::error refuse(recorder_core& c, std::uint8_t kind, std::string_view why) {
  c.refused->inc();
  // The reason names the rule broken, never the user; a caller bug, so a warning.
  log::warn("audit.entry_refused", {{"kind", static_cast<unsigned>(kind)}, {"reason", why}});
  return make_error(audit_errc::invalid_entry);
}

/// Writes one entry; its seq once durable.
caf::expected<std::uint64_t> record(recorder_core& c, const audit_request& r) {
  if (r.kind >= kind_count) {
    return refuse(c, r.kind, "unknown kind");
  }
  auto kind = static_cast<privacy::audit_kind>(r.kind);
  privacy::audit_details details;
  if (!r.details_json.empty()) {
    try {
      details = privacy::parse_audit_details(r.details_json);
    } catch (const std::exception& e) {
      return refuse(c, r.kind, e.what());
    }
  }
  if (!ensure_open(c)) {
    c.write_failures->inc();
    return make_error(session_errc::store_failed);
  }
  auto subject = r.user.empty() ? std::string{} : c.subjects(r.user);
  // A user acting on their own data (consent, export) would otherwise appear in clear as actor.
  const auto& actor = !r.user.empty() && r.actor == r.user ? subject : r.actor;
  try {
    auto e = c.log->append(kind, actor, subject, details);
    c.entries[r.kind]->inc();
    return e.seq;
  } catch (const std::invalid_argument& e) {
    return refuse(c, r.kind, e.what());
  } catch (const std::exception& e) {
    c.broken = true;
    c.write_failures->inc();
    log::error("audit.write_failed", {{"kind", privacy::to_string(kind)}, {"reason", e.what()}});
    return make_error(session_errc::store_failed);
  }
}

caf::behavior recorder(caf::event_based_actor* self, std::shared_ptr<recorder_core> core) {
  return {
    [self, core](audit_atom, const audit_request& r) -> caf::result<std::uint64_t> {
      auto seq = record(*core, r);
      if (!self->current_message_id().is_request()) {
        // Sent, not requested: answer nothing. An error sent as a plain message would make its
        // receiver quit (CAF 0.17's default error handler); failures are logged and counted.
        self->drop_current_message_id();
        return std::uint64_t{0};
      }
      if (!seq) {
        return std::move(seq.error());
      }
      return *seq;
    },
    [core](audit_subject_atom, const std::string& user) -> std::string {
      return user.empty() ? std::string{} : core->subjects(user);
    },
  };
}

} // namespace

privacy::pseudonymizer audit_pseudonymizer(const fs::path& key_file) {
  auto key = read_audit_key(key_file);
  std::string material{subject_key_tag};
  material += key;
  OPENSSL_cleanse(key.data(), key.size());
  privacy::pseudonymizer p{material};
  OPENSSL_cleanse(material.data(), material.size());
  return p;
}

std::string audit_subject(const audit_options& opt, std::string_view user) {
  if (user.empty()) {
    return {};
  }
  return audit_pseudonymizer(opt.key_file)(user);
}

caf::actor spawn_audit_recorder(caf::actor_system& sys, audit_options opt,
                                runtime::metrics_registry& metrics) {
  // Open first: a log that cannot be opened stops the node before anything is spawned.
  auto opened = privacy::audit_log::open(opt.log, opt.key_file);
  auto core = std::make_shared<recorder_core>(
    recorder_core{opt, std::move(opened), false, audit_pseudonymizer(opt.key_file), {}, nullptr,
                  nullptr});
  for (std::size_t i = 0; i < kind_count; ++i) {
    auto name = privacy::to_string(static_cast<privacy::audit_kind>(i));
    core->entries[i] = &metrics.get_counter("audit_entries_total", "Audit log entries written",
                                            {{"kind", std::string{name}}});
  }
  core->write_failures = &metrics.get_counter(
    "audit_failures_total", "Audit entries not written, by reason", {{"reason", "write"}});
  core->refused = &metrics.get_counter("audit_failures_total",
                                       "Audit entries not written, by reason",
                                       {{"reason", "invalid"}});
  if (auto n = core->log->dropped_tail_bytes(); n > 0) {
    log::warn("audit.torn_tail_dropped", {{"bytes", n}});
  }
  log::info("audit.opened", {{"seq", core->log->last_seq()}});
  return sys.spawn<caf::detached>(recorder, std::move(core));
}

} // namespace aia::actors
