// The store domain's protocol: the store writer actor in front of a blocking store backend.
//
//   (write_atom, std::vector<stored_event>, std::vector<snapshot_record>) -> bool (true = durable)
//                                                                           | error store_failed
//   (load_atom, std::string user) -> loaded_history
//   (put_record_atom, user_record) -> bool (true = durable) | error store_failed (CAS refused too)
//   (erase_atom, std::string user) -> runtime::erase_counts | error store_failed
//   (expire_atom, double cutoff, uint64_t limit) -> uint64_t removed | error store_failed
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

} // namespace aia::actors
