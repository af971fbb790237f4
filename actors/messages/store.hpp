// The store domain's protocol: the store writer actor in front of a blocking store backend.
//
//   (write_atom, std::vector<stored_event>, std::vector<snapshot_record>) -> bool (true = durable)
//                                                                           | error store_failed
//   (load_atom, std::string user) -> loaded_history
#pragma once

#include "runtime/store.hpp"

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace aia::actors {

using write_atom = caf::atom_constant<caf::atom("write")>;
using load_atom = caf::atom_constant<caf::atom("load")>;

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

} // namespace aia::runtime

namespace aia::actors {

/// runtime::user_history as a message (CAF 0.17 cannot inspect std::optional).
struct loaded_history {
  bool has_snapshot = false;
  runtime::snapshot_record snapshot;
  std::vector<runtime::stored_event> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, loaded_history& x) {
  return f(caf::meta::type_name("loaded_history"), x.has_snapshot, x.snapshot, x.events);
}

} // namespace aia::actors
