// The data-rights domain's protocol: the privacy officer, which carries out the users' GDPR and
// CCPA rights and answers for the node's compliance.
//
//   (erase_user_atom, std::string user, std::string by) -> erasure_receipt
//        erased at the user's owner (session, store, budget), then audited
//   (export_atom, std::string user, std::string by) -> user_export     audited
//   (consent_atom, std::string user, consent_update) -> consent_reply  recorded at the owner,
//        then audited
//   (compliance_atom) -> compliance_report                             computed from live state
#pragma once

#include "actors/messages/model_types.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "actors/rights_types.hpp"

#include <caf/atom.hpp>

namespace aia::actors {

using export_atom = caf::atom_constant<caf::atom("export")>;
using compliance_atom = caf::atom_constant<caf::atom("compliance")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, exported_event& x) {
  return f(caf::meta::type_name("exported_event"), x.seq, x.stored_at, x.client_id, x.client_seq,
           x.interaction);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_export& x) {
  return f(caf::meta::type_name("user_export"), x.user_id, x.exported_at, x.consent_mode,
           x.has_profile, x.profile, x.events, x.has_snapshot, x.snapshot, x.records);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compliance_figure& x) {
  return f(caf::meta::type_name("compliance_figure"), x.name, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compliance_duty& x) {
  return f(caf::meta::type_name("compliance_duty"), x.regulation, x.duty, x.holds, x.detail,
           x.figures);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compliance_report& x) {
  return f(caf::meta::type_name("compliance_report"), x.computed_at, x.level, x.consent_mode,
           x.duties);
}

} // namespace aia::actors
