// The store domain's protocol: the store writer actor in front of a blocking store backend.
//
//   (write_atom, std::vector<stored_event>, std::vector<snapshot_record>) -> bool (true = durable)
//                                                                           | error store_failed
//   (load_atom, std::string user) -> loaded_history
//   (put_record_atom, user_record) -> bool (true = durable) | error store_failed (CAS refused too)
//   (erase_atom, std::string user) -> runtime::erase_counts | error store_failed
//   (expire_atom, double cutoff, uint64_t limit) -> uint64_t removed | error store_failed
//   (events_atom, std::string user, uint64_t after_seq, uint64_t limit)
//                                     -> std::vector<stored_event> | error store_failed
//   (scan_atom, std::string after, uint64_t limit) -> user_page_msg | error store_failed
//                                                     (runtime::store::scan_users; "" = start)
//
// The retention sweeper (actors/retention_sweeper.hpp):
//   (sweep_atom) -> sweep_report | error store_failed    one sweep now, answered when done
#pragma once

#include "runtime/store.hpp"

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace aia::actors {

using write_atom = caf::atom_constant<caf::atom("write")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using put_record_atom = caf::atom_constant<caf::atom("putrecord")>;
using erase_atom = caf::atom_constant<caf::atom("erase")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using scan_atom = caf::atom_constant<caf::atom("scanusers")>;
using events_atom = caf::atom_constant<caf::atom("events")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

} // namespace aia::actors

namespace aia::runtime {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_event& x) {
  return f(caf::meta::type_name("stored_event"), x.user_id, x.seq, x.client_id, x.client_seq,
           x.timestamp, x.stored_at, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_record& x) {
  return f(caf::meta::type_name("snapshot_record"), x.user_id, x.seq, x.data, x.updated_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_record& x) {
  return f(caf::meta::type_name("user_record"), x.user_id, x.kind, x.version, x.data,
           x.updated_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erase_counts& x) {
  return f(caf::meta::type_name("erase_counts"), x.events, x.snapshots, x.records);
}

} // namespace aia::runtime

namespace aia::actors {

/// runtime::user_history as a message (CAF 0.17 cannot inspect std::optional).
struct loaded_history {
  bool has_snapshot = false;
  runtime::snapshot_record snapshot;
  std::vector<runtime::stored_event> events;
  std::vector<runtime::user_record> records;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, loaded_history& x) {
  return f(caf::meta::type_name("loaded_history"), x.has_snapshot, x.snapshot, x.events,
           x.records);
}

/// runtime::user_summary as a message (CAF 0.17 cannot inspect std::optional).
struct scanned_user {
  std::string user_id;
  bool has_snapshot = false;
  runtime::snapshot_record snapshot;
  std::vector<runtime::user_record> records;
  std::uint64_t events = 0;
  double oldest_event_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scanned_user& x) {
  return f(caf::meta::type_name("scanned_user"), x.user_id, x.has_snapshot, x.snapshot,
           x.records, x.events, x.oldest_event_at);
}

/// runtime::user_page as a message: `unreadable` is set (with its reason) if a value of the page
/// failed to open; that value is in the page with empty bytes.
struct user_page_msg {
  std::vector<scanned_user> users;
  bool unreadable = false;
  std::string unreadable_reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_page_msg& x) {
  return f(caf::meta::type_name("user_page_msg"), x.users, x.unreadable, x.unreadable_reason);
}

/// What one retention sweep did: events removed, the stored_at cutoff it applied and when it
/// ended (seconds since the epoch, by the sweeper's clock).
struct sweep_report {
  std::uint64_t removed = 0;
  double cutoff = 0;
  double finished_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sweep_report& x) {
  return f(caf::meta::type_name("sweep_report"), x.removed, x.cutoff, x.finished_at);
}

} // namespace aia::actors
