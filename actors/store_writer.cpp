// Group commit in front of a blocking store: writes wait in the mailbox while a commit runs.
#include "actors/store_writer.hpp"

#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>

#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace aia::actors {

namespace {

struct pending_write {
  caf::response_promise promise;
  std::size_t events = 0;
};

struct writer_loop {
  caf::blocking_actor* self;
  std::shared_ptr<runtime::store> backend;
  store_writer_options opt;
  runtime::histogram& commit_seconds;
  runtime::counter& commits;
  runtime::counter& failures;
  runtime::counter& overflows;
  runtime::gauge* status;  ///< <backend>_connection_status, if the backend is not embedded
  std::vector<runtime::stored_event> events;
  std::vector<runtime::snapshot_record> snapshots;
  std::vector<pending_write> waiting;
  bool running = true;
  bool outage = false;  ///< the backend does not answer: writes wait for it, unanswered

  /// Commits what has accumulated and answers every writer of it.
  void flush() {
    if (waiting.empty()) {
      return;
    }
    auto start = std::chrono::steady_clock::now();
    auto err = backend->write(events, snapshots);
    commit_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    commits.inc();
    if (err && backend->check()) {
      // The backend is away (Redis down or unreachable), not refusing this write: keep every
      // write of the round, unanswered, and commit them when it is back. Nothing is lost and
      // nothing is acknowledged early; the admission queue and outage_buffer bound how much
      // waits.
      if (!outage) {
        log::warn("store.outage_buffering", {{"backend", std::string{backend->backend()}},
                                             {"reason", err->message}});
      }
      outage = true;
      set_available(false);
      return;
    }
    set_available(true);
    if (outage) {
      log::info("store.outage_over", {{"events", static_cast<std::uint64_t>(events.size())}});
      outage = false;
    }
    if (err) {
      failures.inc();
      log::error("store.write_failed", {{"backend", std::string{backend->backend()}},
                                        {"events", static_cast<std::uint64_t>(events.size())},
                                        {"reason", err->message}});
      // One bad write must not fail the others: retry each on its own.
      retry_one_by_one();
    } else {
      for (auto& w : waiting) {
        w.promise.deliver(true);
      }
    }
    events.clear();
    snapshots.clear();
    waiting.clear();
  }

  /// After a failed group commit, finds out which writes fail on their own.
  void retry_one_by_one() {
    std::size_t pos = 0;
    for (auto& w : waiting) {
      std::vector<runtime::stored_event> mine(events.begin() + static_cast<long>(pos),
                                              events.begin() + static_cast<long>(pos + w.events));
      pos += w.events;
      if (backend->write(mine, {})) {
        w.promise.deliver(make_error(session_errc::store_failed));
      } else {
        w.promise.deliver(true);
      }
    }
    if (!snapshots.empty()) {
      (void) backend->write({}, snapshots);
    }
  }

  void on_write(std::vector<runtime::stored_event>& evs,
                std::vector<runtime::snapshot_record>& snaps) {
    if (outage && events.size() + evs.size() > opt.outage_buffer) {
      overflows.inc();
      self->make_response_promise().deliver(make_error(session_errc::store_unavailable));
      return;
    }
    waiting.push_back(pending_write{self->make_response_promise(), evs.size()});
    events.insert(events.end(), std::make_move_iterator(evs.begin()),
                  std::make_move_iterator(evs.end()));
    snapshots.insert(snapshots.end(), std::make_move_iterator(snaps.begin()),
                     std::make_move_iterator(snaps.end()));
  }

  loaded_history on_load(const std::string& user) {
    flush();  // a load must see every write before it
    auto h = backend->load(user);
    loaded_history out;
    out.has_snapshot = h.snapshot.has_value();
    if (h.snapshot) {
      out.snapshot = std::move(*h.snapshot);
    }
    out.events = std::move(h.events);
    out.records = std::move(h.records);
    return out;
  }

  /// Runs one operation outside the group commit, after every write before it.
  template <class T, class F>
  caf::result<T> ordered(F op) {
    flush();
    auto r = op();
    if (auto* err = std::get_if<runtime::store_error>(&r)) {
      failures.inc();
      log::error("store.operation_failed", {{"backend", std::string{backend->backend()}},
                                            {"reason", err->message}});
      return make_error(session_errc::store_failed);
    }
    return std::get<T>(std::move(r));
  }

  caf::result<bool> on_put_record(runtime::user_record& r) {
    return ordered<bool>([&]() -> std::variant<bool, runtime::store_error> {
      if (auto err = backend->put_record(r)) {
        return *err;
      }
      return true;
    });
  }

  caf::result<runtime::erase_counts> on_erase(const std::string& user) {
    return ordered<runtime::erase_counts>([&] { return backend->erase_user(user); });
  }

  caf::result<std::uint64_t> on_expire(double cutoff, std::uint64_t limit) {
    return ordered<std::uint64_t>([&] { return backend->expire_events(cutoff, limit); });
  }

  caf::result<user_page_msg> on_scan(const std::string& after, std::uint64_t limit) {
    return ordered<user_page_msg>([&]() -> std::variant<user_page_msg, runtime::store_error> {
      auto r = backend->scan_users(after, limit);
      if (auto* err = std::get_if<runtime::store_error>(&r)) {
        return std::move(*err);
      }
      return to_message(std::get<runtime::user_page>(std::move(r)));
    });
  }

  caf::result<std::vector<runtime::stored_event>>
  on_events(const std::string& user, std::uint64_t after, std::uint64_t limit) {
    return ordered<std::vector<runtime::stored_event>>(
      [&] { return backend->read_events(user, after, limit); });
  }

  static user_page_msg to_message(runtime::user_page page) {
    user_page_msg out;
    out.users.reserve(page.users.size());
    for (auto& u : page.users) {
      scanned_user s{std::move(u.user_id), u.snapshot.has_value(), {}, std::move(u.records),
                     u.events, u.oldest_event_at};
      if (u.snapshot) {
        s.snapshot = std::move(*u.snapshot);
      }
      out.users.push_back(std::move(s));
    }
    out.unreadable = page.unreadable.has_value();
    if (page.unreadable) {
      out.unreadable_reason = std::move(page.unreadable->message);
    }
    return out;
  }

  void set_available(bool up) {
    opt.available->store(up);
    if (status != nullptr) {
      status->set(up ? 1 : 0);
    }
  }

  /// Nothing to do for a while: find out whether the backend still answers (or is back).
  void probe() { set_available(!backend->check()); }

  void on_exit(const caf::exit_msg& msg) {
    flush();
    running = false;
    self->fail_state(msg.reason);
  }

  void run() {
    auto write = [this](write_atom, std::vector<runtime::stored_event>& evs,
                        std::vector<runtime::snapshot_record>& snaps) { on_write(evs, snaps); };
    auto load = [this](load_atom, const std::string& user) { return on_load(user); };
    auto put = [this](put_record_atom, runtime::user_record& r) { return on_put_record(r); };
    auto erase = [this](erase_atom, const std::string& user) { return on_erase(user); };
    auto expire = [this](expire_atom, double cutoff, std::uint64_t limit) {
      return on_expire(cutoff, limit);
    };
    auto scan = [this](scan_atom, const std::string& after, std::uint64_t limit) {
      return on_scan(after, limit);
    };
    auto events_of = [this](events_atom, const std::string& user, std::uint64_t after,
                            std::uint64_t limit) { return on_events(user, after, limit); };
    auto exit = [this](caf::exit_msg& msg) { on_exit(msg); };
    using clock = std::chrono::steady_clock;
    auto last_flush = clock::time_point{};
    probe();
    while (running) {
      if (outage) {
        // Writes pile up (bounded) while the backend is away; try them again every so often.
        self->receive(write, load, put, erase, expire, scan, events_of, exit,
                      caf::after(opt.outage_retry) >> [this] { flush(); });
        continue;
      }
      self->receive(write, load, put, erase, expire, scan, events_of, exit,
                    caf::after(opt.probe_interval) >> [this] { probe(); });
      if (waiting.empty()) {
        continue;  // a load or a probe: nothing to commit
      }
      // Take everything already waiting into the same transaction (group commit). Under a
      // steady stream (the last commit ended less than commit_delay ago) the round also waits
      // up to commit_delay for more writes, so commits are fewer and larger; otherwise the zero
      // timeout ends it as soon as no message is waiting, so light load is not delayed.
      auto start = clock::now();
      auto deadline = start - last_flush < opt.commit_delay ? start + opt.commit_delay : start;
      bool more = true;
      while (running && more && events.size() < opt.group_commit_max) {
        auto wait = std::max(deadline - clock::now(), clock::duration::zero());
        self->receive(write, load, put, erase, expire, scan, events_of, exit,
                      caf::after(wait) >> [&more] { more = false; });
      }
      flush();
      last_flush = clock::now();
    }
  }
};

} // namespace

caf::actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<runtime::store> backend,
                              store_writer_options opt, runtime::metrics_registry& metrics) {
  auto& commit_seconds = metrics.get_histogram(
    "store_commit_duration_seconds", "Time of one group commit of the store",
    runtime::latency_buckets());
  auto& commits = metrics.get_counter("store_commits_total", "Group commits of the store");
  auto& failures = metrics.get_counter("store_commit_failures_total",
                                       "Group commits the store refused");
  auto& overflows = metrics.get_counter(
    "store_outage_refused_total",
    "Writes refused because the store was away and the outage buffer was full");
  runtime::gauge* status = nullptr;
  if (std::string_view{backend->backend()} != "sqlite") {
    status = &metrics.get_gauge(std::string{backend->backend()} + "_connection_status",
                                "1 while the store backend answers, 0 while it does not");
  }
  // Arguments go through spawn, not a capture: CAF 0.17 binds a reference to a null tuple when
  // a function actor is spawned without arguments (UBSan reports it).
  return sys.spawn<caf::detached>(
    [&commit_seconds, &commits, &failures, &overflows, status](caf::blocking_actor* self,
                                           std::shared_ptr<runtime::store> st,
                                           store_writer_options o) {
      pthread_setname_np(pthread_self(), "aia.store");  // its own thread (detached actor)
      writer_loop loop{self, std::move(st), o, commit_seconds, commits, failures, overflows,
                       status,   {},            {},       {}};
      loop.run();
    },
    std::move(backend), opt);
}

} // namespace aia::actors
