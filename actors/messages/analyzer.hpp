// The analyzer domain's protocol: micro-batched user-state inference.
//
//   (analyze_atom, model::feature_vector) -> analysis    one row of the next micro-batch
//   (flush_atom)                                          internal: run the pending batch
#pragma once

#include "actors/messages/model_types.hpp"

#include <caf/atom.hpp>

namespace aia::actors {

using analyze_atom = caf::atom_constant<caf::atom("analyze")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// The analyzer's answer for one row.
struct analysis {
  model::user_state state;
  double model_ms = 0;  ///< time the row waited in its micro-batch plus inference time
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, analysis& x) {
  return f(caf::meta::type_name("analysis"), x.state, x.model_ms);
}

} // namespace aia::actors
