// Plain data of the privacy domain, free of CAF, so the gateway can use it without actor headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aia::actors {

/// The name of the global budget (no user id can hold '#').
inline constexpr std::string_view global_budget = "#global";

/// One release to charge: to which budget, what for, and its privacy parameters.
struct spend_request {
  std::string budget;
  std::string operation;     ///< e.g. "analytics.aggregate"
  std::string purpose;       ///< the consent purpose it serves
  std::uint8_t mechanism = 0;  ///< privacy::mechanism_kind
  double epsilon = 0;
  double delta = 0;
  double sigma = 0;          ///< Gaussian releases: σ and Δ, for RDP accounting
  double sensitivity = 0;
};

/// A budget after a spend (or a look): whether the spend was granted, what is spent, the limit,
/// when it resets (0 = never) and which composition gave the spent figure.
struct budget_report {
  bool granted = false;
  double spent_epsilon = 0;
  double spent_delta = 0;
  double limit_epsilon = 0;
  double limit_delta = 0;
  double resets_at = 0;
  std::uint64_t releases = 0;
  std::string method;
};

/// The node's privacy settings as GET /privacy/status shows them.
struct privacy_settings {
  std::string level;                 ///< STANDARD, HIGH, MAXIMUM
  double epsilon = 0;                ///< each user's budget per window
  double delta = 0;
  bool differential_privacy = true;
  std::string consent_mode;          ///< implied | explicit
  std::string budget_reset;          ///< never | daily | weekly | monthly
};

/// The settings and the global budget now.
struct privacy_status {
  privacy_settings settings;
  budget_report global;
};

} // namespace aia::actors
