// Plain data of the data-rights domain (GDPR / CCPA), free of CAF, so the gateway can use it
// without actor headers.
#pragma once

#include "model/interaction.hpp"
#include "model/profile.hpp"
#include "runtime/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace aia::actors {

/// One raw interaction the store holds about a user, as an export shows it.
struct exported_event {
  std::uint64_t seq = 0;       ///< the user's log position
  double stored_at = 0;        ///< when the node stored it, seconds since the epoch
  std::string client_id;       ///< the client's idempotency key, if it sent one
  std::uint64_t client_seq = 0;
  model::interaction interaction;
};

/// Everything held about one user (GDPR Art. 15 and 20, CCPA right to know).
struct user_export {
  std::string user_id;
  double exported_at = 0;
  std::uint8_t consent_mode = 0;       ///< privacy::consent_mode: how unrecorded purposes count
  bool has_profile = false;            ///< false: no interaction was ever processed
  model::user_profile profile;         ///< the current state and recommendations
  std::vector<exported_event> events;  ///< every raw event still held, oldest first
  bool has_snapshot = false;
  runtime::snapshot_record snapshot;   ///< newest state snapshot (data: derived features)
  std::vector<runtime::user_record> records;  ///< consent history, budget ledger, ...
};

/// One figure a duty was judged on.
struct compliance_figure {
  std::string name;
  double value = 0;
};

/// Whether one duty of a regulation holds now, and the figures it was judged on.
struct compliance_duty {
  std::string regulation;  ///< "GDPR", "CCPA" or "DP"
  std::string duty;        ///< e.g. "art17_erasure"
  bool holds = true;
  std::string detail;      ///< one line: what was checked and what was found
  std::vector<compliance_figure> figures;
};

/// The live compliance report of GET /privacy/compliance.
struct compliance_report {
  double computed_at = 0;
  std::string level;
  std::string consent_mode;
  std::vector<compliance_duty> duties;
};

} // namespace aia::actors
